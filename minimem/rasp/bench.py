"""Speed benchmark of the RASP evaluator (Chapter 03): `python -m minimem.rasp bench`.

Measures evaluations per second of every program in `minimem.rasp.lib` (the programs of
Weiss, Goldberg & Yahav 2021, https://arxiv.org/abs/2106.06981) at input lengths 8, 32 and 128
with the vectorised `evaluate`, and at length 128 with the plain-loop `evaluate_reference` for
comparison, then writes the table to `benchmarks/ch03_rasp.md`. Each cell cycles through 16
seeded random inputs for at least `seconds` of wall time. The command line (`--seconds`,
`--out`) lives in `minimem/rasp/__main__.py`.
"""

from __future__ import annotations

import datetime
import platform
import random
import time
from pathlib import Path
from typing import Callable

import numpy as np

from minimem import validate
from minimem.files import atomic_write, check_writable

from . import lib
from .analysis import count_layers_heads
from .core import RASPExpr, tokens
from .evaluate import evaluate, evaluate_reference

LENGTHS = (8, 32, 128)


def _letters(rng: random.Random, n: int) -> list:
    return [rng.choice("abcdefgh") for _ in range(n)]


def _brackets(pairs: str) -> Callable[[random.Random, int], list]:
    def make(rng: random.Random, n: int) -> list:  # mostly well-nested, sometimes not
        out, stack = [], []
        for _ in range(n):
            if stack and rng.random() < 0.5:
                out.append(stack.pop() if rng.random() < 0.95 else rng.choice(pairs[1::2]))
            else:
                k = rng.randrange(len(pairs) // 2)
                out.append(pairs[2 * k])
                stack.append(pairs[2 * k + 1])
        return out
    return make


def programs() -> dict[str, tuple[RASPExpr, Callable[[random.Random, int], list]]]:
    """Every lib program with a generator of valid random inputs."""
    return {
        "length": (lib.make_length(), _letters),
        "reverse": (lib.make_reverse(), _letters),
        "hist": (lib.make_hist(), _letters),
        "double_hist": (lib.make_double_hist(), _letters),
        "sort_unique": (lib.make_sort_unique(tokens, tokens), lambda r, n: r.sample(range(n), n)),
        "sort": (lib.make_sort(tokens, tokens), lambda r, n: [r.randrange(10) for _ in range(n)]),
        "sort_freq": (lib.make_sort_freq(), _letters),
        "sort_freq_grouped": (lib.make_sort_freq(group=True), _letters),
        "most_freq": (lib.make_most_freq(), _letters),
        "frac_prevs": (lib.make_frac_prevs(lambda t: t == "a"), _letters),
        "dyck1": (lib.make_dyck("()"), _brackets("()")),
        "dyck2": (lib.make_dyck("(){}"), _brackets("(){}")),
        "shuffle_dyck2": (lib.make_shuffle_dyck("(){}"), _brackets("(){}")),
    }


def rate(run: Callable, program: RASPExpr, inputs: list, seconds: float) -> float:
    """Evaluations per second of `run(program, x)` cycling through `inputs`."""
    count, start = 0, time.perf_counter()
    while True:
        run(program, inputs[count % len(inputs)])
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 3:
            return count / elapsed


HEADER = ("| program | layers / heads | N=8 | N=32 | N=128 | loops N=128 | speed-up N=128 |\n"
          "| --- | --- | ---: | ---: | ---: | ---: | ---: |")


def measure(name: str, program: RASPExpr, make_input: Callable[[random.Random, int], list],
            rng: random.Random, seconds: float) -> str:
    """One markdown table row: `program`'s layers/heads and its evaluation rates."""
    inputs = {n: [make_input(rng, n) for _ in range(16)] for n in LENGTHS}
    fast = [rate(evaluate, program, inputs[n], seconds) for n in LENGTHS]
    slow = rate(evaluate_reference, program, inputs[128], seconds)
    layers, heads = count_layers_heads(program)
    return (f"| {name} | {layers} / {heads} | " + " | ".join(f"{r:,.0f}" for r in fast)
            + f" | {slow:,.1f} | {fast[-1] / slow:,.0f}x |")


def report(rows: list[str]) -> str:
    """The markdown page: what was measured, where and how, then the table."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "# Chapter 03 — RASP evaluator speed",
        "",
        "Evaluations per second of each `minimem.rasp.lib` program on one input of length N,",
        "with the vectorised `evaluate` (NumPy boolean selector matrices) and, at N=128, with",
        "the plain-loop `evaluate_reference`. Produced by `python -m minimem.rasp bench`.",
        f"Measured {stamp} on {platform.machine()} / Python {platform.python_version()} / "
        f"NumPy {np.__version__}, one process on a shared 2-core machine (other jobs were "
        "running, so treat the numbers as a lower bound).",
        "",
        HEADER, *rows, "",
    ])


def run(seconds: float = 0.3, out: str | Path = "benchmarks/ch03_rasp.md") -> str:
    """Measure every program (printing each row as it comes) and write the page to `out`."""
    validate.number("seconds", seconds, 0)
    path = check_writable(out)  # before the work, not after it
    rng = random.Random(0)
    print(HEADER, flush=True)
    rows = []
    for name, (program, make_input) in programs().items():
        rows.append(measure(name, program, make_input, rng, seconds))
        print(rows[-1], flush=True)
    text = report(rows)
    atomic_write(path, text)
    print(f"wrote {path}")
    return text


if __name__ == "__main__":  # the old spelling, `python -m minimem.rasp.bench`, still works
    import sys

    from .__main__ import main
    main(["bench", *sys.argv[1:]])
