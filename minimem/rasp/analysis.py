"""What a RASP program costs as a transformer: layers, heads and value sets (Chapter 03).

Weiss, Goldberg & Yahav (2021), "Thinking Like Transformers"
(https://arxiv.org/abs/2106.06981), bound the size of a transformer that can run a RASP
program by counting it like this, and so does `schedule`:

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

Each pass dispatches on the node type through one table (`SCHEDULE`, `SIGNATURE`,
`VALUE_SET`), as tracr does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Callable

from .core import (Full, Map, Primitive, RASPExpr, SequenceMap, SOp, as_function, is_numerical,
                   lookup, topological_order)
from .selectors import (Aggregate, Comparison, Select, Selector, SelectorAnd, SelectorNot,
                        SelectorOr, SelectorWidth)

FETCH_POSITION_0 = ("read the key at position 0",)

# ------------------------------------------------------------------- selector signatures

SIGNATURE: dict[type, Callable[[Any], tuple]] = {
    Select: lambda sel: ("select", sel.keys.id, sel.queries.id, sel.predicate),
    SelectorNot: lambda sel: ("not", selector_signature(sel.inner)),
    SelectorAnd: lambda sel: ("and", selector_signature(sel.fst), selector_signature(sel.snd)),
    SelectorOr: lambda sel: ("or", selector_signature(sel.fst), selector_signature(sel.snd)),
}


def selector_signature(sel: RASPExpr) -> tuple:
    """A structural name for a selector: equal signatures are the same attention pattern."""
    if not isinstance(sel, Selector):
        raise TypeError(f"not a selector: {sel!r}")
    return lookup(SIGNATURE, sel, "selector_signature")(sel)


def _leaf_selects(sel: RASPExpr) -> list[Select]:
    if isinstance(sel, Select):
        return [sel]
    return [s for child in sel.children for s in _leaf_selects(child)]


# ---------------------------------------------------------------------------- scheduling

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


# A scheduling rule returns the layer after which `node`'s value is available (its children's
# layers are in `plan.layer` already) and books the heads it uses in `plan`.
ScheduleRule = Callable[[Any, Schedule, bool], int]


def _input_layer(node: RASPExpr, plan: Schedule, bos: bool) -> int:
    return 0


def _free(node: RASPExpr, plan: Schedule, bos: bool) -> int:
    """Element-wise operations and selectors cost no layer: ready with their inputs."""
    return max(plan.layer[c.id] for c in node.children)


def _aggregate_layer(node: Aggregate, plan: Schedule, bos: bool) -> int:
    layer = max(plan.layer[node.selector.id], plan.layer[node.sop.id]) + 1
    plan._use(layer, selector_signature(node.selector), node.selector)
    return layer


def _selector_width_layer(node: SelectorWidth, plan: Schedule, bos: bool) -> int:
    sel = node.selector
    select_all = isinstance(sel, Select) and sel.predicate is Comparison.TRUE
    if bos or select_all:
        layer = plan.layer[sel.id] + 1
        plan._use(layer, selector_signature(sel), sel)
        return layer
    # No BOS: first read the keys at position 0, then the widened selection.
    fetch = max(plan.layer[s.keys.id] for s in _leaf_selects(sel)) + 1
    plan._use(fetch, FETCH_POSITION_0, None)
    layer = max(plan.layer[sel.id], fetch) + 1
    plan._use(layer, ("or position 0", selector_signature(sel)), sel)
    return layer


SCHEDULE: dict[type, ScheduleRule] = {
    Primitive: _input_layer,
    Full: _input_layer,
    Map: _free,
    SequenceMap: _free,
    Select: _free,
    SelectorAnd: _free,
    SelectorOr: _free,
    SelectorNot: _free,
    Aggregate: _aggregate_layer,
    SelectorWidth: _selector_width_layer,
}


def schedule(program: RASPExpr, *, bos: bool = True) -> Schedule:
    """Greedy (as-early-as-possible) layer assignment of every node of `program`."""
    plan = Schedule()
    for node in topological_order(program):
        plan.layer[node.id] = lookup(SCHEDULE, node, "schedule")(node, plan, bos)
    return plan


def count_layers_heads(program: RASPExpr, *, bos: bool = True) -> tuple[int, int]:
    """(layers, heads) a transformer needs for `program`, counted as in the paper (see the
    module docstring). With a BOS token: reverse 2/1, histogram 1/1, sort 2/1, double
    histogram 2/2, most-frequent 3/2, Dyck-1 2/1; our Dyck-2 needs 4/1 (the paper: 3/1, see
    `lib.make_dyck`). Without BOS (`bos=False`) each selector width that is not a select-all
    costs one more layer: histogram 2/1."""
    plan = schedule(program, bos=bos)
    return plan.layers, plan.max_heads


# ---------------------------------------------------------------------------- value sets

MAX_SEQ_LEN = 4096  # value sets are enumerated: beyond this they take minutes or gigabytes
MAX_COMBINATIONS = 1_000_000


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


# A value-set rule gets the node, its children's value sets (None for a selector), the
# vocabulary and the maximum length, and returns the set of values the node can take.
ValueSetRule = Callable[[Any, list, set, int], set]


def _image(node: Map | SequenceMap, args: list, vocab: set, max_seq_len: int) -> set:
    """`f` applied to every combination of its arguments' possible values."""
    f = as_function(node.f)
    combinations = math.prod(len(a) for a in args)
    if combinations > MAX_COMBINATIONS:
        raise ValueError(f"value_sets: {type(node).__name__} {node.label!r} would try "
                         f"{combinations:,} argument combinations (limit {MAX_COMBINATIONS:,}); "
                         "use a smaller vocab or max_seq_len")
    out = set()
    for combo in product(*args):
        try:
            out.add(f(*combo))
        except Exception as err:
            raise ValueError(f"{type(node).__name__} {node.label!r}: f fails on "
                             f"{combo if len(combo) > 1 else combo[0]!r}: {err!r}") from err
    return out


def _aggregate_values(node: Aggregate, args: list, vocab: set, max_seq_len: int) -> set:
    _, inner = args
    if is_numerical(node):
        return _means(inner, max_seq_len) | {0 if node.default is None else node.default}
    return inner | {node.default}


VALUE_SET: dict[type, ValueSetRule] = {
    Primitive: lambda node, args, vocab, max_seq_len: (
        set(vocab) if node.which == "tokens" else set(range(max_seq_len))),
    Full: lambda node, args, vocab, max_seq_len: {node.fill},
    Map: _image,
    SequenceMap: _image,
    Aggregate: _aggregate_values,
    SelectorWidth: lambda node, args, vocab, max_seq_len: set(range(max_seq_len + 1)),
}


def value_sets(program: RASPExpr, vocab: Any, max_seq_len: int) -> dict[int, set]:
    """The set of values every s-op can take on inputs over `vocab` of length <= max_seq_len
    (what a compiler needs to size its one-hot encodings). Keys are node ids."""
    vocab = set(vocab)
    if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, int) \
            or not 1 <= max_seq_len <= MAX_SEQ_LEN:
        raise ValueError(f"max_seq_len must be an int in 1..{MAX_SEQ_LEN}, got {max_seq_len!r}")
    sets: dict[int, set] = {}
    for node in topological_order(program):
        if isinstance(node, SOp):
            args = [sets.get(child.id) for child in node.children]
            sets[node.id] = lookup(VALUE_SET, node, "value_sets")(node, args, vocab, max_seq_len)
    return sets
