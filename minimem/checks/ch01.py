"""Checkers for the chapter 01 exercises (End-to-End Memory Networks, Sukhbaatar et al. 2015,
https://arxiv.org/abs/1503.08895).

Each exercise has three hints, from a nudge to a strong hint, shown one at a time after a wrong
answer or on request: `checks.hint("1.4")`. None of them is the answer code. While a learner's
function runs, the library functions that *are* its answer (`MemN2N.forward`, `memory_read`,
...) are switched off, so an exercise cannot be passed by calling its answer key; exercise 1.4
may still call `memn2n.position_encoding` and `memn2n.temporal_indices` (answers 1.1 and 1.3).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from minimem import memn2n
from minimem.checks._answer_key import answer_key_off
from minimem.checks._framework import (CheckResult, differences, hint, is_reference,
                                       register_hints, run_check, seeded_tensors)
from minimem.memn2n import model as memn2n_model

__all__ = ["check_memn2n_forward", "check_memory_hop", "check_position_encoding",
           "check_time_index", "hint", "random_stories"]

register_hints("1.1", [
    "Every entry depends on two counters only: the word position j down the rows and the "
    "embedding dimension k across the columns, both counted from 1. Build the whole matrix at "
    "once, without a Python loop.",
    "Make j a column of L numbers, shape (L, 1), and k a row of d numbers, shape (1, d), with "
    "torch.arange as floats; any arithmetic between a column and a row broadcasts to (L, d).",
    "Then write the formula as printed, with J = L. Common slips: counting from 0 (arange starts "
    "at 0 unless told otherwise), integer tensors, and swapping j and k. Check by hand: for "
    "L = 1 the one row is 1/d, 2/d, ..., 1.",
])
register_hints("1.2", [
    "One hop is one attention lookup in three steps: score every memory slot against u, turn "
    "the scores into weights with a softmax over the M slots, then add to u the weighted sum "
    "of the output memories.",
    "The score of slot i is the dot product of u with memories_in[:, i]: a (B, d) state "
    "against (B, M, d) keys gives (B, M) scores (torch.einsum, or an element-wise product "
    "with u given a slot axis, summed over d). The softmax runs over the slot axis.",
    "The read-out is the (B, M) weights against the (B, M, d) values, summed over the M slots, "
    "which leaves (B, d). Return u plus that read-out, not the read-out alone, and do not "
    "divide the scores by the square root of d here.",
])
register_hints("1.3", [
    "The statement gives the rule t_i = n - 1 - i: you need n, the number of sentences, for "
    "every story, and i, the slot number, for every slot.",
    "n is the count of True entries in each row of filled: a sum over the slot axis, keeping "
    "that axis (keepdim) so the (B, 1) counts broadcast against a row of slot numbers "
    "0 .. M - 1 (torch.arange).",
    "In the empty slots n - 1 - i is negative: use filled as a mask to put 0 there (multiply "
    "by it, or torch.where), and return integers (a LongTensor), since these indices will "
    "pick rows of the time tables. An empty story has n = 0, so all its slots become 0.",
])
register_hints("1.4", [
    "Build the network from pieces you know: a sentence embedding (position-weighted sum of "
    "word vectors), the time index of exercise 1.3, and a hop like exercise 1.2 repeated K "
    "times, with one new rule: empty slots get no attention at all.",
    "Embedding: index a (V, d) table with (..., L) word ids to get (..., L, d) vectors, weight "
    "them by the (L, d) position encoding and sum over the L words. Hop k takes its keys from "
    "words[k] and times[k], its values from words[k + 1] and times[k + 1]; indexing a (M, d) "
    "time table with the (B, M) time index gives (B, M, d).",
    "A slot is filled when any of its word ids is non-zero. Before the softmax, set the scores "
    "of empty slots to -inf (masked_fill, or masked_softmax from minimem.attention) so their "
    "weight is exactly 0. After the K hops, the logits are the dot products of u with every "
    "row of the last table, words[K]: one matrix product, (B, d) by (d, V).",
])


def _functions(*names: str) -> list[tuple[Any, str]]:
    """The library functions `names`, as `minimem.memn2n.X` and `minimem.memn2n.model.X`."""
    return [(module, name) for name in names for module in (memn2n, memn2n_model)
            if hasattr(module, name)]


def _check(name: str, fn: Callable, reference: Callable, groups: dict, *, exercise: str,
           output: str, forbidden: tuple, switched_off: list[tuple[Any, str]],
           arg_names: tuple[str, ...], compare: Callable | None = None) -> CheckResult:
    """run_check with the chapter's rules: the one output is named in every mismatch message,
    a submission that is a forbidden reference is refused, the answer key is switched off."""
    submitted = fn if is_reference(fn, forbidden) else answer_key_off(
        fn, f"Exercise {exercise}", switched_off)
    return run_check(name, submitted, reference, groups, arg_names=arg_names, exercise=exercise,
                     output_names=(output,), forbidden=forbidden,
                     compare=compare or (lambda e, r: differences(e, r, where=output)))


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
    return _check(
        "position_encoding", fn, memn2n.position_encoding,
        {"square and tall": [((4, 4), {}), ((6, 3), {})], "one word": [((1, 5), {})],
         "paper size (L=7, d=20)": [((7, 20), {})]},
        arg_names=("L", "d"), exercise="1.1", output="encoding",
        forbidden=(memn2n.position_encoding,), switched_off=_functions("position_encoding"),
    )


def _hop_reference(u, memories_in, memories_out):
    return u + memn2n.memory_read(u, memories_in, memories_out)[0]


def check_memory_hop(fn: Callable) -> CheckResult:
    """Exercise 1.2: fn(u (B, d), memories_in (B, M, d), memories_out (B, M, d)) -> (B, d)."""
    u1, m1, c1 = seeded_tensors(1, (2, 4), (2, 5, 4), (2, 5, 4))
    u2, m2, c2 = seeded_tensors(2, (3, 6), (3, 1, 6), (3, 1, 6))
    return _check(
        "memory_hop", fn, _hop_reference,
        {"B=2, M=5, d=4": [((u1, m1, c1), {}), ((3 * u1, m1, c1), {})],
         "one memory slot": [((u2, m2, c2), {})]},
        arg_names=("u", "memories_in", "memories_out"), exercise="1.2", output="next state",
        forbidden=(_hop_reference, memn2n.memory_read), switched_off=_functions("memory_read"),
    )


def _time_reference(filled):
    return memn2n.temporal_indices(filled)[0]


def _same_time_index(expected: torch.Tensor, received: Any) -> str | None:
    """The values, and a LongTensor: the indices pick rows of the time tables."""
    problem = differences(expected, received, where="time index")
    if problem is None and received.dtype != torch.long:
        return (f"dtype in time index: expected torch.int64 (a LongTensor, to index the time "
                f"tables), received {received.dtype}")
    return problem


def check_time_index(fn: Callable) -> CheckResult:
    """Exercise 1.3: fn(filled (B, M) bool) -> (B, M) long time index, 0 = most recent sentence."""
    full = torch.ones(1, 4, dtype=torch.bool)
    mixed = torch.tensor([[True, True, True, False, False], [True, False, False, False, False]])
    empty = torch.zeros(2, 3, dtype=torch.bool)
    return _check(
        "time_index", fn, _time_reference,
        {"a full memory": [((full,), {})], "stories of different lengths": [((mixed,), {})],
         "empty stories (all zeros)": [((empty,), {})]},
        arg_names=("filled",), exercise="1.3", output="time index", compare=_same_time_index,
        forbidden=(_time_reference, memn2n.temporal_indices, memn2n_model._time_index),
        switched_off=_functions("temporal_indices", "_time_index"),
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
    """Exercise 1.4: fn(stories (B, M, L), queries (B, L), words, times) -> logits (B, V).
    The model (`MemN2N.forward`, `.memories`, `.embed`) and `memory_read` are switched off
    while fn runs; `position_encoding` and `temporal_indices` stay available."""
    V, M, L, d = 15, 6, 5, 8
    s1, q1 = random_stories(3, 3, M, L, V, [6, 2, 4])
    w1, t1 = _tables(4, 1, V, M, d)
    w3, t3 = _tables(5, 3, V, M, d)
    s2, q2 = random_stories(6, 2, M, L, V, [1, 3])
    model_parts = [(memn2n.MemN2N, name) for name in ("forward", "memories", "embed")]
    return _check(
        "memn2n_forward", fn, _forward_reference,
        {"one hop": [((s1, q1, w1, t1), {})], "three hops, adjacent tying": [((s1, q1, w3, t3), {})],
         "a story of one sentence": [((s2, q2, w3, t3), {})]},
        arg_names=("stories", "queries", "words", "times"), exercise="1.4", output="logits",
        forbidden=(_forward_reference, memn2n.MemN2N, memn2n.MemN2N.forward, memn2n.memory_read),
        switched_off=model_parts + _functions("memory_read"),
    )
