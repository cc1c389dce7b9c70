"""Chapter 04: the RASP compiler, pass by pass, then whole programs against `rasp.evaluate`."""

import itertools

import pytest
import torch

from minimem.compiler import CompileError, compile_rasp
from minimem.compiler.bench import CASES, agrees, exhaustive
from minimem.compiler.heads import score_matrix, value_matrix
from minimem.compiler.layout import NUMBER, make_layout
from minimem.compiler.lower import build_graph
from minimem.compiler.mlp import map_mlp
from minimem.compiler.schedule import schedule
from minimem.rasp import (Aggregate, Comparison, Map, Select, SelectorWidth, SequenceMap,
                          count_layers_heads, evaluate, evaluate_all, indices, lib, numerical,
                          tokens)


def passes(program, vocab, max_seq_len):
    graph = build_graph(program, vocab, max_seq_len)
    return graph, schedule(graph), make_layout(graph)


def relu_mlp(W_in, W_out, x):
    return torch.relu(x @ W_in.T) @ W_out.T  # (T, D)


# ------------------------------------------------------------------ pass 1: graph


def test_graph_fuses_a_chain_of_maps_into_one_stored_quantity():
    chain = Map(lambda x: x + 1, Map(lambda x: 2 * x, tokens)).named("chain")
    graph = build_graph(chain, [0, 1, 2], 3)
    assert list(graph.quantities) == ["tokens", "indices", "chain"]
    q = graph.quantities["chain"]
    assert q.sources == ("tokens",) and q.values == [1, 3, 5]
    assert [q.fn(x) for x in (0, 1, 2)] == [1, 3, 5]


def test_graph_of_reverse_stores_only_what_attention_reads():
    graph = build_graph(lib.make_reverse(), "abc", 4)
    kinds = {n: q.kind for n, q in graph.quantities.items()}
    assert kinds == {"tokens": "input", "indices": "input", "length.bos_share": "width",
                     "opp_index": "map", "reverse": "aggregate"}
    assert graph.quantities["opp_index"].sources == ("length.bos_share", "indices")
    assert graph.output == "reverse"


def test_two_numerical_sources_become_one_number_in_one_mlp():
    frac = lib.make_frac_prevs(lambda t: t == "a")
    other = numerical(Aggregate(Select(indices, indices, Comparison.TRUE),
                                numerical(Map(lambda t: t == "b", tokens)), default=0))
    both = SequenceMap(lambda x, y: x > y, frac, other).named("both")
    graph, plan, _ = passes(both, "ab", 3)
    assert graph.quantities["both"].sources == ("frac_prevs", other.label)
    assert plan.num_layers == 1


# ------------------------------------------------------------------ pass 2: schedule


@pytest.mark.parametrize("name", ["length", "reverse", "hist", "double_hist", "sort_unique",
                                  "sort_freq", "most_freq", "frac_prevs", "dyck1",
                                  "shuffle_dyck2"])
def test_schedule_matches_chapter_03s_bound(name):
    program = CASES[name].make()
    _, plan, _ = passes(program, CASES[name].small, 4)
    assert (plan.num_layers, plan.num_heads) == count_layers_heads(program)


def test_schedule_folds_maps_of_tokens_into_the_embedding_and_shares_heads():
    graph, plan, _ = passes(lib.make_shuffle_dyck("(){}"), "(){}", 3)
    assert all(set(graph.quantities[n].sources) <= {"tokens"} for n in plan.embedded)
    assert plan.embedded  # the +1/-1 deltas
    totals_head = [h for h in plan.heads[0] if len(h) > 1]
    assert totals_head, "aggregates with the same selector in one layer share a head"


# ------------------------------------------------------------------ pass 3: layout


def test_layout_names_every_dimension_and_round_trips():
    graph, _, layout = passes(lib.make_frac_prevs(lambda t: t == "a"), "ab", 3)
    assert layout.dims[:2] == [("one", None), ("bos", None)]
    assert ("tokens", "a") in layout.dims and ("frac_prevs", NUMBER) in layout.dims
    x = layout.encode("tokens", "b") + layout.encode("frac_prevs", 0.5)
    assert layout.decode(x[None], "tokens") == ["b"]
    assert layout.decode(x[None], "frac_prevs") == [0.5]
    assert layout.at_bos[layout.dim("frac_prevs")] == 0  # the default


# ------------------------------------------------------------------ pass 4: blocks


def test_categorical_map_mlp_is_an_exact_lookup_table_and_silent_at_bos():
    program = Map({"a": "x", "b": "y", "c": "x"}, tokens).named("m")
    graph, plan, layout = passes(SequenceMap(lambda m, i: (m, i), program, indices), "abc", 3)
    name = next(n for n in graph.quantities if graph.quantities[n].kind == "map")
    W_in, W_out = map_mlp(layout, graph, name)
    for t, i in itertools.product("abc", range(3)):
        x = layout.encode("tokens", t) + layout.encode("indices", i) \
            + layout.encode("one", None) * 0
        x[layout.dim("one", None)] = 1
        out = relu_mlp(W_in, W_out, x[None])
        assert torch.allclose(out[0], layout.encode(name, graph.quantities[name].fn(t, i)))
    bos = layout.at_bos.clone()
    bos[layout.dim("bos", None)] = 1
    assert relu_mlp(W_in, W_out, bos[None]).abs().max() == 0


def test_numerical_map_mlp_thresholds_every_possible_value():
    frac = lib.make_frac_prevs(lambda t: t == "a")
    program = Map(lambda f: "high" if f > 0.4 else "low", frac).named("level")
    graph, _, layout = passes(program, "ab", 4)
    W_in, W_out = map_mlp(layout, graph, "level")
    for f in graph.quantities["frac_prevs"].values:
        x = layout.encode("frac_prevs", f)
        x[layout.dim("one", None)] = 1
        out = relu_mlp(W_in, W_out, x[None])[0]
        assert torch.allclose(out, layout.encode("level", "high" if f > 0.4 else "low"))


def test_eq_select_scores_one_where_selected_half_at_bos():
    program = Aggregate(Select(tokens, tokens, Comparison.EQ), indices).named("agg")
    graph, _, layout = passes(program, "ab", 3)
    QK = score_matrix(layout, graph.quantities["agg"])
    q = layout.encode("tokens", "a")
    q[layout.dim("one", None)] = 1
    for key, want in (("a", 1.0), ("b", 0.0)):
        k = layout.encode("tokens", key)
        k[layout.dim("one", None)] = 1
        assert q @ QK @ k == want
    assert q @ QK @ layout.encode("bos", None) * 0 == 0
    bos = torch.zeros(len(layout), dtype=torch.float64)
    bos[layout.dim("bos", None)] = 1
    assert q @ QK @ bos == 0.5
    OV = value_matrix(layout, graph, graph.quantities["agg"])
    assert torch.equal(OV @ layout.encode("indices", 2), layout.encode("agg", 2))


# ------------------------------------------------------------------ whole programs


@pytest.mark.parametrize("name", list(CASES))
def test_compiled_program_agrees_with_evaluate_on_every_short_input(name):
    ok, total = exhaustive(CASES[name], max_len=4)
    assert ok == total


def test_residuals_hold_every_intermediate_by_name():
    model = compile_rasp(lib.make_reverse(), "abc", 5)
    x = list("abcab")
    values = {node.label: v for node, v in evaluate_all(model.program, x).items()}
    layers = model.residuals(x)
    assert len(layers) == model.num_layers + 1
    assert layers[0]["tokens"] == x and layers[0]["indices"] == [0, 1, 2, 3, 4]
    assert layers[0]["reverse"] is None
    assert layers[1]["opp_index"] == values["opp_index"]
    assert layers[-1]["reverse"] == values["reverse"] == model.run(x)


def test_sizes_are_reported():
    model = compile_rasp(lib.make_hist(), "abc", 4)
    assert (model.num_layers, model.num_heads) == (1, 1)
    assert model.d_model == len(model.layout.dims)
    assert model.num_params == sum(p.numel() for p in model.model.parameters())


def test_compiling_is_deterministic():
    a = compile_rasp(lib.make_sort(tokens, tokens), [0, 1, 2], 4)
    b = compile_rasp(lib.make_sort(tokens, tokens), [0, 1, 2], 4)
    assert a.layout.dims == b.layout.dims
    for (na, pa), (nb, pb) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert na == nb and torch.equal(pa, pb)
    assert a.run([2, 0, 1, 0]) == a.run([2, 0, 1, 0]) == [0, 0, 1, 2]


# ------------------------------------------------------------------ errors


def test_bad_inputs_are_named():
    model = compile_rasp(lib.make_hist(), "abc", 3)
    with pytest.raises(ValueError, match="'z' at position 1 is not in the compiled vocab"):
        model.run(["a", "z"])
    with pytest.raises(ValueError, match="max_seq_len"):
        model.run(list("abca"))
    assert model.run([]) == []
    with pytest.raises(ValueError, match="max_seq_len"):
        compile_rasp(lib.make_hist(), "abc", 0)
    with pytest.raises(ValueError, match="vocab"):
        compile_rasp(lib.make_hist(), [], 3)
    with pytest.raises(TypeError, match="program"):
        compile_rasp(Select(tokens, tokens, Comparison.EQ), "abc", 3)


def test_unsupported_constructs_name_the_node_and_why():
    either = (Select(tokens, tokens, Comparison.EQ)
              | Select(indices, indices, Comparison.LT)).named("either")
    with pytest.raises(CompileError, match="'either'.*OR"):
        compile_rasp(SelectorWidth(either), "ab", 3)
    frac = lib.make_frac_prevs(lambda t: t == "a")
    pick = Aggregate(Select(indices, indices, Comparison.EQ), frac, encoding="categorical")
    with pytest.raises(CompileError, match="categorical but reads the numerical"):
        compile_rasp(pick.named("pick"), "ab", 3)
    by_number = Aggregate(Select(frac, frac, Comparison.EQ), tokens).named("by_number")
    with pytest.raises(CompileError, match="categorical keys and queries"):
        compile_rasp(by_number, "ab", 3)


def test_an_aggregate_selecting_different_values_raises_like_evaluate():
    program = lib.make_sort_unique(indices, tokens)  # equal keys collide
    model = compile_rasp(program, [0, 1, 2], 3)
    with pytest.raises(ValueError):
        evaluate(program, [1, 1, 0])
    with pytest.raises(ValueError, match="several different values"):
        model.run([1, 1, 0])
    assert agrees(model, program, [1, 1, 0])
    assert model.run([2, 0, 1]) == evaluate(program, [2, 0, 1]) == [1, 2, 0]


def test_programs_without_attention_compile_to_embeddings_only():
    ident = compile_rasp(tokens, "ab", 3)
    assert ident.num_layers == 0 and ident.run("aba") == ["a", "b", "a"]
    doubled = Map(lambda t: t * 2, tokens).named("doubled")
    model = compile_rasp(doubled, "ab", 3)
    assert model.num_layers == 0 and model.plan.embedded == ["doubled"]
    assert model.run("ab") == ["aa", "bb"]
    frac = compile_rasp(lib.make_frac_prevs(lambda t: t == "a"), "ab", 4)
    assert frac.run("abaa") == evaluate(frac.program, "abaa") == [1.0, 0.5, 2 / 3, 0.75]
