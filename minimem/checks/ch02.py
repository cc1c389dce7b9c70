"""Checkers for the chapter 02 exercises (Pointer Networks, Vinyals et al. 2015,
https://arxiv.org/abs/1506.03134).

While a learner's function runs, the library functions that *are* the answer (`pointer.greedy`,
`geometry.area_coverage`, `geometry.convex_hull`, ...) are swapped for a stub that says so, so
an exercise cannot be passed by calling its answer key.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from minimem import pointer
from minimem.checks._answer_key import answer_key_off
from minimem.checks._framework import (CheckResult, differences, hint, register_hints, run_check,
                                       seeded_tensors)
from minimem.data import geometry
from minimem.pointer import decode
from minimem.pointer.model import AdditiveAttention

__all__ = ["check_area_coverage", "check_convex_hull", "check_greedy_decode",
           "check_pointer_scores", "hint"]


register_hints("2.1", [
    "Eq. 3 in three steps: project every encoder state e_j with W1, project the decoder state "
    "d with W2, then score each position with v^T tanh(sum). Masked positions come last.",
    "W1 acts on the last axis of e (B, N, H) and W2 on d (B, H); d has no position axis, so give "
    "it one before adding, and the sum broadcasts over the N positions.",
    "After the tanh, a product with v leaves one score per position, (B, N). Where the mask is "
    "False, set the score to -inf (masked_fill), so the softmax gives those positions exactly 0.",
])
register_hints("2.2", [
    "Decoding is a loop of N steps; at each step the decoder sees the input it chose last "
    "(the learned 'go' vector first) and scores every position.",
    "Keep a boolean 'used' per example; only positions not used yet may be chosen, and the "
    "choice is the most probable allowed position.",
    "Per step: one decoder step on the current input, the scores of every position, mask the "
    "used ones, take the argmax, mark it used, and feed the chosen row of the (normalised) "
    "inputs, memory.inputs, as the next input.",
])
register_hints("2.3", [
    "Two cases: an invalid predicted polygon scores 0.0; a valid one scores its area over the "
    "true hull's area.",
    "geometry.is_valid_polygon tells you which case you are in. The sequences are 1-based and "
    "repeat their first index at the end, so turn them into the corners' coordinates first.",
    "The area of a polygon with corners (x_k, y_k) is half the absolute value of the sum of "
    "x_k y_{k+1} - x_{k+1} y_k around the ring (the shoelace formula).",
])
register_hints("2.4", [
    "Sort the points and walk along them twice, once for the lower chain of the hull and once "
    "for the upper chain (Andrew's monotone chain).",
    "While the last two points of a chain and the new point do not turn strictly left, drop "
    "the last point of the chain; duplicates and collinear middle points must disappear.",
    "Join the two chains without repeating their end points, map corners back to the lowest "
    "index of equal points, and rotate the list so the lowest index comes first.",
])


def _reference_scores(e, d, W1, W2, v, mask=None) -> torch.Tensor:
    """Eq. 3 through the library's `AdditiveAttention`, with the given weights."""
    attention = AdditiveAttention(W1.shape[0])
    with torch.no_grad():
        for layer, weight in ((attention.W1, W1), (attention.W2, W2), (attention.v, v[None])):
            layer.weight.copy_(weight)
        u = attention(attention.project(e), d[:, None])[:, 0]  # (B, N)
    return u if mask is None else u.masked_fill(~mask, float("-inf"))


def _same_scores(expected: Any, received: Any) -> str | None:
    """Compare scores: masked positions must be exactly -inf, the others finite and close."""
    if not isinstance(received, torch.Tensor):
        return f"expected a torch.Tensor, received {type(received).__name__}"
    if received.shape != expected.shape:
        return f"shape: expected {tuple(expected.shape)}, received {tuple(received.shape)}"
    exp_masked, rec_masked = expected == float("-inf"), received == float("-inf")
    if not torch.equal(exp_masked, rec_masked):
        return ("the masked positions differ: positions where mask is False must score -inf, "
                "those where it is True a finite number")
    return differences(expected.masked_fill(exp_masked, 0), received.masked_fill(rec_masked, 0))


def check_pointer_scores(fn: Callable) -> CheckResult:
    """Exercise 2.1: fn(e (B, N, H), d (B, H), W1, W2, v, mask=None) -> scores (B, N) (eq. 3);
    mask (B, N) bool, True = may be chosen, the others score -inf."""
    e, d, W1, W2, v = seeded_tensors(20, (2, 5, 4), (2, 4), (4, 4), (4, 4), (4,))
    e1, d1 = seeded_tensors(21, (1, 7, 4), (1, 4))
    mask = torch.tensor([[True, False, True, True, False], [False, False, False, False, True]])
    return run_check(
        "pointer_scores", fn, _reference_scores,
        {"no mask": [((e, d, W1, W2, v), {}), ((e1, d1, W1, W2, v), {})],
         "mask: True = may be chosen": [((e, d, W1, W2, v), {"mask": mask})]},
        arg_names=("e", "d", "W1", "W2", "v"), compare=_same_scores,
        exercise="2.1",
    )


def _sorter(seed: int) -> pointer.PointerNet:
    torch.manual_seed(seed)
    return pointer.PointerNet(input_dim=1, hidden=8, mask="permutation").eval()


def check_greedy_decode(fn: Callable) -> CheckResult:
    """Exercise 2.2: fn(model, x (B, N, 1)) -> (B, N) LongTensor of chosen positions."""
    x5, x8 = (torch.rand(b, n, 1, generator=torch.Generator().manual_seed(n)) for b, n in ((3, 5), (2, 8)))
    answers = [(mod, name) for mod in (pointer, decode) for name in ("greedy", "beam_search")]
    return run_check(
        "greedy_decode", answer_key_off(fn, "Exercise 2.2", answers),
        lambda model, x: torch.tensor(decode.greedy(model, x)),
        {"untrained sorter, N = 5": [((_sorter(0), x5), {}), ((_sorter(1), x5), {})],
         "N = 8": [((_sorter(2), x8), {})]},
        arg_names=("model", "x"),
        exercise="2.2",
    )


def check_area_coverage(fn: Callable) -> CheckResult:
    """Exercise 2.3: fn(points (N, 2), predicted, truth) -> area(predicted) / area(truth), or 0.0
    when the predicted polygon is not valid (1-based closed index lists)."""
    rng = np.random.default_rng(22)
    cases = []
    for n in (5, 8, 12):
        pts = geometry.random_points(n, rng)
        truth = geometry.hull_sequence(pts)
        smaller = truth[:-2] + [truth[0]] if len(truth) > 4 else truth
        cases += [((pts, truth, truth), {}), ((pts, smaller, truth), {})]
    square = np.array([(0, 0), (1, 0), (1, 1), (0, 1)], float)
    invalid = [((square, [1, 3, 2, 4, 1], [1, 2, 3, 4, 1]), {}), ((square, [1, 2, 3], [1, 2, 3, 4, 1]), {})]

    def reference(points, predicted, truth):
        return geometry.area_coverage([points], [predicted], [truth])[0]

    answers = [(geometry, name) for name in ("area_coverage", "polygon_area", "polygon_areas")]
    return run_check(
        "area_coverage", answer_key_off(fn, "Exercise 2.3", answers), reference,
        {"valid predictions": cases, "invalid predictions score 0": invalid},
        arg_names=("points", "predicted", "truth"),
        exercise="2.3",
    )


def check_convex_hull(fn: Callable) -> CheckResult:
    """Bonus exercise 2.4: fn(points (N, 2)) -> 0-based hull corners, counter-clockwise, starting
    at the lowest index (no collinear middle points, duplicates by their lowest index)."""
    rng = np.random.default_rng(23)
    random_sets = [((geometry.random_points(n, rng),), {}) for n in (3, 6, 10, 30)]
    tricky = [((np.array(p, float),), {}) for p in (
        [(0, 0), (2, 0), (1, 0), (1, 1)],  # a point in the middle of an edge
        [(1, 1), (0, 0), (1, 1), (2, 0), (1, 2)],  # a duplicated corner
        [(0, 0), (1, 1), (2, 2)],  # all on one line
    )]
    answers = [(geometry, name) for name in ("convex_hull", "hull_sequence")]
    return run_check(
        "convex_hull", answer_key_off(fn, "Exercise 2.4", answers), geometry.convex_hull,
        {"random point sets": random_sets, "collinear and duplicate points": tricky},
        arg_names=("points",), compare=lambda e, r: differences(list(e), list(map(int, r))),
        exercise="2.4",
    )
