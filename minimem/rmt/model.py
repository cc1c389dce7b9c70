"""The Recurrent Memory Transformer: memory tokens carried from segment to segment (Chapter 06).

Bulatov, Kuratov & Burtsev (2022), "Recurrent Memory Transformer", https://arxiv.org/abs/2207.06881.
A long input is cut into segments of S tokens. An unchanged transformer (the course's one
`minimem.transformer.Transformer`, the "backbone") reads each segment together with m memory
tokens placed before it (read memory) and m placed after it (write memory), as in the paper's
decoder variant (its Figure 1):

    M₀                                   a learned (m, D) start memory
    for segment s = 1 … N:
        x_s = [ M_{s-1} | E[tokens_s] + P[m … m + S) | M_{s-1} + W ]          (B, 2m + S, D)
        h_s = blocks(x_s)
        logits_s = head(h_s[m : m + S])        the segment's own predictions
        M_s      = h_s[m + S :]                the write tokens' outputs: the next memory

so the memory is nothing but m extra rows of attention (chapter 00): the write tokens, last in
the window, see the whole segment and the old memory; the next segment's tokens read them.
Gradients flow back through M_s into earlier segments ("backpropagation through time");
`bptt_segments = k` keeps that chain only through the last k segments (truncated BPTT, as in
the paper's code: the memory entering any earlier segment is detached). It bounds the cost of
the backward pass; a loss in an early segment still trains that segment itself.
W is a learned offset that tells the write tokens apart from the read tokens (our choice; the
paper's write tokens are the memory embeddings placed at the end, positions telling them apart).

num_mem_tokens = 0 gives the "no memory" baseline on the same backbone: each segment alone.

Shapes: B batch, T tokens, N segments of S tokens, m memory tokens, D width, V vocabulary.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from minimem import validate
from minimem.transformer import Transformer


class RMTOutput(NamedTuple):
    """What `RecurrentMemoryTransformer.forward` returns, always the same fields.

    logits (B, T, V); memories: N + 1 tensors (B, m, D), the start memory and the memory
    after each segment; attentions: per segment, the backbone's per-layer (B, H, W, W) maps
    over the window W = 2m + S (read memory first, write memory last).
    """

    logits: torch.Tensor
    memories: list[torch.Tensor]
    attentions: list[list[torch.Tensor]]


class RecurrentMemoryTransformer(nn.Module):
    """A backbone `Transformer` applied segment by segment with a recurrent memory.

    forward(idx (B, T) LongTensor) -> RMTOutput. T need not be a multiple of segment_len: the
    last segment may be shorter. The backbone's max_len must hold a window, 2m + segment_len.
    """

    def __init__(self, backbone: Transformer, num_mem_tokens: int, segment_len: int,
                 bptt_segments: int | None = None):
        super().__init__()
        if not isinstance(backbone, Transformer):
            raise TypeError(f"backbone must be a minimem.transformer.Transformer, got "
                            f"{type(backbone).__name__}")
        validate.integer("num_mem_tokens", num_mem_tokens, 0)
        validate.integer("segment_len", segment_len, 1)
        if bptt_segments is not None:
            validate.integer("bptt_segments", bptt_segments, 1)
        window = 2 * num_mem_tokens + segment_len
        if window > backbone.config.max_len:
            raise ValueError(f"a window holds 2·num_mem_tokens + segment_len = {window} "
                             f"positions; the backbone's max_len is {backbone.config.max_len}")
        D = backbone.config.d_model
        self.backbone, self.num_mem_tokens, self.segment_len = backbone, num_mem_tokens, segment_len
        self.bptt_segments = bptt_segments
        self.memory = nn.Parameter(torch.randn(num_mem_tokens, D) * 0.02)  # M₀ (m, D)
        self.write_offset = nn.Parameter(torch.randn(num_mem_tokens, D) * 0.02)  # W (m, D)

    def segments(self, T: int) -> list[slice]:
        """The token slices of the segments of a length-T input."""
        return [slice(s, min(s + self.segment_len, T)) for s in range(0, T, self.segment_len)]

    def step(self, memory: torch.Tensor,
             tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """One segment: memory (B, m, D), tokens (B, S) -> logits (B, S, V), the new memory
        (B, m, D) and the backbone's attention maps."""
        m, S = self.num_mem_tokens, tokens.shape[1]
        x = self.backbone.tok_emb(tokens)  # (B, S, D)
        window = torch.cat([memory, x, memory + self.write_offset], dim=1)  # (B, 2m + S, D)
        out = self.backbone(inputs_embeds=window)  # position embeddings are added inside
        return out.logits[:, m: m + S], out.hidden_states[-1][:, m + S:], out.attentions

    def forward(self, idx: torch.Tensor) -> RMTOutput:
        validate.tensor("idx", idx, dims=2, kind="long", nonempty=True)
        memory = self.memory.expand(idx.shape[0], -1, -1)  # (B, m, D)
        logits, memories, attentions = [], [memory], []
        segments = self.segments(idx.shape[1])
        for k, segment in enumerate(segments):
            if self.bptt_segments and 0 < k <= len(segments) - self.bptt_segments:
                memory = memory.detach()  # truncated BPTT: only the last k segments get gradients
            seg_logits, memory, maps = self.step(memory, idx[:, segment])
            logits.append(seg_logits)
            memories.append(memory)
            attentions.append(maps)
        return RMTOutput(torch.cat(logits, dim=1), memories, attentions)  # (B, T, V)
