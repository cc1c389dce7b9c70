"""RASP's attention half: `Comparison`, selectors, and the s-ops that read through them.

Chapter 03 explains it. In Weiss, Goldberg & Yahav (2021), "Thinking Like Transformers"
(https://arxiv.org/abs/2106.06981), `Select(keys, queries, predicate)` is an attention pattern
with hard scores: a query x key boolean matrix. `Aggregate` reads values through it (one
attention head) and `SelectorWidth` counts what it selects. Selectors combine with `&`, `|` and
`~`; `SelectorAnd` and `SelectorOr` are siblings sharing one small base class.

Notation used by the evaluator: N = sequence length; a selector evaluates to an (N, N)
boolean matrix whose row i is query position i and whose column j is key position j.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable

from .core import RASPExpr, SOp, check_arg, fn_name


class Comparison(enum.Enum):
    """The predicates of `Select`, applied as `predicate(key, query)` (tracr's convention)."""

    EQ = "=="
    LT = "<"
    LEQ = "<="
    GT = ">"
    GEQ = ">="
    NEQ = "!="
    TRUE = "true"
    FALSE = "false"

    def __call__(self, key: Any, query: Any) -> bool:
        return _COMPARE[self](key, query)

    def __repr__(self) -> str:
        return f"Comparison.{self.name}"


_COMPARE: dict[Comparison, Callable[[Any, Any], bool]] = {
    Comparison.EQ: lambda k, q: k == q,
    Comparison.LT: lambda k, q: k < q,
    Comparison.LEQ: lambda k, q: k <= q,
    Comparison.GT: lambda k, q: k > q,
    Comparison.GEQ: lambda k, q: k >= q,
    Comparison.NEQ: lambda k, q: k != q,
    Comparison.TRUE: lambda k, q: True,
    Comparison.FALSE: lambda k, q: False,
}


# ------------------------------------------------------------------------- selectors


@dataclass(frozen=True, eq=False, repr=False)
class Selector(RASPExpr):
    """A query x key boolean pattern; `&`, `|` and `~` combine selectors."""

    def __and__(self, other: Selector) -> Selector: return SelectorAnd(self, other)
    def __or__(self, other: Selector) -> Selector: return SelectorOr(self, other)
    def __invert__(self) -> Selector: return SelectorNot(self)


@dataclass(frozen=True, eq=False, repr=False)
class Select(Selector):
    """Query i selects key j when `predicate(keys[j], queries[i])` holds."""

    keys: SOp
    queries: SOp
    predicate: Comparison | Callable[[Any, Any], bool]
    kind = "select"

    def __post_init__(self) -> None:
        check_arg(self.keys, SOp, "keys", "Select")
        check_arg(self.queries, SOp, "queries", "Select")
        if not callable(self.predicate):
            raise TypeError(
                f"Select: predicate must be a Comparison or a callable(key, query), "
                f"got {type(self.predicate).__name__}"
            )

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return (self.keys, self.queries)

    def __repr__(self) -> str:
        pred = self.predicate.name if isinstance(self.predicate, Comparison) else fn_name(
            self.predicate)
        sops = f"keys={self.keys.label}, queries={self.queries.label}"
        return f"<Select {self.label}: {sops}, {pred}>"


@dataclass(frozen=True, eq=False, repr=False)
class _SelectorCombination(Selector):
    """What `SelectorAnd` and `SelectorOr` share: two selectors, `fst` and `snd`."""

    fst: Selector
    snd: Selector

    def __post_init__(self) -> None:
        check_arg(self.fst, Selector, "fst", type(self).__name__)
        check_arg(self.snd, Selector, "snd", type(self).__name__)

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return (self.fst, self.snd)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}({self.fst.label}, {self.snd.label})>"


@dataclass(frozen=True, eq=False, repr=False)
class SelectorAnd(_SelectorCombination):
    """Both selectors select the pair."""

    kind = "selector_and"


@dataclass(frozen=True, eq=False, repr=False)
class SelectorOr(_SelectorCombination):
    """Either selector selects the pair."""

    kind = "selector_or"


@dataclass(frozen=True, eq=False, repr=False)
class SelectorNot(Selector):
    """The complement of a selector."""

    inner: Selector
    kind = "selector_not"

    def __post_init__(self) -> None:
        check_arg(self.inner, Selector, "inner", "SelectorNot")

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return (self.inner,)

    def __repr__(self) -> str:
        return f"<SelectorNot {self.label}({self.inner.label})>"


# ------------------------------------------------------------ s-ops read through a selector


@dataclass(frozen=True, eq=False, repr=False)
class Aggregate(SOp):
    """Attention with a hard selector: per query, combine the selected values of `sop`.

    categorical: the single selected value (`default` where nothing is selected; an error if
    several *different* values are selected). numerical: their mean (`default`, else 0, where
    nothing is selected). The encoding defaults to that of `sop`.
    """

    selector: Selector
    sop: SOp
    default: Any = None
    encoding: str | None = field(default=None, kw_only=True)  # type: ignore[assignment]
    kind = "aggregate"

    def __post_init__(self) -> None:
        check_arg(self.selector, Selector, "selector", "Aggregate")
        check_arg(self.sop, SOp, "sop", "Aggregate")
        if self.encoding is None:
            object.__setattr__(self, "encoding", self.sop.encoding)
        super().__post_init__()

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return (self.selector, self.sop)


@dataclass(frozen=True, eq=False, repr=False)
class SelectorWidth(SOp):
    """The number of keys each query selects (an attention layer with a BOS token, + MLP)."""

    selector: Selector
    kind = "selector_width"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_arg(self.selector, Selector, "selector", "SelectorWidth")

    @property
    def children(self) -> tuple[RASPExpr, ...]:
        return (self.selector,)
