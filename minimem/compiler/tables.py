"""The lookup table behind every compiled MLP (Chapter 04, used by `graph` and `mlp`).

A fused map (Lindner et al. 2023, https://arxiv.org/abs/2301.05062, section 3, on RASP's
`Map`/`SequenceMap`, Weiss et al. 2021, https://arxiv.org/abs/2106.06981) is a function f of
categorical sources (one-hot) and numerical sources (one number each, from a known finite
set). The numerical ones are merged into one number z = Σ c_k x_k, with coefficients chosen
so that different value combinations never share a z (each new source is scaled past the
range of the previous ones). Then, along the sorted values z₀ < z₁ < … < z_m, the MLP only
needs a step where f actually changes: `table_plan` lists those steps per categorical
combination, and `count_units` is the resulting number of hidden units.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

from minimem.rasp import NUMERICAL

MAX_POINTS = 200_000  # numerical value combinations enumerated per map


def _gap(values: Sequence[float]) -> float:
    return min((b - a for a, b in zip(values, values[1:])), default=1.0)


def numeric_axis(value_lists: Sequence[list]) -> tuple[list[float], list[tuple[float, tuple]]]:
    """Coefficients c and the sorted points (z, (x₁, …)) of z = Σ c_k x_k: every combination
    of the value lists gets its own z, at least the first list's smallest gap apart."""
    coefs: list[float] = []
    low = high = 0.0
    gap = None
    for values in value_lists:
        xs = sorted(float(v) for v in values)
        if gap is None or len(xs) == 1:
            c = 1.0 if gap is None else 0.0
        else:
            c = (high - low + gap) / _gap(xs)  # the next x-step jumps past the whole range
        coefs.append(c)
        low, high = low + c * xs[0], high + c * xs[-1]
        gap = _gap(xs) if gap is None else gap
    points = [(sum(c * float(x) for c, x in zip(coefs, combo)), combo)
              for combo in itertools.product(*value_lists)]
    return coefs, sorted(points, key=lambda p: p[0])


def table_plan(quantities: dict, sources: Sequence[str], fn: Callable,
               ) -> tuple[list, list, list[tuple[float, tuple]], list[tuple[tuple, Any, list]]]:
    """(categorical names, numerical names, numeric points, rows); each row is
    (categorical combo, f at the first point, [(j, f at point j) where f changes]).
    The result is remembered on `fn` (the compiler asks for it twice: to size, to build)."""
    cache = getattr(fn, "table_plans", None)
    if cache is not None and tuple(sources) in cache:
        return cache[tuple(sources)]
    plan = _table_plan(quantities, sources, fn)
    try:
        fn.table_plans = {**(cache or {}), tuple(sources): plan}  # type: ignore[attr-defined]
    except AttributeError:  # a built-in function: no attributes, no cache
        pass
    return plan


def _table_plan(quantities: dict, sources: Sequence[str], fn: Callable) -> tuple:
    cats = [s for s in sources if quantities[s].encoding != NUMERICAL]
    nums = [s for s in sources if quantities[s].encoding == NUMERICAL]
    _, points = numeric_axis([quantities[s].values for s in nums]) if nums else ([], [(0, ())])
    if len(points) > MAX_POINTS:
        raise ValueError(f"{len(points)} combinations of numerical values (limit {MAX_POINTS})")
    rows = []
    for combo in itertools.product(*[quantities[s].values for s in cats]):
        args = dict(zip(cats, combo))

        def f(point: tuple) -> Any:
            args.update(zip(nums, point))
            return fn(*[args[s] for s in sources])
        outs = [f(p) for _, p in points]
        changes = [(j, outs[j]) for j in range(1, len(outs)) if outs[j] != outs[j - 1]]
        rows.append((combo, outs[0], changes))
    return cats, nums, points, rows


def count_units(quantities: dict, sources: Sequence[str], fn: Callable) -> int:
    """Hidden units of the MLP computing fn from `sources`: per categorical combination one
    base unit and two per step of f along z."""
    bound = 1
    for s in sources:
        bound *= len(quantities[s].values)
    if bound > MAX_POINTS:
        return bound  # surely too many: don't enumerate
    *_, rows = table_plan(quantities, sources, fn)
    return sum(1 + 2 * len(changes) for _, _, changes in rows)
