"""Command line of chapter 07 (compressing the context; ICAE: Ge et al. 2024,
https://arxiv.org/abs/2307.06945).

    python -m minimem.compression train --ratio 4 [--decoder-rank 0] --save FILE [--force]
    python -m minimem.compression eval --ratio 4 [--decoder-rank 0] [--checkpoint FILE]
                                       [--count 256] [--json OUT]
    python -m minimem.compression reconstruct --ratio 4 --text-file F [--json OUT]
    python -m minimem.compression bench [--count 256] [--out benchmarks/ch07_compression.md]

`train` runs the committed recipe (`CompressionRecipe`) around the shipped LM (`lm_char.pt`);
the shipped compressors `icae_<ratio>x.pt` (frozen decoder) and `icae_<ratio>x_dec.pt` (the
decoder with its own adapter) were made this way. `eval` scores one on held-out windows and
writes the measures of `train.evaluate` with the LM's gate figures (plain_bpc, repeat_bpc).
`reconstruct` compresses each line of a UTF-8 text file (at most 64 characters; shorter lines
are padded with spaces) and writes {"inputs": [...], "outputs": [...]}. `bench` measures every
shipped checkpoint (`bench.py`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from minimem import lm as charlm
from minimem.checkpoints import shipped
from minimem.data import text
from minimem.files import atomic_write, check_writable
from minimem.training import set_threads

from . import bench
from .train import evaluate, load, recipe_for, save, train


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minimem.compression",
                                     description="Chapter 07: compressing the context.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    t = commands.add_parser("train", help="train a compressor with the committed recipe")
    e = commands.add_parser("eval", help="score a compressor on held-out text")
    r = commands.add_parser("reconstruct", help="compress and rebuild each line of a file")
    for p in (t, e, r):
        p.add_argument("--ratio", type=int, required=True, help="context characters per slot")
        p.add_argument("--decoder-rank", type=int, default=0,
                       help="0: the frozen LM decodes (default); r: the decoder's own adapter")
    t.add_argument("--steps", type=int, help="default: the recipe's")
    t.add_argument("--save", required=True, help="checkpoint file to write")
    t.add_argument("--force", action="store_true", help="replace an existing --save file")
    for p in (e, r):
        p.add_argument("--checkpoint", help="default: the shipped icae_<ratio>x[_dec].pt")
        p.add_argument("--json", help="write the result here (eval: also printed)")
        p.add_argument("--force", action="store_true", help="replace an existing --json file")
    e.add_argument("--count", type=int, default=256, help="held-out windows (default 256)")
    r.add_argument("--text-file", required=True, help="UTF-8 text, one context per line")
    b = commands.add_parser("bench", help="measure the shipped checkpoints")
    b.add_argument("--count", type=int, default=256, help="held-out windows (default 256)")
    b.add_argument("--out", default="benchmarks/ch07_compression.md",
                   help="markdown; JSON beside it")
    return parser


def _lines(path: str, length: int) -> list[str]:
    """The lines of `path`, checked: present, not empty, short enough, in the vocabulary."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"--text-file {path}: no such file")
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise ValueError(f"--text-file {path} is not UTF-8 text ({error.reason})") from None
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise ValueError(f"--text-file {path} holds no non-empty line")
    for number, line in enumerate(lines, 1):
        if len(line) > length:
            raise ValueError(f"line {number} of {path} has {len(line)} characters; the "
                             f"compressor reads at most {length}")
        bad = sorted({ch for ch in line if ch not in text.VOCAB})
        if bad:
            raise ValueError(f"line {number} of {path} has characters outside the tokenizer's "
                             f"printable ASCII: {''.join(bad)!r}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    set_threads()
    if args.command == "bench":
        bench.run(count=args.count, out=args.out)
        return
    out = args.save if args.command == "train" else args.json
    try:
        if out:
            check_writable(out, args.force)
        if args.ratio < 1 or 64 % args.ratio:
            raise ValueError(f"--ratio must divide 64 (1, 2, 4, 8, 16, 32 or 64), got "
                             f"{args.ratio}")
        if args.command == "train" and args.steps is not None and args.steps < 1:
            raise ValueError(f"--steps must be at least 1, got {args.steps}")
        lines = _lines(args.text_file, 64) if args.command == "reconstruct" else None
    except (OSError, ValueError) as error:
        parser.error(str(error))
    lm, _ = charlm.load(shipped("lm_char.pt"))
    if args.command == "train":
        recipe = recipe_for(args.ratio, args.decoder_rank)
        if args.steps:
            recipe.steps = args.steps
        model, history = train(lm, recipe)
        save(args.save, model, recipe, history, evaluate(model))
        print(f"saved {args.save} ({history.last('seconds'):.0f} s of training)")
        return
    decoder = "adapter" if args.decoder_rank else "frozen"
    path = args.checkpoint or shipped(bench.shipped_name(args.ratio, decoder))
    model, recipe = load(path, lm)
    if recipe.ratio != args.ratio:
        parser.error(f"{path} compresses {recipe.ratio}x, not {args.ratio}x")
    if args.command == "eval":
        result = evaluate(model, count=args.count) | {"ratio": args.ratio}
        result |= {k: v for k, v in charlm.evaluate(lm).items() if k != "random_repeat_bpc"}
        result = {"plain_bpc": result.pop("plain_bpc"), "repeat_bpc": result.pop("repeat_bpc"),
                  **result}
        print(json.dumps(result))
    else:
        padded = [line.ljust(64) for line in lines]
        with torch.no_grad():
            ids = model.decode(model.compress(torch.tensor([text.encode(p) for p in padded])))
        outputs = [text.decode(row[:len(line)].tolist()) for row, line in zip(ids, lines)]
        result = {"inputs": lines, "outputs": outputs}
    if args.json:
        atomic_write(args.json, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
