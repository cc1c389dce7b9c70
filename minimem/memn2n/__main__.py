"""Command line of chapter 01 (End-to-End Memory Networks, Sukhbaatar et al. 2015,
https://arxiv.org/abs/1503.08895).

    python -m minimem.memn2n bench --tasks 1 ... 20 --runs 3 --json F
        [--babi-dir D | --generated] [--size 1k|10k] [--epochs N] [--ls-epochs N] [--jobs J] [--hops K] [--bag-of-words]
        [--save F [--force]]

`bench` is the paper check (Table 1, bAbI 1k, PE LS RN): see `minimem.memn2n.experiment`.
The data is the bAbI v1.2 1k release shipped with the package, unless --babi-dir names a folder
(or .tar.gz) of the release or --generated asks for `minimem.data.babi.generate`'s tasks (1, 2,
3, 5, 6, 11). Per task the run with the lowest training error is kept (the paper's rule,
Section 4.2; ties by validation accuracy). --json writes the
report (replacing an older one); --save writes the best run's model (one task only) and
refuses to replace an existing file unless --force is given.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from minimem.data import babi
from minimem.files import atomic_write, check_writable

from .experiment import PAPER_TABLE1, RunConfig, benchmark
from .report import format_report
from .train import Recipe


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minimem.memn2n",
                                     description="Chapter 01: End-to-End Memory Networks.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    bench = commands.add_parser("bench", help="the paper check on bAbI (Table 1, 1k, PE LS RN)",
                                description="MemN2N paper check on bAbI (Table 1, 1k, PE LS RN)")
    source = bench.add_mutually_exclusive_group()
    source.add_argument("--babi-dir", help="folder (or .tar.gz) of the bAbI v1.2 release; "
                                           "default: the 1k release shipped with minimem")
    source.add_argument("--generated", action="store_true",
                        help="train and test on tasks made by minimem.data.babi.generate")
    bench.add_argument("--tasks", type=int, nargs="+", default=[1, 2, 3, 6, 11])
    bench.add_argument("--size", choices=["1k", "10k"], default="1k")
    bench.add_argument("--runs", type=int, default=3,
                       help="seeds per task (the lowest training error is reported)")
    bench.add_argument("--epochs", type=int, default=Recipe.epochs, help="epochs after linear start")
    bench.add_argument("--ls-epochs", type=int, default=Recipe.ls_epochs, help="linear-start epochs")
    bench.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    bench.add_argument("--hops", type=int, default=RunConfig.hops)
    bench.add_argument("--bag-of-words", action="store_true", help="no position encoding")
    bench.add_argument("--json", help="also write the report to this JSON file")
    bench.add_argument("--save", help="save the best run's model here (one task only)")
    bench.add_argument("--force", action="store_true", help="let --save replace an existing file")
    bench.set_defaults(command_parser=bench)  # its errors show its own usage line
    return parser


def _check_bench_args(args: argparse.Namespace) -> None:
    """Every mistake ends with one sentence, before any training starts."""
    parser = args.command_parser
    for name in ("runs", "jobs", "hops"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.epochs < 0 or args.ls_epochs < 0 or args.epochs + args.ls_epochs < 1:
        parser.error(f"--epochs and --ls-epochs must be >= 0 with at least one epoch in all, "
                     f"got {args.epochs} and {args.ls_epochs}")
    if args.save and len(args.tasks) != 1:
        parser.error("--save needs exactly one task")
    if args.babi_dir and not Path(args.babi_dir).exists():
        parser.error(f"--babi-dir {args.babi_dir} is not a folder or archive")
    if args.size != "1k" and not args.babi_dir and not args.generated:
        parser.error(f"--size {args.size} needs --babi-dir: the shipped release holds 1k only")
    allowed = babi.GENERATED_TASKS if args.generated else PAPER_TABLE1
    bad = [t for t in args.tasks if t not in allowed]
    if bad:
        parser.error(f"--tasks {bad} not available; choose from {sorted(allowed)}")
    for flag, path, force in (("--json", args.json, True), ("--save", args.save, args.force)):
        if path:
            try:
                check_writable(path, force=force)
            except OSError as err:
                parser.error(f"{flag}: {err}")


def main(argv: list[str] | None = None) -> dict:
    args = _parser().parse_args(argv)
    _check_bench_args(args)  # the only command so far: bench
    config = RunConfig(hops=args.hops, position_encoding=not args.bag_of_words,
                       recipe=Recipe(epochs=args.epochs, ls_epochs=args.ls_epochs))
    report = benchmark(args.tasks, runs=args.runs, babi_dir=args.babi_dir, size=args.size,
                       jobs=args.jobs, config=config, save=args.save, generated=args.generated,
                       progress=True)
    print(format_report(report))
    if args.json:
        atomic_write(args.json, json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
