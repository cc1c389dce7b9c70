"""Pointer Networks, evaluation: the shipped hull model and the paper's metrics (chapter 02).

Vinyals, Fortunato & Jaitly (2015), "Pointer Networks", https://arxiv.org/abs/1506.03134,
Table 2: exact accuracy and area coverage of convex hulls (`minimem.data.geometry` computes
both, vectorised), here for any trained Ptr-Net with greedy decoding or beam search; and exact
accuracy for sorting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from minimem import checkpoints
from minimem.data import geometry, sequences
from minimem.pointer.decode import beam_search, greedy
from minimem.pointer.model import EncoderDecoder, PointerNet

HULL_CHECKPOINT = "pointer_hull.pt"  # shipped in minimem/checkpoints


def load_hull_checkpoint(path: str | Path | None = None) -> tuple[PointerNet, checkpoints.Checkpoint]:
    """The convex-hull Ptr-Net (default: the shipped one), in eval mode, and its checkpoint:
    `ckpt.config` rebuilds the model, `ckpt.metrics` holds what was measured after training,
    `ckpt.extra` the recipe ("recipe"), "train_wall_s" and "loss_every_100"."""
    if path is None:
        path = checkpoints.shipped(HULL_CHECKPOINT)
    elif not Path(path).is_file():
        raise FileNotFoundError(
            f"no checkpoint at {path}; make one with `python -m minimem.pointer train-hull`")
    ckpt = checkpoints.load(path, kind="PointerNet")
    model = PointerNet(**ckpt.config)
    model.load_state_dict(ckpt.state_dict)
    return model.eval(), ckpt


def _by_size(points_list: Sequence[np.ndarray]) -> list[tuple[list[int], np.ndarray]]:
    """Group the point sets by size: (indices, points (E_n, N, 2)), checked to be finite."""
    by_n: dict[int, list[int]] = {}
    for i, p in enumerate(points_list):
        by_n.setdefault(len(p), []).append(i)
    groups = []
    for idx in by_n.values():
        block = np.asarray([points_list[i] for i in idx], dtype=float)  # (E_n, N, 2)
        ok = np.isfinite(block).all(axis=(1, 2)) if block.ndim == 3 and block.shape[2] == 2 \
            else np.zeros(len(idx), dtype=bool)
        if not ok.all():
            raise ValueError(f"points must be finite (N, 2) arrays; point set "
                             f"{idx[int(np.argmin(ok))]} is not")
        groups.append((idx, block))
    return groups


@torch.no_grad()
def predict_hulls(model: EncoderDecoder, points_list: Sequence[np.ndarray], beam: int = 1,
                  batch_size: int = 500) -> list[list[int]]:
    """Predicted hull sequences (1-based, the paper's convention) for point sets of any sizes,
    decoded in batches of one size each (greedy, or beam search with `beam` > 1)."""
    if not isinstance(beam, int) or beam < 1:
        raise ValueError(f"beam must be an int >= 1, got {beam!r}")
    model.eval()
    preds: list[list[int]] = [[] for _ in points_list]
    for idx, block in _by_size(points_list):
        for lo in range(0, len(idx), batch_size):
            x = torch.tensor(block[lo : lo + batch_size], dtype=torch.float32)
            out = greedy(model, x) if beam == 1 else beam_search(model, x, beam)
            for i, seq in zip(idx[lo : lo + batch_size], out):
                preds[i] = [j + 1 for j in seq]
    return preds


def evaluate_hull(model: EncoderDecoder, examples: Sequence[geometry.Example], beam: int = 1) -> dict:
    """Exact accuracy, area coverage (over valid answers, as in the paper), the invalid fraction,
    "area_strict" (invalid answers scored as area 0) and the paper's FAIL flag (> 1 % invalid)."""
    points = [p for p, _ in examples]
    preds = predict_hulls(model, points, beam=beam)
    targets = [s for _, s in examples]
    area, invalid = geometry.area_coverage(points, preds, targets)
    return {"exact": geometry.exact_accuracy(preds, targets, points), "area": area,
            "invalid": invalid, "area_strict": area * (1 - invalid), "fail": invalid > 0.01,
            "count": len(examples)}


def eval_set(n: int, count: int) -> list[geometry.Example]:
    """The fixed generated test set of `count` point sets of size n used by the benchmark."""
    return geometry.make_hull_examples(count, n, seed=10_000 + n)


@torch.no_grad()
def sort_accuracy(model: EncoderDecoder, n: int, count: int = 1000, seed: int = 1) -> float:
    """Fraction of `count` random lists of length n sorted exactly by greedy decoding."""
    values, order = sequences.sort_task(count, n, np.random.default_rng(seed))
    pred = greedy(model.eval(), torch.from_numpy(values)[..., None])
    return float(np.mean([p == o for p, o in zip(pred, order.tolist())]))
