"""Tests of the RASP pictures, the benchmark's inputs and its command (chapter 03)."""

import random

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from minimem.rasp import Comparison, Select, evaluate, indices, tokens  # noqa: E402
from minimem.rasp import bench, draw, lib  # noqa: E402
from minimem.rasp.__main__ import main  # noqa: E402


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


def test_bench_command_writes_the_table(tmp_path, monkeypatch, capsys):
    one = {"hist": (lib.make_hist(), lambda rng, n: [rng.choice("ab") for _ in range(n)])}
    monkeypatch.setattr(bench, "programs", lambda: one)
    out = tmp_path / "rasp.md"
    main(["bench", "--seconds", "0", "--out", str(out)])
    text = out.read_text()
    assert "Produced by `python -m minimem.rasp bench`" in text
    assert text.splitlines()[-1].startswith("| hist | 1 / 1 | ")
    assert f"wrote {out}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([])  # a subcommand is required
