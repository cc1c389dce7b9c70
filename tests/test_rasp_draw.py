"""Tests of the RASP pictures and the benchmark's inputs (chapter 03)."""

import random

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from minimem.rasp import Comparison, Select, evaluate, indices, tokens  # noqa: E402
from minimem.rasp import bench, draw, lib  # noqa: E402


def test_format_selector_prints_the_attention_matrix():
    sel = Select(tokens, tokens, Comparison.EQ).named("same")
    assert draw.format_selector(sel, "aba") == "\n".join([
        "same: rows = queries, columns = keys",
        "    a b a",
        "a | 1 . 1",
        "b | . 1 .",
        "a | 1 . 1",
    ])
    with pytest.raises(TypeError, match="selector must be a Selector"):
        draw.format_selector(tokens, "ab")


def test_format_attention_shows_each_attention_selector_once():
    text = draw.format_attention(lib.make_reverse(), "ab")
    assert text.count("rows = queries") == 2
    assert text.startswith("[length] select_all") and "[reverse] flip" in text
    assert "a | 1 1" in text and "1 | . 1" in text and "0 | 1 ." in text


def test_format_trace_lists_every_sop_with_its_layer():
    text = draw.format_trace(lib.make_reverse(), "abc")
    lines = text.splitlines()
    assert lines[-1].split() == ["reverse", "L2", "c", "b", "a"]
    assert any(line.split()[:2] == ["length", "L1"] for line in lines)


def test_drawings_return_axes():
    ax = draw.draw_selector(Select(indices, indices, Comparison.LT), "abcd")
    assert ax.get_xlabel() == "key" and len(ax.get_images()) == 1
    ax = draw.draw_program(lib.make_most_freq())
    assert ax.get_title() == "most_freq: 3 layers, 2 heads"
    ax = draw.draw_trace(lib.make_hist(), "aab")
    assert "hist (L1)" in [t.get_text() for t in ax.get_yticklabels()]
    plt.close("all")


def test_benchmark_inputs_are_valid_for_every_program():
    rng = random.Random(1)
    for name, (prog, make_input) in bench.programs().items():
        x = make_input(rng, 8)
        assert len(evaluate(prog, x)) == 8, name
    assert bench.rate(evaluate, lib.make_hist(), [list("ab")], seconds=0.0) > 0
