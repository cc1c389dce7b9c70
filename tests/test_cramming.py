"""Cramming (chapter 08 groundwork): fitting input vectors to a frozen LM."""

import json
import math

import pytest
import torch

from minimem.cramming import capacity, cram, exact_prefix, information_bound, text_bits
from minimem.transformer import Transformer, TransformerConfig


def tiny_lm(V: int = 12, D: int = 32, max_len: int = 24) -> Transformer:
    """An untrained LM whose matrices are scaled ×3, so its predictions depend strongly on
    what it reads (at the usual scale they are nearly uniform whatever the input)."""
    torch.manual_seed(0)
    lm = Transformer(TransformerConfig(vocab_size=V, d_model=D, num_heads=2, num_layers=1,
                                       max_len=max_len)).eval()
    with torch.no_grad():
        for p in lm.parameters():
            if p.dim() == 2:
                p.mul_(3)
    return lm


def test_text_bits_with_and_without_vectors():
    lm = tiny_lm()
    texts = torch.randint(0, 12, (3, 6))
    bits, right = text_bits(lm, texts)
    assert bits.shape == right.shape == (3, 6)
    assert torch.allclose(bits[:, 0], torch.full((3,), math.log2(12)))  # nothing before x_0
    assert not right[:, 0].any()
    with torch.no_grad():  # the same as scoring the ids directly
        want = torch.nn.functional.cross_entropy(lm(texts[:, :-1]).logits.transpose(1, 2),
                                                 texts[:, 1:], reduction="none") / math.log(2)
    assert torch.allclose(bits[:, 1:], want, atol=1e-5)
    vectors = torch.randn(3, 2, 32)
    bits_v, right_v = text_bits(lm, texts, vectors)
    assert bits_v.shape == (3, 6)


def test_exact_prefix_counts_leading_hits():
    right = torch.tensor([[True, True, False, True], [False, True, True, True],
                          [True, True, True, True]])
    assert exact_prefix(right).tolist() == [2, 0, 4]


def test_cramming_lowers_the_bits_and_leaves_the_model_alone():
    lm = tiny_lm()
    before = {name: p.clone() for name, p in lm.named_parameters()}
    texts = torch.randint(0, 12, (4, 8), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        without = text_bits(lm, texts)[0].sum(dim=1)
    result = cram(lm, texts, num_vectors=2, steps=150, lr=0.2)
    assert result.vectors.shape == (4, 2, 32) and len(result.history) == 150
    assert (result.bits < without - 5).all()  # the vectors carry information about each text
    assert result.history[-1]["bits"] < result.history[0]["bits"] - 5
    with torch.no_grad():  # the stored best vectors reproduce the reported numbers
        bits, right = text_bits(lm, texts, result.vectors)
    assert torch.allclose(bits.sum(dim=1), result.bits, atol=1e-3)
    assert torch.equal(exact_prefix(right), result.exact)
    assert all(torch.equal(p, before[name]) for name, p in lm.named_parameters())
    assert all(p.requires_grad for p in lm.parameters())  # restored after cramming
    assert torch.equal(capacity(lm, texts, 2, steps=150, lr=0.2), result.exact)


def test_bounds_and_bad_inputs():
    assert information_bound(128, 96, 16) == pytest.approx(128 * 16 / math.log2(96))
    lm = tiny_lm(max_len=8)
    with pytest.raises(ValueError, match="exceed the model's context of 8"):
        cram(lm, torch.zeros(1, 8, dtype=torch.long), num_vectors=2)
    with pytest.raises(TypeError, match="causal"):
        cram(Transformer(TransformerConfig(vocab_size=5, causal=False)), torch.zeros(1, 3).long())
    with pytest.raises(TypeError, match="texts"):
        cram(lm, torch.zeros(1, 3))
    with pytest.raises(ValueError, match="at least 2 characters"):
        text_bits(lm, torch.zeros(1, 1, dtype=torch.long))


def test_command_line(tmp_path, capsys):
    from minimem.cramming.__main__ import main
    from minimem.lm.train import TINY, build, save
    from minimem.training import History

    model = build(TINY)
    history = History(loss=[1.0])
    history.log_eval(1, {"seconds": 0.1})
    ckpt = tmp_path / "lm.pt"
    save(str(ckpt), model, TINY, history, {"plain_bpc": 6.0})
    lines = tmp_path / "lines.txt"
    lines.write_text("hello world\n\nab\n", encoding="utf-8")
    out = tmp_path / "out.json"
    main(["--text-file", str(lines), "--vectors", "1", "--json", str(out),
          "--checkpoint", str(ckpt), "--steps", "5"])
    rows = json.loads(out.read_text())["lines"]
    assert [r["text"] for r in rows] == ["hello world", "ab"]
    assert set(rows[0]) == {"text", "chars_exact", "cross_entropy_bits", "bits_removed",
                            "seconds"}
    for argv, message in (([], "already exists"),
                          (["--force", "--vectors", "0"], "--vectors and --steps")):
        with pytest.raises(SystemExit):
            main(["--text-file", str(lines), "--json", str(out), "--checkpoint", str(ckpt),
                  "--steps", "2", *argv])
        assert message in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    for content, message in (("\n\n", "no non-empty line"), ("caf\u00e9\n", "line 1"),
                             ("x" * 200 + "\n", "line 1 has 200 characters")):
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(SystemExit):
            main(["--text-file", str(bad), "--json", str(tmp_path / "x.json"),
                  "--checkpoint", str(ckpt), "--steps", "2"])
        assert message in capsys.readouterr().err


def test_benchmark_tables_from_rows():
    from minimem.cramming import bench

    rows = [{"kind": kind, "vectors": k, "cross_entropy_bits": 64.0 * (i + 1),
             "bits_removed": 10.0 * k, "chars_exact": 20 - 2 * i, "prefix_bits": 5.0}
            for i, kind in enumerate(bench.KINDS) for k in bench.VECTORS]
    table = bench.summary(rows)
    assert len(table) == len(bench.KINDS) * len(bench.VECTORS)
    assert table[0] == {"kind": "in-domain", "vectors": 1, "cross_entropy_bits": 64.0,
                        "bits_removed": 10.0, "chars_exact": 20.0, "prefix_bits": 5.0}
    line = bench.fit(rows)  # exact = 22 - 2 · (bits per character) exactly
    assert line == {"intercept": 22.0, "slope": -2.0, "correlation": -1.0}
    texts = bench.texts()
    assert all(len(t) == bench.LENGTH for kind in bench.KINDS for t in texts[kind])


def test_cram_gives_the_model_back_in_the_mode_it_came():
    torch.manual_seed(0)
    lm = Transformer(TransformerConfig(vocab_size=7, d_model=16, num_heads=2, max_len=16))
    lm.train()
    cram(lm, torch.tensor([[1, 2, 3, 4, 5, 6]]), num_vectors=1, steps=2)
    assert lm.training and all(p.requires_grad for p in lm.parameters())
