"""Chapter 07's ICAE-style compressor, its training recipe, the stream memory and the CLI."""

import json

import numpy as np
import pytest
import torch

from minimem import checkpoints
from minimem.compression import stream
from minimem.compression.__main__ import main
from minimem.compression.icae import ICAE
from minimem.compression.train import (LEAD, QUOTE, CompressionRecipe, build, evaluate,
                                       load, loss_fn, save, windows)
from minimem.data import text
from minimem.lm import CharLM
from minimem.lm import load as load_lm
from minimem.training import History, fit


def small_lm(context=48):
    torch.manual_seed(0)
    return CharLM(d_model=32, num_heads=2, num_layers=1, context=context).eval()


def test_slots_start_as_the_chunks_mean_embedding_and_only_the_adapters_train():
    lm = small_lm()
    context = torch.randint(0, text.VOCAB_SIZE, (3, 16))
    model = ICAE(lm, context_len=16, ratio=4, rank=2)
    slots = model.compress(context)
    assert slots.shape == (3, 4, 32)
    chunks = lm.tok_emb(context).view(3, 4, 4, 32).mean(dim=2)  # the projection starts at zero
    assert torch.allclose(slots, chunks, atol=1e-6)
    assert not any(p.requires_grad for p in lm.parameters())
    names = set(model.trainable())
    assert {"memory", "ae_token", "project.weight", "project.bias"} <= names
    assert all(n.startswith("encoder.") for n in names - {"memory", "ae_token", "project.weight",
                                                         "project.bias"})
    assert all(n.endswith((".A", ".B")) for n in names if n.startswith("encoder."))


def test_each_memory_token_sees_only_its_own_chunk():
    model = ICAE(small_lm(), context_len=8, ratio=4, rank=1)
    mask = model.encoder_mask()  # (10, 10)
    assert torch.equal(mask[:8, :8], torch.ones(8, 8, dtype=torch.bool).tril())
    assert mask[8].nonzero().flatten().tolist() == [0, 1, 2, 3, 8]
    assert mask[9].nonzero().flatten().tolist() == [4, 5, 6, 7, 9]
    context = torch.randint(0, text.VOCAB_SIZE, (1, 8))
    with torch.no_grad():
        for p in model.project.parameters():
            p.normal_()
        first = model.compress(context)
        later = context.clone()
        later[0, 5] = (later[0, 5] + 1) % text.VOCAB_SIZE  # a character of the second chunk
        second = model.compress(later)
    assert torch.allclose(first[:, 0], second[:, 0]) and not torch.allclose(first[:, 1],
                                                                          second[:, 1])


def test_bad_shapes_and_ratios_are_named():
    lm = small_lm(context=20)
    with pytest.raises(ValueError, match="divide"):
        ICAE(lm, context_len=16, ratio=3)
    with pytest.raises(ValueError, match="exceed"):
        ICAE(lm, context_len=16, ratio=2)  # 16 + 8 slots > 20
    model = ICAE(lm, context_len=16, ratio=4)
    with pytest.raises(ValueError, match="16 characters"):
        model.compress(torch.zeros(1, 12, dtype=torch.long))
    with pytest.raises(TypeError, match="causal"):
        ICAE(torch.nn.Linear(2, 2))


def test_reconstruction_decoding_and_a_short_training_run():
    lm = small_lm()
    model = ICAE(lm, context_len=16, ratio=2, rank=2, decoder_rank=2)
    context = torch.randint(0, text.VOCAB_SIZE, (4, 16))
    slots = model.compress(context)
    bits, right = model.reconstruction(slots, context)
    assert bits.shape == right.shape == (4, 16)
    with torch.no_grad():
        greedy = model.decode(slots)
        x = torch.cat([slots, model.ae_token.expand(4, -1, -1)], 1)
        first = model.decoder(inputs_embeds=x).logits[:, -1].argmax(-1)
    assert greedy.shape == (4, 16) and torch.equal(greedy[:, 0], first)
    assert model.decoder is not lm and model.lm is lm  # the decoder has its own adapter
    fixed = (context, torch.randint(0, text.VOCAB_SIZE, (4, 16)))
    history = fit(model, lambda step: fixed, loss_fn, steps=60, lr=3e-2, progress=False)
    assert history.loss[-1] < 0.85 * history.loss[0]
    assert not any(p.grad is not None for p in lm.parameters())


def test_recall_windows_quote_the_context():
    recipe = CompressionRecipe()
    ids = text.corpus_ids("validation")
    context, continuation = windows(ids, 32, recipe, np.random.default_rng(0), recall_frac=1)
    assert context.shape == (32, 64) and continuation.shape == (32, LEAD + QUOTE)
    for c, y in zip(context.tolist(), continuation.tolist()):
        assert any(c[s:s + QUOTE] == y[LEAD:] for s in range(64 - QUOTE + 1))
    _, plain = windows(ids, 4, recipe, np.random.default_rng(0), recall_frac=0)
    assert plain.shape == (4, 64)
    with pytest.raises(ValueError, match="continuation_len"):
        CompressionRecipe(continuation_len=32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """An untrained compressor around the shipped LM, saved like a trained one."""
    lm, _ = load_lm(checkpoints.shipped("lm_char.pt"))
    recipe = CompressionRecipe(ratio=16)
    model = build(lm, recipe)
    with torch.no_grad():
        model.project.weight.normal_(0, 0.01)
    history = History()
    history.log_eval(0, {"seconds": 1.0})
    path = tmp_path_factory.mktemp("icae") / "icae.pt"
    save(path, model, recipe, history, {"reconstruction_accuracy": 0.5})
    return path, model, lm


def test_a_checkpoint_holds_only_what_training_changed(saved):
    path, model, lm = saved
    ckpt = checkpoints.load(path, kind="ICAE")
    assert set(ckpt.state_dict) == set(model.trainable())
    assert ckpt.metrics["trainable"] == sum(p.numel() for p in model.trainable().values())
    again, recipe = load(path, lm)
    context = torch.tensor([text.encode(text.corpus("validation")[:64])])
    with torch.no_grad():
        assert torch.allclose(again.compress(context), model.compress(context), atol=1e-2)
    assert recipe.ratio == 16


def test_evaluate_reports_every_measure(saved):
    _, model, _ = saved
    result = evaluate(model, count=8)
    assert set(result) == {"reconstruction_accuracy", "teacher_forced_accuracy",
                           "reconstruction_bpc", "bpc_compressed", "bpc_full", "bpc_none"}
    assert 0 <= result["reconstruction_accuracy"] <= 1
    assert result["bpc_full"] < result["bpc_none"]  # the quote is in the full context


def test_stream_memory_concat_grows_and_merge_is_the_mean(saved):
    _, model, _ = saved
    chunks, after = stream.stream_windows(text.corpus_ids("validation"), 2, 5, 64, 16,
                                          np.random.default_rng(0))
    assert chunks.shape == (2, 5, 64) and after.shape == (2, 16)
    concat = stream.memories(model, chunks, "concat")
    merge = stream.memories(model, chunks, "merge")
    assert [m.shape[1] for m in concat] == [4, 8, 12, 16, 20]
    with torch.no_grad():
        each = torch.stack([model.compress(chunks[:, t]) for t in range(5)])  # (5, 2, 4, D)
    assert torch.allclose(merge[-1], each.mean(0), atol=1e-5)
    result = stream.evaluate_stream(model, num_chunks=20, count=4)
    assert result["bytes"]["full"] == 16 * result["bytes"]["concat"] == 320 * \
        result["bytes"]["merge"]
    assert set(result["bpc"]) == {"none", "window", "concat", "merge"}
    with pytest.raises(ValueError, match="no room"):
        stream.evaluate_stream(model, num_chunks=40, count=2)


def test_command_line_reconstructs_lines_and_rejects_bad_input(saved, tmp_path, capsys):
    path = saved[0]
    lines = tmp_path / "lines.txt"
    lines.write_text("Return the value.\n\nA list of names.\n", encoding="utf-8")
    out = tmp_path / "out.json"
    main(["reconstruct", "--ratio", "16", "--checkpoint", str(path), "--text-file", str(lines),
          "--json", str(out)])
    result = json.loads(out.read_text())
    assert result["inputs"] == ["Return the value.", "A list of names."]
    assert [len(o) for o in result["outputs"]] == [17, 16]
    cases = [("", "no non-empty line"), ("x" * 65, "65 characters"), ("café", "printable")]
    for content, message in cases:
        lines.write_text(content, encoding="utf-8")
        with pytest.raises(SystemExit):
            main(["reconstruct", "--ratio", "16", "--checkpoint", str(path),
                  "--text-file", str(lines)])
        assert message in capsys.readouterr().err
    lines.write_text("fine\n", encoding="utf-8")
    for argv, message in ((["--ratio", "3"], "must divide"),
                          (["--ratio", "16", "--json", str(out)], "--force"),
                          (["--ratio", "4", "--checkpoint", str(path)], "16x, not 4x")):
        with pytest.raises(SystemExit):
            main(["reconstruct", "--text-file", str(lines)] + argv)
        assert message in capsys.readouterr().err


def test_bench_report_says_what_matched(saved):
    from minimem.compression import bench

    _, model, _ = saved
    classes = bench.by_class(model, count=4)
    assert set(classes) <= set(bench.CLASSES) and all(0 <= v <= 1 for v in classes.values())
    assert {"letters", "spaces"} <= set(classes)
    row = {"reconstruction_accuracy": 0.95, "teacher_forced_accuracy": 0.99, "english_accuracy":
           0.5, "bpc_compressed": 1.0, "bpc_full": 0.8, "bpc_none": 2.0, "gap_recovered": 0.83,
           "by_class": classes, "trainable": 10, "trainable_fraction": 0.01, "kib": 1,
           "train_seconds": 1, "slots": 16, "steps": 1}
    stream_result = stream.evaluate_stream(model, num_chunks=20, count=2)
    result = {"lm": {"validation": {"plain_bpc": 1.8, "repeat_bpc": 0.7, "random_repeat_bpc":
                                    0.3}, "test": {"plain_bpc": 1.9, "repeat_bpc": 0.8,
                                                   "random_repeat_bpc": 0.3},
                     "seconds": 1, "steps": 1, "parameters": 1, "kib": 1},
              "rows": [row | {"decoder": d, "ratio": 4} for d in bench.DECODERS],
              "stream": {d: stream_result for d in bench.DECODERS},
              "seconds": 1, "python": "3", "torch": "2"}
    text_ = bench.report(result)
    assert "| LM: repeat bpc ≤ 0.5 | 0.700 | no |" in text_
    assert "| 4×: reconstruction ≥ 90 % | 95.0% (frozen decoder) | yes |" in text_
    assert "| memory ≥ 5× smaller than the full cache | 16× (concat) | yes |" in text_
