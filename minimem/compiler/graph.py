"""Pass 1 of the RASP compiler: the program as a graph of *stored quantities* (Chapter 04).

Lindner et al. (2023), "Tracr: Compiled Transformers as a Laboratory for Interpretability"
(https://arxiv.org/abs/2301.05062), compile a RASP program (Weiss et al. 2021,
https://arxiv.org/abs/2106.06981) by first listing its nodes with their value sets and
encodings. We do the same, with one change that saves layers and width: element-wise
operations are *fused*. A chain such as `Map(f, Map(g, SequenceMap(h, a, b)))` is one
function of its sources `a` and `b`, and one MLP computes it, so the intermediate values never
need a slot in the residual stream. A quantity is *stored* (gets residual dimensions) only when
an attention head reads it, when it is the program's output, or when a fused function would
need too large a lookup table.

What gets stored, and how it is computed (`Quantity.kind`):
- "input": `tokens` and `indices`;
- "map": a function of stored sources (categorical ones one-hot, numerical ones one number);
- "aggregate": one attention head reads `sop` through a selector (a list of `Factor`s);
- "width": the beginning-of-sequence trick's scratch value 1/(w+1) of a `SelectorWidth`; the
  width itself is then the element-wise function w = 1/x - 1 of it, fused like any map.

`lower.py` turns each RASP node into expressions and quantities, one rule per node type in its
`LOWER` table (tracr's dispatch style); this file holds the data and the fusing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any, Callable

from minimem.rasp import CATEGORICAL, NUMERICAL, Map, RASPExpr, SOp
from minimem.rasp.core import as_function

from .tables import count_units

MAX_MLP_UNITS = 1024  # a fused function needing more hidden units is split (more layers)


class CompileError(ValueError):
    """A program (or part of one) that the compiler cannot turn into exact weights."""


def where(node: RASPExpr) -> str:
    return f"{type(node).__name__} {node.label!r}"


@dataclass(frozen=True)
class Factor:
    """One conjunct of a selector: `test(key, query)` on one (keys, queries) pair of stored
    quantities. A selector is the AND of its factors (the attention scores add up)."""

    keys: str
    queries: str
    test: Callable[[Any, Any], bool]


@dataclass
class Quantity:
    """Something the compiled model stores in its residual stream."""

    name: str
    kind: str  # "input" | "map" | "aggregate" | "width"
    encoding: str  # CATEGORICAL (one-hot) | NUMERICAL (one scalar)
    values: list  # every value it can take, sorted when possible
    sources: tuple[str, ...] = ()  # map: the stored quantities it is a function of
    fn: Callable | None = None  # map: fn(*source values) -> value
    factors: tuple[Factor, ...] = ()  # aggregate / width: the selector
    sop: str | None = None  # aggregate: the quantity read
    default: Any = None  # aggregate: the value where nothing is selected
    signature: tuple = ()  # aggregate / width: selectors with equal signatures share a head
    node: RASPExpr | None = None


@dataclass
class Expr:
    """An s-op as a function of stored quantities (before deciding whether to store it)."""

    sources: tuple[str, ...]
    fn: Callable


@dataclass
class Graph:
    """The compiler's view of a program: stored quantities (children before parents) and the
    name of the output. `exprs` holds every s-op's fused expression, by node id."""

    program: SOp
    vocab: list
    max_seq_len: int
    quantities: dict[str, Quantity] = field(default_factory=dict)
    exprs: dict[int, Expr] = field(default_factory=dict)
    stored_as: dict[int, str] = field(default_factory=dict)
    node_values: dict[int, set] = field(default_factory=dict)
    output: str = ""
    max_units: int = MAX_MLP_UNITS

    def add(self, q: Quantity) -> str:
        self.quantities[q.name] = q
        return q.name

    def unique_name(self, label: str) -> str:
        name, k = label, 2
        while name in self.quantities or name in ("one", "bos"):
            name, k = f"{label}#{k}", k + 1
        return name


def sort_values(values: Any) -> list:
    """Values in a stable order: sorted when Python can compare them, else by repr."""
    values = list(values)
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, repr(v)))


def mlp_units(graph: Graph, expr: Expr) -> int:
    """Hidden units of the lookup MLP that computes `expr` (see `tables`, `mlp`)."""
    return count_units(graph.quantities, expr.sources, expr.fn)


# ------------------------------------------------------------------ storing an s-op


def store(graph: Graph, node: SOp) -> str:
    """Give `node` residual space (once) and return its quantity name."""
    if node.id in graph.stored_as:
        return graph.stored_as[node.id]
    expr = graph.exprs[node.id]
    if getattr(expr.fn, "identity", False):  # already stored under another name
        graph.stored_as[node.id] = expr.sources[0]
        return expr.sources[0]
    values = sort_values(graph.node_values[node.id])
    if node.encoding == NUMERICAL:
        check_numbers(node, values)
    name = graph.add(Quantity(graph.unique_name(node.label), "map", node.encoding, values,
                              sources=expr.sources, fn=expr.fn, node=node))
    graph.stored_as[node.id] = name
    return name


def check_numbers(node: SOp, values: list) -> None:
    bad = [v for v in values if not isinstance(v, (int, float))]
    if bad:
        raise CompileError(f"{where(node)} is numerical but can take the value {bad[0]!r}; "
                           "a numerical s-op stores one number per position")


def _union(exprs: list[Expr]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for e in exprs for s in e.sources))


def _has_numerical(graph: Graph, expr: Expr) -> bool:
    return any(graph.quantities[s].encoding == NUMERICAL for s in expr.sources)


def fuse(graph: Graph, node: SOp) -> Expr:
    """`node` as one function of stored quantities: its children's expressions inlined, as
    long as one MLP can compute the result exactly; otherwise children are stored (each
    costs an MLP sub-layer of its own), those with numerical sources first, and as a last
    resort a numerical source is re-encoded as categorical classes."""
    kids = list(node.children)
    exprs = [graph.exprs[c.id] for c in kids]
    while (units := mlp_units(graph, expr := _joined(node, exprs))) > graph.max_units:
        open_kids = [i for i, e in enumerate(exprs) if not getattr(e.fn, "identity", False)]
        if open_kids:
            i = max(open_kids, key=lambda k: (_has_numerical(graph, exprs[k]),
                                              mlp_units(graph, exprs[k])))
            exprs[i] = identity_of(store(graph, kids[i]))
        elif any(graph.quantities[s].kind != "map" and graph.quantities[s].encoding == NUMERICAL
                 for s in _union(exprs)):
            exprs = _recode_numerical(graph, node, exprs)
        else:
            raise CompileError(f"{where(node)} cannot be compiled: its lookup table needs "
                               f"{units} hidden units (limit {graph.max_units}); use a "
                               "smaller vocab or max_seq_len, or raise max_mlp_units")
    return expr


def _joined(node: SOp, exprs: list[Expr]) -> Expr:
    sources = _union(exprs)
    return Expr(sources, compose(node, exprs, sources))


def _classes(graph: Graph, fn: Callable, sources: tuple[str, ...], k: int) -> dict:
    """Value of source k -> a representative value with the same effect on `fn`: two
    values are in one class when fn gives equal results for every value of the others."""
    others = [graph.quantities[s].values if i != k else [None] for i, s in enumerate(sources)]
    rep: dict = {}
    seen: dict = {}
    for u in graph.quantities[sources[k]].values:
        effect = tuple(repr(fn(*(a[:k] + (u,) + a[k + 1:]))) for a in product(*others))
        rep[u] = seen.setdefault(effect, u)
    return rep


def _recode_numerical(graph: Graph, node: SOp, exprs: list[Expr]) -> list[Expr]:
    """Store a categorical code of the earliest numerical source, by the classes of its
    values that `node` tells apart (one more MLP sub-layer): an MLP thresholds one number
    exactly, not two at once. E.g. `"F" if a > 0 else ...` only needs to know a > 0."""
    sources = _union(exprs)
    fn = compose(node, exprs, sources)
    options = [(_classes(graph, fn, sources, k), s) for k, s in enumerate(sources)
               if graph.quantities[s].encoding == NUMERICAL and graph.quantities[s].kind != "map"]
    order = list(graph.quantities)  # the earliest source is usually ready first
    rep, num = min(options, key=lambda o: (order.index(o[1]), len(set(o[0].values()))))
    name = graph.add(Quantity(graph.unique_name(f"{num}.classes"), "map", CATEGORICAL,
                              sort_values(set(rep.values())), sources=(num,),
                              fn=lambda x, rep=rep: rep[x], node=node))
    return [Expr(tuple(name if s == num else s for s in e.sources), e.fn) for e in exprs]


def identity_of(name: str) -> Expr:
    fn = lambda x: x  # noqa: E731
    fn.identity = True  # type: ignore[attr-defined]
    return Expr((name,), fn)


def compose(node: SOp, kid_exprs: list[Expr], sources: tuple[str, ...]) -> Callable:
    """fn(*source values) computing `node` from its children's expressions."""
    f = as_function(node.f) if isinstance(node, Map) else node.f
    picks = [[sources.index(s) for s in e.sources] for e in kid_exprs]

    def fn(*vals: Any) -> Any:
        args = [e.fn(*[vals[i] for i in p]) for e, p in zip(kid_exprs, picks)]
        return f(*args)
    return fn
