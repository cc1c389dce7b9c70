"""Tests of the paper's RASP programs (chapter 03): each against a plain-Python reference on
random inputs (hypothesis), their layer/head counts, and value-set inference."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem.rasp import (Aggregate, Comparison, Map, Select, SelectorWidth, count_layers_heads,
                          evaluate, evaluate_reference, indices, numerical, schedule, tokens,
                          value_sets)
from minimem.rasp import lib

FAST = settings(max_examples=40, deadline=None)
letters = st.text(alphabet="abcde", min_size=1, max_size=16)


def dyck_reference(text, pairs):
    """Per prefix, with a stack: T balanced, P completable, F never."""
    closer = {pairs[i + 1]: pairs[i] for i in range(0, len(pairs), 2)}
    stack, broken, out = [], False, []
    for ch in text:
        if ch in closer.values():
            stack.append(ch)
        elif ch in closer:
            if not stack or stack.pop() != closer[ch]:
                broken = True
        out.append("F" if broken else ("T" if not stack else "P"))
    return out


def shuffle_reference(text, pairs):
    ok = True
    for i in range(0, len(pairs), 2):
        depth = 0
        for ch in text:
            depth += (ch == pairs[i]) - (ch == pairs[i + 1])
            ok &= depth >= 0
        ok &= depth == 0
    return [ok] * len(text)


@FAST
@given(letters)
def test_length_reverse_hist(text):
    n, counts = len(text), Counter(text)
    assert evaluate(lib.make_length(), text) == [n] * n
    assert evaluate(lib.make_reverse(), text) == list(reversed(text))
    assert evaluate(lib.make_hist(), text) == [counts[c] for c in text]


@FAST
@given(letters)
def test_double_hist(text):
    counts = Counter(text)
    expected = [sum(1 for t in counts if counts[t] == counts[c]) for c in text]
    assert evaluate(lib.make_double_hist(), text) == expected


@FAST
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=16))
def test_sort_is_stable_with_duplicates(xs):
    assert evaluate(lib.make_sort(tokens, tokens), xs) == sorted(xs)
    order = sorted(range(len(xs)), key=lambda i: xs[i])  # stable argsort
    assert evaluate(lib.make_sort(indices, tokens), xs) == order


@FAST
@given(st.lists(st.integers(0, 50), min_size=1, max_size=16, unique=True))
def test_sort_unique(xs):
    assert evaluate(lib.make_sort_unique(tokens, tokens), xs) == sorted(xs)


def test_sort_unique_rejects_equal_keys():
    with pytest.raises(ValueError, match="sort.*different values"):
        evaluate(lib.make_sort_unique(indices, tokens), "aab")


@FAST
@given(letters)
def test_sort_freq_and_most_freq(text):
    counts = Counter(text)
    assert evaluate(lib.make_sort_freq(), text) == sorted(text, key=lambda t: -counts[t])
    grouped = sorted(text, key=lambda t: (-counts[t], text.index(t)))
    assert evaluate(lib.make_sort_freq(group=True), text) == grouped
    distinct = sorted(dict.fromkeys(text), key=lambda t: -counts[t])  # first-occurrence ties
    expected = distinct + ["."] * (len(text) - len(distinct))
    assert evaluate(lib.make_most_freq(pad="."), text) == expected


@FAST
@given(letters)
def test_frac_prevs(text):
    expected = [text[: i + 1].count("a") / (i + 1) for i in range(len(text))]
    assert evaluate(lib.make_frac_prevs(lambda t: t == "a"), text) == expected
    assert evaluate(lib.make_frac_prevs(tokens == "b"), text) == [
        text[: i + 1].count("b") / (i + 1) for i in range(len(text))]


brackets1 = st.text(alphabet="()", max_size=20)
brackets2 = st.text(alphabet="(){}", max_size=20)
nested2 = st.recursive(st.just(""), lambda inner: st.builds(
    lambda a, b, o: o[0] + a + o[1] + b, inner, inner, st.sampled_from(["()", "{}"])),
    max_leaves=8)


@FAST
@given(brackets1)
def test_dyck1(text):
    assert evaluate(lib.make_dyck("()"), text) == dyck_reference(text, "()")


@FAST
@given(st.one_of(brackets2, nested2, st.builds(lambda a, b: a + b, nested2, brackets2)))
def test_dyck2(text):
    assert evaluate(lib.make_dyck("(){}"), text) == dyck_reference(text, "(){}")


def test_dyck_examples_and_other_tokens():
    assert "".join(evaluate(lib.make_dyck("()"), "(()))(")) == "PPPTFF"
    assert "".join(evaluate(lib.make_dyck("(){}"), "({})({)}")) == "PPPTPPFF"
    assert "".join(evaluate(lib.make_dyck("(){}"), "(a{b}c)")) == "PPPPPPT"
    with pytest.raises(ValueError, match="pairs"):
        lib.make_dyck("(")


@FAST
@given(st.one_of(brackets2, nested2))
def test_shuffle_dyck(text):
    assert evaluate(lib.make_shuffle_dyck("(){}"), text) == shuffle_reference(text, "(){}")


@settings(max_examples=15, deadline=None)
@given(st.text(alphabet="(){}ab", min_size=1, max_size=10))
def test_every_program_matches_the_loop_evaluator(text):
    for prog in [lib.make_reverse(), lib.make_double_hist(), lib.make_most_freq(),
                 lib.make_sort_freq(), lib.make_dyck("(){}"), lib.make_shuffle_dyck("(){}")]:
        assert evaluate(prog, text) == evaluate_reference(prog, text)


# --------------------------------------------------------------------------- layers and heads

@pytest.mark.parametrize("make, expected", [
    (lib.make_length, (1, 1)),
    (lib.make_reverse, (2, 1)),
    (lib.make_hist, (1, 1)),
    (lambda: lib.make_sort(tokens, tokens), (2, 1)),
    (lambda: lib.make_sort_unique(tokens, tokens), (2, 1)),
    (lib.make_double_hist, (2, 2)),
    (lib.make_most_freq, (3, 2)),
    (lib.make_sort_freq, (3, 1)),
    (lambda: lib.make_sort_freq(group=True), (4, 2)),
    (lambda: lib.make_frac_prevs(tokens == "a"), (1, 1)),
    (lambda: lib.make_dyck("()"), (2, 1)),
    (lambda: lib.make_dyck("(){}"), (4, 1)),
    (lambda: lib.make_shuffle_dyck("(){}"), (2, 2)),
])
def test_layers_and_heads_with_bos(make, expected):
    assert count_layers_heads(make()) == expected


def test_without_bos_selector_width_costs_a_layer_unless_select_all():
    assert count_layers_heads(lib.make_hist(), bos=False) == (2, 1)
    assert count_layers_heads(lib.make_length(), bos=False) == (1, 1)
    assert count_layers_heads(lib.make_reverse(), bos=False) == (2, 1)


def test_counting_rules():
    prefix = Select(indices, indices, Comparison.LEQ)
    # element-wise chains are free
    assert count_layers_heads(((tokens == "a") + 1) * 3 - indices) == (0, 0)
    # two aggregates with one selector in the same layer share a head
    a = numerical(Aggregate(prefix, numerical(indices)))
    b = numerical(Aggregate(Select(indices, indices, Comparison.LEQ), numerical(indices * 2)))
    assert count_layers_heads(a + b) == (1, 1)
    # different selectors in one layer need two heads
    c = SelectorWidth(Select(tokens, tokens, Comparison.EQ))
    assert count_layers_heads(a + c) == (1, 2)
    # an aggregate waits for everything it reads: its selector's queries come from layer 1
    d = Aggregate(Select(indices, c, Comparison.EQ), tokens)
    plan = schedule(d)
    assert plan.layer[c.id] == 1 and plan.layer[d.id] == 2 and count_layers_heads(d) == (2, 1)


# ------------------------------------------------------------------------------- value sets

@settings(max_examples=20, deadline=None)
@given(st.text(alphabet="(){}", min_size=1, max_size=6))
def test_value_sets_contain_every_evaluated_value(text):
    from minimem.rasp import evaluate_all
    for prog in [lib.make_dyck("(){}"), lib.make_most_freq(), lib.make_reverse()]:
        sets = value_sets(prog, vocab="(){}", max_seq_len=6)
        for node, vals in evaluate_all(prog, text).items():
            if node.id in sets:
                assert set(vals) <= sets[node.id], node.label


def test_value_sets_report_unknown_tokens():
    prog = Map({"a": 1}, tokens).named("lookup")
    with pytest.raises(ValueError, match="lookup.*'b'"):
        value_sets(prog, vocab="ab", max_seq_len=3)


def test_sort_unique_collisions_behave_as_documented():
    from minimem.rasp import evaluate, indices, tokens
    assert evaluate(lib.make_sort_unique(tokens, tokens), [2, 2, 1]) == [1, 2, None]
    with pytest.raises(ValueError, match="selects 2 different values"):
        evaluate(lib.make_sort_unique(indices, tokens), [2, 2, 1])
