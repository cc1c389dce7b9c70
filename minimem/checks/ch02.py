"""Checkers for the chapter 02 exercises (Pointer Networks)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from minimem import pointer
from minimem.checks._framework import CheckResult, differences, run_check, seeded_tensors
from minimem.data import geometry


def _same_scores(expected: Any, received: Any) -> str | None:
    """Compare scores, treating every very negative value (NEG or -inf) as "masked"."""
    if not isinstance(received, torch.Tensor):
        return f"expected a torch.Tensor, received {type(received).__name__}"
    if received.shape != expected.shape:
        return f"shape: expected {tuple(expected.shape)}, received {tuple(received.shape)}"
    exp_masked, rec_masked = expected <= pointer.NEG / 2, received <= pointer.NEG / 2
    if not torch.equal(exp_masked, rec_masked):
        return "the masked positions differ (masked scores must be NEG or -inf, the others finite)"
    return differences(expected.masked_fill(exp_masked, 0), received.masked_fill(rec_masked, 0))


def check_pointer_scores(fn: Callable) -> CheckResult:
    """Exercise 2.1: fn(e (B, N, H), d (B, H), W1, W2, v, mask=None) -> scores (B, N) (eq. 3)."""
    e, d, W1, W2, v = seeded_tensors(20, (2, 5, 4), (2, 4), (4, 4), (4, 4), (4,))
    e1, d1 = seeded_tensors(21, (1, 7, 4), (1, 4))
    mask = torch.tensor([[False, True, False, False, True], [True, True, True, True, False]])
    return run_check(
        "pointer_scores", fn, pointer.pointer_scores,
        {"no mask": [((e, d, W1, W2, v), {}), ((e1, d1, W1, W2, v), {})],
         "with a mask of chosen positions": [((e, d, W1, W2, v), {"mask": mask})]},
        arg_names=("e", "d", "W1", "W2", "v"), compare=_same_scores,
        hint="u_j = v · tanh(W1 e_j + W2 d): e @ W1.T is (B, N, H), d @ W2.T is (B, H) — add a "
             "position axis to it with [:, None, :]; then fill masked scores with NEG.",
    )


def _sorter(seed: int) -> pointer.PointerNet:
    torch.manual_seed(seed)
    return pointer.PointerNet(input_dim=1, hidden=8, mask="permutation").eval()


def check_greedy_decode(fn: Callable) -> CheckResult:
    """Exercise 2.2: fn(model, x (B, N, 1)) -> (B, N) LongTensor of chosen positions."""
    x5, x8 = (torch.rand(b, n, 1, generator=torch.Generator().manual_seed(n)) for b, n in ((3, 5), (2, 8)))
    return run_check(
        "greedy_decode", fn,
        lambda model, x: torch.tensor(model.decode(x)),
        {"untrained sorter, N = 5": [((_sorter(0), x5), {}), ((_sorter(1), x5), {})],
         "N = 8": [((_sorter(2), x8), {})]},
        arg_names=("model", "x"),
        hint="each step: run model.decoder on the last chosen input, score every position with "
             "model.scores, mask what was chosen, take the argmax, and feed x[b, choice] next.",
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

    return run_check(
        "area_coverage", fn, reference,
        {"valid predictions": cases, "invalid predictions score 0": invalid},
        arg_names=("points", "predicted", "truth"),
        hint="shoelace: area = ½|Σ x_k y_{k+1} − x_{k+1} y_k| over the corners (drop the repeated "
             "last index, subtract 1 from each); return 0.0 if not geometry.is_valid_polygon(...).",
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
    return run_check(
        "convex_hull", fn, geometry.convex_hull,
        {"random point sets": random_sets, "collinear and duplicate points": tricky},
        arg_names=("points",), compare=lambda e, r: differences(list(e), list(map(int, r))),
        hint="monotone chain: sort the distinct points by (x, y); build the lower and upper chains, "
             "popping while the last turn is not strictly left (cross <= 0); rotate to the lowest index.",
    )
