"""Cram each line of a text file into a few vectors of a frozen character LM.

    python -m minimem.cramming --text-file F --vectors K --json OUT [--checkpoint FILE]
                               [--steps 200] [--lr 0.1] [--seed 0] [--force]
    python -m minimem.cramming bench [--steps 400] [--out benchmarks/ch08_cramming.md]

For every non-empty line of F (UTF-8; characters of `minimem.data.text.VOCAB`; at most the
model's context - K + 1 characters) it fits K vectors (`cram`) and writes

    {"lines": [{"text", "chars_exact", "cross_entropy_bits", "bits_removed", "seconds"}, …]}

chars_exact: leading characters regenerated exactly from the vectors; cross_entropy_bits: the
line's cross-entropy under the model without vectors; bits_removed: that minus the bits with
the best vectors found; seconds: the wall time of that line's cramming. The model is chapter
07's character LM (by default the shipped `lm_char.pt`). `bench` measures bits removed and exact
prefixes by kind of text and number of vectors (`bench.py`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from minimem.checkpoints import shipped
from minimem.data.text import encode
from minimem.files import atomic_write, check_writable
from minimem.training import set_threads

from . import bench
from .cram import cram, text_bits


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m minimem.cramming",
                                description="Cram each line of a file into a few vectors.")
    p.add_argument("--text-file", required=True, help="UTF-8 text, one text per line")
    p.add_argument("--vectors", type=int, default=1, help="vectors per line (default 1)")
    p.add_argument("--json", required=True, help="where to write the results")
    p.add_argument("--checkpoint", help="a chapter-07 LM (default: the shipped lm_char.pt)")
    p.add_argument("--steps", type=int, default=200, help="Adam steps per line (default 200)")
    p.add_argument("--lr", type=float, default=0.1, help="Adam's learning rate (default 0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the starting vectors")
    p.add_argument("--force", action="store_true", help="replace an existing --json file")
    return p


def _lines(path: str, limit: int) -> list[tuple[str, list[int]]]:
    """The non-empty lines of `path` with their character ids; errors name the line."""
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    texts = []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        if not 2 <= len(line) <= limit:
            raise ValueError(f"line {number} has {len(line)} characters; each line needs 2 to "
                             f"{limit} (the model's context and the number of vectors)")
        try:
            texts.append((line, encode(line)))
        except ValueError as error:
            raise ValueError(f"line {number}: {error}") from None
    if not texts:
        raise ValueError(f"{path} holds no non-empty line")
    return texts


def _bench(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m minimem.cramming bench",
                                     description="Bits removed by kind of text and vectors.")
    parser.add_argument("--steps", type=int, default=400, help="Adam steps (default 400)")
    parser.add_argument("--out", default="benchmarks/ch08_cramming.md",
                        help="markdown; JSON beside it")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    bench.run(args.steps, args.out)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        _bench(argv[1:])
        return
    parser = _parser()
    args = parser.parse_args(argv)
    if args.vectors < 1 or args.steps < 1 or not args.lr > 0:
        parser.error("--vectors and --steps must be >= 1 and --lr > 0")
    set_threads()
    from minimem.lm.train import load  # chapter 07's language model

    try:
        check_writable(args.json, args.force)
        lm, _ = load(args.checkpoint or shipped("lm_char.pt"))
        texts = _lines(args.text_file, lm.config.max_len - args.vectors + 1)
    except (OSError, ValueError) as error:  # missing or existing files, bad lines
        parser.error(str(error))
    rows = []
    for text, ids in texts:
        start = time.perf_counter()
        line = torch.tensor([ids])
        result = cram(lm, line, args.vectors, steps=args.steps, lr=args.lr, seed=args.seed)
        with torch.no_grad():
            without = text_bits(lm, line)[0].sum().item()
        rows.append({"text": text, "chars_exact": int(result.exact[0]),
                     "cross_entropy_bits": round(without, 2),
                     "bits_removed": round(without - result.bits[0].item(), 2),
                     "seconds": round(time.perf_counter() - start, 2)})
        print(json.dumps(rows[-1]))
    atomic_write(args.json, json.dumps({"lines": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
