"""Tests for minimem.data.geometry: exact hull vs brute force, the paper's format, the metrics."""

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem.data import geometry as g


def orient(a, b, c) -> int:
    v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (v > 0) - (v < 0)


def in_closed_hull_of(p, others) -> bool:
    """Brute force: is p on a segment or in a proper triangle of the other points?"""
    for a, b in combinations(others, 2):
        if orient(a, b, p) == 0 and min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) \
                and min(a[1], b[1]) <= p[1] <= max(a[1], b[1]):
            return True
    for a, b, c in combinations(others, 3):
        s = (orient(a, b, p), orient(b, c, p), orient(c, a, p))
        if orient(a, b, c) != 0 and (min(s) >= 0 or max(s) <= 0):
            return True
    return False


def brute_force_corners(points) -> set[int]:
    first = {}
    for i, q in enumerate(map(tuple, np.asarray(points, float).tolist())):
        first.setdefault(q, i)
    uniq = list(first)
    if len(uniq) == 1:
        return {0}
    return {first[q] for q in uniq if not in_closed_hull_of(q, [r for r in uniq if r != q])}


def check_hull(points) -> None:
    ring = g.convex_hull(points)
    assert set(ring) == brute_force_corners(points)
    assert len(ring) == len(set(ring))
    assert ring[0] == min(ring)
    pts = np.asarray(points, float).tolist()
    if len(ring) >= 3:  # strictly convex and counter-clockwise all the way round
        for k in range(len(ring)):
            a, b, c = (pts[ring[(k + j) % len(ring)]] for j in range(3))
            assert orient(a, b, c) > 0


grid_points = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(grid_points)
def test_hull_matches_brute_force_on_grid_points_with_collinear_and_duplicates(points):
    check_hull(points)


@pytest.mark.parametrize("seed", range(40))
def test_hull_matches_brute_force_on_uniform_points(seed):
    rng = np.random.default_rng(seed)
    check_hull(g.random_points(int(rng.integers(3, 12)), rng))


def test_degenerate_cases():
    assert g.hull_sequence([(0, 0), (0, 1), (1, 0)]) == [1, 3, 2, 1]  # n = 3, clockwise input
    assert g.convex_hull([(0, 0), (1, 1), (2, 2), (3, 3)]) == [0, 3]  # collinear: the two ends
    assert g.convex_hull([(0.5, 0.5)] * 4) == [0]  # all the same point
    assert g.hull_sequence([(0, 0), (1, 0), (0, 0), (0, 1)]) == [1, 2, 4, 1]  # duplicate of 1
    square_with_midpoints = [(1, 1), (0.5, 0), (0, 0), (1, 0), (0, 1), (1, 0.5), (0.5, 0.5)]
    assert g.hull_sequence(square_with_midpoints) == [1, 5, 3, 4, 1]


def test_hull_sequence_convention():
    pts = g.random_points(10, 3)
    seq = g.hull_sequence(pts)
    assert seq[0] == seq[-1] == min(seq)
    assert [i - 1 for i in seq[:-1]] == g.convex_hull(pts)


def test_bad_points_raise():
    with pytest.raises(ValueError, match="points"):
        g.convex_hull(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="finite"):
        g.convex_hull([(0, 0), (np.nan, 1)])
    with pytest.raises(ValueError, match="n must be"):
        g.random_points(0)


def test_format_round_trip(tmp_path):
    examples = g.make_hull_examples(20, 7, seed=1) + g.make_hull_examples(5, 12, seed=2)
    path = tmp_path / "hull.txt"
    g.write_examples(path, examples)
    back = g.read_examples(path)
    assert len(back) == len(examples)
    for (p, s), (q, t) in zip(examples, back):
        np.testing.assert_array_equal(p, q)  # repr() of a float round-trips exactly
        assert s == t
    line = path.read_text().splitlines()[0].split()
    assert line.index("output") == 14 and line[-1] == line[15]


@pytest.mark.parametrize("bad, message", [
    ("0.1 0.2 0.3 0.4 0.5 0.6 1 2 3 1", "missing the word 'output'"),
    ("0.1 0.2 0.3 output 1 2 1", "even"),
    ("0.1 zero 0.3 0.4 0.5 0.6 output 1 2 3 1", "not a number"),
    ("0.1 0.2 0.3 0.4 0.5 0.6 output 1 2 x 1", "integers"),
    ("0.1 0.2 0.3 0.4 0.5 0.6 output 1 2 4 1", r"1\.\.3"),
    ("0.1 0.2 0.3 0.4 0.5 0.6 output 0 1 2 0", r"1\.\.3"),
    ("0.1 0.2 0.3 0.4 0.5 0.6 output", "empty"),
    ("0.1 nan 0.3 0.4 0.5 0.6 output 1 2 3 1", "finite"),
    ("0.1 0.2 0.3 0.4 0.5 0.6 output 1 2 output 1", "integers"),
])
def test_malformed_lines_name_the_line(tmp_path, bad, message):
    good = g.format_example(*g.make_hull_examples(1, 4, seed=0)[0])
    path = tmp_path / "bad.txt"
    path.write_text(f"{good}\n\n{bad}\n")
    with pytest.raises(ValueError, match="line 3") as err:
        g.read_examples(path)
    assert err.match(message)


def test_metrics_on_a_square():
    pts = np.array([(0, 0), (1, 0), (1, 1), (0, 1), (0.5, 0.5)], float)
    truth = g.hull_sequence(pts)
    assert truth == [1, 2, 3, 4, 1]
    assert g.exact_accuracy([truth, [1, 2, 3, 1]], [truth, truth]) == 0.5
    assert g.area_coverage([pts], [truth]) == (1.0, 0.0)
    assert g.area_coverage([pts], [[1, 2, 3, 1]]) == (0.5, 0.0)  # half the square
    bow_tie, not_closed, repeats = [1, 3, 2, 4, 1], [1, 2, 3, 4], [1, 2, 3, 2, 4, 1]
    with pytest.raises(ValueError, match="ring"):
        g.polygon_area(pts, [0, 1, 7])
    with pytest.raises(ValueError, match="n >= 3"):
        g.make_hull_examples(3, 2)
    with pytest.raises(ValueError, match="example 0"):
        g.write_examples("unused.txt", [("not points", [1])])
    for bad in (bow_tie, not_closed, repeats, [1, 2, 1]):
        assert not g.is_valid_polygon(pts, bad)
        assert g.area_coverage([pts], [bad]) == (0.0, 1.0)  # a lone failure: coverage 0
    assert g.is_valid_polygon(pts, [1, 2, 5, 4, 1])  # concave but simple
    # as in the paper: coverage averages the valid answers, the invalid fraction is reported
    assert g.area_coverage([pts, pts, pts], [truth, [1, 2, 3, 1], bow_tie]) == (0.75, 1 / 3)
    with pytest.raises(ValueError, match="equally long"):
        g.exact_accuracy([truth], [])


@pytest.mark.parametrize("seed", range(10))
def test_true_hull_has_full_coverage_and_subsets_less(seed):
    pts = g.random_points(10, seed)
    truth = g.hull_sequence(pts)
    assert g.area_coverage([pts], [truth]) == (1.0, 0.0)
    if len(truth) > 4:
        smaller = truth[:-2] + [truth[0]]  # drop one corner: still simple, less area
        cov, invalid = g.area_coverage([pts], [smaller])
        assert invalid == 0.0 and 0 < cov < 1


# ----------------------------------------------------------------------------- vectorised metrics

def plain_segments_touch(a, b, c, d) -> bool:
    """Do closed segments ab and cd share a point? (Exact orientation tests, one pair.)"""
    def on_segment(p, q, r):
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    if o1 != o2 and o3 != o4 and 0 not in (o1, o2, o3, o4):
        return True
    return ((o1 == 0 and on_segment(a, b, c)) or (o2 == 0 and on_segment(a, b, d))
            or (o3 == 0 and on_segment(c, d, a)) or (o4 == 0 and on_segment(c, d, b)))


def plain_is_valid(points, sequence) -> bool:
    """The one-polygon, loop-by-loop validity test the vectorised one must agree with."""
    p = np.asarray(points, dtype=float)
    seq = [int(i) for i in sequence]
    if not np.all(np.isfinite(p)):
        return False
    if len(seq) < 4 or seq[0] != seq[-1] or any(not 1 <= i <= len(p) for i in seq):
        return False
    ring = [i - 1 for i in seq[:-1]]
    if len(set(ring)) != len(ring) or g.polygon_area(p, ring) <= 0:
        return False
    pts = [tuple(map(float, p[i])) for i in ring]
    k = len(pts)
    edges = [(pts[i], pts[(i + 1) % k]) for i in range(k)]
    return not any(plain_segments_touch(*edges[i], *edges[j])
                   for i in range(k) for j in range(i + 2, k) if not (i == 0 and j == k - 1))


def plain_area(points, ring) -> float:
    q = [tuple(map(float, points[i])) for i in ring]
    s1 = sum((x * y2 for (x, _), (_, y2) in zip(q, q[1:] + q[:1])), 0.0)
    s2 = sum((y * x2 for (_, y), (x2, _) in zip(q, q[1:] + q[:1])), 0.0)
    return 0.5 * abs(s1 - s2)


@st.composite
def polygon_cases(draw):
    """A point set (grid points with repeats and collinear runs, or uniform floats, sometimes
    with a NaN) and a sequence on it: the true hull, a closed random ring, or anything."""
    n = draw(st.integers(1, 8))
    if draw(st.booleans()):
        points = np.array(draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                                        min_size=n, max_size=n)), dtype=float)
    else:
        points = np.array(draw(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)),
                                        min_size=n, max_size=n)), dtype=float)
    if draw(st.integers(0, 9)) == 0:
        points[draw(st.integers(0, n - 1)), draw(st.integers(0, 1))] = np.nan
    kind = draw(st.sampled_from(["hull", "ring", "any"]))
    if kind == "hull" and np.all(np.isfinite(points)):
        return points, g.hull_sequence(points)
    body = draw(st.lists(st.integers(0 if kind == "any" else 1, n + (kind == "any")), max_size=n + 1))
    return points, body + body[:1] if kind == "ring" else body


@settings(max_examples=300, deadline=None)
@given(st.lists(polygon_cases(), min_size=1, max_size=6))
def test_vectorised_validity_and_areas_match_the_plain_versions(cases):
    points, seqs = [p for p, _ in cases], [s for _, s in cases]
    assert g.valid_polygons(points, seqs).tolist() == [plain_is_valid(p, s) for p, s in cases]
    rings = [[i - 1 for i in s[:-1] if 1 <= i <= len(p)] for p, s in cases]
    areas = g.polygon_areas(points, rings)
    for (p, _), ring, area in zip(cases, rings, areas.tolist()):
        assert area == g.polygon_area(p, ring) or (np.isnan(area) and np.isnan(g.polygon_area(p, ring)))
        if np.all(np.isfinite(p)):
            assert area == plain_area(p, ring)


@settings(max_examples=100, deadline=None)
@given(st.lists(polygon_cases(), min_size=1, max_size=6))
def test_area_coverage_is_the_mean_over_valid_answers(cases):
    cases = [(p, s) for p, s in cases if np.all(np.isfinite(p))]
    if not cases:
        return
    points, preds = [p for p, _ in cases], [s for _, s in cases]
    truths = [g.hull_sequence(p) for p in points]
    ratios, invalid = [], 0
    for p, s, t in zip(points, preds, truths):
        true_area = g.polygon_area(p, [i - 1 for i in t[:-1]])
        if not plain_is_valid(p, s):
            invalid += 1
        else:
            ratios.append(g.polygon_area(p, [i - 1 for i in s[:-1]]) / true_area if true_area > 0 else 1.0)
    coverage, bad = g.area_coverage(points, preds)
    assert bad == invalid / len(cases)
    assert coverage == (float(np.mean(ratios)) if ratios else 0.0)


def test_nan_points_are_never_valid_nor_exact():
    pts = np.array([(0, 0), (1, 0), (1, 1), (0, 1), (np.nan, 0.5)])
    square = [1, 2, 3, 4, 1]
    assert not g.valid_polygons([pts], [square])[0]  # the square itself avoids the NaN point
    with pytest.raises(ValueError, match="finite"):
        g.is_valid_polygon(pts, square)
    assert g.area_coverage([pts, pts[:4]], [square, square], [square, square]) == (1.0, 0.5)
    assert g.exact_accuracy([square, square], [square, square], [pts, pts[:4]]) == 0.5
    assert g.exact_accuracy([square], [square]) == 1.0


def test_a_bad_example_never_truncates_an_existing_file(tmp_path):
    path = tmp_path / "hulls.txt"
    good = g.make_hull_examples(3, 5, seed=0)
    g.write_examples(path, good)
    before = path.read_text()
    with pytest.raises(ValueError, match="example 1"):
        g.write_examples(path, [good[0], ("not points", [1])])
    assert path.read_text() == before and [p.name for p in tmp_path.iterdir()] == ["hulls.txt"]
