"""Pointer Networks, training: data as tensors, the loss, and the recipes (chapter 02).

Vinyals, Fortunato & Jaitly (2015), "Pointer Networks", https://arxiv.org/abs/1506.03134.
Every recipe is a few lines on `minimem.training.fit`: Adam, the learning rate decayed to a
tenth over the last part of the run (`decay_schedule`), the gradient norm clipped at 2 (as in
the paper). `train_hull` is the committed, seeded recipe behind the shipped checkpoint
(`python -m minimem.pointer train-hull`); it saves with `minimem.checkpoints`.

Dimension names: B batch, N inputs, T answer steps, S output positions.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from minimem import checkpoints
from minimem.files import check_writable
from minimem.attention import masked_log_softmax
from minimem.data import geometry, sequences
from minimem.pointer.decode import teacher_forcing_mask
from minimem.pointer.evaluate import eval_set, evaluate_hull
from minimem.pointer.model import EncoderDecoder, PointerNet
from minimem.training import History, fit, setup

CLIP = 2.0  # gradient norm clip of the paper


def pad_targets(answers: list[list[int]], offset: int = 0) -> torch.Tensor:
    """Answers of different lengths -> (B, T) LongTensor, each minus `offset` (1 turns the
    paper's 1-based indices 0-based), -100 after its end (ignored by the loss)."""
    lengths = np.array([len(a) for a in answers])
    out = np.full((len(answers), int(lengths.max())), -100, dtype=np.int64)
    out[np.arange(out.shape[1]) < lengths[:, None]] = np.concatenate(answers) - offset
    return torch.from_numpy(out)


def hull_batch(batch_size: int, n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random point sets (B, N, 2) and their closed hull sequences (B, T), 0-based, -100 padded."""
    pts = rng.random((batch_size, n, 2))
    answers = [geometry.hull_sequence(p) for p in pts]  # exact, 1-based
    return torch.tensor(pts, dtype=torch.float32), pad_targets(answers, offset=1)


def sort_batch(batch_size: int, n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Numbers to sort (B, N, 1) and the sorting order (B, N), 0-based."""
    values, order = sequences.sort_task(batch_size, n, rng)
    return torch.from_numpy(values)[..., None], torch.from_numpy(order)


def pointer_loss(model: EncoderDecoder, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy of the teacher-forced pointer distributions, each step masked by
    the model's step-mask rule (padding ignored)."""
    x, targets = batch
    u = model(x, targets)  # (B, T, S)
    mask = teacher_forcing_mask(model.mask, targets, x.shape[1], u.shape[-1])  # (B, T, S)
    log_p = masked_log_softmax(u, mask)
    return F.nll_loss(log_p.flatten(0, 1), targets.flatten(), ignore_index=-100)


def decay_schedule(lr: float, steps: int, decay_from: float) -> Callable[[int], float]:
    """lr until `decay_from` of the run, then an exponential decay to lr / 10 at the end:
    the learning rate of optimiser step 1..steps, for `fit(lr_at=...)`."""
    start = int(decay_from * steps)
    return lambda step: lr * 0.1 ** max(0.0, (step - 1 - start) / max(1, steps - start))


def train_sorter(
    model: EncoderDecoder, *, steps: int, n_min: int = 5, n_max: int = 10, batch_size: int = 128,
    seed: int = 0, lr: float = 1e-3, progress: bool | None = None,
) -> History:
    """Train a model to sort numbers of lengths n_min..n_max (one length per batch)."""
    rng = np.random.default_rng(seed)
    return fit(model, lambda step: sort_batch(batch_size, int(rng.integers(n_min, n_max + 1)), rng),
               pointer_loss, steps=steps, lr=lr, lr_at=decay_schedule(lr, steps, 0.7),
               clip_grad_norm=CLIP, progress=progress, desc="sorting")


@dataclass(frozen=True)
class HullRecipe:
    """The shipped hull checkpoint's recipe (each field is a `train-hull` flag)."""

    steps: int = 45_000
    batch_size: int = 128
    n_min: int = 5
    n_max: int = 12
    hidden: int = 128
    lr: float = 2e-3
    decay_from: float = 0.5
    seed: int = 0
    bidirectional: bool = False


CHECK_SET = {"n": 5, "count": 200}  # a small set whose metrics the tests recompute


def train_hull(out: str | Path, *, force: bool = False, progress: bool | None = None,
               **overrides) -> tuple[PointerNet, checkpoints.Checkpoint]:
    """Train the hull Ptr-Net with `HullRecipe` (fields overridable), evaluate it on fixed
    sets and save weights, config and metrics to `out`. Returns (model, checkpoint)."""
    out = check_writable(out, force)  # before the work, not after it
    recipe = HullRecipe(**overrides)
    setup(recipe.seed)
    model = PointerNet(input_dim=2, hidden=recipe.hidden, mask="cycle",
                       bidirectional=recipe.bidirectional)
    rng = np.random.default_rng(recipe.seed)
    sizes = range(recipe.n_min, recipe.n_max + 1)
    start = time.time()
    history = fit(model, lambda step: hull_batch(recipe.batch_size, int(rng.choice(sizes)), rng),
                  pointer_loss, steps=recipe.steps, lr=recipe.lr,
                  lr_at=decay_schedule(recipe.lr, recipe.steps, recipe.decay_from),
                  clip_grad_norm=CLIP, progress=progress, desc="convex hull")
    wall = time.time() - start
    metrics = {f"n{n}": evaluate_hull(model, eval_set(n, 1000)) for n in (5, 10)}
    metrics["check"] = {**CHECK_SET, **evaluate_hull(model, eval_set(**CHECK_SET))}
    loss = history.loss
    curve = [float(np.mean(loss[i : i + 100])) for i in range(0, len(loss), 100)]
    checkpoints.save(out, model, model.config, metrics, recipe=asdict(recipe), train_wall_s=wall,
                     loss_every_100=curve, torch_threads=torch.get_num_threads())
    return model, checkpoints.load(out, kind="PointerNet")
