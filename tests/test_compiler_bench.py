"""The chapter 04 benchmark command: `python -m minimem.compiler bench` (on a small subset)."""

import json

from minimem.compiler import __main__ as cli
from minimem.compiler import bench


def test_bench_writes_markdown_and_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "CASES", {k: bench.CASES[k] for k in ("length", "reverse")})
    out = tmp_path / "ch04.md"
    cli.main(["bench", "--count", "20", "--out", str(out)])
    text = out.read_text()
    assert "| reverse | 2 | 1 |" in text and "363/363 | 20/20 |" in text
    assert "54.6 K" in text  # tracr's figure, cited beside ours
    rows = json.loads(out.with_suffix(".json").read_text())
    assert [r["program"] for r in rows] == ["length", "reverse"]
    assert rows[0]["exhaustive"] == [363, 363] and rows[0]["bound"] == [1, 1]
    assert "wrote" in capsys.readouterr().out


def test_random_inputs_are_seeded_and_respect_uniqueness():
    case = bench.CASES["sort_unique"]
    a = bench.random_inputs(case, 50, 8, seed=1)
    assert a == bench.random_inputs(case, 50, 8, seed=1)
    assert all(len(set(x)) == len(x) and 1 <= len(x) <= 8 for x in a)
