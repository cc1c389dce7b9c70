"""Planar point sets, their exact convex hull, the Ptr-Net text format and its metrics.

Chapter 02 (Pointer Networks, Vinyals, Fortunato & Jaitly, 2015) trains a network to output the
convex hull of a set of points as a sequence of *pointers* into its input. This module holds
everything about that task that is not a neural network:

- `random_points` draws points uniformly in the unit square, as in the paper;
- `convex_hull` is an exact solver (Andrew's monotone chain), robust to duplicate and
  collinear points; `hull_sequence` writes its answer in the paper's convention: 1-based
  indices, counter-clockwise, starting at the lowest index on the hull and repeating it at
  the end (e.g. ``[1, 4, 2, 1]``);
- `format_example` / `parse_line` / `write_examples` / `read_examples` read and write the
  paper's text format, one example per line: ``x1 y1 x2 y2 ... output i j ... i``;
- `exact_accuracy` and `area_coverage` are the two metrics of the paper's Table 2.

Shapes: N points per set, 2 coordinates. Sequences are plain lists of ints.
"""

from __future__ import annotations

from os import PathLike
from typing import Iterable, Sequence

import numpy as np

Example = tuple[np.ndarray, list[int]]  # (points (N, 2), 1-based closed hull sequence)


def random_points(n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """`n` points drawn uniformly in [0, 1]^2, as an (N, 2) float array."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return np.random.default_rng(rng).random((int(n), 2))


def _as_points(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    p = np.asarray(points, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 1:
        raise ValueError(f"points must have shape (N, 2) with N >= 1, got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("points must be finite numbers")
    return p


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """z-component of (a - o) x (b - o): > 0 for a left (counter-clockwise) turn."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: np.ndarray | Sequence[Sequence[float]]) -> list[int]:
    """0-based indices of the hull's corners, counter-clockwise, starting at the lowest index.

    Only true corners are returned: points in the middle of a hull edge are left out, and of
    several identical points only the lowest index is used. All-identical points give one
    index, collinear points the two ends of their segment.
    """
    p = _as_points(points)
    first_of: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(p.tolist()):
        first_of.setdefault((x, y), i)  # duplicates: keep the lowest index
    keys = sorted(first_of)  # lexicographic by (x, y)
    if len(keys) <= 2:
        return sorted(first_of[k] for k in keys)

    def half(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        chain: list[tuple[float, float]] = []
        for q in pts:
            while len(chain) >= 2 and _cross(chain[-2], chain[-1], q) <= 0:
                chain.pop()  # not a strict left turn: drop collinear and inner points
            chain.append(q)
        return chain

    lower, upper = half(keys), half(keys[::-1])
    ring = [first_of[k] for k in lower[:-1] + upper[:-1]]  # counter-clockwise
    start = ring.index(min(ring))
    return ring[start:] + ring[:start]


def hull_sequence(points: np.ndarray | Sequence[Sequence[float]]) -> list[int]:
    """The paper's target: 1-based hull indices, counter-clockwise, first index repeated last."""
    ring = [i + 1 for i in convex_hull(points)]
    return ring + [ring[0]]


# ----------------------------------------------------------------------------- text format

def format_example(points: np.ndarray, sequence: Sequence[int]) -> str:
    """One line of the paper's format: ``x1 y1 ... xN yN output i j ... i`` (1-based)."""
    p = _as_points(points)
    _check_sequence(sequence, len(p), "sequence")
    coords = " ".join(repr(float(v)) for v in p.reshape(-1))
    return f"{coords} output {' '.join(str(int(i)) for i in sequence)}"


def _check_sequence(sequence: Sequence[int], n: int, name: str) -> None:
    if len(sequence) == 0:
        raise ValueError(f"{name} must not be empty")
    bad = [i for i in sequence if not 1 <= int(i) <= n]
    if bad:
        raise ValueError(f"{name} indices must lie in 1..{n} (1-based), got {bad[:5]}")


def parse_line(line: str, line_number: int = 1) -> Example:
    """Parse one line of the paper's format into (points (N, 2), 1-based sequence)."""
    where = f"line {line_number}"
    words = line.split()
    if "output" not in words:
        raise ValueError(f"{where}: missing the word 'output' between points and answer")
    cut = words.index("output")
    coord_words, seq_words = words[:cut], words[cut + 1 :]
    if not coord_words or len(coord_words) % 2:
        raise ValueError(
            f"{where}: expected an even, non-zero number of coordinates before 'output', "
            f"got {len(coord_words)}"
        )
    try:
        coords = np.array([float(w) for w in coord_words])
    except ValueError as err:
        raise ValueError(f"{where}: a coordinate is not a number ({err})") from None
    try:
        sequence = [int(w) for w in seq_words]
    except ValueError:
        raise ValueError(f"{where}: output indices must be integers, got {seq_words!r}") from None
    points = coords.reshape(-1, 2)
    try:
        _as_points(points)
        _check_sequence(sequence, len(points), "output")
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return points, sequence


def read_examples(path: str | PathLike[str]) -> list[Example]:
    """Read a file in the paper's format (blank lines are skipped)."""
    examples = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                examples.append(parse_line(line, number))
    return examples


def write_examples(path: str | PathLike[str], examples: Iterable[Example]) -> None:
    """Write (points, 1-based sequence) pairs in the paper's format, one per line."""
    with open(path, "w", encoding="utf-8") as fh:
        for points, sequence in examples:
            fh.write(format_example(points, sequence) + "\n")


def make_hull_examples(count: int, n: int, seed: int = 0) -> list[Example]:
    """`count` random point sets of size `n` with their true hull sequences (seeded)."""
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(count):
        pts = random_points(n, rng)
        examples.append((pts, hull_sequence(pts)))
    return examples


# ----------------------------------------------------------------------------- metrics

def polygon_area(points: np.ndarray, ring: Sequence[int]) -> float:
    """Absolute area (shoelace formula) of the polygon visiting `points[ring]` (0-based, open)."""
    q = np.asarray(points, dtype=float)[list(ring)]  # (K, 2)
    x, y = q[:, 0], q[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _segments_cross(a, b, c, d) -> bool:
    """Do closed segments ab and cd share a point? (Exact orientation tests.)"""
    def orient(p, q, r):
        v = _cross(p, q, r)
        return (v > 0) - (v < 0)

    def on_segment(p, q, r):  # r collinear with pq: is it between them?
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    if o1 != o2 and o3 != o4 and 0 not in (o1, o2, o3, o4):
        return True
    return (
        (o1 == 0 and on_segment(a, b, c)) or (o2 == 0 and on_segment(a, b, d))
        or (o3 == 0 and on_segment(c, d, a)) or (o4 == 0 and on_segment(c, d, b))
    )


def is_valid_polygon(points: np.ndarray, sequence: Sequence[int]) -> bool:
    """Is a 1-based closed `sequence` a simple polygon on `points`?

    Valid means: first index repeated at the end, at least 3 distinct corners, no other
    repeats, indices in range, non-zero area and no two non-adjacent edges touching.
    """
    p = np.asarray(points, dtype=float)
    seq = [int(i) for i in sequence]
    if len(seq) < 4 or seq[0] != seq[-1] or any(not 1 <= i <= len(p) for i in seq):
        return False
    ring = [i - 1 for i in seq[:-1]]
    if len(set(ring)) != len(ring) or polygon_area(p, ring) <= 0:
        return False
    coords = p.tolist()
    pts = [tuple(coords[i]) for i in ring]
    k = len(pts)
    edges = [(pts[i], pts[(i + 1) % k]) for i in range(k)]
    for i in range(k):
        for j in range(i + 1, k):
            if j == i + 1 or (i == 0 and j == k - 1):
                continue  # neighbouring edges share a corner by construction
            if _segments_cross(*edges[i], *edges[j]):
                return False
    return True


def exact_accuracy(predictions: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> float:
    """Fraction of predictions equal to their target, index for index."""
    if len(predictions) != len(targets) or not targets:
        raise ValueError(
            f"predictions and targets must be non-empty and equally long, "
            f"got {len(predictions)} and {len(targets)}"
        )
    return sum(list(map(int, p)) == list(map(int, t)) for p, t in zip(predictions, targets)) / len(targets)


def area_coverage(
    points_list: Sequence[np.ndarray],
    predictions: Sequence[Sequence[int]],
    targets: Sequence[Sequence[int]] | None = None,
) -> tuple[float, float]:
    """The paper's area metric: mean (predicted polygon area / true hull area) over the *valid*
    predictions, and the fraction of invalid ones (not closed, repeating, self-intersecting).

    The paper counts invalid outputs as failures and reports FAIL when more than 1 % are
    invalid; a single invalid prediction on its own gives coverage 0.0. Multiply the coverage
    by (1 - invalid) for the stricter mean that scores every invalid answer as area 0.
    `targets` defaults to the exact hull of each point set.
    """
    if len(points_list) != len(predictions) or not predictions:
        raise ValueError(
            f"points_list and predictions must be non-empty and equally long, "
            f"got {len(points_list)} and {len(predictions)}"
        )
    ratios, invalid = [], 0
    for i, (pts, pred) in enumerate(zip(points_list, predictions)):
        true_seq = targets[i] if targets is not None else hull_sequence(pts)
        true_area = polygon_area(pts, [j - 1 for j in true_seq[:-1]])
        if not is_valid_polygon(pts, pred):
            invalid += 1
        elif true_area > 0:
            ratios.append(polygon_area(pts, [j - 1 for j in pred[:-1]]) / true_area)
        else:
            ratios.append(1.0)
    return (float(np.mean(ratios)) if ratios else 0.0), invalid / len(predictions)
