"""Command line of chapter 04 (compiling RASP into transformer weights; tracr, Lindner et al.
2023, https://arxiv.org/abs/2301.05062; RASP, Weiss et al. 2021,
https://arxiv.org/abs/2106.06981).

    python -m minimem.compiler bench [--count N] [--out FILE]

`bench` compiles every program of `minimem.rasp.lib`, checks it against `rasp.evaluate`
(exhaustively on small inputs, on N random ones of length <= 8) and writes sizes, compile
times and check counts to `benchmarks/ch04_compiler.md` (+ .json); see `minimem.compiler.bench`.
"""

from __future__ import annotations

import argparse

from . import bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m minimem.compiler",
                                     description="Chapter 04: compiling RASP to weights.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    bench_parser = commands.add_parser(
        "bench", help="exactness, sizes and compile times of the compiled lib programs",
        description="Compile every minimem.rasp.lib program; check it against rasp.evaluate; "
                    "write a markdown table (and JSON) of sizes and check counts.")
    bench_parser.add_argument("--count", type=int, default=1000,
                              help="random inputs per program (default 1000)")
    bench_parser.add_argument("--out", default="benchmarks/ch04_compiler.md",
                              help="markdown file; the JSON goes beside it")
    args = parser.parse_args(argv)
    if args.command == "bench":
        bench.run(count=args.count, out=args.out)


if __name__ == "__main__":
    main()
