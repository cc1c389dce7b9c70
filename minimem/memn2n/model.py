"""The End-to-End Memory Network (Sukhbaatar, Szlam, Weston & Fergus, NeurIPS 2015,
https://arxiv.org/abs/1503.08895): the mechanism only. Chapter 01.

A story is stored as a set of sentence memories. The question's embedding u reads the memories
by soft attention, adds what it read, and reads again: K "hops". Everything is trained end to end
from the answer alone (the supporting facts are never shown to the model).

One hop (paper Section 2.1), for memories x_i and question q:
    m_i = sum_j l_j * A x_ij + T_A(i)      memory keys            (eq. 1, Section 4.1)
    c_i = sum_j l_j * C x_ij + T_C(i)      memory values          (eq. 2, Section 4.1)
    p_i = softmax(u . m_i)                 attention              (eq. 1)
    o   = sum_i p_i c_i                    what is read           (eq. 2)
    u'  = u + o  (adjacent)  or  H u + o (layer-wise)             (eq. 4, Section 2.2)
    a   = softmax(W u^{K+1})               the answer             (eq. 3)
l_j is the position encoding (PE) and T the temporal encoding, indexed from the most recent
sentence (0 = the last one). Linear start (LS) removes the softmax of eq. 1 early in training;
random noise (RN) inserts empty memories into the time indices (Section 4.2). How the model is
trained lives in `train.py`, the paper check in `experiment.py`.

Dimension names: B batch, M memory slots, L words per sentence, d embedding width, V vocab,
K hops. Word id 0 is padding ("nil"): its row of every embedding table is kept at zero.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from minimem import validate
from minimem.attention import masked_softmax


def position_encoding(L: int, d: int) -> torch.Tensor:
    """The paper's l_kj = (1 - j/J) - (k/d)(1 - 2j/J) as an (L, d) matrix, J = L (Section 4.1)."""
    if L < 1 or d < 1:
        raise ValueError(f"L and d must be >= 1, got L={L}, d={d}")
    j = torch.arange(1, L + 1, dtype=torch.float32)[:, None]  # (L, 1) word position
    k = torch.arange(1, d + 1, dtype=torch.float32)[None, :]  # (1, d) embedding dimension
    return (1 - j / L) - (k / d) * (1 - 2 * j / L)  # (L, d)


def temporal_indices(filled: torch.Tensor, noise: float = 0.0,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Time index of each memory slot, 0 for the most recent sentence; and the slots kept.

    filled: (B, M) bool, True where a slot holds a sentence (oldest first, empty slots last).
    With noise > 0 (training only), each sentence is followed by an empty memory with that
    probability, pushing older sentences back in time; those pushed past M - 1 are dropped.
    """
    validate.tensor("filled", filled, dims=2, kind="bool")
    validate.number("noise", noise, 0, 1)
    if (filled[:, 1:] & ~filled[:, :-1]).any():
        raise ValueError("filled must hold each story's sentences first and its empty slots "
                         "last; a row has an empty slot before a sentence")
    return _time_index(filled, noise, generator)


def _time_index(filled: torch.Tensor, noise: float,
                generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """`temporal_indices` without its checks, for the forward pass (whose inputs are checked)."""
    M = filled.shape[1]
    count = filled.sum(dim=1, keepdim=True)  # (B, 1) sentences per story
    slot = torch.arange(M, device=filled.device)[None, :]  # (1, M)
    t = count - 1 - slot  # (B, M)
    if noise > 0:
        gaps = (torch.rand(filled.shape, generator=generator) < noise).to(filled.device) & filled
        t = t + gaps.flip(1).cumsum(1).flip(1)  # (B, M) gaps at or after each slot
    kept = filled & (t < M)
    return t.clamp(0, M - 1) * kept, kept


def memory_read(u: torch.Tensor, m: torch.Tensor, c: torch.Tensor,
                kept: torch.Tensor | None = None, softmax: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """One read of the memory: u (B, d), keys m and values c (B, M, d), kept (B, M) bool
    (True = the slot holds a sentence and may be read).

    Returns o (B, d) and the attention p (B, M); slots not kept get exactly zero weight, so an
    empty story (no slot kept) reads nothing: p = 0 and o = 0. With softmax=False (linear
    start) p is the raw scores of the kept slots. One hop of the adjacent model is then u + o.
    """
    scores = (m * u[:, None, :]).sum(dim=-1)  # (B, M)  u . m_i
    if softmax:
        p = masked_softmax(scores, kept)  # (B, M)  eq. 1, over the kept slots only
    else:
        p = scores if kept is None else scores * kept  # linear start: the softmax removed
    return (p[:, :, None] * c).sum(dim=1), p  # (B, d)  o = sum_i p_i c_i, eq. 2


def _without_nil_row(grad: torch.Tensor) -> torch.Tensor:
    """The gradient of an embedding table with row 0 (the padding word) zeroed."""
    return grad.index_fill(0, torch.tensor([0], device=grad.device), 0.0)


class MemN2N(nn.Module):
    """The end-to-end memory network. forward(stories (B, M, L), queries (B, L)) -> logits (B, V).

    tying="adjacent": A^{k+1} = C^k, B = A^1, W^T = C^K (K + 1 embedding tables);
    tying="layerwise": one A and one C for all hops, separate B and W, and u' = H u + o.
    After a forward pass, `self.attention` holds the K per-hop attention maps, each (B, M).
    """

    def __init__(self, vocab_size: int, embed_dim: int = 20, memory_size: int = 50, hops: int = 3,
                 position_encoding: bool = True, temporal_encoding: bool = True,
                 tying: str = "adjacent"):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                            ("memory_size", memory_size), ("hops", hops)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if tying not in ("adjacent", "layerwise"):
            raise ValueError(f"tying must be 'adjacent' or 'layerwise', got {tying!r}")
        self.vocab_size, self.embed_dim = vocab_size, embed_dim
        self.memory_size, self.hops = memory_size, hops
        self.use_position, self.use_time, self.tying = position_encoding, temporal_encoding, tying
        n_words, n_times = (hops + 1, hops + 1) if tying == "adjacent" else (4, 2)

        def table(rows: int) -> nn.Parameter:  # Gaussian init, std 0.1 (Section 4.2)
            return nn.Parameter(torch.randn(rows, embed_dim) * 0.1)

        self.words = nn.ParameterList([table(vocab_size) for _ in range(n_words)])  # each (V, d)
        self.times = nn.ParameterList([table(memory_size) for _ in range(n_times)])  # each (M, d)
        self.H = nn.Linear(embed_dim, embed_dim, bias=False) if tying == "layerwise" else None
        self.zero_nil()
        for w in self.words:  # padding is not a word: its row gets no gradient (nor clip share)
            w.register_hook(_without_nil_row)
        self.attention: list[torch.Tensor] = []
        self._pe: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}  # see _position_weights

    @property
    def config(self) -> dict:
        """The keyword arguments that rebuild this model (what a checkpoint stores)."""
        return {"vocab_size": self.vocab_size, "embed_dim": self.embed_dim,
                "memory_size": self.memory_size, "hops": self.hops,
                "position_encoding": self.use_position, "temporal_encoding": self.use_time,
                "tying": self.tying}

    def tables(self, k: int) -> tuple[nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter]:
        """(A, C, T_A, T_C) used by hop k (0-based)."""
        if self.tying == "adjacent":  # A^{k+1} = C^k
            return self.words[k], self.words[k + 1], self.times[k], self.times[k + 1]
        return self.words[1], self.words[2], self.times[0], self.times[1]

    @torch.no_grad()
    def zero_nil(self) -> None:
        """Keep the padding word (id 0) embedded as zero; the trainer calls this after each step.
        That is what makes padding words add nothing to a sentence's embedding."""
        for w in self.words:
            w[0].zero_()

    def embed(self, table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """sum_j l_j * A x_ij, the position-weighted sum of word embeddings (a plain sum
        without PE): ids (..., L) -> (..., w) for a table A (V, w). The table may hold n tables
        of width d side by side (w = n d); each gets the same l_j. Padding (id 0) adds nothing
        because row 0 of every table is zero (`zero_nil`)."""
        L, (V, w) = ids.shape[-1], table.shape
        bags = ids.reshape(-1, L)  # (N, L) one sentence per row
        if self.use_position:  # l_j * A x_ij = (l_j * A) x_ij: weight the table once per position
            l, offsets = self._position_weights(L, V, w, table.device)  # (L, 1, w), (L,)
            table = (l * table).reshape(L * V, w)  # (L V, w)  row j V + v holds l_j * A[v]
            bags = bags + offsets  # (N, L)  word v at position j -> row j V + v
        sums = F.embedding_bag(bags, table, mode="sum")  # (N, w)  sum over the L words
        return sums.reshape(*ids.shape[:-1], w)  # (..., w)

    def _position_weights(self, L: int, V: int, w: int,
                          device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """l as (L, 1, w) (the (L, d) encoding repeated across the side-by-side tables) and the
        row offsets j V of the position-weighted table; built once per sentence length."""
        key = (L, V, w, device)
        if key not in self._pe:
            l = position_encoding(L, self.embed_dim).repeat(1, w // self.embed_dim)  # (L, w)
            offsets = torch.arange(L) * V  # (L,)
            self._pe[key] = (l[:, None, :].to(device), offsets.to(device))
        return self._pe[key]

    def memories(self, stories: torch.Tensor, t: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per hop, the keys m and values c (B, M, d) of every slot (eqs. 1-2, Section 4.1).

        With adjacent tying hop k's values are hop k+1's keys (A^{k+1} = C^k and
        T_A^{k+1} = T_C^k), so K + 1 embeddings of the story serve all K hops; layer-wise
        tying needs two (one A and one C). All are looked up at once, the tables side by side.
        """
        if self.tying == "adjacent":
            words, times = list(self.words), list(self.times)  # K + 1 each
        else:
            words, times = [self.words[1], self.words[2]], [self.times[0], self.times[1]]
        n, d = len(words), self.embed_dim
        mem = self.embed(torch.cat(words, dim=1), stories)  # (B, M, n d)
        if self.use_time:
            mem = mem + torch.cat(times, dim=1)[t]  # (B, M, n d)  + T(i)
        mem = mem.unflatten(-1, (n, d))  # (B, M, n, d)
        if self.tying == "adjacent":
            return [(mem[:, :, k], mem[:, :, k + 1]) for k in range(self.hops)]
        return [(mem[:, :, 0], mem[:, :, 1])] * self.hops

    def forward(self, stories: torch.Tensor, queries: torch.Tensor, *, softmax: bool = True,
                noise: float = 0.0, check: bool = True) -> torch.Tensor:
        """logits (B, V); softmax=False is linear start; noise > 0 inserts random empty memories.

        The inputs are checked first (`check_inputs`: types, shapes, word ids), unless the
        caller has checked them already: `train` checks its whole data set once, before the
        first step, and then passes check=False.
        """
        if check:
            self.check_inputs(stories, queries, noise)
        filled = (stories > 0).any(dim=-1)  # (B, M) slots holding a sentence
        t, kept = _time_index(filled, noise, None)  # (B, M) each, see temporal_indices
        u = self.embed(self.words[0], queries)  # (B, d)  u = B q
        self.attention = []
        for m, c in self.memories(stories, t):  # hop k = 1..K
            o, p = memory_read(u, m, c, kept, softmax)  # (B, d), (B, M)
            u = (self.H(u) if self.H is not None else u) + o  # (B, d)  u^{k+1}
            self.attention.append(p.detach())
        return u @ self.words[-1].T  # (B, V)  eq. 3, W^T = C^K (adjacent) or W

    def check_inputs(self, stories: torch.Tensor, queries: torch.Tensor, noise: float = 0.0) -> None:
        """Raise a clear TypeError/ValueError unless stories (B, M, L) and queries (B, L) are
        LongTensors of word ids in 0..V-1 that fit this model's memory, each story's sentences
        first and its empty slots last, and 0 <= noise <= 1."""
        for name, x, dims in (("stories", stories, 3), ("queries", queries, 2)):
            validate.tensor(name, x, dims=dims, kind="long")
            if x.shape[-1] < 1:
                raise ValueError(f"{name} must hold at least one word position (L >= 1), got "
                                 f"shape {tuple(x.shape)}")
            if x.numel() and (x.min() < 0 or x.max() >= self.vocab_size):
                raise ValueError(f"{name} holds word ids outside 0..{self.vocab_size - 1} "
                                 f"(smallest {x.min().item()}, largest {x.max().item()})")
        if stories.shape[1] > self.memory_size:
            raise ValueError(f"stories have {stories.shape[1]} slots; memory_size is {self.memory_size}")
        if queries.shape[0] != stories.shape[0]:
            raise ValueError(f"batch sizes differ: stories {stories.shape[0]}, queries {queries.shape[0]}")
        filled = (stories > 0).any(dim=-1)  # (B, M)
        if (filled[:, 1:] & ~filled[:, :-1]).any():
            raise ValueError("stories must hold each story's sentences first and its empty slots "
                             "(all word ids 0) last; a story has an empty slot before a sentence")
        validate.number("noise", noise, 0, 1)
