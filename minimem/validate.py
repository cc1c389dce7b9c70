"""Argument checks shared by every public function: errors a learner can act on.

Each check raises TypeError (wrong kind of thing) or ValueError (right kind, wrong value)
with a message that names the argument, what was expected and what was received, e.g.

    x must be a floating-point tensor with the model's dtype torch.float32, got torch.float64

instead of a broadcasting or dtype error from deep inside torch.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

_KINDS = {"float": torch.is_floating_point, "long": lambda t: t.dtype == torch.long,
          "bool": lambda t: t.dtype == torch.bool}


def tensor(name: str, value: object, *, dims: int | Sequence[int] | None = None,
           min_dims: int = 0, kind: str | None = None, dtype: torch.dtype | None = None,
           finite: bool = False, nonempty: bool = False) -> torch.Tensor:
    """Check that `value` is a tensor with the given number of dimensions (`dims`, one or
    several allowed, or at least `min_dims`), kind ("float", "long", "bool") or exact
    `dtype`, with no NaN/inf (`finite`) and at least one element (`nonempty`)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    allowed = (dims,) if isinstance(dims, int) else tuple(dims or ())
    if (allowed and value.dim() not in allowed) or value.dim() < min_dims:
        want = " or ".join(map(str, allowed)) if allowed else f"at least {min_dims}"
        raise ValueError(f"{name} must have {want} dimensions, got shape {tuple(value.shape)}")
    if kind is not None and not _KINDS[kind](value):
        raise TypeError(f"{name} must be a {kind} tensor, got dtype {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {value.dtype}; "
                        f"convert it with .to({dtype})")
    if nonempty and value.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    if finite and value.is_floating_point() and not torch.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return value


def integer(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Check that `value` is an int (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be in {_range(low, high)}, got {value}")
    return value


def number(name: str, value: object, low: float | None = None, high: float | None = None,
           *, strict_low: bool = False) -> float:
    """Check that `value` is a finite real number in [low, high] (or (low, high] with
    `strict_low`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    too_low = low is not None and (value <= low if strict_low else value < low)
    if not math.isfinite(value) or too_low or (high is not None and value > high):
        raise ValueError(f"{name} must be a finite number in "
                         f"{_range(low, high, strict_low)}, got {value}")
    return float(value)


def _range(low: float | None, high: float | None, strict_low: bool = False) -> str:
    left = "-inf" if low is None else f"{low}"
    right = "inf" if high is None else f"{high}"
    return f"{'(' if strict_low or low is None else '['}{left}, {right}{')' if high is None else ']'}"
