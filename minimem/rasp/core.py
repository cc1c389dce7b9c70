"""The RASP language: expressions, the input s-ops and the element-wise operations.

Chapter 03 explains it. RASP is the *Restricted Access Sequence Processing* language of
Weiss, Goldberg & Yahav (2021), "Thinking Like Transformers" (ICML),
https://arxiv.org/abs/2106.06981. It describes what a transformer encoder can compute with two
families of operations:

- element-wise ones (`Map`, `SequenceMap`), which a feed-forward block (MLP) can compute: this
  file, with the base classes, the inputs `tokens` and `indices` and the annotations;
- `Select` + `Aggregate` (and `SelectorWidth`), which an attention head can compute: they live
  in `selectors.py`, with `Comparison` and the selector combinators.

The public names follow DeepMind's tracr (`tokens`, `indices`, `Map`, `SequenceMap`, `Select`,
`Aggregate`, `SelectorWidth`, `Comparison`, `numerical`, `categorical`) so that programs read
the same in both. A program is a graph of immutable, typed nodes: every node has a unique
integer `id`, a human `label`, its children, and (for s-ops) an `encoding` ("categorical" or
"numerical"). Chapter 04 compiles such graphs into transformer weights.

Evaluation, analysis and drawing dispatch on the node type through one table each (tracr's
style): `lookup(table, node, where)` finds a node's entry.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Callable, TypeVar

CATEGORICAL = "categorical"
NUMERICAL = "numerical"
_ENCODINGS = (CATEGORICAL, NUMERICAL)
_ids = itertools.count(1)
Entry = TypeVar("Entry")


def fn_name(f: Any) -> str:
    """A short printable name of a Map/SequenceMap function or lookup table."""
    if isinstance(f, Mapping):
        return f"table{dict(f)!r}" if len(f) <= 6 else f"table[{len(f)} entries]"
    return getattr(f, "__name__", type(f).__name__)


@dataclass(frozen=True, eq=False, repr=False)
class RASPExpr:
    """Base class of every node. `id` is unique per node; `label` is `name` or `kind_id`."""

    name: str | None = field(default=None, kw_only=True)
    id: int = field(default_factory=lambda: next(_ids), init=False)

    kind = "expr"

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return ()

    @property
    def label(self) -> str:
        return self.name if self.name is not None else f"{self.kind}_{self.id}"

    def named(self, name: str) -> RASPExpr:
        """A copy of this node (with a fresh id) called `name`."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty str, got {name!r}")
        return replace(self, name=name)

    def __hash__(self) -> int:
        return hash(self.id)

    def __bool__(self) -> bool:
        raise TypeError(
            f"{self.label} is a RASP expression, not a Python bool: use & | ~ instead of "
            "and/or/not, and evaluate(...) to get values"
        )


def as_function(f: Callable | Mapping) -> Callable:
    """A Map's `f` as a function: `f` itself, or the lookup of a dict used as a table."""
    return f.__getitem__ if isinstance(f, Mapping) else f


def check_arg(value: Any, cls: type, arg: str, where: str) -> None:
    """Raise a TypeError naming `where` and `arg` unless `value` is a `cls`."""
    if not isinstance(value, cls):
        raise TypeError(f"{where}: {arg} must be a {cls.__name__}, got {type(value).__name__}")


def lookup(table: Mapping[type, Entry], node: RASPExpr, where: str) -> Entry:
    """The entry of a dispatch `table` (node type -> entry) for `node`; a subclass without an
    entry of its own uses its nearest base class's."""
    for cls in type(node).__mro__:
        if cls in table:
            return table[cls]
    raise TypeError(f"{where}: unknown node type {type(node).__name__} ({node.label})")


# ----------------------------------------------------------------------------- s-ops


@dataclass(frozen=True, eq=False, repr=False)
class SOp(RASPExpr):
    """A sequence operation: evaluates to one value per input position."""

    encoding: str = field(default=CATEGORICAL, kw_only=True)

    def __post_init__(self) -> None:
        if self.encoding not in _ENCODINGS:
            raise ValueError(f"encoding must be one of {_ENCODINGS}, got {self.encoding!r}")

    def __repr__(self) -> str:
        kids = ", ".join(c.label for c in self.children)
        return f"<{type(self).__name__} {self.label}({kids}) {self.encoding}>"

    # Python operator sugar: s-op (op) s-op is a SequenceMap, s-op (op) constant is a Map.
    def _binary(self, other: Any, op: Callable, sym: str, reflected: bool = False) -> SOp:
        if isinstance(other, SOp):
            a, b = (other, self) if reflected else (self, other)
            f = _named(lambda x, y: op(x, y), f"x {sym} y")
            return SequenceMap(f, a, b)
        if isinstance(other, RASPExpr):
            raise TypeError(f"cannot combine s-op {self.label} with selector {other.label}")
        if reflected:
            return Map(_named(lambda x: op(other, x), f"{other!r} {sym} x"), self)
        return Map(_named(lambda x: op(x, other), f"x {sym} {other!r}"), self)

    def __add__(self, o): return self._binary(o, operator.add, "+")
    def __radd__(self, o): return self._binary(o, operator.add, "+", True)
    def __sub__(self, o): return self._binary(o, operator.sub, "-")
    def __rsub__(self, o): return self._binary(o, operator.sub, "-", True)
    def __mul__(self, o): return self._binary(o, operator.mul, "*")
    def __rmul__(self, o): return self._binary(o, operator.mul, "*", True)
    def __truediv__(self, o): return self._binary(o, operator.truediv, "/")
    def __rtruediv__(self, o): return self._binary(o, operator.truediv, "/", True)
    def __floordiv__(self, o): return self._binary(o, operator.floordiv, "//")
    def __mod__(self, o): return self._binary(o, operator.mod, "%")
    def __eq__(self, o): return self._binary(o, operator.eq, "==")  # type: ignore[override]
    def __ne__(self, o): return self._binary(o, operator.ne, "!=")  # type: ignore[override]
    def __lt__(self, o): return self._binary(o, operator.lt, "<")
    def __le__(self, o): return self._binary(o, operator.le, "<=")
    def __gt__(self, o): return self._binary(o, operator.gt, ">")
    def __ge__(self, o): return self._binary(o, operator.ge, ">=")
    def __and__(self, o): return self._binary(o, lambda x, y: bool(x) and bool(y), "and")
    def __rand__(self, o): return self._binary(o, lambda x, y: bool(x) and bool(y), "and", True)
    def __or__(self, o): return self._binary(o, lambda x, y: bool(x) or bool(y), "or")
    def __ror__(self, o): return self._binary(o, lambda x, y: bool(x) or bool(y), "or", True)
    def __neg__(self): return Map(_named(lambda x: -x, "-x"), self)
    def __invert__(self): return Map(_named(lambda x: not x, "not x"), self)

    __hash__ = RASPExpr.__hash__


def _named(f: Callable, name: str) -> Callable:
    f.__name__ = f.__qualname__ = name
    return f


@dataclass(frozen=True, eq=False, repr=False)
class Primitive(SOp):
    """An input s-op: `tokens` (the input itself) or `indices` (0, 1, ..., N-1)."""

    which: str = "tokens"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.which not in ("tokens", "indices"):
            raise ValueError(f"Primitive: which must be 'tokens' or 'indices', got {self.which!r}")

    @property
    def label(self) -> str:
        return self.name if self.name is not None else self.which

    def __repr__(self) -> str:
        return self.label


@dataclass(frozen=True, eq=False, repr=False)
class Full(SOp):
    """The constant s-op `fill` at every position (no layer needed)."""

    fill: Any = None
    kind = "full"


@dataclass(frozen=True, eq=False, repr=False)
class Map(SOp):
    """`f` applied to every value of `sop` (a feed-forward computation). `f` may be a dict."""

    f: Callable[[Any], Any] | Mapping
    sop: SOp
    kind = "map"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (callable(self.f) or isinstance(self.f, Mapping)):
            raise TypeError(f"Map: f must be callable or a dict, got {type(self.f).__name__}")
        check_arg(self.sop, SOp, "sop", "Map")

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return (self.sop,)

    def __repr__(self) -> str:
        return f"<Map {self.label} = {fn_name(self.f)}({self.sop.label}) {self.encoding}>"


@dataclass(frozen=True, eq=False, repr=False)
class SequenceMap(SOp):
    """`f(a_i, b_i)` at every position i (a feed-forward computation of two s-ops)."""

    f: Callable[[Any, Any], Any]
    fst: SOp
    snd: SOp
    kind = "sequence_map"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not callable(self.f):
            raise TypeError(f"SequenceMap: f must be callable, got {type(self.f).__name__}")
        check_arg(self.fst, SOp, "fst", "SequenceMap")
        check_arg(self.snd, SOp, "snd", "SequenceMap")

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return (self.fst, self.snd)

    def __repr__(self) -> str:
        args = f"{self.fst.label}, {self.snd.label}"
        return f"<SequenceMap {self.label} = {fn_name(self.f)}({args}) {self.encoding}>"


# ----------------------------------------------------------------- inputs and helpers

tokens = Primitive(which="tokens")
indices = Primitive(which="indices")


def numerical(sop: SOp) -> SOp:
    """A copy of `sop` annotated as numerical (one number per position; means aggregate)."""
    check_arg(sop, SOp, "sop", "numerical")
    return replace(sop, encoding=NUMERICAL)


def categorical(sop: SOp) -> SOp:
    """A copy of `sop` annotated as categorical (one symbol per position)."""
    check_arg(sop, SOp, "sop", "categorical")
    return replace(sop, encoding=CATEGORICAL)


def is_numerical(sop: SOp) -> bool:
    return sop.encoding == NUMERICAL


def topological_order(program: RASPExpr) -> list[RASPExpr]:
    """Every node reachable from `program`, children before parents (the program last).

    Raises ValueError naming a node on a cycle (only possible if nodes were mutated).
    """
    check_arg(program, RASPExpr, "program", "topological_order")
    order: list[RASPExpr] = []
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    stack: list[tuple[RASPExpr, bool]] = [(program, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            state[node.id] = 2
            order.append(node)
            continue
        if state.get(node.id) == 2:
            continue
        state[node.id] = 1
        stack.append((node, True))
        for child in node.children:
            s = state.get(child.id)
            if s == 1:
                raise ValueError(f"the program has a cycle through node {child.label!r} "
                                 f"(reached again from {node.label!r})")
            if s is None:
                stack.append((child, False))
    return order
