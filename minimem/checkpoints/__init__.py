"""One checkpoint format for every chapter: weights + the config that rebuilds the model + the
metrics recorded when it was trained.

    save(path, model, config, metrics=None, **extra)    write atomically (temp file + rename)
    load(path, kind=None) -> Checkpoint                 read with torch's weights_only=True
    shipped(name) -> Path                               a checkpoint that comes with minimem

A file holds plain data only (tensors, numbers, strings, lists, dicts), so loading it never
runs code (`weights_only=True`). `config` is what the model class takes as keyword arguments;
`kind` is the model's class name, checked on load so one chapter's file is not mistaken for
another's. The shipped checkpoints live in this folder; each is made by a committed, seeded
command named in its chapter's notebook and in `benchmarks/`.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from minimem.files import atomic_write

FORMAT = "minimem-checkpoint/1"
FOLDER = Path(__file__).parent


@dataclass
class Checkpoint:
    """What `load` returns: rebuild with `Model(**ckpt.config)`, then `load_state_dict`."""

    kind: str
    config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _check_plain(value: Any, where: str) -> None:
    """Only what `torch.load(weights_only=True)` can read back may go into a checkpoint."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"{where} has a key of type {type(k).__name__}; use str or int")
            _check_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
    elif not isinstance(value, (str, int, float, bool, type(None), torch.Tensor)):
        raise TypeError(f"{where} is a {type(value).__name__}; a checkpoint holds only plain "
                        "data (numbers, strings, lists, dicts, tensors)")


def save(path: str | os.PathLike, model: nn.Module, config: dict[str, Any],
         metrics: dict[str, Any] | None = None, weights: dict[str, torch.Tensor] | None = None,
         **extra: Any) -> Path:
    """Write `model`'s weights with its `config` and `metrics` to `path`, atomically: the file
    appears complete or not at all, and an existing file is replaced only on success.
    `weights`, if given, is stored instead of the whole state_dict: the trainable part of a
    model wrapped around a frozen one that ships separately (chapter 07's adapters)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name, value in (("config", config), ("metrics", metrics or {}), ("extra", extra)):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict, got {type(value).__name__}")
        _check_plain(value, name)
    blob = {"format": FORMAT, "kind": type(model).__name__, "config": config,
            "state_dict": {k: v.detach().cpu()
                           for k, v in (model.state_dict() if weights is None else weights).items()},
            "metrics": metrics or {}, "extra": extra}
    buffer = io.BytesIO()
    torch.save(blob, buffer)
    return atomic_write(path, buffer.getvalue())


def load(path: str | os.PathLike, kind: str | None = None) -> Checkpoint:
    """Read a checkpoint written by `save` (weights_only=True); `kind`, if given, must match
    the class name recorded in the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated, foreign or corrupt file
        reason = (str(err).splitlines() or ["empty or truncated"])[0][:200]
        raise ValueError(f"{path} is not a readable checkpoint ({type(err).__name__}: "
                         f"{reason})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"{path} is not a minimem checkpoint (expected format {FORMAT!r})")
    if kind is not None and blob["kind"] != kind:
        raise ValueError(f"{path} holds a {blob['kind']}, not a {kind}")
    return Checkpoint(blob["kind"], blob["config"], blob["state_dict"], blob["metrics"],
                      blob["extra"])


def shipped(name: str) -> Path:
    """The path of a checkpoint shipped with minimem, e.g. shipped("pointer_hull.pt")."""
    path = FOLDER / name
    if not path.is_file():
        available = sorted(p.name for p in FOLDER.glob("*.pt"))
        raise FileNotFoundError(f"no shipped checkpoint {name!r}; available: {available}")
    return path
