"""Chapter 07's character language model: shapes, causality, the shift, bits per character,
the recipe, the checkpoint and the command line."""

import json
import math
from dataclasses import replace

import pytest
import torch

from minimem import checkpoints
from minimem.data import text
from minimem.lm import TINY, CharLM, LMRecipe, evaluate, load, save, train
from minimem.lm.__main__ import main
from minimem.lm.train import bits_per_char, eval_windows

QUICK = replace(TINY, phases=((4, 1.0, 0.0), (4, 0.2, 0.25)), decay_steps=2, eval_every=4,
                eval_count=4)


def small(**overrides):
    torch.manual_seed(0)
    return CharLM(**(dict(d_model=16, num_heads=2, num_layers=1, context=32) | overrides)).eval()


def test_shapes_and_config():
    model = small()
    out = model(torch.randint(96, (3, 20)))
    assert out.logits.shape == (3, 20, 96) and len(out.attentions) == 1
    assert model.config.causal and model.config.prev_token_shift and model.context == 32
    assert model.bits(torch.randint(96, (3, 20)), torch.randint(96, (3, 20))).shape == (3, 20)


def test_future_characters_do_not_change_past_predictions():
    model = small(num_layers=2)
    idx = torch.randint(96, (2, 24))
    changed = idx.clone()
    changed[:, 10:] = (idx[:, 10:] + 7) % 96
    assert torch.equal(model(idx).logits[:, :10], model(changed).logits[:, :10])
    assert not torch.allclose(model(idx).logits[:, 10:], model(changed).logits[:, 10:])


@pytest.mark.parametrize("shift", [True, False])
def test_without_attention_position_t_sees_token_t_minus_1_only_through_the_shift(shift):
    model = small(num_layers=0, prev_token_shift=shift)  # embeddings straight into the head
    idx = torch.randint(96, (1, 12))
    changed = idx.clone()
    changed[0, 5] = (idx[0, 5] + 1) % 96
    moved = (model(idx).logits - model(changed).logits).abs().sum(-1)[0] > 0  # (T,)
    assert moved.tolist() == [t == 5 or (shift and t == 6) for t in range(12)]


def test_a_uniform_model_pays_log2_V_bits_per_character():
    model = small(context=48)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    for windows in eval_windows(48, count=5).values():
        assert math.isclose(bits_per_char(model, windows), math.log2(96), rel_tol=1e-6)


def test_bits_agree_with_the_softmax():
    model = small()
    idx, targets = torch.randint(96, (2, 9)), torch.randint(96, (2, 9))
    probs = torch.softmax(model(idx).logits, -1).gather(-1, targets[..., None])[..., 0]
    assert torch.allclose(model.bits(idx, targets), -torch.log2(probs), atol=1e-5)
    with pytest.raises(ValueError, match="targets must have the inputs' shape"):
        model.bits(idx, targets[:, :4])


def test_generate_continues_a_prompt():
    model = small()
    out = model.generate("def f(x):", 12)
    assert len(out) == 12 and out == model.generate("def f(x):", 12)  # greedy: repeatable
    with pytest.raises(ValueError, match="not in the vocabulary"):
        model.generate("\u00e9", 3)


def test_the_recipe_schedule_and_phases():
    recipe = LMRecipe(phases=((100, 1.0, 0.0), (300, 0.2, 0.25)), warmup=10, decay_steps=100)
    assert recipe.steps == 400
    assert recipe.phase_at(1) == recipe.phase_at(100) == (1.0, 0.0)
    assert recipe.phase_at(101) == recipe.phase_at(400) == (0.2, 0.25)
    assert recipe.lr_at(5) == pytest.approx(recipe.lr / 2)
    assert recipe.lr_at(10) == recipe.lr_at(300) == recipe.lr  # the peak holds until the decay
    assert recipe.lr_at(400) == pytest.approx(recipe.lr / 10)
    with pytest.raises(ValueError, match="phases must be"):
        LMRecipe(phases=((10, 0.8, 0.5),))
    with pytest.raises(ValueError, match="decay_steps"):
        LMRecipe(phases=((10, 1.0, 0.0),), decay_steps=20)


def test_training_is_seeded_and_the_checkpoint_round_trips(tmp_path):
    lines = []
    model, history = train(QUICK, progress=False, log=lines.append)
    again, _ = train(QUICK, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                   again.state_dict().values()))
    assert len(lines) == 2 and lines[0].startswith("step      4")
    assert [s for s, _ in history.evals["repeat_bpc"]] == [4, 8]
    metrics = evaluate(model, count=8)
    path = tmp_path / "lm.pt"
    save(path, model, QUICK, history, metrics)
    assert path.stat().st_size < 2_000_000
    ckpt = checkpoints.load(path, kind="CharLM")
    assert all(v.dtype == torch.float16 for v in ckpt.state_dict.values())  # stored in half
    assert {"steps", "seconds", "plain_bpc", "repeat_bpc", "random_repeat_bpc",
            "parameters"} <= set(ckpt.metrics)
    assert ckpt.metrics["steps"] == 8 and ckpt.extra["corpus"] == text.fingerprint()
    assert [s for s, _ in ckpt.extra["curve"]["plain_bpc"]] == [4, 8]
    loaded, recipe = load(path)
    assert recipe == QUICK and loaded.tok_emb.weight.dtype == torch.float32
    for name, value in evaluate(loaded, count=8).items():
        assert value == pytest.approx(metrics[name], abs=0.01)


def test_cli_refuses_to_overwrite_and_reports_bad_checkpoints(tmp_path, capsys):
    existing = tmp_path / "lm.pt"
    existing.write_bytes(b"x")
    with pytest.raises(SystemExit):
        main(["train", "--save", str(existing)])
    assert "already exists; pass --force" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "--checkpoint", str(tmp_path / "missing.pt")])
    assert "no checkpoint at" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "--checkpoint", str(existing)])
    assert "not a readable checkpoint" in capsys.readouterr().err
    rmt = checkpoints.shipped("rmt_copy_rmt.pt")
    with pytest.raises(SystemExit):
        main(["eval", "--checkpoint", str(rmt)])
    assert "not a CharLM" in capsys.readouterr().err


def test_cli_eval_writes_json(tmp_path, capsys):
    model, history = train(QUICK, progress=False)
    path = tmp_path / "lm.pt"
    save(path, model, QUICK, history, evaluate(model, count=4))
    out = tmp_path / "m.json"
    main(["eval", "--checkpoint", str(path), "--count", "4", "--split", "test",
          "--json", str(out)])
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert printed["split"] == "test" and set(printed) >= {"plain_bpc", "repeat_bpc",
                                                          "random_repeat_bpc"}


def test_the_shipped_lm_was_made_by_the_recipe_and_reads_its_context():
    from minimem.lm.train import RECIPE

    path = checkpoints.shipped("lm_char.pt")
    assert path.stat().st_size < 2 * 2**20
    model, recipe = load(path)
    assert recipe == RECIPE
    metrics = checkpoints.load(path).metrics
    assert metrics["steps"] == RECIPE.steps and metrics["repeat_bpc"] < metrics["plain_bpc"] - 0.5
    measured = evaluate(model, count=32)
    assert measured["random_repeat_bpc"] < 1.0  # copies strings it has never seen
    assert measured["repeat_bpc"] < measured["plain_bpc"] - 0.5 and measured["plain_bpc"] < 2.5
