"""The programs of "Thinking Like Transformers" written in minimem's RASP (Chapter 03).

Weiss, Goldberg & Yahav (2021), https://arxiv.org/abs/2106.06981, and their table of layers
and heads: length, reverse, histogram, double histogram, sort, most-frequent and the Dyck
languages. Each `make_*` function builds a program graph (nothing is evaluated until
`evaluate`); the docstrings give the layers/heads that `count_layers_heads` derives for it
(with a beginning-of-sequence token).

Conventions: `Select(keys, queries, predicate)` selects key j for query i when
`predicate(keys[j], queries[i])`; "prefix" = `Select(indices, indices, LEQ)` (keys j <= i).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import reduce
from typing import Any

from .core import Full, Map, SequenceMap, SOp, indices, numerical, tokens
from .selectors import Aggregate, Comparison, Select, SelectorWidth


def make_length() -> SOp:
    """The input length at every position: the width of a select-all. 1 layer, 1 head."""
    everything = Select(tokens, tokens, Comparison.TRUE).named("select_all")
    return SelectorWidth(everything).named("length")


def make_reverse(sop: SOp = tokens) -> SOp:
    """`sop` backwards: position i reads position N-1-i. 2 layers (length, then the read),
    1 head."""
    opp_index = SequenceMap(lambda n, i: n - i - 1, make_length(), indices).named("opp_index")
    flip = Select(indices, opp_index, Comparison.EQ).named("flip")
    return Aggregate(flip, sop).named("reverse")


def make_hist(sop: SOp = tokens) -> SOp:
    """How many times each position's token occurs in the input. 1 layer, 1 head."""
    same = Select(sop, sop, Comparison.EQ).named("same_token")
    return SelectorWidth(same).named("hist")


def _is_first(sop: SOp) -> SOp:
    """True where no earlier position holds the same value (one selector-width head)."""
    earlier_same = (Select(sop, sop, Comparison.EQ)
                    & Select(indices, indices, Comparison.LT)).named("earlier_same")
    return (SelectorWidth(earlier_same).named("n_earlier_same") == 0).named("is_first")


def make_double_hist(sop: SOp = tokens) -> SOp:
    """Per position: how many distinct tokens occur exactly as often as this one.

    "aaabbccdef" -> [1, 1, 1, 2, 2, 2, 2, 3, 3, 3]. Layer 1 computes the histogram and marks
    first occurrences (two selectors, so two heads); layer 2 counts the first occurrences
    whose count equals ours. 2 layers, 2 heads.
    """
    hist = make_hist(sop)
    first = _is_first(sop)
    same_count = Select(hist, hist, Comparison.EQ).named("same_count")
    is_representative = Select(first, Full(True), Comparison.EQ).named("representatives")
    return SelectorWidth(same_count & is_representative).named("double_hist")


def make_sort_unique(vals: SOp, keys: SOp) -> SOp:
    """`vals` ordered by `keys`, which must all differ. 2 layers, 1 head.

    A key's target position is the number of smaller keys (layer 1); each output position
    then reads the value whose target it is (layer 2). Equal keys collide: two keys share a
    target, so one position selects two values — an error from the categorical aggregate when
    the values differ, the shared value when they are equal — and a later position selects
    none and reads the default, None (e.g. tokens [2, 2, 1] sorted by themselves give
    [1, 2, None]). `make_sort` avoids collisions.
    """
    smaller = Select(keys, keys, Comparison.LT).named("smaller")
    target_pos = SelectorWidth(smaller).named("target_pos")
    sel_new = Select(target_pos, indices, Comparison.EQ).named("sel_new")
    return Aggregate(sel_new, vals).named("sort")


def make_sort(vals: SOp, keys: SOp) -> SOp:
    """`vals` ordered by `keys`, duplicates allowed, stable (equal keys keep input order).

    The key is paired with its index, (key, i), which makes every key unique without a layer
    (pairing is element-wise); then `make_sort_unique`. 2 layers, 1 head. (The paper and tracr
    add a small multiple of the index to numerical keys instead; pairs also work for
    characters.)
    """
    keyed = SequenceMap(lambda k, i: (k, i), keys, indices).named("key_and_index")
    return make_sort_unique(vals, keyed)


def make_sort_freq(sop: SOp = tokens, *, group: bool = False) -> SOp:
    """The tokens sorted by descending count, duplicates kept.

    group=False (tracr's `make_sort_freq`): positions whose counts tie keep their input order,
    "abab" -> a b a b; 3 layers (histogram, then the two sort layers), 1 head.
    group=True: tokens whose counts tie are ordered by their first occurrence, and each
    token's copies sit together, "abab" -> a a b b. That needs each token's first position as a
    sort key, one more attention step: 4 layers, 2 heads.
    """
    hist = make_hist(sop)
    if not group:
        minus_hist = (-hist).named("minus_hist")
        return make_sort(sop, minus_hist).named("sort_freq")
    same_and_first = (Select(sop, sop, Comparison.EQ)
                      & Select(_is_first(sop), Full(True), Comparison.EQ)).named("my_first")
    first_pos = Aggregate(same_and_first, indices).named("first_position")
    key = SequenceMap(lambda h, f: (-h, f), hist, first_pos).named("count_first_key")
    return make_sort(sop, key).named("sort_freq")


def make_most_freq(sop: SOp = tokens, pad: Hashable = None) -> SOp:
    """The distinct tokens by descending count, ties by first occurrence; `pad` fills the rest.

    "abbccc" -> c b a pad pad pad. Layer 1: histogram and first-occurrence flags (2 heads);
    layers 2-3: a stable sort in which first occurrences come first, by (-count, position).
    3 layers, 2 heads, as in the paper.
    """
    hist = make_hist(sop)
    first = _is_first(sop)
    key = SequenceMap(lambda f, h: (0, -h) if f else (1, 0), first, hist).named("freq_key")
    shown = SequenceMap(lambda f, t: t if f else pad, first, sop).named("first_or_pad")
    return make_sort(shown, key).named("most_freq")


def make_frac_prevs(bools: SOp | Callable[[Any], bool]) -> SOp:
    """The fraction of positions j <= i where `bools` holds (numerical). 1 layer, 1 head.

    `bools` is an s-op of booleans or a predicate applied to the tokens, e.g.
    `make_frac_prevs(lambda t: t == "x")`.
    """
    if not isinstance(bools, SOp):
        if not callable(bools):
            raise TypeError(f"make_frac_prevs: bools must be an s-op or a predicate, "
                            f"got {type(bools).__name__}")
        bools = Map(bools, tokens).named("bools")
    prevs = Select(indices, indices, Comparison.LEQ).named("prevs")
    return numerical(Aggregate(prevs, numerical(bools), default=0)).named("frac_prevs")


def _pairs(pairs: str | Sequence[Sequence[str]]) -> list[tuple[Any, Any]]:
    items = list(pairs) if isinstance(pairs, str) else [tuple(p) for p in pairs]
    if isinstance(pairs, str):
        if len(items) % 2 or not items:
            raise ValueError(f"pairs must be open/close characters like '(){{}}', got {pairs!r}")
        items = [(items[i], items[i + 1]) for i in range(0, len(items), 2)]
    if any(len(p) != 2 for p in items):
        raise ValueError(f"pairs must be (open, close) pairs, got {pairs!r}")
    flat = [c for p in items for c in p]
    if len(set(flat)) != len(flat):
        raise ValueError(f"pairs must not repeat a bracket, got {pairs!r}")
    return items


def _prefix_balance(sop: SOp, opens: set, closes: set, name: str) -> tuple[SOp, SOp]:
    """(fraction, integer) balance of the prefix 0..i: opens minus closes. 1 layer."""
    delta = numerical(Map(lambda t: 1 if t in opens else (-1 if t in closes else 0), sop))
    prevs = Select(indices, indices, Comparison.LEQ).named("prevs")
    frac = numerical(Aggregate(prevs, delta.named(f"delta_{name}"), default=0))
    frac = frac.named(f"balance_frac_{name}")
    count = SequenceMap(lambda f, i: round(f * (i + 1)), frac, indices).named(f"balance_{name}")
    return frac, count


def _verdict(bad: SOp, balance: SOp) -> SOp:
    """'F' if anything went wrong in the prefix, else 'T' when balanced, else 'P'."""
    prevs = Select(indices, indices, Comparison.LEQ).named("prevs")
    any_bad = numerical(Aggregate(prevs, numerical(bad), default=0)).named("frac_bad")
    return SequenceMap(lambda a, b: "F" if a > 0 else ("T" if b == 0 else "P"),
                       any_bad, balance).named("dyck")


def make_dyck(pairs: str | Sequence[Sequence[str]] = "()", sop: SOp = tokens) -> SOp:
    """Per position: "T" if the prefix is a balanced Dyck word, "P" if it can still be
    completed, "F" if it never can. Other tokens are ignored.

    One bracket type (Dyck-1): prefix balance (layer 1), "was it ever negative?" (layer 2):
    2 layers, 1 head. Several types (Dyck-2 = "(){}"): besides the balance, every closer must
    match its partner, the latest opener at the same depth. Plain select/aggregate find it
    in two steps: count the openers at that depth so far (layer 2), fetch the one whose rank
    is that count (layer 3); then "any mismatch or negative balance so far?" (layer 4):
    4 layers, 1 head. The paper reports 3 layers for Dyck-2, using more than these primitives;
    for instance a "select the most recent match" attention (a recency bias in the scores)
    would fetch the partner in one layer: balance, partner, verdict = 3 layers.
    """
    items = _pairs(pairs)
    opens = {o for o, _ in items}
    closes = {c for _, c in items}
    frac, balance = _prefix_balance(sop, opens, closes, "all")
    if len(items) == 1:
        return _verdict((frac < 0).named("negative_balance"), frac)
    partner_of = {c: o for o, c in items}
    # Depth of a bracket: balance before an opener, balance after a closer.
    info = SequenceMap(lambda t, b: (t, b), sop, balance).named("token_balance")
    open_depth = Map(lambda tb: tb[1] - 1 if tb[0] in opens else None, info).named("open_depth")
    depth = Map(lambda tb: tb[1] - 1 if tb[0] in opens else tb[1], info).named("depth")
    same_depth_openers = (Select(open_depth, depth, Comparison.EQ)
                          & Select(indices, indices, Comparison.LEQ)).named("openers_so_far")
    rank = SelectorWidth(same_depth_openers).named("opener_rank")
    key = SequenceMap(lambda d, r: (d, r), open_depth, rank).named("opener_id")
    wanted = SequenceMap(lambda tb, r: (tb[1], r) if tb[0] in closes else "none", info,
                         rank).named("wanted_opener")
    partner = Aggregate(Select(key, wanted, Comparison.EQ).named("find_partner"), sop)
    partner = partner.named("partner")
    mismatch = SequenceMap(lambda t, p: t in closes and p != partner_of[t], sop,
                           partner).named("mismatch")
    bad = (mismatch | (balance < 0).named("negative_balance")).named("bad")
    return _verdict(bad, balance)


def make_shuffle_dyck(pairs: str | Sequence[Sequence[str]] = "(){}", sop: SOp = tokens) -> SOp:
    """True at every position iff, for each bracket type on its own, the whole input is
    balanced (no prefix closes more than it opened, and the totals match); else False.

    Layer 1: each type's prefix balance (one selector, shared) and its total (a select-all);
    layer 2: "was any balance negative anywhere?" with the select-all. Greedy scheduling puts
    the totals in layer 1 next to the prefix head: 2 layers, 2 heads (a schedule that waits
    one layer for the totals would share the select-all head: 2 layers, 1 head).
    """
    items = _pairs(pairs)
    everything = Select(indices, indices, Comparison.TRUE).named("select_all")
    negatives, totals = [], []
    for k, (o, c) in enumerate(items):
        frac, _ = _prefix_balance(sop, {o}, {c}, str(k))
        negatives.append(frac < 0)
        delta = numerical(Map(lambda t, o=o, c=c: (t == o) - (t == c), sop))
        totals.append(numerical(Aggregate(everything, delta, default=0)).named(f"total_{k}"))
    negative = reduce(lambda a, b: a | b, negatives).named("negative")
    any_negative = numerical(Aggregate(everything, numerical(negative), default=0))
    unbalanced = reduce(lambda a, b: a | b, [t != 0 for t in totals]).named("unbalanced")
    return ((any_negative.named("frac_negative") == 0) & ~unbalanced).named("shuffle_dyck")
