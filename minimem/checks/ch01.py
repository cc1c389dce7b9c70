"""Checkers for the chapter 01 exercises (End-to-End Memory Networks, Sukhbaatar et al. 2015,
https://arxiv.org/abs/1503.08895)."""

from __future__ import annotations

from typing import Callable

import torch

from minimem import memn2n
from minimem.checks._framework import CheckResult, run_check, seeded_tensors


def random_stories(seed: int, B: int, M: int, L: int, V: int, fill: list[int]):
    """Word-id stories (B, M, L) with fill[b] sentences each (oldest first, 2..L words, then
    padding) and queries (B, L) of L - 1 words and one padding word. Also used by the tests."""
    g = torch.Generator().manual_seed(seed)
    stories = torch.zeros(B, M, L, dtype=torch.long)
    for b in range(B):
        for m in range(fill[b]):
            n = int(torch.randint(2, L + 1, (1,), generator=g))
            stories[b, m, :n] = torch.randint(1, V, (n,), generator=g)
    queries = torch.randint(1, V, (B, L), generator=g)
    queries[:, -1] = 0  # one padding word
    return stories, queries


def _tables(seed: int, hops: int, V: int, M: int, d: int):
    """K + 1 word tables (V, d) with the padding row at zero, and K + 1 time tables (M, d)."""
    words = seeded_tensors(seed, *[(V, d)] * (hops + 1))
    for w in words:
        w[0] = 0.0
    times = seeded_tensors(seed + 100, *[(M, d)] * (hops + 1))
    return [w * 0.3 for w in words], [t * 0.3 for t in times]


def check_position_encoding(fn: Callable) -> CheckResult:
    """Exercise 1.1: fn(L, d) -> (L, d) matrix l[j-1, k-1] = (1 - j/L) - (k/d)(1 - 2j/L)."""
    return run_check(
        "position_encoding", fn, memn2n.position_encoding,
        {"square and tall": [((4, 4), {}), ((6, 3), {})], "one word": [((1, 5), {})],
         "paper size (L=7, d=20)": [((7, 20), {})]},
        arg_names=("L", "d"),
        hint="j counts words 1..L down the rows, k counts dimensions 1..d across the columns; "
             "build them with torch.arange(1, L + 1)[:, None] and torch.arange(1, d + 1)[None, :] "
             "and let broadcasting make the (L, d) matrix.",
    )


def _hop_reference(u, memories_in, memories_out):
    return u + memn2n.memory_read(u, memories_in, memories_out)[0]


def check_memory_hop(fn: Callable) -> CheckResult:
    """Exercise 1.2: fn(u (B, d), memories_in (B, M, d), memories_out (B, M, d)) -> (B, d)."""
    u1, m1, c1 = seeded_tensors(1, (2, 4), (2, 5, 4), (2, 5, 4))
    u2, m2, c2 = seeded_tensors(2, (3, 6), (3, 1, 6), (3, 1, 6))
    return run_check(
        "memory_hop", fn, _hop_reference,
        {"B=2, M=5, d=4": [((u1, m1, c1), {}), ((3 * u1, m1, c1), {})],
         "one memory slot": [((u2, m2, c2), {})]},
        arg_names=("u", "memories_in", "memories_out"),
        hint="p = softmax over the M slots of the dot products u . m_i (einsum 'bd,bmd->bm'); "
             "o = sum_i p_i c_i (einsum 'bm,bmd->bd'); return u + o.",
    )


def _time_reference(filled):
    return memn2n.temporal_indices(filled)[0]


def check_time_index(fn: Callable) -> CheckResult:
    """Exercise 1.3: fn(filled (B, M) bool) -> (B, M) long time index, 0 = most recent sentence."""
    full = torch.ones(1, 4, dtype=torch.bool)
    mixed = torch.tensor([[True, True, True, False, False], [True, False, False, False, False]])
    empty = torch.zeros(2, 3, dtype=torch.bool)
    return run_check(
        "time_index", fn, _time_reference,
        {"a full memory": [((full,), {})], "stories of different lengths": [((mixed,), {})],
         "empty stories (all zeros)": [((empty,), {})]},
        arg_names=("filled",),
        hint="count the sentences per story n = filled.sum(1, keepdim=True); slot i holds the "
             "sentence n - 1 - i steps back; set empty slots to 0 and return a LongTensor.",
    )


def _forward_reference(stories, queries, words, times):
    hops = len(words) - 1
    V, d = words[0].shape
    model = memn2n.MemN2N(V, d, times[0].shape[0], hops).eval()
    with torch.no_grad():
        for param, value in zip(list(model.words) + list(model.times), list(words) + list(times)):
            param.copy_(value)
    return model(stories, queries).detach()


def check_memn2n_forward(fn: Callable) -> CheckResult:
    """Exercise 1.4: fn(stories (B, M, L), queries (B, L), words, times) -> logits (B, V)."""
    V, M, L, d = 15, 6, 5, 8
    s1, q1 = random_stories(3, 3, M, L, V, [6, 2, 4])
    w1, t1 = _tables(4, 1, V, M, d)
    w3, t3 = _tables(5, 3, V, M, d)
    s2, q2 = random_stories(6, 2, M, L, V, [1, 3])
    return run_check(
        "memn2n_forward", fn, _forward_reference,
        {"one hop": [((s1, q1, w1, t1), {})], "three hops, adjacent tying": [((s1, q1, w3, t3), {})],
         "a story of one sentence": [((s2, q2, w3, t3), {})]},
        arg_names=("stories", "queries", "words", "times"),
        hint="u = embed(words[0], queries); for hop k: m = embed(words[k], stories) + "
             "times[k][t], c = embed(words[k + 1], stories) + times[k + 1][t] with t the time "
             "index; p = softmax of u . m over the filled slots only; u = u + p c. Finally "
             "logits = u @ words[K].T. embed sums position-weighted word vectors over L.",
    )
