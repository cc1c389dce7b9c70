"""Command line of chapter 06 (the Recurrent Memory Transformer; Bulatov, Kuratov & Burtsev
2022, https://arxiv.org/abs/2207.06881).

    python -m minimem.rmt train --task copy [--model rmt] [--seed 0] --save FILE [--force]
    python -m minimem.rmt eval  --task copy --segments 3 [--model rmt] [--checkpoint FILE]
                                [--count 500] [--seed 1234] [--json OUT]
    python -m minimem.rmt bench [--count 500] [--out benchmarks/ch06_rmt.md]

`train` runs the task's committed recipe (`minimem.rmt.train.RECIPES`) and saves the model in
the course's checkpoint format; the shipped checkpoints (`rmt_<task>_<model>.pt`) were made
this way. `eval` scores a checkpoint (by default the shipped one) on freshly generated data and
prints (or writes) `{"accuracy": …, "count": …}`: exact match per sequence for copy, reverse
and passkey, per query for retrieval.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from minimem.checkpoints import shipped
from minimem.data.sequences import TASKS
from minimem.files import atomic_write, check_writable
from minimem.training import set_threads

from . import bench
from .train import KINDS, RECIPES, accuracy, load, save, train


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minimem.rmt",
                                     description="Chapter 06: the Recurrent Memory Transformer.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    t = commands.add_parser("train", help="train a model with its task's committed recipe")
    e = commands.add_parser("eval", help="score a checkpoint on fresh data")
    for p in (t, e):
        p.add_argument("--task", choices=TASKS, required=True)
        p.add_argument("--model", choices=KINDS, default="rmt",
                       help="rmt, no-memory (each segment alone) or full (one window)")
    t.add_argument("--seed", type=int, default=0, help="initialisation and data seed")
    t.add_argument("--save", required=True, help="checkpoint file to write")
    t.add_argument("--force", action="store_true", help="replace an existing --save file")
    e.add_argument("--segments", type=int, required=True, help="segments per test input")
    e.add_argument("--checkpoint", help="default: the shipped rmt_<task>_<model>.pt")
    e.add_argument("--count", type=int, default=500, help="test inputs (default 500)")
    e.add_argument("--seed", type=int, default=1234, help="test data seed")
    e.add_argument("--json", help="write the result here too")
    b = commands.add_parser("bench", help="accuracy of the shipped models; cost vs length")
    b.add_argument("--count", type=int, default=500, help="test inputs per cell (default 500)")
    b.add_argument("--out", default="benchmarks/ch06_rmt.md", help="markdown; JSON beside it")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    set_threads()
    if args.command == "bench":
        bench.run(count=args.count, out=args.out)
        return
    if args.command == "train":
        try:
            check_writable(args.save, args.force)
        except (OSError, ValueError) as error:  # exists without --force, no folder, …
            parser.error(str(error))
        recipe = replace(RECIPES[args.task], kind=args.model, seed=args.seed)
        model, history = train(recipe)
        save(args.save, model, recipe, history)
        print(f"saved {args.save} ({history.last('seconds'):.0f} s of training)")
        return
    if args.segments < 1 or args.count < 1:
        parser.error("--segments and --count must be >= 1")
    path = args.checkpoint or shipped(f"rmt_{args.task}_{args.model}.pt")
    model, recipe = load(path)
    if recipe.task != args.task:
        parser.error(f"{path} was trained on {recipe.task!r}, not {args.task!r}")
    result = accuracy(model, recipe, args.segments, count=args.count, seed=args.seed)
    result |= {"task": args.task, "model": args.model, "segments": args.segments}
    print(json.dumps(result))
    if args.json:
        atomic_write(args.json, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
