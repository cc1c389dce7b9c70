"""Command line of chapter 07's character language model.

    python -m minimem.lm train --save FILE [--force] [--seed 0]
    python -m minimem.lm eval  [--checkpoint FILE] [--split validation] [--count 256]
                               [--seed 1234] [--json OUT]

`train` runs the committed recipe (`minimem.lm.train.RECIPE`), prints an evaluation line every
`eval_every` steps, scores the result on the validation split and saves it in the course's
checkpoint format with its metrics; the shipped `lm_char.pt` was made this way. `eval` scores a
checkpoint (by default the shipped one) and prints (or writes) `{"plain_bpc", "repeat_bpc",
"random_repeat_bpc", …}` in bits per character.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from minimem.checkpoints import shipped
from minimem.data.text import SPLITS
from minimem.files import atomic_write, check_writable
from minimem.training import set_threads

from .train import RECIPE, evaluate, load, save, train

SHIPPED = "lm_char.pt"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minimem.lm",
                                     description="Chapter 07: a tiny character language model.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    t = commands.add_parser("train", help="train the committed recipe and save the model")
    t.add_argument("--save", required=True, help="checkpoint file to write")
    t.add_argument("--force", action="store_true", help="replace an existing --save file")
    t.add_argument("--seed", type=int, default=0, help="initialisation and data seed")
    e = commands.add_parser("eval", help="bits per character of a checkpoint")
    e.add_argument("--checkpoint", help=f"default: the shipped {SHIPPED}")
    e.add_argument("--split", choices=SPLITS, default="validation", help="corpus split")
    e.add_argument("--count", type=int, default=256, help="windows of each kind (default 256)")
    e.add_argument("--seed", type=int, default=1234, help="window seed")
    e.add_argument("--json", help="write the result here too")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    set_threads()
    try:
        if args.command == "train":
            check_writable(args.save, args.force)
            recipe = replace(RECIPE, seed=args.seed)
            model, history = train(recipe, log=lambda line: print(line, flush=True))
            metrics = evaluate(model)
            save(args.save, model, recipe, history, metrics)
            print(json.dumps(metrics | {"seconds": round(history.last("seconds"), 1)}))
            return
        if args.count < 1:
            parser.error(f"--count must be >= 1, got {args.count}")
        if args.json:
            check_writable(args.json)
        model, _ = load(args.checkpoint or shipped(SHIPPED))
        result = evaluate(model, args.split, args.count, args.seed)
    except (OSError, ValueError) as error:  # no such file, exists without --force, not a model
        parser.error(str(error))
    result = {name: round(value, 4) for name, value in result.items()} | {
        "split": args.split, "count": args.count}
    print(json.dumps(result))
    if args.json:
        atomic_write(args.json, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
