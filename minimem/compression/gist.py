"""Gist tokens: an attention mask that squeezes a context through k positions.

Mu, Li & Goodman (2023), "Learning to Compress Prompts with Gist Tokens",
https://arxiv.org/abs/2304.08467. A causal language model reads

    [ context (C tokens) | gist (k tokens) | continuation (R tokens) ]

with one change to its causal mask: continuation tokens may not attend to the context. Every
fact of the context they use must then pass through the gist tokens, which do see it, so
training on the continuation teaches the gist tokens' keys and values to summarise the context.
At use, the context's cache can be dropped and only the k gist positions kept.

Masks follow the course's one rule (`minimem.attention`): True = may attend. A mask only
governs attention: anything that moves information between positions outside attention leaks
past it. Chapter 07's LM has such a path, the previous-token shift (each position's input
also carries the previous character's embedding), so its first continuation position still
sees the last context character.
"""

from __future__ import annotations

import torch

from minimem import validate
from minimem.attention import causal_mask


def gist_mask(context_len: int, num_gist: int, continuation_len: int,
              device: torch.device | str | None = None) -> torch.Tensor:
    """The (T, T) mask of [context | gist | continuation], T = C + k + R: causal, except that
    no continuation row sees a context column.

    >>> gist_mask(2, 1, 2).int()
    tensor([[1, 0, 0, 0, 0],
            [1, 1, 0, 0, 0],
            [1, 1, 1, 0, 0],
            [0, 0, 1, 1, 0],
            [0, 0, 1, 1, 1]], dtype=torch.int32)
    """
    validate.integer("context_len", context_len, 0)
    validate.integer("num_gist", num_gist, 0)
    validate.integer("continuation_len", continuation_len, 0)
    C, k, R = context_len, num_gist, continuation_len
    if C + k + R == 0:
        raise ValueError("the sequence is empty: context_len + num_gist + continuation_len is 0")
    mask = causal_mask(C + k + R, device=device)  # (T, T)
    mask[C + k:, :C] = False  # the continuation reads the context only through the gist
    return mask
