"""Compressed context memory: what a stream of chunks leaves behind, and what it costs.

Kim et al. (2024), "Compressed Context Memory for Online Language Model Interaction",
https://arxiv.org/abs/2312.03414. A stream arrives chunk by chunk; after chunk t the model
compresses it into k vectors h(t) (k, D) and updates a memory Mem(t):

    concat:  Mem(t) = [ Mem(t-1) ; h(t) ]                  grows by k rows per chunk
    merge:   Mem(t) = (1 - 1/t) · Mem(t-1) + (1/t) · h(t)   stays k rows: the running mean

Either way the model then attends to Mem(t) instead of every past token, so what it keeps is
k·t or k rows instead of the whole key/value cache (`kv_cache_bytes`).
"""

from __future__ import annotations

import torch

from minimem import validate

MODES = ("concat", "merge")


def update_memory(memory: torch.Tensor | None, new: torch.Tensor, step: int,
                  mode: str = "concat") -> torch.Tensor:
    """Mem(t) from Mem(t-1) (`memory` (B, M, D), or None before the first chunk) and
    h(t) (`new` (B, k, D)); `step` = t counts chunks from 1."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    validate.integer("step", step, 1)
    validate.tensor("new", new, dims=3)
    if memory is None:
        if step != 1:
            raise ValueError(f"memory is None only before the first chunk (step 1), got "
                             f"step {step}")
        return new
    validate.tensor("memory", memory, dims=3)
    if memory.shape[0] != new.shape[0] or memory.shape[2] != new.shape[2]:
        raise ValueError(f"memory (B, M, D) = {tuple(memory.shape)} and new (B, k, D) = "
                         f"{tuple(new.shape)} must agree in B and D")
    if mode == "concat":
        return torch.cat([memory, new], dim=1)  # (B, M + k, D)
    if memory.shape[1] != new.shape[1]:
        raise ValueError(f"merge keeps k rows: memory has {memory.shape[1]}, new has "
                         f"{new.shape[1]}")
    return (1 - 1 / step) * memory + (1 / step) * new  # (B, k, D)


def kv_cache_bytes(num_layers: int, positions: int, d_model: int,
                   bytes_per_value: int = 4) -> int:
    """Bytes of a key/value cache: a key and a value of width d_model per position per layer."""
    for name, value in (("num_layers", num_layers), ("positions", positions),
                        ("d_model", d_model), ("bytes_per_value", bytes_per_value)):
        validate.integer(name, value, 0 if name == "positions" else 1)
    return 2 * num_layers * positions * d_model * bytes_per_value
