"""Evaluating RASP programs: vectorised with NumPy boolean selector matrices (Chapter 03).

Weiss, Goldberg & Yahav (2021), "Thinking Like Transformers" (https://arxiv.org/abs/2106.06981),
define the meaning of each operation; this file implements it twice, as two dispatch tables
(node type -> rule, tracr's style) run by one driver that visits the nodes children first:

- `EVALUATE`, behind `evaluate` / `evaluate_all`: a selector becomes an (N, N) boolean matrix
  built with NumPy broadcasting (predicates are compared on integer codes of the values), and
  aggregation is a matrix product (numerical) or a masked min/max over value codes
  (categorical);
- `EVALUATE_REFERENCE`, behind `evaluate_reference`: the definitions written as plain Python
  loops, used by the tests as an independent oracle and by the benchmark as the baseline.

Notation: N sequence length; M (N, N) selector matrix, M[i, j] = query i selects key j.
Element-wise functions are called once per *distinct* value (or pair), not once per position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np

from .core import (Full, Map, Primitive, RASPExpr, SequenceMap, SOp, as_function, is_numerical,
                   lookup, topological_order)
from .selectors import (Aggregate, Comparison, Select, SelectorAnd, SelectorNot, SelectorOr,
                        SelectorWidth)

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
    function = as_function(f)
    many = len(columns) > 1
    rows = list(zip(*columns)) if many else columns[0]

    def call(args: Any, key: Any, keys: Sequence) -> Any:
        try:
            return function(*args) if many else function(args)
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


# A rule computes one node's value from the node, its children's values (in the order of
# `node.children`) and the input tokens.
Rule = Callable[[Any, list, list], Any]


def _where(node: RASPExpr) -> str:
    return f"{type(node).__name__} {node.label!r}"


def _primitive(node: Primitive, args: list, xs: list) -> list:
    return xs if node.which == "tokens" else list(range(len(xs)))


def _full(node: Full, args: list, xs: list) -> list:
    return [node.fill] * len(xs)


EVALUATE: dict[type, Rule] = {
    Primitive: _primitive,
    Full: _full,
    Map: lambda node, args, xs: _apply(node, node.f, args),
    SequenceMap: lambda node, args, xs: _apply(node, node.f, args),
    Select: lambda node, args, xs: select_matrix(*args, node.predicate, _where(node)),
    SelectorAnd: lambda node, args, xs: args[0] & args[1],
    SelectorOr: lambda node, args, xs: args[0] | args[1],
    SelectorNot: lambda node, args, xs: ~args[0],
    Aggregate: lambda node, args, xs: aggregate_matrix(
        *args, numerical=is_numerical(node), default=node.default, where=_where(node)),
    SelectorWidth: lambda node, args, xs: selector_width_matrix(args[0]),
}


def _reference_aggregate(node: Aggregate, args: list, xs: list) -> list:
    """Per query row: the mean (numerical) or the single value (categorical) selected."""
    selector, values = args
    result = []
    for row in selector:
        chosen = [v for v, s in zip(values, row) if s]
        if not chosen:
            result.append(0 if is_numerical(node) and node.default is None else node.default)
        elif is_numerical(node):
            result.append(sum(chosen) / len(chosen))
        else:
            if any(c != chosen[0] for c in chosen):
                raise ValueError(f"Aggregate {node.label!r}: several values selected")
            result.append(chosen[0])
    return result


EVALUATE_REFERENCE: dict[type, Rule] = {
    Primitive: _primitive,
    Full: _full,
    Map: lambda node, args, xs: [as_function(node.f)(x) for x in args[0]],
    SequenceMap: lambda node, args, xs: [node.f(a, b) for a, b in zip(*args)],
    Select: lambda node, args, xs: [[bool(node.predicate(k, q)) for k in args[0]]
                                    for q in args[1]],
    SelectorAnd: lambda node, args, xs: [[x and y for x, y in zip(r, s)] for r, s in zip(*args)],
    SelectorOr: lambda node, args, xs: [[x or y for x, y in zip(r, s)] for r, s in zip(*args)],
    SelectorNot: lambda node, args, xs: [[not x for x in r] for r in args[0]],
    Aggregate: _reference_aggregate,
    SelectorWidth: lambda node, args, xs: [sum(row) for row in args[0]],
}


def _run(rules: Mapping[type, Rule], program: RASPExpr, tokens_list: Sequence,
         where: str) -> dict[RASPExpr, Any]:
    """Apply `rules` to every node of `program`, children first; every node's value."""
    xs = _check_input(tokens_list)
    by_id: dict[int, Any] = {}
    values: dict[RASPExpr, Any] = {}
    for node in topological_order(program):
        args = [by_id[child.id] for child in node.children]
        value = lookup(rules, node, where)(node, args, xs)
        if isinstance(node, SOp) and len(value) != len(xs):
            raise ValueError(f"{_where(node)}: produced {len(value)} values for an input of "
                             f"length {len(xs)}")
        by_id[node.id] = values[node] = value
    return values


def evaluate_all(program: RASPExpr, tokens_list: Sequence) -> dict[RASPExpr, Any]:
    """The value of every node of `program`, in topological order: a list per s-op and an
    (N, N) boolean matrix (queries x keys) per selector."""
    return _run(EVALUATE, program, tokens_list, "evaluate")


def evaluate(program: RASPExpr, tokens_list: Sequence) -> list:
    """Run `program` on one input; an s-op gives a list (one value per position), a selector
    its matrix as a list of rows of bools."""
    value = evaluate_all(program, tokens_list)[program]
    return value.tolist() if isinstance(value, np.ndarray) else list(value)


def evaluate_reference(program: RASPExpr, tokens_list: Sequence) -> list:
    """The paper's definitions as plain loops (slow; an oracle for `evaluate`)."""
    return _run(EVALUATE_REFERENCE, program, tokens_list, "evaluate_reference")[program]
