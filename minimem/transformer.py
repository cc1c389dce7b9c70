"""The course's one transformer: a small pre-LN decoder/encoder with settable weights.

Vaswani et al. (2017), "Attention Is All You Need", https://arxiv.org/abs/1706.03762, with
the layer norm moved in front of each sublayer ("pre-LN", Xiong et al. 2020, "On Layer
Normalization in the Transformer Architecture", https://arxiv.org/abs/2002.04745), which
trains stably without warm-up:

    h₀ = E[idx] + P[0..T)                      (token + learned position embeddings)
    h₀ = h₀ + S E[idx_{t-1}]                    (only with prev_token_shift=True; 0 at t = 0)
    x  = x + Attention(LN₁(x))                  (every block, eq. 1 of Vaswani et al.)
    x  = x + MLP(LN₂(x)),  MLP(x) = W₂ act(W₁ x + b₁) + b₂
    logits = head(LN_f(x))

Used by: 00 (attention, shown on `MultiHeadAttention`), 04 (the RASP compiler writes these
weights by hand: no layer norm, ReLU MLPs), 06 (the Recurrent Memory Transformer feeds memory
tokens through `inputs_embeds`), 07–08 (a character language model; gist-token masks).

prev_token_shift=True (off by default; chapter 07's character LM) adds a learned linear map S of
the previous position's token embedding to the input, so position t holds both its own token
and the one before it. A single attention head can then match "the token before this key" with
"the current token" — the induction-head pattern of copying a repeat (A B … A → B), which
otherwise needs two layers of attention to assemble. With `inputs_embeds` the shift maps the
previous row of `inputs_embeds`. Off, the model has no extra parameters and is unchanged.

Masks follow `minimem.attention`'s one rule: True = may attend. An explicit `mask` may be
(T, T), (B, T, T) or (B, H, T, T); with `causal=True` it is combined with the causal mask by
AND (a position sees a key only if both allow it). A query that sees no key reads zeros.

Parameter names, for setting weights by hand (nn.Linear computes y = x Wᵀ + b, so a weight
has shape (out, in)):
    tok_emb.weight (V, D)   pos_emb.weight (max_len, D)   head.weight (V, D), head.bias (V,)
    prev_proj.weight (D, D) (S above; only with prev_token_shift=True, no bias)
    blocks[i].attn.{q_proj, k_proj, v_proj}.weight (H·d, D)  — head h: rows h·d … h·d + d - 1
    blocks[i].attn.out_proj.weight (D, H·d)
    blocks[i].mlp.fc_in.weight (F, D)   blocks[i].mlp.fc_out.weight (D, F)
    blocks[i].ln1, blocks[i].ln2, ln_f: nn.LayerNorm, or nn.Identity when layer_norm=False.
Attention scores are q·k / √d (eq. 1): a compiler that wants raw q·k scales q_proj by √d.

Shapes: B batch, T positions, D model width (d_model), H heads, d head width (d_head),
F MLP width (d_ff), V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from minimem.attention import MultiHeadAttention, causal_mask


def _check_int(name: str, value: object, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"TransformerConfig.{name} must be an int >= {low}, got {value!r}")


@dataclass
class TransformerConfig:
    """Everything that fixes a `Transformer`'s shape and behaviour.

    d_ff=None means 4·d_model; d_head=None means d_model / num_heads (which must divide).
    num_layers=0 gives embeddings straight into the head (a bigram model).
    layer_norm=False replaces every LayerNorm, the final one included, by the identity.
    pos_emb=False drops the learned position embeddings (the model is then permutation
    equivariant unless a mask says otherwise). bias=False removes every bias.
    prev_token_shift=True adds S·E[idx_{t-1}] to the input (see the module docstring).
    """

    vocab_size: int
    d_model: int = 64
    num_heads: int = 4
    num_layers: int = 2
    d_ff: int | None = None
    activation: str = "gelu"
    layer_norm: bool = True
    causal: bool = True
    dropout: float = 0.0
    max_len: int = 128
    pos_emb: bool = True
    bias: bool = True
    d_head: int | None = None
    prev_token_shift: bool = False

    def __post_init__(self) -> None:
        for name, low in (("vocab_size", 1), ("d_model", 1), ("num_heads", 1),
                          ("num_layers", 0), ("max_len", 1)):
            _check_int(name, getattr(self, name), low)
        self.d_ff = 4 * self.d_model if self.d_ff is None else self.d_ff
        _check_int("d_ff", self.d_ff, 1)
        if self.d_head is None and self.d_model % self.num_heads:
            raise ValueError(
                f"TransformerConfig.d_model={self.d_model} must be a multiple of "
                f"num_heads={self.num_heads} (or set d_head)"
            )
        if self.d_head is not None:
            _check_int("d_head", self.d_head, 1)
        if self.activation not in ("gelu", "relu"):
            raise ValueError(f"TransformerConfig.activation must be 'gelu' or 'relu', "
                             f"got {self.activation!r}")
        for name in ("layer_norm", "causal", "pos_emb", "bias", "prev_token_shift"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"TransformerConfig.{name} must be True or False, "
                                 f"got {getattr(self, name)!r}")
        if not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ValueError(f"TransformerConfig.dropout must be a number in [0, 1), "
                             f"got {self.dropout!r}")


class TransformerOutput(NamedTuple):
    """What `Transformer.forward` returns, always the same fields.

    logits (B, T, V); hidden_states: num_layers + 1 tensors (B, T, D), the block input
    (embeddings) then the residual stream after each block — hidden_states[-1] feeds the
    head; attentions: num_layers tensors (B, H, T, T), each row a distribution over the keys
    it may see (all zeros if it sees none).
    """

    logits: torch.Tensor
    hidden_states: list[torch.Tensor]
    attentions: list[torch.Tensor]


def _norm(config: TransformerConfig) -> nn.Module:
    if not config.layer_norm:
        return nn.Identity()
    return nn.LayerNorm(config.d_model, bias=config.bias)


class MLP(nn.Module):
    """The position-wise feed-forward net: fc_out(act(fc_in(x))), (B, T, D) -> (B, T, D)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.fc_in = nn.Linear(config.d_model, config.d_ff, bias=config.bias)
        self.act = nn.GELU() if config.activation == "gelu" else nn.ReLU()
        self.fc_out = nn.Linear(config.d_ff, config.d_model, bias=config.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_out(self.act(self.fc_in(x)))  # (B, T, F) -> (B, T, D)


class TransformerBlock(nn.Module):
    """One pre-LN block: x + Attn(LN₁(x)), then x + MLP(LN₂(x)).

    forward(x (B, T, D), mask broadcastable to (B, H, T, T) or None) -> (x (B, T, D),
    attention weights (B, H, T, T)). The mask is used as given (True = may attend).
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.ln1 = _norm(config)
        self.attn = MultiHeadAttention(config.d_model, config.num_heads, bias=config.bias,
                                       d_head=config.d_head)
        self.ln2 = _norm(config)
        self.mlp = MLP(config)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        read, weights = self.attn.attend(self.ln1(x), mask=mask)  # (B, T, D), (B, H, T, T)
        x = x + self.drop(read)  # (B, T, D)
        x = x + self.drop(self.mlp(self.ln2(x)))  # (B, T, D)
        return x, weights


class Transformer(nn.Module):
    """Embeddings, `num_layers` pre-LN blocks, a final norm and a linear head.

    forward(idx (B, T) LongTensor, or inputs_embeds=(B, T, D), mask=None) -> TransformerOutput.
    `inputs_embeds` replaces the token embedding (position embeddings are still added):
    that is how memory tokens enter (chapter 06). `mask` (T, T), (B, T, T) or (B, H, T, T),
    True = may attend, is ANDed with the causal mask when config.causal is True.
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        if not isinstance(config, TransformerConfig):
            raise TypeError(f"config must be a TransformerConfig, got {type(config).__name__}")
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.pos_emb = nn.Embedding(config.max_len, config.d_model) if config.pos_emb else None
        self.prev_proj = (nn.Linear(config.d_model, config.d_model, bias=False)
                          if config.prev_token_shift else None)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(TransformerBlock(config) for _ in range(config.num_layers))
        self.ln_f = _norm(config)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=config.bias)

    def forward(self, idx: torch.Tensor | None = None, *,
                inputs_embeds: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> TransformerOutput:
        x = self._embed(idx, inputs_embeds)  # (B, T, D)
        mask = self._attention_mask(mask, x)  # None, (T, T) or (B, 1|H, T, T)
        hidden_states, attentions = [x], []
        for block in self.blocks:
            x, weights = block(x, mask)  # (B, T, D), (B, H, T, T)
            hidden_states.append(x)
            attentions.append(weights)
        logits = self.head(self.ln_f(x))  # (B, T, V)
        return TransformerOutput(logits, hidden_states, attentions)

    def _embed(self, idx: torch.Tensor | None,
               inputs_embeds: torch.Tensor | None) -> torch.Tensor:
        if (idx is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of idx (B, T) or inputs_embeds (B, T, D)")
        if idx is not None:
            _check_idx(idx, self.config.vocab_size)
            inputs_embeds = self.tok_emb(idx)  # (B, T, D)
        else:
            _check_embeds(inputs_embeds, self.config.d_model, self.tok_emb.weight.dtype)
        T = inputs_embeds.shape[1]
        if not 1 <= T <= self.config.max_len:
            given = "idx" if idx is not None else "inputs_embeds"
            raise ValueError(f"{given} has sequence length T={T}; T must be in "
                             f"[1, max_len={self.config.max_len}]")
        x = inputs_embeds
        if self.prev_proj is not None:  # S·E[idx_{t-1}]; position 0 has no predecessor
            previous = nn.functional.pad(inputs_embeds[:, :-1], (0, 0, 1, 0))  # (B, T, D)
            x = x + self.prev_proj(previous)  # (B, T, D)
        if self.pos_emb is not None:
            x = x + self.pos_emb(torch.arange(T, device=x.device))  # (B, T, D)
        return self.drop(x)

    def _attention_mask(self, mask: torch.Tensor | None,
                        x: torch.Tensor) -> torch.Tensor | None:
        B, T, _ = x.shape
        if mask is not None:
            mask = _check_mask(mask, B, self.config.num_heads, T).to(x.device)
        if self.config.causal:
            causal = causal_mask(T, device=x.device)  # (T, T)
            mask = causal if mask is None else mask & causal  # AND: both must allow
        return mask


def _check_idx(idx: object, vocab_size: int) -> None:
    if not isinstance(idx, torch.Tensor):
        raise TypeError(f"idx must be a torch.Tensor of token ids, got {type(idx).__name__}")
    if idx.dtype != torch.long:
        raise TypeError(f"idx must hold token ids with dtype torch.long (int64), got "
                        f"{idx.dtype}; convert with idx.long()")
    if idx.dim() != 2:
        raise ValueError(f"idx must have shape (B, T), got {tuple(idx.shape)}")
    if idx.numel() and (idx.min() < 0 or idx.max() >= vocab_size):
        raise ValueError(f"token ids must lie in [0, {vocab_size}) (vocab_size), got range "
                         f"[{idx.min().item()}, {idx.max().item()}]")


def _check_embeds(embeds: object, d_model: int, dtype: torch.dtype) -> None:
    if not isinstance(embeds, torch.Tensor):
        raise TypeError(f"inputs_embeds must be a torch.Tensor, got {type(embeds).__name__}")
    if embeds.dim() != 3 or embeds.shape[-1] != d_model:
        raise ValueError(f"inputs_embeds must have shape (B, T, D) with D = d_model = "
                         f"{d_model}, got {tuple(embeds.shape)}")
    if embeds.dtype != dtype:
        raise TypeError(f"inputs_embeds must have the model's dtype {dtype}, got "
                        f"{embeds.dtype}; convert with .to({dtype})")


def _check_mask(mask: object, B: int, H: int, T: int) -> torch.Tensor:
    """Validate an explicit mask; return it as (T, T) or (B|1, H|1, T, T)."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(f"mask must be a boolean tensor (True = may attend), got {got}")
    shape = tuple(mask.shape)
    lead_ok = {2: (), 3: (B,), 4: (B, H)}.get(len(shape))
    if lead_ok is None or shape[-2:] != (T, T) or any(
            n not in (1, want) for n, want in zip(shape[:-2], lead_ok)):
        raise ValueError(f"mask must have shape (T, T), (B, T, T) or (B, H, T, T) with "
                         f"B={B}, H={H}, T={T}; got {shape}")
    return mask[:, None] if len(shape) == 3 else mask  # (T, T) or (B|1, H|1, T, T)
