"""Command line of chapter 02 (Pointer Networks, Vinyals, Fortunato & Jaitly 2015,
https://arxiv.org/abs/1506.03134).

    python -m minimem.pointer train-hull [--out pointer_hull.pt] [--force] [--steps ...]
    python -m minimem.pointer eval-hull --file F [--json OUT] [--beam K] [--checkpoint C]
    python -m minimem.pointer make-hull-data --n N [--count C] [--seed S] --out F
    python -m minimem.pointer bench [--prefix benchmarks/ch02_pointer] [--count C] [--sort-steps S]

`train-hull` is the seeded recipe of the shipped checkpoint; it writes to the current folder
by default and never replaces a file without --force. `eval-hull` scores a file in the paper's
text format (default: with the shipped checkpoint); `bench` is the paper check.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Sequence

from minimem.files import check_writable


def _parser() -> argparse.ArgumentParser:
    from minimem.pointer.train import HullRecipe

    p = argparse.ArgumentParser(prog="python -m minimem.pointer",
                                description="Chapter 02: Pointer Networks.")
    sub = p.add_subparsers(dest="command", required=True, metavar="command")
    t = sub.add_parser("train-hull", help="train the convex-hull Ptr-Net (the shipped checkpoint's recipe)")
    t.add_argument("--out", default="pointer_hull.pt", help="checkpoint to write (default: %(default)s)")
    t.add_argument("--force", action="store_true", help="replace --out if it exists")
    for field in dataclasses.fields(HullRecipe):
        if field.type in (bool, "bool"):
            t.add_argument("--" + field.name, action=argparse.BooleanOptionalAction, default=field.default)
        else:
            kind = {"int": int, "float": float}.get(field.type, field.type)
            t.add_argument("--" + field.name.replace("_", "-"), type=kind, default=field.default)
    e = sub.add_parser("eval-hull", help="accuracy and area coverage on a file in the paper's format")
    e.add_argument("--file", required=True)
    e.add_argument("--checkpoint", default=None, help="default: the shipped pointer_hull.pt")
    e.add_argument("--beam", type=int, default=1)
    e.add_argument("--json", default=None, help="also write the metrics to this JSON file")
    g = sub.add_parser("make-hull-data", help="write random point sets and their hulls in the paper's format")
    g.add_argument("--n", type=int, required=True)
    g.add_argument("--count", type=int, default=1000)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True)
    b = sub.add_parser("bench", help="write benchmarks/ch02_pointer.{md,json}")
    b.add_argument("--prefix", default="benchmarks/ch02_pointer")
    b.add_argument("--count", type=int, default=1000)
    b.add_argument("--sort-steps", type=int, default=4000)
    return p


def _output(parser: argparse.ArgumentParser, flag: str, path: str | None, force: bool = True) -> None:
    """Stop with one sentence if `path` (given as `flag`) cannot be written, before long work."""
    if path is not None:
        try:
            check_writable(path, force)
        except OSError as err:
            parser.error(f"{flag}: {err}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    for name in ("count", "n", "beam", "steps", "batch_size", "sort_steps", "hidden", "n_min"):
        if getattr(args, name, 1) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.command == "train-hull" and not (args.lr > 0 and 0 <= args.decay_from <= 1
                                             and args.n_min <= args.n_max):
        parser.error("train-hull needs --lr > 0, 0 <= --decay-from <= 1 and --n-min <= --n-max")
    from minimem.training import setup

    setup(0)
    if args.command == "train-hull":
        _output(parser, "--out", args.out, args.force)
        from minimem.pointer.train import HullRecipe, train_hull

        recipe = {f.name: getattr(args, f.name) for f in dataclasses.fields(HullRecipe)}
        _, ckpt = train_hull(args.out, force=args.force, **recipe)
        print(json.dumps({"metrics": ckpt.metrics, "train_wall_s": ckpt.extra["train_wall_s"]}, indent=2))
    elif args.command == "eval-hull":
        _eval_hull(parser, args)
    elif args.command == "make-hull-data":
        _output(parser, "--out", args.out)
        from minimem.data import geometry

        if args.n < 3:
            parser.error(f"--n must be >= 3 (a hull needs 3 points), got {args.n}")
        geometry.write_examples(args.out, geometry.make_hull_examples(args.count, args.n, args.seed))
    else:
        try:
            Path(args.prefix).parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            parser.error(f"--prefix: {err}")
        _output(parser, "--prefix", f"{args.prefix}.json")
        _output(parser, "--prefix", f"{args.prefix}.md")
        from minimem.pointer.report import markdown, run_bench

        print(markdown(run_bench(args.prefix, args.count, args.sort_steps)))


def _eval_hull(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    from minimem.data import geometry
    from minimem.pointer.evaluate import evaluate_hull, load_hull_checkpoint

    _output(parser, "--json", args.json)
    try:
        examples = geometry.read_examples(args.file)
        model, _ = load_hull_checkpoint(args.checkpoint)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    if not examples:
        parser.error(f"{args.file} holds no examples")
    metrics = evaluate_hull(model, examples, args.beam)
    print(f"{metrics['count']} examples: exact {100 * metrics['exact']:.1f} %, area coverage "
          f"{100 * metrics['area']:.2f} %, invalid {100 * metrics['invalid']:.1f} %")
    if args.json:
        Path(args.json).write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
