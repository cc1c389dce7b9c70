"""What a RASP program costs as a transformer: layers, heads and value sets (Chapter 03).

Weiss, Goldberg & Yahav (2021) bound the size of a transformer that can run a RASP program
by counting it like this, and so does `schedule`:

- element-wise operations (`Map`, `SequenceMap`, `Full`) are free: the feed-forward block of
  the layer that produced their inputs computes them (any chain of them merges into one MLP);
- every `Aggregate` and `SelectorWidth` is an attention sublayer, placed in the first layer
  after everything it reads (its values and its selector's keys and queries) is available:
  greedy, as-early-as-possible scheduling;
- heads = the largest number of *distinct* selectors used in one layer (two aggregates that
  share a selector share a head: the head's value vector can carry both).

`SelectorWidth` needs a beginning-of-sequence (BOS) token: the query attends to BOS plus its
selected keys, reads 1/(w+1) from the BOS position, and the MLP turns that into w. With
`bos=False` we derive a BOS-free variant instead: attention cannot select *nothing*, so the
selection is widened to "selected, or position 0", and to know whether position 0 was
selected anyway each query first reads the key at position 0 (one more attention layer,
whose head all widths in that layer share). A select-all (`Comparison.TRUE`) always contains
position 0 and needs no extra layer, so `length` still costs one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from .core import (Aggregate, Comparison, Full, Map, Primitive, RASPExpr, Select, SelectorAnd,
                   SelectorNot, SelectorOr, SelectorWidth, SequenceMap, SOp, is_numerical,
                   topological_order)

FETCH_POSITION_0 = ("read the key at position 0",)


def selector_signature(sel: RASPExpr) -> tuple:
    """A structural name for a selector: equal signatures are the same attention pattern."""
    if isinstance(sel, Select):
        return ("select", sel.keys.id, sel.queries.id, sel.predicate)
    if isinstance(sel, SelectorNot):
        return ("not", selector_signature(sel.inner))
    if isinstance(sel, (SelectorAnd, SelectorOr)):
        op = "or" if isinstance(sel, SelectorOr) else "and"
        return (op, selector_signature(sel.fst), selector_signature(sel.snd))
    raise TypeError(f"not a selector: {sel!r}")


def _leaf_selects(sel: RASPExpr) -> list[Select]:
    if isinstance(sel, Select):
        return [sel]
    return [s for child in sel.children for s in _leaf_selects(child)]


@dataclass
class Schedule:
    """Where every node of a program runs. `layer[node.id]` is 0 for inputs and for maps of
    inputs; attention nodes run in layers 1..layers. `heads[l - 1]` lists (signature,
    selector) pairs of the distinct selectors in layer l."""

    layer: dict[int, int] = field(default_factory=dict)
    heads: list[list[tuple[tuple, Any]]] = field(default_factory=list)

    @property
    def layers(self) -> int:
        return len(self.heads)

    @property
    def max_heads(self) -> int:
        return max((len(h) for h in self.heads), default=0)

    def _use(self, layer: int, signature: tuple, selector: Any) -> None:
        while len(self.heads) < layer:
            self.heads.append([])
        if all(sig != signature for sig, _ in self.heads[layer - 1]):
            self.heads[layer - 1].append((signature, selector))


def schedule(program: RASPExpr, *, bos: bool = True) -> Schedule:
    """Greedy (as-early-as-possible) layer assignment of every node of `program`."""
    plan = Schedule()
    ready = plan.layer  # layer after which a node's value is available
    for node in topological_order(program):
        if isinstance(node, (Primitive, Full)):
            ready[node.id] = 0
        elif isinstance(node, (Map, SequenceMap)):
            ready[node.id] = max(ready[c.id] for c in node.children)
        elif isinstance(node, (Select, SelectorAnd, SelectorOr, SelectorNot)):
            ready[node.id] = max(ready[c.id] for c in node.children)
        elif isinstance(node, Aggregate):
            layer = max(ready[node.selector.id], ready[node.sop.id]) + 1
            ready[node.id] = layer
            plan._use(layer, selector_signature(node.selector), node.selector)
        elif isinstance(node, SelectorWidth):
            sel = node.selector
            select_all = isinstance(sel, Select) and sel.predicate is Comparison.TRUE
            if bos or select_all:
                layer = ready[sel.id] + 1
                plan._use(layer, selector_signature(sel), sel)
            else:  # first read the keys at position 0, then the widened selection
                fetch = max(ready[s.keys.id] for s in _leaf_selects(sel)) + 1
                plan._use(fetch, FETCH_POSITION_0, None)
                layer = max(ready[sel.id], fetch) + 1
                plan._use(layer, ("or position 0", selector_signature(sel)), sel)
            ready[node.id] = layer
        else:
            raise TypeError(f"schedule: unknown node type {type(node).__name__}")
    return plan


def count_layers_heads(program: RASPExpr, *, bos: bool = True) -> tuple[int, int]:
    """(layers, heads) a transformer needs for `program`, counted as in the paper (see the
    module docstring). With a BOS token: reverse 2/1, histogram 1/1, sort 2/1, double
    histogram 2/2, most-frequent 3/2, Dyck-1 2/1; our Dyck-2 needs 4/1 (the paper: 3/1, see
    `lib.make_dyck`). Without BOS (`bos=False`) each selector width that is not a select-all
    costs one more layer: histogram 2/1."""
    plan = schedule(program, bos=bos)
    return plan.layers, plan.max_heads


def _means(values: set, max_seq_len: int) -> set:
    """Every mean of 1..max_seq_len values drawn (with repetition) from `values`."""
    out: set = set()
    sums = {0}
    for m in range(1, max_seq_len + 1):
        sums = {s + v for s in sums for v in values}
        if len(sums) > 200_000:
            raise ValueError("value set too large to enumerate")
        out |= {s / m for s in sums}
    return out


def value_sets(program: RASPExpr, vocab: Any, max_seq_len: int) -> dict[int, set]:
    """The set of values every s-op can take on inputs over `vocab` of length <= max_seq_len
    (what a compiler needs to size its one-hot encodings). Keys are node ids."""
    vocab = set(vocab)
    if max_seq_len < 1:
        raise ValueError(f"max_seq_len must be >= 1, got {max_seq_len}")
    sets: dict[int, set] = {}
    for node in topological_order(program):
        if not isinstance(node, SOp):
            continue
        if isinstance(node, Primitive):
            s = set(vocab) if node.which == "tokens" else set(range(max_seq_len))
        elif isinstance(node, Full):
            s = {node.fill}
        elif isinstance(node, (Map, SequenceMap)):
            f = node.f.__getitem__ if isinstance(node.f, Mapping) else node.f
            s = set()
            for args in product(*(sets[c.id] for c in node.children)):
                try:
                    s.add(f(*args))
                except Exception as err:
                    raise ValueError(f"{type(node).__name__} {node.label!r}: f fails on "
                                     f"{args if len(args) > 1 else args[0]!r}: {err!r}") from err
        elif isinstance(node, Aggregate):
            inner = sets[node.sop.id]
            if is_numerical(node):
                s = _means(inner, max_seq_len) | {0 if node.default is None else node.default}
            else:
                s = inner | {node.default}
        elif isinstance(node, SelectorWidth):
            s = set(range(max_seq_len + 1))
        else:
            raise TypeError(f"value_sets: unknown node type {type(node).__name__}")
        sets[node.id] = s
    return sets
