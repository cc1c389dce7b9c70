"""Checkers for the chapter 05 exercises (looped transformers: a SUBLEQ computer made of attention).

5.1 asks for a program, 5.2 for an attention head, 5.3 for the weights of an MLP. Programs and
weights have many right answers, so the checkers test what they *do*: the program is run by the
reference machine (`minimem.looped.subleq`) and by the looped transformer on every input of its
range; the head and the MLP are evaluated on fixed, seeded cases (5.3: on every pair of 8-bit
numbers whose difference does not overflow, and again with the inputs slightly off 0 and 1).
Each exercise has three hints (`checks.hint("5.2")`), none of them code.
"""

from __future__ import annotations

import sys
from typing import Callable

import torch

from minimem import attention
from minimem.checks._answer_key import answer_key_off
from minimem.checks._framework import (CheckResult, differences, hint, is_reference,
                                       register_hints, run_check)
from minimem.looped import LoopedTransformer, subleq
from minimem.looped.card import address_bits, value_bits
from minimem.looped.programs import AssemblyError, assemble

__all__ = ["check_read_by_address", "check_relu_program", "check_subtract_and_branch", "hint",
           "RELU_STEPS", "NOISE"]

register_hints("5.1", [
    "Two things to decide: when to stop early (x <= 0 means the answer is 0), and how to copy a "
    "positive x into y with subtractions only. A cell that holds 0 lets you test a value without "
    "changing it: x - 0 is x.",
    "Clear y first (y minus itself). Then an instruction that subtracts a zero cell from x and "
    "jumps to halt when the result is <= 0 leaves y = 0 for x <= 0. For x > 0, copy as the named "
    "program `copy` does: through a scratch cell that first receives -x.",
    "Four or five instructions are enough: clear y; test x against the zero cell (jump to halt); "
    "scratch = 0 - x; y = 0 - scratch; clear the scratch cell again (or leave it: only y is "
    "checked). The scratch cell must start at 0, so declare it `= 0`.",
])
register_hints("5.2", [
    "This is ordinary dot-product attention with the scores multiplied by lam and no 1/sqrt(d): "
    "one score per (query, address) pair, a softmax over the addresses, a weighted sum of values.",
    "The scores are every query row's dot product with every address row: one matrix product "
    "of the queries with the transposed addresses, shape (B, n). Scale them by lam, take the "
    "softmax over the n addresses, and combine the values with those (B, n) weights.",
    "With lam = 50 the scores reach several hundred and exp() of them overflows: compute the "
    "softmax with torch.softmax (it subtracts each row's maximum first) or subtract the maximum "
    "yourself before exponentiating.",
])
register_hints("5.3", [
    "Every output is a yes/no question about a whole number ('is s at least t?'), and a ReLU "
    "network answers one with a step: two ReLUs whose difference climbs from 0 to 1 over a "
    "short interval. Put that interval halfway between two integers, well away from both, and "
    "the answer is exact with room to spare — the noise test needs that room.",
    "A step: relu(k·z + 1/2) - relu(k·z - 1/2) is 0 for z <= -1/(2k) and 1 for z >= 1/(2k). "
    "Bit i of b - a depends only on the low i + 1 bits of a and b: with s_i = Σ_{j<=i} "
    "2^j·(b_j - a_j), an integer strictly between -2^(i+1) and 2^(i+1), bit i is set exactly "
    "when s_i lies in [2^i, 2^(i+1)) or in [-2^i, 0).",
    "So bit i = [s_i >= 2^i] + [s_i >= -2^i] - [s_i >= 0]: three steps, six hidden units, "
    "thresholds at 2^i - 1/2, -2^i - 1/2 and -1/2. The flag is one more step on the signed "
    "difference (bit 7 weighs -128 in two's complement): [b - a <= 0] = [a - b + 1/2 > 0].",
])

# ---------------------------------------------------------------- 5.1: a SUBLEQ program
RELU_STEPS = 20  # the program must halt within this many steps on every input
RELU_INPUTS = range(subleq.VALUE_MIN, subleq.VALUE_MAX + 1)  # every 8-bit x: -128 … 127


def _assembled(fn: Callable) -> Callable:
    """fn() -> source  ==>  a function of no argument: 'ok', or what is wrong with the source."""
    def run() -> str:
        source = fn()
        if not isinstance(source, str):
            return f"your function must return the assembly source as a str, got " \
                   f"{type(source).__name__}"
        try:
            done = assemble(source)
        except AssemblyError as error:
            return f"the assembler says: {error}"
        missing = [cell for cell in ("x", "y") if cell not in done.data]
        if missing:
            return f"no data cell named {' or '.join(missing)} (declare them: data x = 0, y = 0, …)"
        if not done.program:
            return "the program has no instructions"
        return "ok"
    return run


def _relu_on_reference(fn: Callable) -> Callable:
    """fn() -> source  ==>  x -> y after `subleq.run`, or a sentence saying what went wrong."""
    def run(x: int) -> int | str:
        done = assemble(fn())
        memory = list(done.memory)
        memory[done.data["x"]] = x
        try:
            memory, pc, steps = subleq.run(done.program, memory, max_steps=RELU_STEPS)
        except subleq.SubleqOverflow as error:
            return f"overflow: {error}"
        if not subleq.halted(done.program, pc):
            return f"did not halt within {RELU_STEPS} steps (pc = {pc})"
        return memory[done.data["y"]]
    return run


def _relu_on_transformer(fn: Callable) -> Callable:
    """fn() -> source  ==>  the first input on which the looped transformer and `subleq.run`
    disagree (memory, pc and steps), or 'agree' (all inputs run as one batch)."""
    def run() -> str:
        done = assemble(fn())
        machine = LoopedTransformer(len(done.program), len(done.memory))
        for i, (a, b, c) in enumerate(done.program):
            if c not in machine.layout.jump_range:
                return (f"instruction {i} = {(a, b, c)} jumps to {c}, which the card cannot "
                        f"hold (targets {machine.layout.jump_range.start}.."
                        f"{machine.layout.jump_range.stop - 1}); jump to halt or to a label")
        cases = []
        for x in RELU_INPUTS:
            memory = list(done.memory)
            memory[done.data["x"]] = x
            cases.append(memory)
        programs, memories = machine.pad([done.program] * len(cases), cases)
        B = len(cases)
        out, pcs, steps = machine.run_batch(programs, memories, torch.zeros(B, dtype=torch.long),
                                            torch.full((B,), len(done.program)), RELU_STEPS)
        for k, (x, memory) in enumerate(zip(RELU_INPUTS, cases)):
            got = (out[k, : len(memory)].tolist(), int(pcs[k]), int(steps[k]))
            want = subleq.run(done.program, memory, max_steps=RELU_STEPS)
            if got != want:
                return (f"x = {x}: the transformer ends with memory {got[0]}, pc {got[1]} after "
                        f"{got[2]} steps; subleq.run with memory {want[0]}, pc {want[1]} after "
                        f"{want[2]} steps")
        return "agree"
    return run


def check_relu_program(fn: Callable) -> CheckResult:
    """Exercise 5.1: fn() -> assembly source of a program with data cells x and y that leaves
    y = max(x, 0) for every x in -128..127, halting within RELU_STEPS steps. Three stages, each
    only once the one before passed: it assembles; subleq.run computes max(x, 0) on every
    input; the looped transformer agrees with subleq.run on every input."""
    negative = [((x,), {}) for x in RELU_INPUTS if x < 0]
    positive = [((x,), {}) for x in RELU_INPUTS if x > 0]
    stages = [
        (_assembled(fn), lambda: "ok", {"assembles, with data cells x and y": [((), {})]}),
        (_relu_on_reference(fn), lambda x: max(x, 0),
         {"subleq.run, x = 0": [((0,), {})],
          f"subleq.run, x = 1 … 127 ({len(positive)} inputs)": positive,
          f"subleq.run, x = -128 … -1 ({len(negative)} inputs)": negative}),
        (_relu_on_transformer(fn), lambda: "agree",
         {"the looped transformer agrees with subleq.run on all 256 inputs": [((), {})]}),
    ]
    lines: list[str] = []
    for learner, reference, groups in stages:
        result = run_check("relu_program", learner, reference, groups, arg_names=("x",),
                           exercise="5.1", verbose=False)
        shown = [line for line in result.lines if not line.startswith("All checks passed")]
        print("\n".join(shown))
        lines += shown
        if not result:
            return CheckResult("relu_program", False, lines)
    print("All checks passed for relu_program.")
    return CheckResult("relu_program", True, lines + ["All checks passed for relu_program."])


# ---------------------------------------------------------------- 5.2: reading by address
def _read_reference(query: torch.Tensor, addresses: torch.Tensor, values: torch.Tensor,
                    lam: float) -> torch.Tensor:
    """softmax(λ · query · addressesᵀ) · values: (B, P), (n, P), (n, k) -> (B, k)."""
    weights = torch.softmax(lam * query @ addresses.T, dim=-1)  # (B, n)
    return weights @ values  # (B, k)


def _read_case(seed: int, B: int, n: int, P: int, k: int, lam: float,
               blank: bool = False) -> tuple:
    """Addresses of columns 1..n as ±1 codes; B queries, each one of them (or all-zero rows,
    the scratchpad's 'no address', when `blank`); seeded values."""
    generator = torch.Generator().manual_seed(seed)
    addresses = address_bits(torch.arange(1, n + 1), P)  # (n, P)
    pick = torch.randint(0, n, (B,), generator=generator)
    query = addresses[pick].clone()  # (B, P)
    if blank:
        query[0] = 0.0
    values = torch.randn(n, k, generator=generator, dtype=torch.float64)
    return query, addresses, values, lam


def check_read_by_address(fn: Callable) -> CheckResult:
    """Exercise 5.2: fn(query (B, P) ±1, addresses (n, P) ±1, values (n, k), lam) -> (B, k),
    softmax(lam · query · addressesᵀ) · values."""
    me = sys.modules[__name__]
    forbidden = (_read_reference, attention.scaled_dot_product_attention)
    submitted = fn if is_reference(fn, forbidden) else answer_key_off(
        fn, "Exercise 5.2", [(me, "_read_reference")])
    groups = {
        "λ = 20, each query an address: the addressed column's value (to 1e-6)":
            [(_read_case(0, 4, 7, 3, 8, 20.0), {}), (_read_case(1, 6, 13, 4, 8, 20.0), {})],
        "soft reads (λ = 0.5, 1, 3), one query without an address (all zeros)":
            [(_read_case(2, 5, 9, 4, 3, lam, blank=True), {}) for lam in (0.5, 1.0, 3.0)],
        "a very sharp head (λ = 50, 6-bit addresses): no overflow":
            [(_read_case(3, 3, 40, 6, 5, 50.0), {})],
    }
    return run_check("read_by_address", submitted, _read_reference, groups,
                     arg_names=("query", "addresses", "values", "lam"), exercise="5.2",
                     output_names=("read",), forbidden=forbidden,
                     compare=lambda e, r: differences(e, r, atol=1e-6, rtol=0.0, where="read"))


# ---------------------------------------------------------------- 5.3: subtract and branch
NOISE = 1 / 2000  # how far the noisy inputs sit from 0 and 1 (see _noisy)
OUTPUTS = [f"result bit {i}" for i in range(8)] + ["the flag [b - a <= 0]"]


def _pairs() -> tuple[torch.Tensor, torch.Tensor]:
    """Every (a, b) of 8-bit numbers whose difference b - a stays in -128..127."""
    a, b = torch.meshgrid(torch.arange(-128, 128), torch.arange(-128, 128), indexing="ij")
    a, b = a.flatten(), b.flatten()
    keep = (b - a >= subleq.VALUE_MIN) & (b - a <= subleq.VALUE_MAX)
    return a[keep], b[keep]


def _inputs(a: torch.Tensor, b: torch.Tensor, noise: str) -> torch.Tensor:
    """(N, 16) MLP inputs [bits of a, bits of b], exact 0/1 or moved by ±NOISE: 'towards' moves
    every bit of b up and of a down (the difference grows), 'away' the opposite, 'random'
    draws each shift uniformly in [-NOISE, NOISE] (seeded)."""
    x = torch.cat([value_bits(a), value_bits(b)], dim=1)  # (N, 16)
    if noise == "towards":
        x[:, :8] -= NOISE
        x[:, 8:] += NOISE
    elif noise == "away":
        x[:, :8] += NOISE
        x[:, 8:] -= NOISE
    elif noise == "random":
        generator = torch.Generator().manual_seed(5)
        x += (torch.rand(x.shape, generator=generator, dtype=torch.float64) * 2 - 1) * NOISE
    return x


EXACT = "every output within 1e-6 of its target"


def _mlp_behaviour(fn: Callable) -> Callable:
    """fn() -> (W1, b1, W2, b2)  ==>  noise -> EXACT, or the first pair and output that is off."""
    def run(noise: str) -> str:
        weights = fn()
        if not isinstance(weights, (tuple, list)) or len(weights) != 4:
            raise ValueError("return four things: W1 (U, 16), b1 (U,), W2 (9, U), b2 (9,)")
        W1, b1, W2, b2 = (torch.as_tensor(w, dtype=torch.float64) for w in weights)
        U = W1.shape[0] if W1.dim() == 2 else -1
        for name, w, shape in (("W1", W1, (U, 16)), ("b1", b1, (U,)), ("W2", W2, (9, U)),
                               ("b2", b2, (9,))):
            if U < 1 or tuple(w.shape) != shape:
                raise ValueError(f"{name} must have shape {shape if U > 0 else '(U, 16)'} "
                                 f"(U hidden units), got {tuple(w.shape)}")
        a, b = _pairs()
        out = torch.relu(_inputs(a, b, noise) @ W1.T + b1) @ W2.T + b2  # (N, 9)
        want = torch.cat([value_bits(b - a), (b - a <= 0).double()[:, None]], dim=1)  # (N, 9)
        wrong = ((out - want).abs() >= 1e-6) | out.isnan()  # (N, 9)
        if not wrong.any():
            return EXACT
        row, col = (int(i) for i in wrong.nonzero()[0])
        a, b = int(a[row]), int(b[row])
        return (f"first wrong pair a = {a}, b = {b} (b - a = {b - a}): {OUTPUTS[col]} is "
                f"{out[row, col].item():.6g}, expected {want[row, col].item():g} "
                f"({int(wrong.any(1).sum()):,} of {len(wrong):,} pairs have a wrong output)")
    return run


def check_subtract_and_branch(fn: Callable) -> CheckResult:
    """Exercise 5.3: fn() -> (W1 (U, 16), b1 (U,), W2 (9, U), b2 (9,)) of a one-hidden-layer
    ReLU MLP mapping [bits of a, bits of b] to [bits of b - a, flag b - a <= 0], exactly
    (|error| < 1e-6) on every non-overflowing pair, also with the inputs off by NOISE."""
    count = len(_pairs()[0])
    groups = {f"exact bits, all {count:,} pairs": [(("exact",), {})],
              f"bits off by ±{NOISE:g} (worst directions, then random)":
                  [(("towards",), {}), (("away",), {}), (("random",), {})]}
    return run_check("subtract_and_branch", _mlp_behaviour(fn), lambda noise: EXACT, groups,
                     arg_names=("noise",), exercise="5.3",
                     compare=lambda e, r: None if r == e else "an output is off")
