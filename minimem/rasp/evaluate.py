"""Evaluating RASP programs: vectorised with NumPy boolean selector matrices (Chapter 03).

Weiss, Goldberg & Yahav (2021), "Thinking Like Transformers", define the meaning of each
operation; this file implements it twice:

- `evaluate` / `evaluate_all`: a selector becomes an (N, N) boolean matrix built with NumPy
  broadcasting (predicates are compared on integer codes of the values), and aggregation is
  a matrix product (numerical) or a masked min/max over value codes (categorical);
- `evaluate_reference`: the definitions written as plain Python loops, used by the tests as
  an independent oracle and by the benchmark as the baseline.

Notation: N sequence length; M (N, N) selector matrix, M[i, j] = query i selects key j.
Element-wise functions are called once per *distinct* value (or pair), not once per position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .core import (Aggregate, Comparison, Full, Map, Primitive, RASPExpr, Select, SelectorAnd,
                   SelectorNot, SelectorOr, SelectorWidth, SequenceMap, SOp, is_numerical,
                   topological_order)

_NUMPY_OPS = {
    Comparison.EQ: np.equal, Comparison.NEQ: np.not_equal, Comparison.LT: np.less,
    Comparison.LEQ: np.less_equal, Comparison.GT: np.greater, Comparison.GEQ: np.greater_equal,
}


_NUMBER_TYPES = {int, float, bool, np.int64, np.int32, np.float64, np.float32, np.bool_}


def _is_number_list(values: Sequence) -> bool:
    return set(map(type, values)) <= _NUMBER_TYPES


def _codes(values: Sequence, table: dict | None = None) -> tuple[np.ndarray, dict]:
    """Integer code of each value (equal values share a code); `table` maps value -> code."""
    table = {} if table is None else table
    for v in dict.fromkeys(values):
        if v not in table:
            table[v] = len(table)
    return np.fromiter(map(table.__getitem__, values), np.int64, len(values)), table


def select_matrix(keys: Sequence, queries: Sequence, predicate: Any = Comparison.EQ,
                  where: str = "select") -> np.ndarray:
    """The (Q, K) boolean matrix M[i, j] = predicate(keys[j], queries[i])."""
    nq, nk = len(queries), len(keys)
    if predicate is Comparison.TRUE or predicate is Comparison.FALSE:
        return np.full((nq, nk), predicate is Comparison.TRUE)
    if isinstance(predicate, Comparison):
        op = _NUMPY_OPS[predicate]
        if _is_number_list(keys) and _is_number_list(queries):
            k, q = np.asarray(keys, dtype=float), np.asarray(queries, dtype=float)
            return op(k[None, :], q[:, None])  # (Q, K)
        if predicate in (Comparison.EQ, Comparison.NEQ):
            k, table = _codes(keys)
            q, _ = _codes(queries, table)
            return op(k[None, :], q[:, None])  # (Q, K)
        try:  # order-preserving ranks of the distinct values, then compare integers
            ranks = {v: r for r, v in enumerate(sorted(set(keys) | set(queries)))}
            k = np.fromiter(map(ranks.__getitem__, keys), np.int64, nk)
            q = np.fromiter(map(ranks.__getitem__, queries), np.int64, nq)
            return op(k[None, :], q[:, None])  # (Q, K)
        except TypeError:
            pass  # values that Python cannot sort together: fall back to pairwise calls
    # A general predicate: evaluate it once per pair of *distinct* values.
    kc, kt = _codes(keys)
    qc, qt = _codes(queries)
    table = np.zeros((len(qt), len(kt)), dtype=bool)  # (distinct Q, distinct K)
    for kv, a in kt.items():
        for qv, b in qt.items():
            try:
                table[b, a] = bool(predicate(kv, qv))
            except Exception as err:
                raise ValueError(f"{where}: predicate failed on key {kv!r}, query {qv!r}: "
                                 f"{err!r}") from err
    return table[qc[:, None], kc[None, :]]  # (Q, K)


def selector_width_matrix(matrix: np.ndarray) -> list[int]:
    """How many keys each query selects."""
    return np.asarray(matrix, dtype=bool).sum(axis=1).tolist()


def aggregate_matrix(matrix: Any, values: Sequence, *, numerical: bool = False,
                     default: Any = None, where: str = "aggregate") -> list:
    """Combine `values` (length K) under a (Q, K) selector matrix: the mean of the selected
    values (numerical) or the single selected value (categorical); `default` if none."""
    m = np.asarray(matrix, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"{where}: selector matrix must be 2-D (queries, keys), got {m.shape}")
    if m.shape[1] != len(values):
        raise ValueError(f"{where}: mismatched lengths: the selector has {m.shape[1]} keys but "
                         f"there are {len(values)} values")
    nq = m.shape[0]
    width = m.sum(axis=1)  # (Q,)
    if nq == 0:
        return []
    if m.shape[1] == 0:
        return [default if not numerical or default is not None else 0] * nq
    if numerical:
        try:
            v = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            bad = next(x for x in values if not isinstance(x, (int, float, np.number)))
            raise TypeError(f"{where}: a numerical aggregate needs numbers, got {bad!r}; "
                            "annotate the s-op categorical(...) to copy values instead") from None
        mean = (m @ v) / np.maximum(width, 1)  # (Q,)
        fill = 0 if default is None else default
        return [x if w else fill for x, w in zip(mean.tolist(), width.tolist())]
    codes, table = _codes(values)
    distinct = list(table)
    hi = np.where(m, codes[None, :], -1).max(axis=1)  # (Q,)
    lo = np.where(m, codes[None, :], len(distinct)).min(axis=1)  # (Q,)
    clash = np.flatnonzero((width > 0) & (hi != lo))
    if clash.size:
        i = int(clash[0])
        keys = np.flatnonzero(m[i]).tolist()
        seen = list(dict.fromkeys(values[j] for j in keys))
        raise ValueError(
            f"{where}: query position {i} selects {len(seen)} different values {seen[:6]} "
            f"(key positions {keys[:12]}); a categorical aggregate must select one value. "
            "Make the selector pick a single position, or use numerical(...) to average.")
    return [distinct[h] if w else default for h, w in zip(hi.tolist(), width.tolist())]


def _apply(node: RASPExpr, f: Any, columns: list[list]) -> list:
    """Element-wise application of f (one column: f(x); two: f(x, y)), called once per
    distinct argument; equal values of different types (1, 1.0, True) are kept apart."""
    lookup = f.__getitem__ if isinstance(f, Mapping) else f
    many = len(columns) > 1
    rows = list(zip(*columns)) if many else columns[0]

    def call(args: Any, key: Any, keys: Sequence) -> Any:
        try:
            return lookup(*args) if many else lookup(args)
        except Exception as err:
            pos = keys.index(key)
            hint = ""
            if isinstance(f, Mapping):
                hint = f"; the table knows {sorted(map(repr, f))[:8]}"
            elif isinstance(err, KeyError):
                hint = "; is it a token outside the vocabulary?"
            raise ValueError(f"{type(node).__name__} {node.label!r}: f failed on value {args!r} "
                             f"at position {pos}: {err!r}{hint}") from err

    try:
        if all(len(set(map(type, c))) <= 1 for c in columns):
            keys = rows
        else:
            keys = [(tuple(map(type, r)) if many else type(r), r) for r in rows]
        table = dict.fromkeys(keys)
    except TypeError:  # unhashable values: call f at every position
        return [call(r, r, rows) for r in rows]
    for key in table:
        table[key] = call(key if keys is rows else key[1], key, keys)
    return [table[key] for key in keys]


def _check_input(tokens_list: Any) -> list:
    if isinstance(tokens_list, str):
        return list(tokens_list)
    if isinstance(tokens_list, np.ndarray):
        return tokens_list.tolist()
    if not isinstance(tokens_list, (list, tuple)):
        raise TypeError(f"evaluate: tokens_list must be a list, tuple or str, "
                        f"got {type(tokens_list).__name__}")
    try:
        dict.fromkeys(tokens_list)
    except TypeError:
        pos, token = next((p, t) for p, t in enumerate(tokens_list) if not _hashable(t))
        raise TypeError(f"evaluate: tokens must be hashable (str, int, tuple, ...), got "
                        f"{type(token).__name__} at position {pos}") from None
    return list(tokens_list)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def evaluate_all(program: RASPExpr, tokens_list: Sequence) -> dict[RASPExpr, Any]:
    """The value of every node of `program`, in topological order: a list per s-op and an
    (N, N) boolean matrix (queries x keys) per selector."""
    xs = _check_input(tokens_list)
    n = len(xs)
    vals: dict[int, Any] = {}
    out: dict[RASPExpr, Any] = {}
    for node in topological_order(program):
        where = f"{type(node).__name__} {node.label!r}"
        if isinstance(node, Primitive):
            v: Any = xs if node.which == "tokens" else list(range(n))
        elif isinstance(node, Full):
            v = [node.fill] * n
        elif isinstance(node, Map):
            v = _apply(node, node.f, [vals[node.sop.id]])
        elif isinstance(node, SequenceMap):
            v = _apply(node, node.f, [vals[node.fst.id], vals[node.snd.id]])
        elif isinstance(node, Select):
            v = select_matrix(vals[node.keys.id], vals[node.queries.id], node.predicate, where)
        elif isinstance(node, SelectorOr):
            v = vals[node.fst.id] | vals[node.snd.id]
        elif isinstance(node, SelectorAnd):
            v = vals[node.fst.id] & vals[node.snd.id]
        elif isinstance(node, SelectorNot):
            v = ~vals[node.inner.id]
        elif isinstance(node, Aggregate):
            v = aggregate_matrix(vals[node.selector.id], vals[node.sop.id],
                                 numerical=is_numerical(node), default=node.default, where=where)
        elif isinstance(node, SelectorWidth):
            v = selector_width_matrix(vals[node.selector.id])
        else:
            raise TypeError(f"evaluate: unknown node type {type(node).__name__} ({node.label})")
        if isinstance(node, SOp) and len(v) != n:
            raise ValueError(f"{where}: produced {len(v)} values for an input of length {n}")
        vals[node.id] = v
        out[node] = v
    return out


def evaluate(program: RASPExpr, tokens_list: Sequence) -> list:
    """Run `program` on one input; an s-op gives a list (one value per position), a selector
    its matrix as a list of rows of bools."""
    value = evaluate_all(program, tokens_list)[program]
    return value.tolist() if isinstance(value, np.ndarray) else list(value)


def evaluate_reference(program: RASPExpr, tokens_list: Sequence) -> list:
    """The paper's definitions as plain loops (slow; an oracle for `evaluate`)."""
    xs = _check_input(tokens_list)
    n = len(xs)
    memo: dict[int, Any] = {}

    def ev(node: RASPExpr) -> Any:
        if node.id not in memo:
            memo[node.id] = ev_once(node)
        return memo[node.id]

    def ev_once(node: RASPExpr) -> Any:
        if isinstance(node, Primitive):
            return xs if node.which == "tokens" else list(range(n))
        if isinstance(node, Full):
            return [node.fill] * n
        if isinstance(node, Map):
            f = node.f.__getitem__ if isinstance(node.f, Mapping) else node.f
            return [f(x) for x in ev(node.sop)]
        if isinstance(node, SequenceMap):
            return [node.f(a, b) for a, b in zip(ev(node.fst), ev(node.snd))]
        if isinstance(node, Select):
            ks, qs = ev(node.keys), ev(node.queries)
            return [[bool(node.predicate(k, q)) for k in ks] for q in qs]
        if isinstance(node, SelectorOr):
            a, b = ev(node.fst), ev(node.snd)
            return [[x or y for x, y in zip(r, s)] for r, s in zip(a, b)]
        if isinstance(node, SelectorAnd):
            a, b = ev(node.fst), ev(node.snd)
            return [[x and y for x, y in zip(r, s)] for r, s in zip(a, b)]
        if isinstance(node, SelectorNot):
            return [[not x for x in r] for r in ev(node.inner)]
        if isinstance(node, SelectorWidth):
            return [sum(row) for row in ev(node.selector)]
        if isinstance(node, Aggregate):
            sel, vs = ev(node.selector), ev(node.sop)
            result = []
            for row in sel:
                chosen = [v for v, s in zip(vs, row) if s]
                if not chosen:
                    result.append(0 if is_numerical(node) and node.default is None
                                  else node.default)
                elif is_numerical(node):
                    result.append(sum(chosen) / len(chosen))
                else:
                    if any(c != chosen[0] for c in chosen):
                        raise ValueError(f"Aggregate {node.label!r}: several values selected")
                    result.append(chosen[0])
            return result
        raise TypeError(f"evaluate_reference: unknown node type {type(node).__name__}")

    topological_order(program)  # raises on cycles before recursing
    return ev(program)
