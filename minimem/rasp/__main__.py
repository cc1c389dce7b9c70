"""Command line of chapter 03 (RASP, Weiss, Goldberg & Yahav 2021,
https://arxiv.org/abs/2106.06981).

    python -m minimem.rasp bench [--seconds S] [--out FILE]

`bench` measures the evaluator's speed on every program of `minimem.rasp.lib` and writes the
table to `benchmarks/ch03_rasp.md` (see `minimem.rasp.bench`).
"""

from __future__ import annotations

import argparse

from . import bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m minimem.rasp",
                                     description="Chapter 03: RASP, Thinking Like Transformers.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    bench_parser = commands.add_parser(
        "bench", help="speed of evaluate vs evaluate_reference",
        description="Evaluations per second of every minimem.rasp.lib program, vectorised "
                    "evaluate vs plain-loop evaluate_reference; writes a markdown table.")
    bench_parser.add_argument("--seconds", type=float, default=0.3, help="time per cell")
    bench_parser.add_argument("--out", default="benchmarks/ch03_rasp.md", help="markdown file")
    args = parser.parse_args(argv)
    if args.command == "bench":
        try:
            bench.run(seconds=args.seconds, out=args.out)
        except ValueError as error:  # a user's mistake: one sentence, no traceback
            parser.error(str(error))
        except OSError as error:
            parser.error(f"--out: {error}")


if __name__ == "__main__":
    main()
