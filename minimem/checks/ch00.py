"""Checkers for the chapter 00 exercises (attention as a soft dictionary).

Each exercise has three hints, from a nudge to a strong hint, shown one at a time after a wrong
answer or on request: `checks.hint("0.1")`. None of them is the answer code.
"""

from __future__ import annotations

from typing import Callable

import torch

from minimem import attention
from minimem.checks._framework import CheckResult, hint, register_hints, run_check, seeded_tensors

__all__ = ["check_causal_mask", "check_merge_heads", "check_scaled_dot_product_attention",
           "check_split_heads", "hint"]

register_hints("0.1", [
    "Follow the formula in three steps: a score for every (query, key) pair, a softmax that "
    "turns each query's scores into weights, and a weighted sum of the values.",
    "The scores are q times k transposed over the last two axes, divided by the square root of "
    "the key width d; the softmax runs over the last axis (the keys). Check the shapes: "
    "(..., T, S) for the weights, (..., T, dv) for the output.",
    "With a mask, give masked scores the value -inf before the softmax, so their weight is 0. "
    "A row with every key masked then holds only -inf and the softmax returns NaN: afterwards "
    "put 0 wherever the mask is False (torch.where).",
])
register_hints("0.2", [
    "Draw the (size, size) matrix for size 3 on paper: which entries [t, s] are True?",
    "The True entries are on and below the diagonal: a lower-triangular pattern.",
    "PyTorch has a function that keeps the lower triangle of a matrix (tril); apply it to a "
    "matrix of ones and make sure the dtype is torch.bool.",
])
register_hints("0.3", [
    "The width D of each position is H blocks of d = D/H features laid side by side; split "
    "that one axis into two, then reorder the axes.",
    "split_heads: view the tensor as (B, T, H, d), then swap the T and H axes. merge_heads "
    "undoes both steps in the opposite order.",
    "After a transpose the tensor is not contiguous in memory, so view fails in merge_heads: "
    "swap the axes back, then use reshape to flatten the last two axes into one of width H·d.",
])


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
        _attention_cases(), arg_names=("q", "k", "v"), output_names=("output", "weights"),
        exercise="0.1", forbidden=(attention.scaled_dot_product_attention,),
    )


def check_causal_mask(fn: Callable) -> CheckResult:
    """Exercise 0.2: fn(size) -> (size, size) bool tensor, True where key s <= query t."""
    return run_check(
        "causal_mask", fn, attention.causal_mask,
        {"sizes 1, 2, 5": [((1,), {}), ((2,), {}), ((5,), {})]}, arg_names=("size",),
        exercise="0.2", forbidden=(attention.causal_mask,),
    )


def check_split_heads(fn: Callable) -> CheckResult:
    """Exercise 0.3a: fn(x (B, T, D), num_heads) -> (B, H, T, D/H)."""
    x1, x2 = seeded_tensors(2, (2, 5, 8), (1, 3, 12))
    return run_check(
        "split_heads", fn, attention.split_heads,
        {"2 heads": [((x1, 2), {})], "4 and 3 heads": [((x1, 4), {}), ((x2, 3), {})]},
        arg_names=("x", "num_heads"), exercise="0.3", forbidden=(attention.split_heads,),
    )


def check_merge_heads(fn: Callable) -> CheckResult:
    """Exercise 0.3b: fn(x (B, H, T, d)) -> (B, T, H·d), the inverse of split_heads."""
    x1, x2 = seeded_tensors(3, (2, 2, 5, 4), (1, 3, 4, 4))
    return run_check(
        "merge_heads", fn, attention.merge_heads,
        {"round trip shapes": [((x1,), {}), ((x2,), {})]}, arg_names=("x",),
        exercise="0.3", forbidden=(attention.merge_heads,),
    )
