"""Chapter 07's measurements, from the shipped checkpoints (nothing is trained here).

    python -m minimem.compression bench [--count 256] [--out benchmarks/ch07_compression.md]

- the language model (`lm_char.pt`): its gate figures on the validation and test splits;
- the ICAE-style compressors (`icae_<R>x.pt`, frozen decoder; `icae_<R>x_dec.pt`, decoder with
  its own adapter) at ratios 1, 2, 4, 8, 16: reconstruction accuracy on held-out documentation
  and on plain English, the recall continuation's bits per character with the slots, the whole
  context and none, and the share of that gap the slots recover;
- what is lost: reconstruction accuracy by kind of character (letters, digits, punctuation,
  spaces and newlines);
- the compressed context memory over a stream of 20 chunks (`stream.evaluate_stream`).
Targets (issue 16): repeat_bpc ≤ 0.5; at 4×, ≥ 90 % reconstruction and ≥ 50 % of the gap;
memory ≥ 5× smaller than the full cache; ICAE trains about 1 % of its LM.
"""

from __future__ import annotations

import json
import platform
import time

import numpy as np
import torch

from minimem import checkpoints
from minimem.data import text
from minimem.files import atomic_write
from minimem.training import set_threads

from .stream import evaluate_stream
from .train import CompressionRecipe, english_accuracy, evaluate, load, windows

RATIOS = (1, 2, 4, 8, 16)
DECODERS = {"frozen": "", "adapter": "_dec"}
CLASSES = {"letters": str.isalpha, "digits": str.isdigit, "spaces": str.isspace,
           "punctuation": lambda ch: not (ch.isalnum() or ch.isspace())}


def shipped_name(ratio: int, decoder: str) -> str:
    return f"icae_{ratio}x{DECODERS[decoder]}.pt"


def _contexts(count: int, seed: int) -> torch.Tensor:
    """The held-out contexts `by_class` scores: the same for the same arguments."""
    context, _ = windows(text.corpus_ids("validation"), count, CompressionRecipe(),
                         np.random.default_rng(seed))
    return context


def class_counts(count: int = 256, seed: int = 1234) -> dict[str, int]:
    """How many characters of each kind `by_class` scores (the same contexts)."""
    chars = text.decode(_contexts(count, seed).flatten().tolist())
    return {name: sum(map(test, chars)) for name, test in CLASSES.items()}


@torch.no_grad()
def by_class(model, count: int = 256, seed: int = 1234) -> dict[str, float]:
    """Greedy reconstruction accuracy on held-out contexts, by kind of character."""
    context = _contexts(count, seed)
    right = (model.decode(model.compress(context)) == context).flatten()
    chars = text.decode(context.flatten().tolist())
    out = {}
    for name, test in CLASSES.items():
        chosen = torch.tensor([test(ch) for ch in chars])
        if chosen.any():  # a kind absent from these contexts gets no entry
            out[name] = float(right[chosen].float().mean())
    return out


def measure(count: int = 256) -> dict:
    from minimem import lm as charlm

    lm_path = checkpoints.shipped("lm_char.pt")
    lm, _ = charlm.load(lm_path)
    ckpt = checkpoints.load(lm_path)
    result = {"lm": {"validation": charlm.evaluate(lm, "validation"),
                     "test": charlm.evaluate(lm, "test"),
                     "seconds": ckpt.metrics["seconds"], "steps": ckpt.metrics["steps"],
                     "parameters": ckpt.metrics["parameters"],
                     "kib": round(lm_path.stat().st_size / 1024)}, "rows": []}
    for decoder in DECODERS:
        for ratio in RATIOS:
            path = checkpoints.shipped(shipped_name(ratio, decoder))
            model, _ = load(path, lm)
            ckpt = checkpoints.load(path)
            metrics = ckpt.metrics
            row = {"decoder": decoder, "ratio": ratio, "slots": model.num_slots}
            row |= evaluate(model, count=count)
            row["english_accuracy"] = english_accuracy(model)
            gap = row["bpc_none"] - row["bpc_full"]
            row["gap_recovered"] = (row["bpc_none"] - row["bpc_compressed"]) / gap
            row["by_class"] = by_class(model, count)
            row |= {"trainable": metrics["trainable"],
                    "trainable_fraction": metrics["trainable"] / metrics["lm_parameters"],
                    "train_seconds": metrics["seconds"], "steps": ckpt.config["steps"],
                    "kib": round(path.stat().st_size / 1024)}
            result["rows"].append(row)
    result["class_counts"] = class_counts(count)
    result["stream"] = {}
    for decoder in DECODERS:
        model, _ = load(checkpoints.shipped(shipped_name(16, decoder)), lm)
        result["stream"][decoder] = evaluate_stream(model, num_chunks=20, count=64)
    return result


def _targets(result: dict) -> list[tuple[str, str, bool]]:
    four = {row["decoder"]: row for row in result["rows"] if row["ratio"] == 4}
    best = max(four.values(), key=lambda row: row["reconstruction_accuracy"])
    stream = result["stream"]["frozen"]["bytes"]
    fraction = min(row["trainable_fraction"] for row in result["rows"])
    gate = result["lm"]["validation"]["repeat_bpc"]
    return [("LM: repeat bpc ≤ 0.5", f"{gate:.3f}", gate <= 0.5),
            ("4×: reconstruction ≥ 90 %", f"{best['reconstruction_accuracy']:.1%} "
             f"({best['decoder']} decoder)", best["reconstruction_accuracy"] >= 0.9),
            ("4×: slots recover ≥ 50 % of the gap", f"{best['gap_recovered']:.0%}",
             best["gap_recovered"] >= 0.5),
            ("memory ≥ 5× smaller than the full cache",
             f"{stream['full'] / stream['concat']:.0f}× (concat)",
             stream["full"] / stream["concat"] >= 5),
            ("adapter ≈ 1 % of the LM", f"{fraction:.1%}", fraction <= 0.02)]


def report(result: dict) -> str:
    lm = result["lm"]
    lines = ["# Chapter 07 — compressing the context: benchmark", "",
             f"Generated by `python -m minimem.compression bench` ({result['seconds']} s, one "
             f"torch thread, Python {result['python']}, torch {result['torch']}) from the "
             "shipped checkpoints. References: ICAE (Ge et al. 2024, "
             "[arXiv:2307.06945](https://arxiv.org/abs/2307.06945)), CCM (Kim et al. 2024, "
             "[arXiv:2312.03414](https://arxiv.org/abs/2312.03414)).", "",
             "## What matched", "", "| target | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in _targets(result)]
    lines += ["", "## The language model (`lm_char.pt`)", "",
              f"{lm['parameters']:,} parameters, {lm['kib']} KiB, {lm['steps']:,} steps in "
              f"{lm['seconds']:.0f} s. Bits per character:", "",
              "| split | plain | repeat | random repeat |", "| --- | --- | --- | --- |"]
    lines += [f"| {split} | {m['plain_bpc']:.3f} | {m['repeat_bpc']:.3f} | "
              f"{m['random_repeat_bpc']:.3f} |" for split, m in
              (("validation", lm["validation"]), ("test", lm["test"]))]
    lines += ["", "## Reconstruction and recall by compression ratio", "",
              "64 held-out characters into 64 / ratio slots. Accuracy: greedy reconstruction, "
              "position by position (teacher-forced top-1 beside it). Recall: bits per "
              "character of a continuation quoting 48 characters of the context, read with "
              "the slots, the full context or none; gap = share of (none − full) the slots "
              "recover.", "",
              "| decoder | ratio | slots | accuracy | teacher-forced | English | bpc slots | "
              "bpc full | bpc none | gap | trainable | KiB | steps | train s |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(
            f"| {r['decoder']} | {r['ratio']}× | {r['slots']} | "
            f"{r['reconstruction_accuracy']:.1%} | {r['teacher_forced_accuracy']:.1%} | "
            f"{r['english_accuracy']:.1%} | {r['bpc_compressed']:.3f} | {r['bpc_full']:.3f} | "
            f"{r['bpc_none']:.3f} | {r['gap_recovered']:.0%} | {r['trainable']:,} "
            f"({r['trainable_fraction']:.1%}) | {r['kib']} | {r['steps']:,} | "
            f"{r['train_seconds']:.0f} |")
    lines += ["", "## What is lost: accuracy by kind of character", "",
              "| decoder | ratio | " + " | ".join(CLASSES) + " |",
              "| --- | --- |" + " --- |" * len(CLASSES)]
    for r in result["rows"]:
        lines.append(f"| {r['decoder']} | {r['ratio']}× | " +
                     " | ".join(f"{r['by_class'][c]:.1%}" if c in r["by_class"] else "—"
                                for c in CLASSES) + " |")
    counts = result.get("class_counts", {})
    lines += ["", "Characters scored: " + ", ".join(f"{n} {counts[n]:,}" for n in counts) + "."]
    return "\n".join(lines + _stream_table(result["stream"])) + "\n"


def _stream_table(streams: dict) -> list[str]:
    s = streams["frozen"]
    lines = ["", f"## Compressed context memory over a stream of {s['chunks']} chunks", "",
             f"Each chunk of {s['chunk_len']} characters compressed alone into "
             f"{s['slots_per_chunk']} slots (`icae_16x.pt`, `icae_16x_dec.pt`); then the next "
             f"{s['continuation_len']} characters are read by that compressor's decoder. "
             "Bytes: a float32 key/value cache of every position kept.", "",
             "| reader | positions kept | bytes | smaller than full | bpc, frozen decoder | "
             "bpc, decoder adapter |", "| --- | --- | --- | --- | --- | --- |"]
    positions = {"full": s["chunks"] * s["chunk_len"], "window": s["chunk_len"],
                 "concat": s["chunks"] * s["slots_per_chunk"], "merge": s["slots_per_chunk"],
                 "none": 0}
    for name in ("full", "window", "concat", "merge", "none"):
        size = s["bytes"].get(name, 0)
        bpc = [f"{streams[d]['bpc'][name]:.3f}" if name in s["bpc"] else
               "— (exceeds the LM's context)" for d in DECODERS]
        ratio = f"{s['bytes']['full'] / size:.0f}×" if size else "—"
        lines.append(f"| {name} | {positions[name]} | {size:,} | {ratio} | {bpc[0]} | "
                     f"{bpc[1]} |")
    return lines


def run(count: int = 256, out: str = "benchmarks/ch07_compression.md") -> dict:
    set_threads()
    start = time.perf_counter()
    result = measure(count)
    result |= {"seconds": round(time.perf_counter() - start, 1),
               "python": platform.python_version(), "torch": torch.__version__}
    atomic_write(out, report(result))
    atomic_write(out.rsplit(".", 1)[0] + ".json", json.dumps(result, indent=2) + "\n")
    print(report(result))
    return result
