"""Checkers for the chapter 00 exercises (attention as a soft dictionary)."""

from __future__ import annotations

from typing import Callable

import torch

from minimem import attention
from minimem.checks._framework import CheckResult, run_check, seeded_tensors


def _attention_cases():
    q2, k2, v2 = seeded_tensors(0, (3, 4), (5, 4), (5, 2))
    qb, kb, vb = seeded_tensors(1, (2, 3, 8), (2, 6, 8), (2, 6, 3))
    padding = torch.tensor([[True, True, True, True, False, False]]).expand(3, 6)  # (T, S)
    no_keys = torch.zeros(3, 6, dtype=torch.bool)
    return {
        "one query set (T, d)": [((q2, k2, v2), {}), ((q2 * 3, k2, v2), {})],
        "batched (B, T, d)": [((qb, kb, vb), {})],
        "with a padding mask": [((qb, kb, vb), {"mask": padding})],
        "causal mask": [((qb, kb[:, :3], vb[:, :3]), {"mask": attention.causal_mask(3)})],
        "every key masked → zeros, not NaN": [((qb, kb, vb), {"mask": no_keys})],
    }


def check_scaled_dot_product_attention(fn: Callable) -> CheckResult:
    """Exercise 0.1: fn(q, k, v, mask=None) -> (output, weights)."""
    return run_check(
        "scaled_dot_product_attention", fn,
        lambda q, k, v, mask=None: attention.scaled_dot_product_attention(q, k, v, mask),
        _attention_cases(), arg_names=("q", "k", "v"),
        hint="scores = q @ kᵀ / √d; fill masked scores with -inf before the softmax over the "
             "keys (last axis); then zero the weights of masked keys.",
    )


def check_causal_mask(fn: Callable) -> CheckResult:
    """Exercise 0.2: fn(size) -> (size, size) bool tensor, True where key s <= query t."""
    return run_check(
        "causal_mask", fn, attention.causal_mask,
        {"sizes 1, 2, 5": [((1,), {}), ((2,), {}), ((5,), {})]}, arg_names=("size",),
        hint="row t (a query) may see columns 0..t: a lower-triangular boolean matrix "
             "(torch.tril of ones, dtype=torch.bool).",
    )


def check_split_heads(fn: Callable) -> CheckResult:
    """Exercise 0.3a: fn(x (B, T, D), num_heads) -> (B, H, T, D/H)."""
    x1, x2 = seeded_tensors(2, (2, 5, 8), (1, 3, 12))
    return run_check(
        "split_heads", fn, attention.split_heads,
        {"2 heads": [((x1, 2), {})], "4 and 3 heads": [((x1, 4), {}), ((x2, 3), {})]},
        arg_names=("x", "num_heads"),
        hint="view the width D as (H, D/H), then move the head axis before the time axis.",
    )


def check_merge_heads(fn: Callable) -> CheckResult:
    """Exercise 0.3b: fn(x (B, H, T, d)) -> (B, T, H·d), the inverse of split_heads."""
    x1, x2 = seeded_tensors(3, (2, 2, 5, 4), (1, 3, 4, 4))
    return run_check(
        "merge_heads", fn, attention.merge_heads,
        {"round trip shapes": [((x1,), {}), ((x2,), {})]}, arg_names=("x",),
        hint="undo split_heads: swap the head and time axes back, then flatten (H, d) into "
             "one width (use .reshape, since the transposed tensor is not contiguous).",
    )
