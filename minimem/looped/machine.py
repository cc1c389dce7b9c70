"""The looped transformer: three hand-set layers, applied again and again, run SUBLEQ (Chapter 05).

Giannou et al. (2023), "Looped Transformers as Programmable Computers",
https://arxiv.org/abs/2301.13196: a transformer with fixed weights, fed its own output, is a
computer; the input (the punch card, `card.py`) holds the program, the memory and the program
counter. `blocks.py` writes the weights of one loop iteration (= one instruction) into the
course's one `minimem.transformer.Transformer` (no layer norm, ReLU MLPs, no biases — the
card's `one` row plays their part). This file stacks them and runs the loop:

    card₀ = encode(program, memory, pc)
    card_{t+1} = Transformer(card_t)         while 0 <= pc_t < len(program) and t < max_steps

`LoopedTransformer.run` has the signature of `subleq.run` and must agree with it exactly.

Shapes: B cards, n columns, D = d_model rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from minimem.transformer import Transformer, TransformerConfig

from . import blocks, subleq
from .card import CardLayout

DEFAULT_LAM = 20.0  # softmax sharpness λ; the benchmark measures how low it can go


def _heads(layout: CardLayout, lam: float) -> list[list[blocks.Head]]:
    """The attention heads of the three layers (layer 2 has two)."""
    return [[blocks.read_instruction(layout, lam)],
            list(blocks.read_operands(layout, lam)),
            [blocks.write_result(layout, lam)]]


def _mlps(layout: CardLayout) -> list[blocks.MLP]:
    return [blocks.mlp(layout, blocks.sharpen_instruction),
            blocks.mlp(layout, blocks.subtract_and_branch),
            blocks.mlp(layout, blocks.update_memory, blocks.update_pc, blocks.clear_scratchpad)]


@torch.no_grad()
def build_transformer(layout: CardLayout, lam: float = DEFAULT_LAM,
                      dtype: torch.dtype = torch.float32) -> Transformer:
    """A `Transformer` (eval mode) whose three blocks execute one instruction."""
    heads, mlps = _heads(layout, lam), _mlps(layout)
    d_head = max(W_q.shape[0] for layer in heads for W_q, *_ in layer)
    config = TransformerConfig(
        vocab_size=1, d_model=layout.d_model, num_heads=max(map(len, heads)), num_layers=3,
        d_head=d_head, d_ff=max(W_in.shape[0] for W_in, _ in mlps), activation="relu",
        layer_norm=False, causal=False, max_len=layout.num_columns, pos_emb=False, bias=False)
    model = Transformer(config).to(dtype).eval()
    for p in model.parameters():
        p.zero_()
    for block, layer, (W_in, W_out) in zip(model.blocks, heads, mlps):
        for h, (W_q, W_k, W_v, W_o) in enumerate(layer):
            rows, k = slice(h * d_head, h * d_head + W_q.shape[0]), W_q.shape[0]
            block.attn.q_proj.weight[rows] = W_q * math.sqrt(d_head)  # undo the 1/√d of eq. 1
            block.attn.k_proj.weight[rows] = W_k
            block.attn.v_proj.weight[rows] = W_v
            block.attn.out_proj.weight[:, h * d_head: h * d_head + k] = W_o
        block.mlp.fc_in.weight[: len(W_in)] = W_in
        block.mlp.fc_out.weight[:, : len(W_in)] = W_out
    return model


class LoopedTransformer:
    """A SUBLEQ computer for programs of up to `num_instructions` instructions on up to
    `memory_size` cells, made of one transformer applied in a loop.

    `lam` is the softmax sharpness λ of every head (the paper's λ): large enough, and every
    read and write hits exactly one column up to a leak the MLPs remove. float32 is exact
    (every MLP decision has a margin of 3/8) and twice as fast as float64.
    """

    def __init__(self, num_instructions: int, memory_size: int, lam: float = DEFAULT_LAM,
                 dtype: torch.dtype = torch.float32):
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not lam > 0:
            raise ValueError(f"lam (the softmax sharpness λ) must be a number > 0, got {lam!r}")
        self.layout = CardLayout(num_instructions, memory_size)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
        self.lam, self.dtype = float(lam), dtype
        self.model = build_transformer(self.layout, self.lam, dtype)

    @property
    def num_layers(self) -> int:
        return self.model.config.num_layers

    @property
    def num_heads(self) -> int:
        return self.model.config.num_heads

    @property
    def d_model(self) -> int:
        return self.model.config.d_model

    @property
    def num_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @torch.no_grad()
    def step(self, cards: torch.Tensor) -> torch.Tensor:
        """One loop iteration: (B, n, D) cards -> (B, n, D) cards, one instruction executed."""
        return self.model(inputs_embeds=cards).hidden_states[-1]

    def encode(self, program: Sequence, memory: Sequence[int], pc: int = 0) -> torch.Tensor:
        """One program (a list of (a, b, c)) and memory -> its (1, n, D) card, checked."""
        return self._card(*self._check(program, memory, pc, 0), pc)

    def _card(self, program: list, memory: list[int], pc: int) -> torch.Tensor:
        programs, memories = self.pad([program], [memory])
        return self.layout.encode(programs, memories, torch.tensor([pc])).to(self.dtype)

    @torch.no_grad()
    def run_batch(self, programs: torch.Tensor, memories: torch.Tensor, pcs: torch.Tensor,
                  lengths: torch.Tensor, max_steps: int = 100
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run B programs at once: programs (B, N, 3), memories (B, M), pcs (B,) and
        lengths (B,) (program k has lengths[k] instructions), all long and already valid.
        Returns memories (B, M), pcs (B,), steps (B,). Halted cards are not touched again."""
        cards = self.layout.encode(programs, memories, pcs).to(self.dtype)
        steps = torch.zeros(len(cards), dtype=torch.long)
        for _ in range(max_steps):
            pc = self.layout.decode_pc(cards)  # (B,)
            running = (pc >= 0) & (pc < lengths)  # (B,)
            if not running.any():
                break
            cards[running] = self.step(cards[running])
            steps += running
        memories, pcs = self.layout.decode(cards)
        return memories, pcs, steps

    def run(self, program: Sequence, memory: Sequence[int], pc: int = 0,
            max_steps: int = 100) -> tuple[list[int], int, int]:
        """`subleq.run`'s interface: the final (memory, pc, steps), computed by the loop."""
        program, memory = self._check(program, memory, pc, max_steps)
        programs, memories = self.pad([program], [memory])
        out, pcs, steps = self.run_batch(programs, memories, torch.tensor([pc]),
                                         torch.tensor([len(program)]), max_steps)
        return out[0, : len(memory)].tolist(), int(pcs[0]), int(steps[0])

    def cards(self, program: Sequence, memory: Sequence[int], pc: int = 0,
              max_steps: int = 100) -> torch.Tensor:
        """(steps + 1, n, D): the card before the first instruction and after each one."""
        program, memory = self._check(program, memory, pc, max_steps)
        history = [self._card(program, memory, pc)]
        while len(history) <= max_steps and 0 <= self.layout.decode_pc(history[-1])[0] < len(program):
            history.append(self.step(history[-1]))
        return torch.cat(history)

    def _check(self, program: Sequence, memory: Sequence[int], pc: int,
               max_steps: int) -> tuple[list, list[int]]:
        """subleq's checks, then what this machine's card can hold."""
        program, memory = subleq.check(program, memory, pc, max_steps)
        N, M, jumps = self.layout.num_instructions, self.layout.memory_size, self.layout.jump_range
        if len(program) > N or len(memory) > M:
            raise ValueError(f"this machine holds up to {N} instructions and {M} memory cells; "
                             f"got {len(program)} instructions and {len(memory)} cells")
        for i, (a, b, c) in enumerate(program):
            if c not in jumps:
                raise ValueError(f"program[{i}] = {(a, b, c)}: jump target c = {c} cannot be "
                                 f"written on this card (targets {jumps.start}..{jumps.stop - 1})")
        if pc not in jumps:
            raise ValueError(f"pc = {pc} cannot be written on this card "
                             f"(values {jumps.start}..{jumps.stop - 1})")
        return program, memory

    def pad(self, programs: list, memories: list) -> tuple[torch.Tensor, torch.Tensor]:
        """Lists -> (B, N, 3), (B, M) long tensors, padded with halting no-ops and zeros."""
        N, M = self.layout.num_instructions, self.layout.memory_size
        prog = torch.zeros(len(programs), N, 3, dtype=torch.long)
        prog[:, :, 2] = -1
        mem = torch.zeros(len(memories), M, dtype=torch.long)
        for k, (p, m) in enumerate(zip(programs, memories)):
            if p:
                prog[k, : len(p)] = torch.tensor(p)
            if m:
                mem[k, : len(m)] = torch.tensor(m)
        return prog, mem
