"""Attention as a soft dictionary lookup (chapter 00).

A dictionary maps a key to a value. Attention relaxes that: a query is compared with every key,
the scores become weights with a softmax, and the answer is the weighted mean of the values.
Vaswani et al. (2017), "Attention Is All You Need", eq. 1:

    Attention(Q, K, V) = softmax(Q Kᵀ / √d) V

Dimension names used in the shape comments:
    B batch, H heads, T queries (target positions), S keys (source positions),
    d key width, dv value width, D model width (= H · d).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from minimem import validate


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


MAX_POSITIONS = 2**15  # a (T, T) mask beyond this would take gigabytes: surely a mistake


def hard_lookup(query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """A dictionary lookup by similarity: return the value of the key most similar to the query.

    query (d,), keys (S, d), values (S, dv) -> (dv,). Not differentiable in the keys: the
    argmax picks one slot, so a small change of a key either changes nothing or everything.
    """
    validate.tensor("query", query, dims=1, kind="float", finite=True)
    validate.tensor("keys", keys, dims=2, kind="float", finite=True, nonempty=True)
    if query.dtype != keys.dtype:
        raise TypeError(f"query and keys must share one dtype; got {query.dtype} and {keys.dtype}")
    validate.tensor("values", values, dims=2)
    if query.shape[-1] != keys.shape[-1] or keys.shape[0] != values.shape[0]:
        raise ValueError(
            f"expected query (d,), keys (S, d), values (S, dv); got {_shape(query)}, "
            f"{_shape(keys)}, {_shape(values)}"
        )
    return values[torch.argmax(keys @ query)]  # (dv,)


def causal_mask(size: int, device: torch.device | str | None = None) -> torch.Tensor:
    """A (size, size) boolean mask, True where query t may look at key s, i.e. s <= t."""
    validate.integer("size", size, 1, MAX_POSITIONS)
    return torch.ones(size, size, dtype=torch.bool, device=device).tril()


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None = None,
                   dim: int = -1) -> torch.Tensor:
    """The course's one mask rule: softmax over `dim` where `mask` is True ("may attend").

    scores (..., S), mask a boolean tensor broadcastable to scores. Masked positions get
    exactly zero weight. A row whose positions are all masked gets all-zero weights (it reads
    nothing), never NaN — in every chapter: attention (00), the memory read (01), the pointer
    (02). NaN scores are not hidden: they give NaN weights.
    """
    if mask is None:
        return torch.softmax(scores, dim=dim)
    mask = _broadcast_mask(mask, scores)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=dim)
    return torch.where(mask, weights, torch.zeros_like(weights))  # all-masked rows: 0, not NaN


def masked_log_softmax(scores: torch.Tensor, mask: torch.Tensor | None = None,
                       dim: int = -1) -> torch.Tensor:
    """log of `masked_softmax`: masked positions get -inf (probability exactly zero).

    For losses and beam search over allowed positions. A fully masked row is all -inf: no
    choice is possible there, so callers must never ask for one (chapter 02's step mask never
    leaves a row empty).
    """
    if mask is None:
        return torch.log_softmax(scores, dim=dim)
    mask = _broadcast_mask(mask, scores)
    log_weights = torch.log_softmax(scores.masked_fill(~mask, float("-inf")), dim=dim)
    return log_weights.masked_fill(~mask, float("-inf"))  # all-masked rows: -inf, not NaN


def _broadcast_mask(mask: object, scores: torch.Tensor) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(f"mask must be a boolean tensor (True = may attend), got {got}")
    try:
        return torch.broadcast_to(mask, scores.shape)
    except RuntimeError:
        raise ValueError(
            f"mask of shape {_shape(mask)} cannot broadcast to the scores' shape "
            f"{_shape(scores)}"
        ) from None


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    temperature: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / (√d · temperature)) v, with an optional boolean mask (True = may attend).

    q (..., T, d), k (..., S, d), v (..., S, dv), mask broadcastable to (..., T, S).
    Returns (output (..., T, dv), weights (..., T, S)). A query whose keys are all masked gets
    all-zero weights and a zero output instead of NaN (see `masked_softmax`).
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        validate.tensor(name, t, min_dims=2, kind="float")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"q, k and v must share one dtype; got {q.dtype}, {k.dtype}, {v.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must share their last dimension d; got q {_shape(q)} and k {_shape(k)}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of keys S (dimension -2); "
            f"got k {_shape(k)} and v {_shape(v)}"
        )
    validate.number("temperature", temperature, low=0, strict_low=True)
    scores = q @ k.transpose(-2, -1) / (math.sqrt(q.shape[-1]) * temperature)  # (..., T, S)
    weights = masked_softmax(scores, mask)  # (..., T, S)
    return weights @ v, weights  # (..., T, dv), (..., T, S)


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(B, T, D) -> (B, H, T, D/H): cut the width into H independent lookups."""
    validate.tensor("x", x, dims=3)
    B, T, D = x.shape
    if num_heads < 1 or D % num_heads:
        raise ValueError(f"width D={D} must be divisible by num_heads={num_heads}")
    return x.view(B, T, num_heads, D // num_heads).transpose(1, 2)  # (B, H, T, d)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, d) -> (B, T, H·d): the inverse of `split_heads`."""
    validate.tensor("x", x, dims=4)
    B, H, T, d = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d)  # (B, T, D)


class MultiHeadAttention(nn.Module):
    """H lookups in parallel, each in its own learned d-dimensional projection of the input.

    forward(x (B, T, D), context (B, S, D) or None for self-attention, mask (T, S) or
    (B, 1|H, T, S)) -> (B, T, D). The last attention weights (B, H, T, S) are kept in
    `self.last_weights` for plotting; `attend` returns them alongside the output.

    Weights are plain `nn.Linear` layers (y = x Wᵀ + b), so they can be set by hand:
    `q_proj`, `k_proj`, `v_proj` map D -> H·d (head h uses rows h·d … (h+1)·d - 1 of their
    weight) and `out_proj` maps H·d -> D. d is `d_head`, by default D / H.
    """

    def __init__(self, d_model: int, num_heads: int, bias: bool = True,
                 d_head: int | None = None):
        super().__init__()
        if d_head is None and (d_model < 1 or num_heads < 1 or d_model % num_heads):
            raise ValueError(
                f"d_model={d_model} must be a positive multiple of num_heads={num_heads} "
                f"(or pass d_head)"
            )
        if min(d_model, num_heads, 1 if d_head is None else d_head) < 1:
            raise ValueError(f"d_model={d_model}, num_heads={num_heads} and d_head={d_head} "
                             f"must be positive")
        self.num_heads = num_heads
        self.d_head = d_model // num_heads if d_head is None else d_head
        inner = num_heads * self.d_head  # H·d
        self.q_proj = nn.Linear(d_model, inner, bias=bias)
        self.k_proj = nn.Linear(d_model, inner, bias=bias)
        self.v_proj = nn.Linear(d_model, inner, bias=bias)
        self.out_proj = nn.Linear(inner, d_model, bias=bias)
        self.last_weights: torch.Tensor | None = None

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return self.attend(x, context, mask)[0]  # (B, T, D)

    def attend(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Like `forward`, but returns (output (B, T, D), weights (B, H, T, S)) with gradients."""
        dtype = self.q_proj.weight.dtype
        validate.tensor("x", x, dims=3, dtype=dtype)
        context = x if context is None else validate.tensor("context", context, dims=3,
                                                            dtype=dtype)
        D = self.q_proj.in_features
        if x.shape[-1] != D or context.shape[-1] != D:
            raise ValueError(
                f"x and context must have width d_model={D}; got {_shape(x)} and "
                f"{_shape(context)}"
            )
        q = split_heads(self.q_proj(x), self.num_heads)  # (B, H, T, d)
        k = split_heads(self.k_proj(context), self.num_heads)  # (B, H, S, d)
        v = split_heads(self.v_proj(context), self.num_heads)  # (B, H, S, d)
        out, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, H, T, d)
        self.last_weights = weights.detach()
        return self.out_proj(merge_heads(out)), weights  # (B, T, D), (B, H, T, S)
