"""A low-rank adapter (LoRA) on a frozen linear layer.

Hu et al. (2021), "LoRA: Low-Rank Adaptation of Large Language Models",
https://arxiv.org/abs/2106.09685. A frozen weight W (out, in) gets a trainable update of rank r:

    y = x Wᵀ + b + (α / r) · x Aᵀ Bᵀ,     A (r, in) small random,  B (out, r) zeros,

so training starts from the frozen layer exactly (B = 0) and adds r · (in + out) parameters
instead of in · out. ICAE (Ge et al. 2024, https://arxiv.org/abs/2307.06945) turns a frozen
language model into a context encoder this way, training about 1 % of its parameters.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from minimem import validate


class LoRALinear(nn.Module):
    """`base` (an nn.Linear, frozen here) plus a trainable rank-`rank` update scaled by
    alpha / rank. forward(x (..., in)) -> (..., out)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float | None = None):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"base must be an nn.Linear, got {type(base).__name__}")
        validate.integer("rank", rank, 1, min(base.in_features, base.out_features))
        self.base, self.rank = base, rank
        self.in_features, self.out_features = base.in_features, base.out_features  # as nn.Linear
        self.scale = (rank if alpha is None else validate.number("alpha", alpha, 0)) / rank
        for p in base.parameters():
            p.requires_grad_(False)
        self.A = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))

    @property
    def weight(self) -> torch.Tensor:
        """The merged weight W + (α / r) B A (out, in): what the layer computes, in one matrix
        (code that reads a projection's .weight, e.g. for its dtype, keeps working)."""
        return self.base.weight + self.scale * self.B @ self.A

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * (x @ self.A.T) @ self.B.T  # (..., out)


def add_lora(model: nn.Module, rank: int, alpha: float | None = None,
             names: tuple[str, ...] = ("q_proj", "v_proj")) -> list[str]:
    """Freeze every parameter of `model`, then wrap each nn.Linear whose attribute name is in
    `names` in a LoRALinear (in place). Returns the dotted names of the wrapped layers."""
    for p in model.parameters():
        p.requires_grad_(False)
    wrapped = []
    for parent_name, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            if name in names and isinstance(child, nn.Linear):
                setattr(parent, name, LoRALinear(child, rank, alpha))
                wrapped.append(f"{parent_name}.{name}" if parent_name else name)
    if not wrapped:
        raise ValueError(f"no nn.Linear named one of {names} in the model")
    return wrapped


def trainable_fraction(model: nn.Module) -> float:
    """The share of the model's parameters that will be trained (requires_grad)."""
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.parameters() if p.requires_grad) / total
