"""The punch card: a SUBLEQ machine's whole state as one matrix (Chapter 05).

Giannou et al. (2023), "Looped Transformers as Programmable Computers",
https://arxiv.org/abs/2301.13196: the transformer's input is a "punch card" whose
columns are a scratchpad, the memory and the instructions, and whose rows hold, besides the
data, a binary positional code — the address by which attention finds a column. Ours:

    column 0                  the scratchpad: the program counter and the working rows
    columns 1 … M             memory cell a lives in column 1 + a
    columns M + 1 … M + N     instruction k lives in column M + 1 + k

Every row has a name (as in chapter 04's residual layout), so a card reads like a table:

    one                       1 in every column (the weights' biases read it)
    scratch, memory, instruction   which kind of column this is (1 or 0)
    addr        (P)           the column's address as ±1 bits; 0 in the scratchpad (no address)
    value       (8)           a memory cell's value: two's complement bits (0/1), lowest first
    inst_a, inst_b, inst_c, inst_next  (P each)  an instruction's operands as ±1 addresses:
                              the columns of memory[a], memory[b], instruction c, instruction k+1
    pc          (P)           the scratchpad's program counter: the address of its instruction
    a, b, c, next (P each)    working rows the loop fills and clears (see machine.py):
    mem_a, mem_b (8 each), result (8), flag (1), sel (1), sel_result (8)

P = bits of an address, enough for columns 0 … M + N + 1. A jump target c is stored as the
address of column M + 1 + c, so every c from -M to 2^P - M - 2 can be written (-1 and N, the
usual "halt" targets, always can); the machine halts when pc leaves range(N).

Shapes: B cards, n = 1 + M + N columns, D rows (d_model).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

VALUE_BITS = 8  # memory values are 8-bit two's complement: -128 … 127 (subleq.VALUE_MIN/MAX)

_FLAGS = ("one", "scratch", "memory", "instruction")
_ADDRESS_ROWS = ("addr", "inst_a", "inst_b", "inst_c", "inst_next", "pc", "a", "b", "c", "next")
_VALUE_ROWS = ("value", "mem_a", "mem_b", "result", "sel_result")


def address_bits(columns: torch.Tensor, bits: int) -> torch.Tensor:
    """(…,) column numbers -> (…, bits) ±1 codes, lowest bit first: +1 where the bit is set."""
    shifts = torch.arange(bits, device=columns.device)
    return ((columns[..., None] >> shifts) & 1).double() * 2 - 1  # (…, P)


def value_bits(values: torch.Tensor) -> torch.Tensor:
    """(…,) ints in -128 … 127 -> (…, 8) two's complement bits (0/1), lowest first."""
    shifts = torch.arange(VALUE_BITS, device=values.device)
    return ((values[..., None] & 0xFF) >> shifts & 1).double()  # (…, 8)


def bits_to_value(bits: torch.Tensor) -> torch.Tensor:
    """(…, 8) bits (read as 1 where > 0.5) -> (…,) long: Σ_{j<7} 2^j b_j - 128·b_7 (two's complement)."""
    weights = 2 ** torch.arange(VALUE_BITS, device=bits.device)
    weights[-1] = -weights[-1]
    return ((bits > 0.5).long() * weights).sum(-1)


@dataclass
class CardLayout:
    """Where everything sits on the card of a machine with N instructions and M memory cells."""

    num_instructions: int  # N
    memory_size: int  # M
    rows: dict[str, slice] = field(init=False)

    def __post_init__(self) -> None:
        for name in ("num_instructions", "memory_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        sizes = {name: 1 for name in _FLAGS}
        sizes |= {name: self.bits for name in _ADDRESS_ROWS}
        sizes |= {name: VALUE_BITS for name in _VALUE_ROWS}
        sizes |= {"flag": 1, "sel": 1}
        order = (*_FLAGS, "addr", "value", "inst_a", "inst_b", "inst_c", "inst_next", "pc",
                 "a", "b", "c", "next", "mem_a", "mem_b", "result", "flag", "sel", "sel_result")
        self.rows, start = {}, 0
        for name in order:
            self.rows[name] = slice(start, start + sizes[name])
            start += sizes[name]

    @property
    def num_columns(self) -> int:
        """n = 1 + M + N."""
        return 1 + self.memory_size + self.num_instructions

    @property
    def bits(self) -> int:
        """P: enough bits for every column and for "one past the last instruction"."""
        return self.num_columns.bit_length()

    @property
    def d_model(self) -> int:
        return self.rows["sel_result"].stop

    @property
    def jump_range(self) -> range:
        """The jump targets c this card can hold (their columns have an address)."""
        first = -self.memory_size  # column 1: memory cell 0
        return range(first, 2 ** self.bits - 1 - self.memory_size)

    def row(self, name: str) -> int:
        """The index of a one-row field (`one`, `scratch`, `flag`, …)."""
        rows = self.rows[name]
        if rows.stop - rows.start != 1:
            raise ValueError(f"row {name!r} has {rows.stop - rows.start} rows; use rows[{name!r}]")
        return rows.start

    def labels(self) -> list[str]:
        """A label per row, e.g. 'addr[0]' … , for plots."""
        return [name if r.stop - r.start == 1 else f"{name}[{i}]"
                for name, r in self.rows.items() for i in range(r.stop - r.start)]

    def encode(self, programs: torch.Tensor, memories: torch.Tensor,
               pcs: torch.Tensor) -> torch.Tensor:
        """(B, N, 3) long programs, (B, M) long memories, (B,) long pcs -> (B, n, D) cards.

        Values must already be valid (machine.py checks them against subleq's rules).
        """
        B, M, N = programs.shape[0], self.memory_size, self.num_instructions
        P, r = self.bits, self.rows
        card = torch.zeros(B, self.num_columns, self.d_model, dtype=torch.float64)
        card[:, :, r["one"]] = 1.0
        card[:, 0, r["scratch"]] = 1.0
        card[:, 1:M + 1, r["memory"]] = 1.0
        card[:, M + 1:, r["instruction"]] = 1.0
        card[:, 1:, r["addr"]] = address_bits(torch.arange(1, self.num_columns), P)
        card[:, 1:M + 1, r["value"]] = value_bits(memories)  # (B, M, 8)
        a, b, c = programs.unbind(-1)  # (B, N) each
        card[:, M + 1:, r["inst_a"]] = address_bits(1 + a, P)  # (B, N, P)
        card[:, M + 1:, r["inst_b"]] = address_bits(1 + b, P)
        card[:, M + 1:, r["inst_c"]] = address_bits(M + 1 + c, P)
        card[:, M + 1:, r["inst_next"]] = address_bits(torch.arange(M + 2, M + 2 + N), P)
        card[:, 0, r["pc"]] = address_bits(M + 1 + pcs, P)  # (B, P)
        return card

    def decode_pc(self, cards: torch.Tensor) -> torch.Tensor:
        """(B, n, D) -> (B,) long: the program counter, read from the scratchpad's pc bits."""
        bits = (cards[:, 0, self.rows["pc"]] > 0).long()  # (B, P)
        column = (bits << torch.arange(self.bits, device=cards.device)).sum(-1)  # (B,)
        return column - (self.memory_size + 1)

    def decode(self, cards: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, n, D) -> memories (B, M) long, pcs (B,) long."""
        cells = cards[:, 1:self.memory_size + 1, self.rows["value"]]  # (B, M, 8)
        return bits_to_value(cells), self.decode_pc(cards)
