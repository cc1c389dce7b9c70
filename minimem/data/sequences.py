"""Generators for synthetic sequence tasks.

Chapter 02 (Pointer Networks, Vinyals et al., 2015) uses `sort_task`: a list of real numbers
whose answer is the order in which to read them so they come out sorted — an output made of
positions of the input, so its "vocabulary" grows with the input length. Later chapters add
their own generators here. Every function is pure: give it a seed or a NumPy `Generator`.

Shapes: B examples per batch, N items per example.
"""

from __future__ import annotations

import numpy as np


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


MAX_NUMBERS = 10**8  # batch_size * n: about 0.4 GB of float32


def _check_sizes(batch_size: int, n: int) -> None:
    for name, value in (("batch_size", batch_size), ("n", n)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if batch_size * n > MAX_NUMBERS:
        raise ValueError(f"batch_size * n must be at most {MAX_NUMBERS:.0e}, got batch_size="
                         f"{batch_size} and n={n}")


def sort_task(
    batch_size: int, n: int, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Random reals in [0, 1) and the 0-based order that sorts them ascending.

    Returns `values` (B, N) float32 and `order` (B, N) int64 with
    ``values[b, order[b]]`` increasing.
    """
    _check_sizes(batch_size, n)
    values = _rng(rng).random((batch_size, n)).astype(np.float32)  # (B, N)
    order = np.argsort(values, axis=1, kind="stable").astype(np.int64)  # (B, N)
    return values, order


def sort_task_variable(
    batch_size: int,
    n_min: int,
    n_max: int,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Like `sort_task`, with a length drawn uniformly from [n_min, n_max] for the whole batch.

    One length per batch keeps the tensors rectangular (no padding) while training still sees
    every length in the range.
    """
    if not 1 <= n_min <= n_max:
        raise ValueError(f"need 1 <= n_min <= n_max, got n_min={n_min}, n_max={n_max}")
    g = _rng(rng)
    return sort_task(batch_size, int(g.integers(n_min, n_max + 1)), g)
