"""Cramming: optimise a few input vectors until a frozen language model regenerates a text.

Kuratov et al. (2025), "Cramming 1568 Tokens into a Single Vector and Back Again",
https://arxiv.org/abs/2502.13063 (and the "memory tokens" of Sastre & Rosá, 2025,
https://arxiv.org/abs/2506.15001, for sentence embeddings). No encoder is trained: for each
text x_0 … x_{T-1} separately, k vectors v (k, D) are fitted by gradient descent, the model
frozen, so that the model reading [v | E[x_0 … x_{T-2}]] predicts x_0 … x_{T-1}:

    minimise over v:   Σ_t −log p(x_t | v, x_<t)          (the text's cross-entropy given v)

What the vectors hold is measured in bits: the text's cross-entropy without them minus with
them (`bits_removed`; without vectors the first character costs log2 V, no information).
`exact` is the longest prefix that greedy decoding from v regenerates: the characters before
the first position where the model's top choice, given the true prefix, is wrong.
The information a vector could hold at most is d · (bits per float) / log2 V characters
(`information_bound`).

Works with any causal `minimem.transformer.Transformer` (chapter 07's `CharLM` is one).
Shapes: B texts, T characters, k vectors, D width, V vocabulary.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from minimem import validate
from minimem.transformer import Transformer


class CramResult(NamedTuple):
    """What `cram` returns. vectors (B, k, D): the best vectors found per text (fewest bits:
    bits are the smooth measure, the exact prefix a noisy one); bits (B,) the text's bits with
    them; exact (B,) their exact prefix; history: per step, the mean exact prefix and mean
    bits of the current vectors."""

    vectors: torch.Tensor
    exact: torch.Tensor
    bits: torch.Tensor
    history: list[dict]


def _check(lm: Transformer, texts: torch.Tensor, k: int) -> None:
    if not isinstance(lm, Transformer) or not lm.config.causal:
        raise TypeError("lm must be a causal minimem.transformer.Transformer")
    validate.tensor("texts", texts, dims=2, kind="long", nonempty=True)
    if k + texts.shape[1] - 1 > lm.config.max_len:
        raise ValueError(f"{k} vectors + {texts.shape[1]} characters - 1 exceed the model's "
                         f"context of {lm.config.max_len}; use texts of at most "
                         f"{lm.config.max_len - k + 1} characters")


def text_bits(lm: Transformer, texts: torch.Tensor,
              vectors: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Bits of each character of `texts` (B, T) under `lm`, and whether the model's top choice
    was right, both (B, T). With vectors (B, k, D) the model reads [vectors | x_0 … x_{T-2}];
    without, x_0 costs log2 V (and counts as wrong) and x_t is predicted from x_<t."""
    _check(lm, texts, 0 if vectors is None else vectors.shape[1])
    x = lm.tok_emb(texts[:, :-1])  # (B, T - 1, D)
    if vectors is None:
        if texts.shape[1] < 2:
            raise ValueError("without vectors a text needs at least 2 characters")
        logits = lm(inputs_embeds=x).logits  # (B, T - 1, V)
        nats = F.cross_entropy(logits.transpose(1, 2), texts[:, 1:], reduction="none")
        first = torch.full_like(texts[:, :1], math.log(lm.config.vocab_size), dtype=nats.dtype)
        right = torch.cat([torch.zeros_like(texts[:, :1], dtype=torch.bool),
                           logits.argmax(-1) == texts[:, 1:]], dim=1)
        return torch.cat([first, nats], dim=1) / math.log(2), right
    k = vectors.shape[1]
    logits = lm(inputs_embeds=torch.cat([vectors, x], dim=1)).logits[:, k - 1:]  # (B, T, V)
    nats = F.cross_entropy(logits.transpose(1, 2), texts, reduction="none")  # (B, T)
    return nats / math.log(2), logits.argmax(-1) == texts


def exact_prefix(right: torch.Tensor) -> torch.Tensor:
    """(B, T) bool -> (B,) the number of leading True: the characters greedy decoding gets."""
    return right.long().cumprod(dim=1).sum(dim=1)


def cram(lm: Transformer, texts: torch.Tensor, num_vectors: int = 1, steps: int = 200,
         lr: float = 0.1, seed: int = 0) -> CramResult:
    """Fit `num_vectors` input vectors to each text of `texts` (B, T), the model frozen
    (Adam, a cosine schedule); the texts are independent, so a batch crams them all at once.
    lr: a first probe with chapter 07's LM (one vector, 300 steps, two lines) removed 14–21
    bits at 0.01, 26–47 at 0.05 and 34–98 at 0.2; not tuned further yet."""
    validate.integer("num_vectors", num_vectors, 1)
    validate.integer("steps", steps, 1)
    validate.number("lr", lr, 0, strict_low=True)
    _check(lm, texts, num_vectors)
    frozen, was_training = [(p, p.requires_grad) for p in lm.parameters()], lm.training
    for p, _ in frozen:
        p.requires_grad_(False)
    lm.eval()
    B, D = texts.shape[0], lm.config.d_model
    generator = torch.Generator().manual_seed(seed)
    scale = lm.tok_emb.weight.std().item()  # start at the size of a token embedding
    vectors = torch.randn(B, num_vectors, D, generator=generator) * scale
    vectors.requires_grad_(True)
    optimizer = torch.optim.Adam([vectors], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    best = vectors.detach().clone()
    best_exact = torch.zeros(B, dtype=torch.long)
    best_bits = torch.full((B,), math.inf)
    history = []
    try:
        for _ in range(steps):
            bits, right = text_bits(lm, texts, vectors)  # (B, T) each
            total, exact = bits.sum(dim=1).detach(), exact_prefix(right)  # (B,), (B,)
            better = total < best_bits  # (B,)
            best[better], best_exact[better], best_bits[better] = (
                vectors.detach()[better], exact[better], total[better])
            history.append({"exact": exact.float().mean().item(), "bits": total.mean().item()})
            optimizer.zero_grad()
            bits.mean().backward()
            optimizer.step()
            schedule.step()
    finally:  # the model comes back as it was given: flags and train/eval mode
        for p, flag in frozen:
            p.requires_grad_(flag)
        lm.train(was_training)
    return CramResult(best, best_exact, best_bits, history)


def capacity(lm: Transformer, texts: torch.Tensor, num_vectors: int = 1,
             **cram_options) -> torch.Tensor:
    """(B,) the longest prefix of each text that `num_vectors` crammed vectors regenerate
    exactly (greedy decoding): `cram(...).exact`."""
    return cram(lm, texts, num_vectors, **cram_options).exact


def information_bound(d_model: int, vocab_size: int, bits_per_float: int = 32) -> float:
    """Characters one vector of d_model floats could hold at most: d · bits / log2 V."""
    validate.integer("d_model", d_model, 1)
    validate.integer("vocab_size", vocab_size, 2)
    validate.integer("bits_per_float", bits_per_float, 1)
    return d_model * bits_per_float / math.log2(vocab_size)
