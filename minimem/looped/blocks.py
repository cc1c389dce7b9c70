"""One SUBLEQ instruction as three transformer layers with hand-set weights (Chapter 05).

Giannou et al. (2023), "Looped Transformers as Programmable Computers",
https://arxiv.org/abs/2301.13196: attention moves data between columns of the punch card by
matching binary addresses (reads and writes), and ReLU MLPs do the arithmetic, the branch
condition and the program counter. The layers below are our own, smaller construction for
8-bit SUBLEQ, not the paper's. One pass of our three layers
executes the instruction at pc, `memory[b] -= memory[a]; pc = c if memory[b] <= 0 else pc + 1`:

    layer 1  attention  read_instruction      scratchpad ← a, b, c, next of instruction pc
             MLP        sharpen_instruction    round those to exact ±1 bits (0 elsewhere)
    layer 2  attention  read_operands          scratchpad ← the bits of memory[a], memory[b]
             MLP        subtract_and_branch    result = memory[b] - memory[a] (bits), flag = result <= 0
    layer 3  attention  write_result           column b ← result (every other column keeps its own)
             MLP        update_memory, update_pc, clear_scratchpad

Reading by address is a dot product of ±1 codes: the query's code matches the key's in all P
bits (score λ·P) and any other column in at most P - 1 (score ≤ λ·(P - 2)), so with sharpness
λ the softmax puts weight ≥ 1 - (n - 1)·e^{-2λ} on the right column. What leaks in is removed by
the MLPs' step units, which is why the loop can run forever without drifting.

Each function returns the weights in the card's named rows (`CardLayout.rows`):
a head is (W_q, W_k, W_v, W_o) with shapes (k, D), (k, D), (k, D), (D, k) for a head width k —
raw q·k scores, no 1/√d; an MLP is (W_in (U, D), W_out (D, U)), biases read the `one` row.
"""

from __future__ import annotations

import torch

from .card import VALUE_BITS, CardLayout

GATE = 1000.0  # a step unit gated off reads -GATE: far below any value a card holds
SLOPE = 4.0  # step(z) = clamp(4z + 1/2, 0, 1): exact 0/1 while z is 1/8 or more from 0

Head = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
MLP = tuple[torch.Tensor, torch.Tensor]


def _zeros(*shape: int) -> torch.Tensor:
    return torch.zeros(*shape, dtype=torch.float64)


def _head(layout: CardLayout, width: int) -> Head:
    D = layout.d_model
    return _zeros(width, D), _zeros(width, D), _zeros(width, D), _zeros(D, width)


def _match(layout: CardLayout, query: str, key: str, lam: float, head: Head) -> None:
    """Scores λ·(query bits · key bits) in the head's first P dimensions."""
    W_q, W_k, _, _ = head
    for i in range(layout.bits):
        W_q[i, layout.rows[query].start + i] = lam
        W_k[i, layout.rows[key].start + i] = 1.0


def _move(layout: CardLayout, pairs: list[tuple[str, str]], head: Head) -> None:
    """The head reads rows `src` of the column it attends to and adds them to rows `dst`."""
    _, _, W_v, W_o = head
    k = 0
    for src, dst in pairs:
        for s, d in zip(range(layout.rows[src].start, layout.rows[src].stop),
                        range(layout.rows[dst].start, layout.rows[dst].stop)):
            W_v[k, s], W_o[d, k] = 1.0, 1.0
            k += 1


def read_instruction(layout: CardLayout, lam: float) -> Head:
    """Layer 1: the scratchpad's query is pc; the instruction column with that address answers
    with its four fields. (Other columns have pc = 0, attend evenly, and are cleaned next.)"""
    head = _head(layout, 4 * layout.bits)
    _match(layout, "pc", "addr", lam, head)
    _move(layout, [("inst_a", "a"), ("inst_b", "b"), ("inst_c", "c"), ("inst_next", "next")], head)
    return head


def read_operands(layout: CardLayout, lam: float) -> tuple[Head, Head]:
    """Layer 2, two heads: query a reads memory[a]'s bits into mem_a, query b into mem_b."""
    heads = []
    for address, into in (("a", "mem_a"), ("b", "mem_b")):
        head = _head(layout, max(layout.bits, VALUE_BITS))
        _match(layout, address, "addr", lam, head)
        _move(layout, [("value", into)], head)
        heads.append(head)
    return heads[0], heads[1]


def write_result(layout: CardLayout, lam: float) -> Head:
    """Layer 3: each column asks "is the result mine?". Its query is its address (plus 1 in an
    extra dimension); its own key is its address, the scratchpad's key is b's address plus 1.
    Column b then matches the scratchpad (λ·(P + 1)) better than itself (λ·P); every other
    column matches itself best. The head brings `sel` (1 from the scratchpad, 0 from anyone
    else) and `sel_result`, the result it carries."""
    P = layout.bits
    head = _head(layout, P + 1 + VALUE_BITS)
    W_q, W_k, W_v, W_o = head
    _match(layout, "addr", "addr", lam, head)
    for i in range(P):
        W_k[i, layout.rows["b"].start + i] = 1.0  # b is non-zero only in the scratchpad
    W_q[P, layout.row("one")], W_k[P, layout.row("scratch")] = lam, 1.0
    W_v[0, layout.row("scratch")], W_o[layout.row("sel"), 0] = 1.0, 1.0
    for j in range(VALUE_BITS):
        W_v[1 + j, layout.rows["result"].start + j] = 1.0
        W_o[layout.rows["sel_result"].start + j, 1 + j] = 1.0
    return head


class Units:
    """The hidden ReLU units of one MLP, added in the card's named rows (input · and output ·)."""

    def __init__(self, layout: CardLayout):
        self.layout, self.ins, self.outs = layout, [], []

    def index(self, name: str, i: int = 0) -> int:
        return self.layout.rows[name].start + i

    def relu(self, reads: dict[int, float], writes: dict[int, float]) -> None:
        """One unit: relu(Σ reads[r]·x_r) added, times writes[r], to each row r."""
        w_in, w_out = _zeros(self.layout.d_model), _zeros(self.layout.d_model)
        for r, c in reads.items():
            w_in[r] += c
        for r, c in writes.items():
            w_out[r] += c
        self.ins.append(w_in)
        self.outs.append(w_out)

    def step(self, z: dict[int, float], const: float, writes: dict[int, float],
             gate: str) -> None:
        """Two units adding step(Σ z·x + const)·writes: clamp(SLOPE·(·) + 1/2, 0, 1), which is
        [z + const > 0] for values at least 1/8 from the threshold — in the columns where row
        `gate` is 1 only (elsewhere the units read -GATE and stay at 0)."""
        for shift, sign in ((0.5, 1.0), (-0.5, -1.0)):
            reads = {r: SLOPE * c for r, c in z.items()}
            one, g = self.index("one"), self.index(gate)
            reads[one] = reads.get(one, 0.0) + SLOPE * const + shift - GATE
            reads[g] = reads.get(g, 0.0) + GATE
            self.relu(reads, {r: sign * c for r, c in writes.items()})

    def clear(self, name: str) -> None:
        """Add -x to every row of `name` (relu(x) - relu(-x) = x): the rows end at 0."""
        for r in range(self.layout.rows[name].start, self.layout.rows[name].stop):
            self.relu({r: 1.0}, {r: -1.0})
            self.relu({r: -1.0}, {r: 1.0})

    def weights(self) -> MLP:
        return torch.stack(self.ins), torch.stack(self.outs, dim=1)  # (U, D), (D, U)


def sharpen_instruction(u: Units) -> None:
    """Layer 1 MLP: in the scratchpad, each fetched bit x becomes exactly +1 if x > 0 else -1;
    in every other column the fetched rows (an even mix of all fields) become 0.
    Δx = 2·step(x) - scratch - x."""
    rows = []
    for name in ("a", "b", "c", "next"):
        u.clear(name)
        for i in range(u.layout.bits):
            rows.append(u.index(name, i))
            u.step({rows[-1]: 1.0}, 0.0, {rows[-1]: 2.0}, gate="scratch")
    u.relu({u.index("scratch"): 1.0}, {r: -1.0 for r in rows})


def subtract_and_branch(u: Units) -> None:
    """Layer 2 MLP, in the scratchpad: result = memory[b] - memory[a] as 8 bits, and
    flag = [memory[b] - memory[a] <= 0].

    Bit i of a difference depends only on the low i + 1 bits of both numbers: with
    s_i = Σ_{j≤i} 2^j (b_j - a_j), an integer in (-2^{i+1}, 2^{i+1}),
        bit_i = [s_i ≥ 2^i] + [s_i ≥ -2^i] - [s_i ≥ 0]
    (s_i mod 2^{i+1} has bit i set). The flag reads the signed difference: bit 7 weighs -128."""
    a, b = (lambda j: u.index("mem_a", j)), (lambda j: u.index("mem_b", j))
    for i in range(VALUE_BITS):
        s = {**{b(j): 2.0 ** j for j in range(i + 1)}, **{a(j): -2.0 ** j for j in range(i + 1)}}
        bit = u.index("result", i)
        u.step(s, 0.5 - 2 ** i, {bit: 1.0}, gate="scratch")  # [s ≥ 2^i]
        u.step(s, 0.5 + 2 ** i, {bit: 1.0}, gate="scratch")  # [s ≥ -2^i]
        u.step(s, 0.5, {bit: -1.0}, gate="scratch")  # -[s ≥ 0]
    weight = [2.0 ** j for j in range(VALUE_BITS - 1)] + [-(2.0 ** (VALUE_BITS - 1))]
    minus_r = {**{b(j): -w for j, w in enumerate(weight)}, **{a(j): w for j, w in enumerate(weight)}}
    u.step(minus_r, 0.5, {u.index("flag"): 1.0}, gate="scratch")  # [-r + 1/2 > 0] = [r <= 0]
    u.clear("mem_a")
    u.clear("mem_b")


def update_memory(u: Units) -> None:
    """Layer 3 MLP, in memory columns: bit_i ← result_i where the write selected this column
    (sel ≈ 1), else keep bit_i. Both cases in one sum of steps, exact despite the softmax's
    leak:  new_i = [sel_result_i > 1/2] + [bit_i - sel > 1/2]."""
    for i in range(VALUE_BITS):
        bit = u.index("value", i)
        u.step({u.index("sel_result", i): 1.0}, -0.5, {bit: 1.0}, gate="memory")
        u.step({bit: 1.0, u.index("sel"): -1.0}, -0.5, {bit: 1.0}, gate="memory")
    u.clear("value")


def update_pc(u: Units) -> None:
    """Layer 3 MLP, in the scratchpad: pc ← c if flag else next. With exact ±1 bits and an
    exact 0/1 flag, relu(c_i + 2·flag - 2) is 1 only when flag = 1 and c_i = +1, and
    relu(next_i - 2·flag) only when flag = 0 and next_i = +1: pc_i = 2·(both) - 1."""
    one, flag, rows = u.index("one"), u.index("flag"), []
    for i in range(u.layout.bits):
        rows.append(u.index("pc", i))
        u.relu({u.index("c", i): 1.0, flag: 2.0, one: -2.0}, {rows[-1]: 2.0})
        u.relu({u.index("next", i): 1.0, flag: -2.0}, {rows[-1]: 2.0})
    u.clear("pc")
    u.relu({u.index("scratch"): 1.0}, {r: -1.0 for r in rows})


def clear_scratchpad(u: Units) -> None:
    """Layer 3 MLP: every working row back to 0, so the next loop starts from a clean card."""
    for name in ("a", "b", "c", "next", "result", "flag", "sel", "sel_result"):
        u.clear(name)


def mlp(layout: CardLayout, *parts) -> MLP:
    """The MLP made of the units that `parts` (functions above) add, in order."""
    units = Units(layout)
    for part in parts:
        part(units)
    return units.weights()
