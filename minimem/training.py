"""Training helpers shared by every chapter (introduced in chapter 00).

- `setup(seed)` seeds every generator and fixes the torch thread count in one place;
- `default_device()` is the CPU unless a GPU is present (never required);
- `fit(...)` is the one training loop of the course: fixed length, with a learning-rate
  schedule, gradient clipping, a per-step hook, periodic evaluation and a notebook-aware
  progress bar; it returns a `History` which `minimem.viz.plot_history` can draw.

Training always runs a fixed number of steps, never "until a time budget runs out", so results
do not depend on how busy the machine is.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
from tqdm.auto import tqdm

THREADS_ENV = "MINIMEM_THREADS"
PROGRESS_ENV = "MINIMEM_PROGRESS"


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_threads(threads: int | None = None) -> int:
    """Set and return the number of torch CPU threads, chosen in this order: the `threads`
    argument, else $MINIMEM_THREADS, else $OMP_NUM_THREADS, else 1.

    One thread is the default because small models gain little from more, and on a shared
    2-core machine two busy threads can be many times slower than one. The count must lie in
    1..(number of CPUs): more only slows things down (and absurd counts crash torch).
    """
    source = "threads"
    if threads is None:
        for source in (THREADS_ENV, "OMP_NUM_THREADS"):
            raw = os.environ.get(source, "").strip()
            if raw:
                try:
                    threads = int(raw)
                except ValueError:
                    raise ValueError(f"${source} must be a whole number, got {raw!r}") from None
                source = f"${source}"
                break
        else:
            threads, source = 1, "the default"
    limit = os.cpu_count() or 1
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= limit:
        raise ValueError(f"{source} must be a whole number of threads in 1..{limit} "
                         f"(this machine's CPUs), got {threads!r}")
    torch.set_num_threads(threads)
    return threads


def default_device() -> torch.device:
    """The GPU if one is present, otherwise the CPU (which always works)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup(seed: int = 0, threads: int | None = None) -> torch.device:
    """What every notebook runs first: seed everything, set the thread count (see
    `set_threads`: 1 unless $MINIMEM_THREADS or $OMP_NUM_THREADS says otherwise), pick a
    device. Results are the same with 1 or 2 threads up to float rounding."""
    seed_everything(seed)
    set_threads(threads)
    return default_device()


@dataclass
class History:
    """What `fit` records: the training loss at every step and evaluations every so often."""

    loss: list[float] = field(default_factory=list)
    evals: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def log_eval(self, step: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            self.evals.setdefault(name, []).append((step, float(value)))

    def last(self, name: str) -> float:
        """The latest value of an evaluation metric (or "loss" for the training loss)."""
        if name == "loss":
            if not self.loss:
                raise KeyError("no training loss recorded yet")
            return self.loss[-1]
        if name not in self.evals:
            raise KeyError(f"no metric {name!r}; recorded: {sorted(self.evals) or 'none'}")
        return self.evals[name][-1][1]


def progress_default() -> bool:
    """Whether training shows a progress bar when the caller does not say: yes, except under
    pytest or with $MINIMEM_PROGRESS=0 (what `make test` sets, so test logs stay quiet)."""
    if os.environ.get(PROGRESS_ENV, "1").strip() == "0":
        return False
    return "PYTEST_CURRENT_TEST" not in os.environ


def _check_positive(name: str, value: object, kind: type = float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if kind is int:
        ok = ok and isinstance(value, int)
    if not ok or (isinstance(value, float) and not math.isfinite(value)):
        what = "a positive int" if kind is int else "a positive finite number"
        raise ValueError(f"{name} must be {what}, got {value!r}")


def fit(
    model: torch.nn.Module,
    make_batch: Callable[[int], Any],
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    *,
    steps: int,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    lr_at: Callable[[int], float] | None = None,
    clip_grad_norm: float | None = None,
    after_step: Callable[[int], None] | None = None,
    eval_fn: Callable[[torch.nn.Module], dict[str, float]] | None = None,
    eval_every: int = 0,
    progress: bool | None = None,
    desc: str = "training",
) -> History:
    """Train `model` for exactly `steps` optimiser steps and return a `History`.

    The one training loop of the course; each chapter's `train.py` is a short recipe on it.
    - make_batch(step) -> batch and loss_fn(model, batch) -> scalar loss, for step = 1..steps;
    - the optimiser defaults to Adam at `lr`; `lr_at(step)`, if given, sets the learning rate
      of every parameter group before each step (a schedule);
    - `clip_grad_norm` clips the gradient norm; `after_step(step)` runs after each update
      (e.g. to re-zero a padding embedding);
    - `eval_fn(model)` (eval mode, no gradients) returns metrics, every `eval_every` steps and
      once at the end; they go to `history.evals`;
    - `progress` shows a tqdm bar (default: `progress_default()`).
    The model is left in eval mode.
    """
    _check_fit_numbers(steps, lr, clip_grad_norm, eval_every)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    progress = progress_default() if progress is None else progress
    history = History()
    model.train()
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress, mininterval=0.5)
    for step in bar:
        if lr_at is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
        loss = _update(model, optimizer, loss_fn(model, make_batch(step)), clip_grad_norm)
        if after_step is not None:
            after_step(step)
        history.loss.append(loss)
        if eval_fn is not None and ((eval_every and step % eval_every == 0) or step == steps):
            _evaluate(model, eval_fn, step, history)
        if progress and (step % 10 == 0 or step == steps):
            bar.set_postfix(loss=f"{loss:.3f}")
    model.eval()
    return history


def _check_fit_numbers(steps: object, lr: object, clip_grad_norm: object,
                       eval_every: object) -> None:
    """Refuse nonsense before any work: a negative clip would train uphill silently."""
    _check_positive("steps", steps, int)
    _check_positive("lr", lr)
    if clip_grad_norm is not None:
        _check_positive("clip_grad_norm", clip_grad_norm)
    if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 0:
        raise ValueError(f"eval_every must be an int >= 0, got {eval_every!r}")


def _update(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loss: object,
            clip_grad_norm: float | None) -> float:
    """One optimiser step on `loss`; returns its value."""
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        got = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor, got {got}")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
    optimizer.step()
    return loss.item()


def _evaluate(model: torch.nn.Module, eval_fn: Callable[[torch.nn.Module], dict[str, float]],
              step: int, history: History) -> None:
    model.eval()
    with torch.no_grad():
        history.log_eval(step, eval_fn(model))
    model.train()
