"""Tests of the RASP language and evaluator (chapter 03): semantics on hand-written
selector matrices, operator sugar, the vectorised evaluator against the plain-loop one, and
the errors a learner will meet."""

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimem.rasp
from minimem.rasp import (Aggregate, Comparison, Full, Map, RASPExpr, Select, Selector,
                          SelectorAnd, SelectorOr, SelectorWidth, SequenceMap, SOp,
                          aggregate_matrix, categorical, evaluate, evaluate_all,
                          evaluate_reference, indices, numerical, select_matrix,
                          selector_width_matrix, tokens, topological_order)
from minimem.rasp.analysis import SCHEDULE, SIGNATURE, VALUE_SET
from minimem.rasp.draw import SUBLAYER
from minimem.rasp.evaluate import EVALUATE, EVALUATE_REFERENCE
from minimem.rasp.selectors import _SelectorCombination

T, F = True, False


# ------------------------------------------------------------ hand-written selector matrices

def test_select_lt_is_key_less_than_query():
    # row = query i, column = key j, selected when key < query
    assert select_matrix([0, 1, 2], [0, 1, 2], Comparison.LT).tolist() == [
        [F, F, F], [T, F, F], [T, T, F]]


def test_select_on_strings_and_rectangular_shapes():
    m = select_matrix(["a", "b", "c"], ["b", "z"], Comparison.GEQ)  # key >= query
    assert m.tolist() == [[F, T, T], [F, F, F]]
    assert select_matrix("abca", "ab", Comparison.EQ).tolist() == [[T, F, F, T], [F, T, F, F]]


@pytest.mark.parametrize("pred, expected", [
    (Comparison.TRUE, [[T, T], [T, T]]), (Comparison.FALSE, [[F, F], [F, F]]),
    (Comparison.NEQ, [[F, T], [T, F]]), (Comparison.GT, [[F, T], [F, F]]),
    (Comparison.LEQ, [[T, F], [T, T]]),
])
def test_every_comparison(pred, expected):
    assert select_matrix([1, 2], [1, 2], pred).tolist() == expected
    assert select_matrix([(1,), (2,)], [(1,), (2,)], pred).tolist() == expected  # via ranks


def test_comparison_called_as_predicate_key_query():
    assert Comparison.LT(1, 2) and not Comparison.LT(2, 1)
    assert Comparison.GEQ("b", "a") and Comparison.TRUE(None, 3)


def test_callable_predicate_and_selector_combinators():
    near = Select(indices, indices, lambda k, q: abs(k - q) == 1)
    assert evaluate(near, "abc") == [[F, T, F], [T, F, T], [F, T, F]]
    before = Select(indices, indices, Comparison.LT)
    same = Select(tokens, tokens, Comparison.EQ)
    assert evaluate(before & same, "aba") == [[F, F, F], [F, F, F], [T, F, F]]
    assert evaluate(before | same, "ab") == [[T, F], [T, T]]
    assert evaluate(~before, "ab") == [[T, T], [F, T]]


def test_aggregate_matrix_by_hand():
    m = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    assert aggregate_matrix(m, [2, 4, 9], numerical=True) == [2.0, 3.0, 0]
    assert aggregate_matrix(m, [2, 4, 9], numerical=True, default=-1) == [2.0, 3.0, -1]
    same = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    assert aggregate_matrix(same, ["x", "x", "y"], default="?") == ["x", "y", "?"]
    assert selector_width_matrix(m) == [1, 2, 0]


def test_aggregate_is_attention_with_hard_scores():
    """A categorical aggregate equals softmax attention with scores +-large, when one key is
    selected per query."""
    keys, values = [3, 1, 2], [10.0, 20.0, 30.0]
    m = select_matrix(keys, [1, 2, 3], Comparison.EQ)
    weights = np.exp(np.where(m, 0.0, -1e9))
    weights /= weights.sum(axis=1, keepdims=True)  # (Q, K)
    assert np.allclose(weights @ np.array(values), aggregate_matrix(m, values))


# ------------------------------------------------------------------- language and evaluator

def test_primitives_full_map_sequencemap():
    assert evaluate(tokens, "hey") == ["h", "e", "y"]
    assert evaluate(indices, [5, 6]) == [0, 1]
    assert evaluate(Full(7), "ab") == [7, 7]
    assert evaluate(Map(str.upper, tokens), "ab") == ["A", "B"]
    assert evaluate(Map({"a": 1, "b": 2}, tokens), "ba") == [2, 1]
    assert evaluate(Map(repr, tokens), [1, True, 1.0, 1]) == ["1", "True", "1.0", "1"]
    assert evaluate(SequenceMap(lambda t, i: t * i, tokens, indices), "abc") == ["", "b", "cc"]


def test_operator_sugar():
    assert evaluate(indices + 1, "abc") == [1, 2, 3]
    assert evaluate(10 - indices, "abc") == [10, 9, 8]
    assert evaluate(indices * indices, "abcd") == [0, 1, 4, 9]
    assert evaluate(tokens == "a", "aba") == [T, F, T]
    assert evaluate((indices < 1) | (tokens == "b"), "abc") == [T, T, F]
    assert evaluate(~(indices >= 1) & (tokens != "z"), "zab") == [F, F, F]
    assert evaluate(-indices, "ab") == [0, -1]
    assert evaluate(indices / 2, "abc") == [0.0, 0.5, 1.0]
    with pytest.raises(TypeError, match="and/or/not"):
        bool(tokens == "a")


def test_nodes_are_immutable_with_unique_ids_and_encodings():
    m = Map(str.upper, tokens)
    n = m.named("upper")
    assert n.id != m.id and n.label == "upper" and m.label.startswith("map_")
    assert numerical(m).encoding == "numerical" and categorical(numerical(m)).encoding == (
        "categorical")
    with pytest.raises(AttributeError):
        m.f = str.lower  # frozen
    agg = Aggregate(Select(indices, indices, Comparison.LEQ), numerical(indices))
    assert agg.encoding == "numerical"  # inherited from its s-op
    order = topological_order(agg)
    assert order[-1] is agg and {x.label for x in order} >= {"indices", agg.label}


def test_numerical_and_categorical_aggregate_semantics():
    prefix = Select(indices, indices, Comparison.LEQ)
    assert evaluate(Aggregate(prefix, numerical(indices)), "abcd") == [0, 0.5, 1, 1.5]
    first = Select(indices, Full(0), Comparison.EQ)
    assert evaluate(Aggregate(first, tokens), "xyz") == ["x", "x", "x"]
    none = Select(indices, indices, Comparison.FALSE)
    assert evaluate(Aggregate(none, tokens, default="-"), "ab") == ["-", "-"]
    assert evaluate(numerical(Aggregate(none, numerical(indices))), "ab") == [0, 0]
    # several selected positions holding the same value are fine
    same = Select(tokens, tokens, Comparison.EQ)
    assert evaluate(Aggregate(same, tokens), "abab") == list("abab")
    assert evaluate(SelectorWidth(same), "abab") == [2, 2, 2, 2]


def test_evaluate_all_gives_every_intermediate_value():
    sel = Select(tokens, tokens, Comparison.EQ)
    prog = SelectorWidth(sel) + 1
    values = evaluate_all(prog, "aab")
    assert values[sel].shape == (3, 3) and values[prog] == [3, 3, 2]
    assert list(values)[-1] is prog


def test_empty_input():
    prog = Aggregate(Select(tokens, tokens, Comparison.EQ), indices + 1)
    assert evaluate(prog, "") == [] and evaluate(SelectorWidth(prog.selector), []) == []


programs = st.sampled_from([
    lambda: SelectorWidth(Select(tokens, tokens, Comparison.LT)) * 2,
    lambda: Aggregate(Select(indices, indices, Comparison.GEQ), numerical(tokens == "a")),
    lambda: Aggregate(Select(tokens, tokens, Comparison.LEQ) & Select(indices, indices,
                                                                      Comparison.EQ), tokens),
    lambda: numerical(Aggregate(~Select(tokens, indices, lambda k, q: k == "b" or q % 2 == 0),
                                numerical(indices), default=-1)),
])


@settings(max_examples=60, deadline=None)
@given(programs, st.text(alphabet="abc", max_size=12))
def test_vectorised_matches_reference(make, text):
    prog = make()
    assert evaluate(prog, text) == evaluate_reference(prog, text)


# -------------------------------------------------------------------------------- errors

def test_unknown_token_in_map_lookup_names_the_node():
    lookup = Map({"a": 0, "b": 1}, tokens).named("token_id")
    with pytest.raises(ValueError, match=r"token_id.*'z'.*position 2"):
        evaluate(lookup, "abz")
    table = {"a": 0}
    with pytest.raises(ValueError, match=r"to_int.*'q'.*vocabulary"):
        evaluate(Map(lambda t: table[t], tokens).named("to_int"), "aq")


def test_non_functional_categorical_aggregate_names_node_and_position():
    agg = Aggregate(Select(indices, indices, Comparison.LEQ), tokens).named("bad_read")
    assert evaluate(agg, "aaa") == ["a", "a", "a"]
    with pytest.raises(ValueError, match=r"bad_read.*query position 1.*2 different values"):
        evaluate(agg, "ab")


def test_numerical_aggregate_of_symbols_is_a_type_error():
    agg = numerical(Aggregate(Select(indices, indices, Comparison.TRUE), tokens)).named("avg")
    with pytest.raises(TypeError, match="avg.*needs numbers"):
        evaluate(agg, "ab")


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="mismatched lengths.*3 keys.*2 values"):
        aggregate_matrix(np.ones((3, 3), bool), [1, 2])
    with pytest.raises(ValueError, match="2-D"):
        aggregate_matrix(np.ones(3, bool), [1, 2, 3])


def test_cycles_are_reported_with_a_node_name():
    a = Map(lambda x: x, tokens).named("a")
    b = Map(lambda x: x, a).named("b")
    object.__setattr__(a, "sop", b)  # only mutation can make a cycle
    with pytest.raises(ValueError, match="cycle.*'(a|b)'"):
        evaluate(b, "xy")


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match="Map: f must be callable"):
        Map(3, tokens)
    with pytest.raises(TypeError, match="Map: sop must be a SOp"):
        Map(str, "tokens")
    with pytest.raises(TypeError, match="Select: predicate"):
        Select(tokens, tokens, 3)
    with pytest.raises(TypeError, match="Aggregate: selector must be a Selector"):
        Aggregate(tokens, tokens)
    with pytest.raises(TypeError, match="tokens_list"):
        evaluate(tokens, 5)
    with pytest.raises(TypeError, match="hashable.*position 1"):
        evaluate(tokens, ["a", ["b"]])
    with pytest.raises(ValueError, match="encoding"):
        Map(str, tokens, encoding="fuzzy")


# ------------------------------------------------------------------ structure of the package

ABSTRACT = {RASPExpr, SOp, Selector, _SelectorCombination}


def concrete_subclasses(base):
    """Every class under `base` defined in minimem.rasp, except the abstract bases."""
    found, stack = set(), [base]
    while stack:
        cls = stack.pop()
        if cls.__module__.startswith("minimem.rasp") and cls not in ABSTRACT:
            found.add(cls)
        stack.extend(cls.__subclasses__())
    return found


def test_selector_or_is_a_sibling_of_selector_and():
    assert not issubclass(SelectorOr, SelectorAnd) and not issubclass(SelectorAnd, SelectorOr)
    same = Select(tokens, tokens, Comparison.EQ)
    assert not isinstance(same | same, SelectorAnd) and not isinstance(same & same, SelectorOr)
    assert (same | same).kind == "selector_or" and (same & same).kind == "selector_and"


@pytest.mark.parametrize("name, table, base", [
    ("EVALUATE", EVALUATE, RASPExpr),
    ("EVALUATE_REFERENCE", EVALUATE_REFERENCE, RASPExpr),
    ("SCHEDULE", SCHEDULE, RASPExpr),
    ("SIGNATURE", SIGNATURE, Selector),
    ("VALUE_SET", VALUE_SET, SOp),
    ("SUBLAYER", SUBLAYER, SOp),
])
def test_dispatch_tables_cover_every_node_class(name, table, base):
    expected = concrete_subclasses(base)
    assert {Map, Select, SelectorAnd, SelectorOr} & expected  # the walk found the classes
    missing = sorted(cls.__name__ for cls in expected - set(table))
    extra = sorted(cls.__name__ for cls in set(table) - expected)
    assert not missing and not extra, f"{name}: missing {missing}, unexpected {extra}"


def test_value_sets_refuse_sizes_that_would_hang():
    from minimem.rasp import indices, value_sets
    pairs = SequenceMap(lambda a, b: a + b, indices, indices)
    with pytest.raises(ValueError, match="max_seq_len must be an int in 1..4096"):
        value_sets(pairs, "ab", 10**5)
    with pytest.raises(ValueError, match="argument combinations"):
        value_sets(pairs, "ab", 2000)
