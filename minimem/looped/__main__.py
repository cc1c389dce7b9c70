"""Command line of chapter 05 (looped transformers as computers; Giannou et al. 2023,
https://arxiv.org/abs/2301.13196).

    python -m minimem.looped bench [--count N] [--out FILE]
    python -m minimem.looped run NAME INPUT=VALUE …     e.g.  run multiply x=7 y=6

`bench` checks the looped transformer against the reference machine on N random programs and
every named program, and writes sizes, speed and the λ thresholds to
`benchmarks/ch05_looped.md` (+ .json); see `minimem.looped.bench`. `run` executes a named
program on the transformer and on the reference and prints both.
"""

from __future__ import annotations

import argparse

from . import bench, subleq
from .machine import LoopedTransformer
from .programs import PROGRAMS


def _inputs(pairs: list[str]) -> dict[str, int]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            values[name] = int(value)
        except ValueError:
            raise SystemExit(f"inputs are NAME=INTEGER, got {pair!r}") from None
        if not sep:
            raise SystemExit(f"inputs are NAME=INTEGER, got {pair!r}")
    return values


def _run(name: str, pairs: list[str]) -> None:
    prog = PROGRAMS[name]
    inputs = _inputs(pairs)
    try:
        program, memory = prog.build(**inputs)
        limit = prog.max_steps(**inputs)
    except (TypeError, ValueError) as error:
        raise SystemExit(str(error)) from None
    machine = LoopedTransformer(*prog.size)
    for label, runner in (("transformer", machine.run), ("reference", subleq.run)):
        memory_out, pc, steps = runner(program, memory, max_steps=limit)
        print(f"{label:12s} {prog.output} = {prog.result(memory_out)}  "
              f"(pc {pc}, {steps} steps, memory {memory_out})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m minimem.looped",
                                     description="Chapter 05: a SUBLEQ computer made of attention.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    b = commands.add_parser("bench", help="agreement, sizes, speed and λ thresholds",
                            description="Check the looped transformer against subleq.run; "
                                        "write a markdown report (and JSON).")
    b.add_argument("--count", type=int, default=10_000,
                   help="random programs that must agree (default 10000)")
    b.add_argument("--out", default="benchmarks/ch05_looped.md",
                   help="markdown file; the JSON goes beside it")
    r = commands.add_parser("run", help="run a named program on the transformer",
                            description="Run a named program (" + ", ".join(PROGRAMS) + ").")
    r.add_argument("name", choices=list(PROGRAMS))
    r.add_argument("inputs", nargs="*", metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    if args.command == "bench":
        if args.count < 1:
            parser.error(f"--count must be >= 1, got {args.count}")
        bench.run(count=args.count, out=args.out)
    else:
        _run(args.name, args.inputs)


if __name__ == "__main__":
    main()
