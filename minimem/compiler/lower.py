"""Pass 1 (continued): lowering each RASP node into the graph of stored quantities (Chapter 04).

Lindner et al. (2023), https://arxiv.org/abs/2301.05062, section 3 (the compiler's first
stages), on programs of Weiss et al. (2021), https://arxiv.org/abs/2106.06981. One rule per
node type in the `LOWER` table; `build_graph` runs them children first. Selectors are lowered
when an `Aggregate` or `SelectorWidth` reads them: into an AND of `Factor`s, because a head's
attention scores can *add* the scores of several comparisons (and then AND them with a
threshold) but not OR them.
"""

from __future__ import annotations

from typing import Any, Callable

from minimem.rasp import (CATEGORICAL, NUMERICAL, Aggregate, Full, Map, Primitive, RASPExpr,
                          Select, Selector, SelectorAnd, SelectorNot, SelectorOr,
                          SelectorWidth, SequenceMap, SOp, selector_signature, value_sets)
from minimem.rasp.core import lookup, topological_order

from .graph import (MAX_MLP_UNITS, CompileError, Expr, Factor, Graph, Quantity, check_numbers,
                    fuse, identity_of, sort_values, store, where)


# ------------------------------------------------------------------ selectors


def _truth_select(sel: Select, k: Any, q: Any) -> bool:
    return bool(sel.predicate(k, q))


TRUTH: dict[type, Callable[[Any, Any, Any], bool]] = {
    Select: _truth_select,
    SelectorAnd: lambda sel, k, q: truth(sel.fst, k, q) and truth(sel.snd, k, q),
    SelectorOr: lambda sel, k, q: truth(sel.fst, k, q) or truth(sel.snd, k, q),
    SelectorNot: lambda sel, k, q: not truth(sel.inner, k, q),
}


def truth(sel: Selector, key: Any, query: Any) -> bool:
    """Does `sel` (whose leaves all compare the same keys and queries) select key for query?"""
    return lookup(TRUTH, sel, "compile_rasp")(sel, key, query)


def _leaf_selects(sel: RASPExpr) -> list[Select]:
    if isinstance(sel, Select):
        return [sel]
    return [s for child in sel.children for s in _leaf_selects(child)]


def selector_factors(graph: Graph, sel: Selector) -> tuple[Factor, ...]:
    """The selector as an AND of factors, each on one (keys, queries) pair; stores the keys
    and queries. OR and NOT are fine inside a factor (its table is any boolean function of
    key and query), but not across different pairs: attention scores can add, not OR."""
    if isinstance(sel, SelectorAnd):
        return selector_factors(graph, sel.fst) + selector_factors(graph, sel.snd)
    leaves = _leaf_selects(sel)
    if len({(s.keys.id, s.queries.id) for s in leaves}) > 1:
        raise CompileError(f"{where(sel)} combines selects on different keys/queries with OR "
                           "or NOT; one attention head can only AND them (scores add up)")
    keys, queries = store(graph, leaves[0].keys), store(graph, leaves[0].queries)
    for name in (keys, queries):
        if graph.quantities[name].encoding != CATEGORICAL:
            raise CompileError(f"{where(sel)}: the compiler needs categorical keys and "
                               f"queries, but {name!r} is numerical")
    return (Factor(keys, queries, lambda k, q, sel=sel: truth(sel, k, q)),)


# ------------------------------------------------------------------ lowering rules


def _lower_primitive(graph: Graph, node: Primitive) -> None:
    graph.exprs[node.id] = identity_of(node.which)
    graph.stored_as[node.id] = node.which


def _lower_full(graph: Graph, node: Full) -> None:
    graph.exprs[node.id] = Expr((), lambda fill=node.fill: fill)


def _lower_elementwise(graph: Graph, node: Map | SequenceMap) -> None:
    graph.exprs[node.id] = fuse(graph, node)


def _lower_aggregate(graph: Graph, node: Aggregate) -> None:
    factors = selector_factors(graph, node.selector)
    sop = store(graph, node.sop)
    values = sort_values(graph.node_values[node.id])
    if node.encoding == NUMERICAL:
        check_numbers(node, values)
        if not isinstance(node.default, (int, float, type(None))):
            raise CompileError(f"{where(node)}: a numerical default must be a number")
    elif graph.quantities[sop].encoding == NUMERICAL:
        raise CompileError(f"{where(node)} is categorical but reads the numerical s-op "
                           f"{sop!r}: a head can average numbers, not pick one exactly")
    default = (0 if node.default is None else node.default) \
        if node.encoding == NUMERICAL else node.default
    name = graph.add(Quantity(graph.unique_name(node.label), "aggregate", node.encoding,
                              values, factors=factors, sop=sop, default=default,
                              signature=("aggregate", selector_signature(node.selector)),
                              node=node))
    graph.exprs[node.id] = identity_of(name)
    graph.stored_as[node.id] = name


def _lower_selector_width(graph: Graph, node: SelectorWidth) -> None:
    factors = selector_factors(graph, node.selector)
    signature = ("width", selector_signature(node.selector))
    scratch = next((q.name for q in graph.quantities.values() if q.signature == signature),
                   None)
    if scratch is None:
        inverse = sorted(1 / (w + 1) for w in range(graph.max_seq_len + 1))
        scratch = graph.add(Quantity(graph.unique_name(f"{node.label}.bos_share"), "width",
                                     NUMERICAL, inverse, factors=factors,
                                     signature=signature, node=node))
    graph.exprs[node.id] = Expr((scratch,), lambda x: round(1 / x) - 1)


LOWER: dict[type, Callable[[Graph, Any], None]] = {
    Primitive: _lower_primitive,
    Full: _lower_full,
    Map: _lower_elementwise,
    SequenceMap: _lower_elementwise,
    Aggregate: _lower_aggregate,
    SelectorWidth: _lower_selector_width,
}


def build_graph(program: SOp, vocab: list, max_seq_len: int,
                max_units: int = MAX_MLP_UNITS) -> Graph:
    """Pass 1: value sets (chapter 03's `value_sets`), fused expressions, stored quantities."""
    if not isinstance(program, SOp):
        raise TypeError(f"compile_rasp: program must be a RASP s-op, got "
                        f"{type(program).__name__}")
    graph = Graph(program, list(vocab), max_seq_len, max_units=max_units)
    graph.node_values = value_sets(program, vocab, max_seq_len)
    graph.add(Quantity("tokens", "input", CATEGORICAL, sort_values(vocab)))
    graph.add(Quantity("indices", "input", CATEGORICAL, list(range(max_seq_len))))
    for node in topological_order(program):
        if isinstance(node, SOp):
            lookup(LOWER, node, "compile_rasp")(graph, node)
    graph.output = store(graph, program)
    return graph
