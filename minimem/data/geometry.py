"""Planar point sets, their exact convex hull, the Ptr-Net text format and its metrics.

Chapter 02 (Pointer Networks, Vinyals et al. 2015, https://arxiv.org/abs/1506.03134) trains a
network to output the convex hull of a point set as *pointers* into its input. Here is all of
that task that is not a neural network: `random_points` (uniform in the unit square, as in the
paper); `convex_hull`, an exact solver (Andrew's monotone chain, robust to duplicate and
collinear points), and `hull_sequence`, its answer in the paper's convention (1-based,
counter-clockwise, from the lowest index on the hull, repeated at the end: ``[1, 4, 2, 1]``);
the paper's text format, one example a line (``x1 y1 x2 y2 ... output i j ... i``); and the
two metrics of its Table 2, `exact_accuracy` and `area_coverage`, vectorised over examples
(`polygon_areas`, `valid_polygons`; `polygon_area`, `is_valid_polygon` for one polygon).
Shapes: E examples, N points per set, 2 coordinates, K corners. Sequences are lists of ints.
"""

from __future__ import annotations

from os import PathLike
from typing import Iterable, Sequence

import numpy as np

from minimem.files import atomic_write

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


def _cross(o, a, b):
    """z-component of (a - o) x (b - o): > 0 for a left (counter-clockwise) turn. Points are
    (x, y) pairs, or arrays with x and y on the first axis (then one result per point)."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: np.ndarray | Sequence[Sequence[float]]) -> list[int]:
    """0-based indices of the hull's corners, counter-clockwise, from the lowest index. Only true
    corners: points in the middle of a hull edge are left out, of identical points only the lowest
    index is used; all-identical points give one index, collinear points their two ends."""
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
        raise ValueError(f"{where}: expected an even, non-zero number of coordinates before "
                         f"'output', got {len(coord_words)}")
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
    """Read a file in the paper's format (blank lines are skipped). All lines are checked in
    one go; if any is malformed, `parse_line` names the first bad one."""
    with open(path, encoding="utf-8") as fh:
        lines = [(number, line.split()) for number, line in enumerate(fh, start=1) if line.strip()]
    try:
        cuts = [words.index("output") for _, words in lines]  # coordinates per line
        flat = np.array([float(w) for (_, words), cut in zip(lines, cuts) for w in words[:cut]])
        sequences = [list(map(int, words[cut + 1 :])) for (_, words), cut in zip(lines, cuts)]
        n, sizes = np.array(cuts, dtype=np.int64) // 2, [len(s) for s in sequences]
        indices = np.array([i for s in sequences for i in s], dtype=np.int64)
        ok = bool(min(cuts, default=2) > 0 and not any(c % 2 for c in cuts) and min(sizes, default=1)
                  and np.all(np.isfinite(flat)) and np.all((indices >= 1) & (indices <= np.repeat(n, sizes))))
    except ValueError:  # no "output", or a word that is not a number
        ok = False
    if not ok:  # parse line by line: the first malformed line raises, naming itself
        return [parse_line(" ".join(words), number) for number, words in lines]
    points, ends = flat.reshape(-1, 2), np.cumsum(n).tolist()
    return [(points[end - k : end], seq) for end, k, seq in zip(ends, n.tolist(), sequences)]


def write_examples(path: str | PathLike[str], examples: Iterable[Example]) -> None:
    """Write (points, 1-based sequence) pairs in the paper's format, one per line."""
    lines = []
    for number, example in enumerate(examples):
        try:
            lines.append(format_example(*example) + "\n")
        except (TypeError, ValueError) as err:
            raise ValueError(f"example {number} must be (points (N, 2), 1-based sequence): {err}") from None
    atomic_write(path, "".join(lines))  # every example checked first; never a half file


def make_hull_examples(count: int, n: int, seed: int = 0) -> list[Example]:
    """`count` random point sets of size `n` >= 3 with their true hull sequences (seeded)."""
    if not isinstance(n, (int, np.integer)) or n < 3 or not isinstance(count, (int, np.integer)) \
            or not 0 <= count <= 10**7:
        raise ValueError(f"need n >= 3 points per set and 0 <= count <= 10**7 sets, got n={n!r}, "
                         f"count={count!r}")
    rng = np.random.default_rng(seed)
    points = [random_points(n, rng) for _ in range(count)]
    return [(p, hull_sequence(p)) for p in points]


# ----------------------------------------------------------------------------- metrics

def polygon_area(points: np.ndarray, ring: Sequence[int]) -> float:
    """Absolute area (shoelace formula) of the polygon visiting `points[ring]` (0-based, open):
    ½ |Σ_k x_k y_{k+1} - Σ_k y_k x_{k+1}|, summed corner by corner as `polygon_areas` does."""
    p, ring = np.asarray(points, dtype=float), [int(i) for i in ring]
    if any(not 0 <= i < len(p) for i in ring):
        raise ValueError(f"ring indices must lie in 0..{len(p) - 1} (0-based), got {ring}")
    q = p[ring].tolist()  # (K, 2)
    s1 = s2 = 0.0
    for (x, y), (x_next, y_next) in zip(q, q[1:] + q[:1]):
        s1, s2 = s1 + x * y_next, s2 + y * x_next
    return 0.5 * abs(s1 - s2)


def _pad(points_list: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Point sets as one array (E, N, 2), padded with zeros, and their sizes (E,)."""
    n = np.array([len(p) for p in points_list], dtype=np.int64)
    pts = np.zeros((len(n), max(1, int(n.max(initial=1))), 2))
    for e, p in enumerate(points_list):
        pts[e, : len(p)] = p
    return pts, n


def _corners(pts: np.ndarray, rings: Sequence[Sequence[int]], offset: int):
    """Each ring's corners (E, K, 2), the next corner round it (E, K, 2), its size (E,) and its
    indices minus `offset` (E, K), zero-padded; out-of-range indices are clipped (check apart)."""
    size = np.array([len(r) for r in rings], dtype=np.int64)
    index = np.zeros((len(size), max(1, int(size.max(initial=1)))), dtype=np.int64)
    index[np.arange(index.shape[1]) < size[:, None]] = [int(i) - offset for r in rings for i in r]
    k, rows = np.arange(index.shape[1]), np.arange(len(size))[:, None]
    nxt = np.where(k + 1 < size[:, None], k + 1, 0)  # (E, K) position of the next corner
    safe = np.clip(index, 0, pts.shape[1] - 1)
    return pts[rows, safe], pts[rows, safe[rows, nxt]], size, index


def _shoelace(corner: np.ndarray, after: np.ndarray, size: np.ndarray, *_) -> np.ndarray:
    s1, s2 = np.zeros(len(size)), np.zeros(len(size))
    for k in range(corner.shape[1]):  # corner by corner, in the order of `polygon_area`
        s1 += np.where(k < size, corner[:, k, 0] * after[:, k, 1], 0.0)
        s2 += np.where(k < size, corner[:, k, 1] * after[:, k, 0], 0.0)
    return 0.5 * np.abs(s1 - s2)


def polygon_areas(points_list: Sequence[np.ndarray], rings: Sequence[Sequence[int]]) -> np.ndarray:
    """`polygon_area` of every (points, 0-based open ring) pair at once: (E,) floats."""
    return _shoelace(*_corners(_pad(points_list)[0], rings, offset=0))


def _edges_touch(corner: np.ndarray, after: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(E,) bool: do two non-neighbouring edges share a point? Exact orientation tests on all edge
    pairs i < j, polygons of K corners together: a -> b is edge i, c -> d edge j (x, y first)."""
    out = np.zeros(len(size), dtype=bool)
    on = lambda p, q, r: np.all((np.minimum(p, q) <= r) & (r <= np.maximum(p, q)), axis=0)
    for K in np.unique(size[size > 3]).tolist():  # a triangle's edges are all neighbours
        i, j = np.arange(K)[:, None], np.arange(K)[None, :]
        pairs = (i + 1 < j) & ~((i == 0) & (j == K - 1))  # (K, K): not neighbours on the ring
        rows = np.flatnonzero(size == K)
        for part in np.array_split(rows, 1 + len(rows) * K * K // 2**18):
            a, b = (np.moveaxis(q[part, :K, None], -1, 0) for q in (corner, after))  # (2, E, K, 1)
            c, d = (np.moveaxis(q[part, None, :K], -1, 0) for q in (corner, after))  # (2, E, 1, K)
            o1, o2, o3, o4 = (np.sign(_cross(*t)) for t in ((a, b, c), (a, b, d), (c, d, a), (c, d, b)))
            touch = ((o1 != o2) & (o3 != o4) & (o1 * o2 * o3 * o4 != 0)  # a proper crossing,
                     | (o1 == 0) & on(a, b, c) | (o2 == 0) & on(a, b, d)  # or an end lying
                     | (o3 == 0) & on(c, d, a) | (o4 == 0) & on(c, d, b))  # on the other edge
            out[part] = np.any(touch & pairs, axis=(1, 2))
    return out


def _valid(pts: np.ndarray, n: np.ndarray, sequences: Sequence[Sequence[int]]) -> np.ndarray:
    corner, after, size, index = _corners(pts, [list(s)[:-1] for s in sequences], offset=1)
    real = np.arange(index.shape[1]) < size[:, None]  # (E, K) the corners, not the padding
    ok = np.array([len(s) >= 4 and s[0] == s[-1] for s in sequences], dtype=bool)  # closed
    ok &= np.all(~real | (index >= 0) & (index < n[:, None]), axis=1)  # indices in range
    ok &= np.all(np.isfinite(pts), axis=(1, 2))  # a NaN or inf anywhere: no polygon at all
    ranked = np.sort(np.where(real, index, -1 - np.arange(index.shape[1])), axis=1)
    ok &= ~np.any(ranked[:, 1:] == ranked[:, :-1], axis=1)  # no corner twice
    with np.errstate(invalid="ignore", over="ignore"):
        return ok & (_shoelace(corner, after, size) > 0) & ~_edges_touch(corner, after, size)


def valid_polygons(points_list: Sequence[np.ndarray], sequences: Sequence[Sequence[int]]) -> np.ndarray:
    """`is_valid_polygon` of every (points, 1-based closed sequence) pair at once: (E,) bool."""
    if len(points_list) != len(sequences):
        raise ValueError(f"points_list and sequences must be equally long, got "
                         f"{len(points_list)} and {len(sequences)}")
    return _valid(*_pad(points_list), sequences)


def is_valid_polygon(points: np.ndarray, sequence: Sequence[int]) -> bool:
    """Is a 1-based closed `sequence` a simple polygon on finite `points`? Valid: first index
    repeated at the end, >= 3 distinct corners, no other repeats, indices in range, non-zero area,
    no two non-adjacent edges touching. (NaN or inf: ValueError; `valid_polygons`: invalid.)"""
    return bool(valid_polygons([_as_points(points)], [list(sequence)])[0])


def exact_accuracy(predictions: Sequence[Sequence[int]], targets: Sequence[Sequence[int]],
                   points_list: Sequence[np.ndarray] | None = None) -> float:
    """Fraction of predictions equal to their target, index for index. With `points_list`, an
    answer on a point set with a NaN or infinite coordinate never counts as exact."""
    if len(predictions) != len(targets) or not targets:
        raise ValueError(f"predictions and targets must be non-empty and equally long, got "
                         f"{len(predictions)} and {len(targets)}")
    finite = np.all(np.isfinite(_pad(points_list)[0]), axis=(1, 2)) if points_list is not None \
        else np.ones(len(targets), dtype=bool)
    same = (list(map(int, p)) == list(map(int, t)) for p, t in zip(predictions, targets))
    return sum(a and bool(b) for a, b in zip(same, finite)) / len(targets)


def area_coverage(
    points_list: Sequence[np.ndarray],
    predictions: Sequence[Sequence[int]],
    targets: Sequence[Sequence[int]] | None = None,
) -> tuple[float, float]:
    """The paper's area metric: mean (predicted polygon area / true hull area) over the *valid*
    predictions, and the fraction of invalid ones (see `is_valid_polygon`). The paper counts
    invalid outputs as failures and reports FAIL when more than 1 % are invalid; a lone invalid
    prediction gives coverage 0.0. Multiply the coverage by (1 - invalid) for the stricter mean
    that scores every invalid answer as area 0. `targets` defaults to the exact hulls."""
    if len(points_list) != len(predictions) or not predictions:
        raise ValueError(f"points_list and predictions must be non-empty and equally long, "
                         f"got {len(points_list)} and {len(predictions)}")
    pts, n = _pad(points_list)
    valid = _valid(pts, n, predictions)
    if targets is None:
        targets = [hull_sequence(p) if ok else [1, 1] for p, ok in zip(points_list, valid)]
    true_area = _shoelace(*_corners(pts, [t[:-1] for t in targets], offset=1))
    pred_area = _shoelace(*_corners(pts, [p[:-1] if ok else [] for p, ok in zip(predictions, valid)], 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(true_area > 0, pred_area / true_area, 1.0)
    return (float(np.mean(ratio[valid])) if valid.any() else 0.0), int((~valid).sum()) / len(valid)
