"""A tiny pre-LayerNorm transformer, reused by the later chapters (introduced in chapter 00).

Each block is x + Attention(LN(x)), then x + MLP(LN(x)) (the "pre-LN" arrangement of
Xiong et al. 2020, which trains stably without warm-up at this size). `Transformer` adds token
and learned position embeddings and an output head; `forward` also accepts ready-made input
vectors (`inputs_embeds`), which is how memory tokens are fed in chapters 06–08.

Shapes: B batch, T positions, D model width, V vocabulary.
"""

from __future__ import annotations

import torch
from torch import nn

from minimem.attention import MultiHeadAttention, causal_mask


class TransformerBlock(nn.Module):
    """One pre-LN block: self-attention, then a two-layer MLP, each with a residual."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int | None = None,
                 dropout: float = 0.0):
        super().__init__()
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, num_heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x), mask=mask))  # (B, T, D)
        return x + self.drop(self.mlp(self.ln2(x)))  # (B, T, D)


class Transformer(nn.Module):
    """Token + position embeddings, `num_layers` blocks, a final LayerNorm and a linear head.

    forward(idx (B, T) LongTensor) or forward(inputs_embeds=(B, T, D)) -> logits (B, T, V).
    With causal=True each position sees only itself and earlier positions.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, num_heads: int = 4,
                 num_layers: int = 2, max_len: int = 128, causal: bool = True,
                 d_ff: int | None = None, dropout: float = 0.0):
        super().__init__()
        if vocab_size < 1 or max_len < 1 or num_layers < 1:
            raise ValueError(
                f"vocab_size, max_len and num_layers must be positive; got {vocab_size}, "
                f"{max_len}, {num_layers}"
            )
        self.max_len, self.causal = max_len, causal
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, num_heads, d_ff, dropout) for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx: torch.Tensor | None = None, *,
                inputs_embeds: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        if (idx is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of idx (B, T) or inputs_embeds (B, T, D)")
        if idx is not None:
            if idx.dim() != 2 or idx.dtype != torch.long:
                raise ValueError(f"idx must be a (B, T) LongTensor, got {idx.dtype} "
                                 f"{tuple(idx.shape)}")
            if idx.numel() and (idx.min() < 0 or idx.max() >= self.tok_emb.num_embeddings):
                raise ValueError(f"token ids must lie in [0, {self.tok_emb.num_embeddings}), "
                                 f"got range [{idx.min().item()}, {idx.max().item()}]")
            inputs_embeds = self.tok_emb(idx)  # (B, T, D)
        T = inputs_embeds.shape[1]
        if T > self.max_len:
            raise ValueError(f"sequence length {T} exceeds max_len={self.max_len}")
        x = inputs_embeds + self.pos_emb(torch.arange(T, device=inputs_embeds.device))
        if mask is None and self.causal:
            mask = causal_mask(T, device=x.device)  # (T, T)
        for block in self.blocks:
            x = block(x, mask)  # (B, T, D)
        return self.head(self.ln_f(x))  # (B, T, V)
