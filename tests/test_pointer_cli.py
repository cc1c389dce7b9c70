"""Tests for minimem.pointer's shipped checkpoint, recipes, command line and exercise checkers."""

import json

import numpy as np
import pytest
import torch

from minimem import checkpoints
from minimem import pointer as P
from minimem.data import geometry
from minimem.pointer.__main__ import main
from minimem.pointer.report import KEEP_MARKER, markdown


def test_checkpoint_is_small_and_reproduces_its_recorded_metrics():
    path = checkpoints.shipped("pointer_hull.pt")
    assert path.stat().st_size < 2 * 2**20
    model, ckpt = P.load_hull_checkpoint()
    assert ckpt.kind == "PointerNet" and ckpt.config == model.config
    assert ckpt.config["input_norm"] == "centre" and ckpt.config["mask"] == "cycle"
    assert ckpt.extra["recipe"]["steps"] > 0 and ckpt.extra["train_wall_s"] > 0
    check = ckpt.metrics["check"]
    got = P.evaluate_hull(model, P.eval_set(check["n"], check["count"]))
    one = 1 / check["count"]  # allow one near-tie to fall the other way on another CPU/BLAS
    assert got["exact"] == pytest.approx(check["exact"], abs=one + 1e-12)
    assert got["invalid"] == pytest.approx(check["invalid"], abs=one + 1e-12)
    assert got["area"] == pytest.approx(check["area"], abs=0.01)
    assert ckpt.metrics["n5"]["exact"] >= 0.9 and ckpt.metrics["n5"]["area"] >= 0.995
    assert model.hidden == 128 and not model.training


def test_a_wrong_checkpoint_is_refused(tmp_path):
    other = tmp_path / "sorter.pt"
    checkpoints.save(other, P.Seq2SeqAttention(1, 8), P.Seq2SeqAttention(1, 8).config)
    with pytest.raises(ValueError, match="not a PointerNet"):
        P.load_hull_checkpoint(other)
    with pytest.raises(FileNotFoundError, match="train-hull"):
        P.load_hull_checkpoint(tmp_path / "missing.pt")


def test_train_hull_saves_a_loadable_checkpoint_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setattr(P.train, "eval_set", lambda n, count: geometry.make_hull_examples(20, n, seed=n))
    out = tmp_path / "hull.pt"
    model, ckpt = P.train_hull(out, steps=3, batch_size=8, hidden=16, progress=False)
    again, loaded = P.load_hull_checkpoint(out)
    assert loaded.extra["recipe"]["steps"] == 3 and set(loaded.metrics) == {"n5", "n10", "check"}
    for k, v in model.state_dict().items():
        assert torch.equal(again.state_dict()[k], v)
    with pytest.raises(FileExistsError, match="--force"):
        P.train_hull(out, steps=3, progress=False)


def test_cli_writes_data_and_evaluates_it(tmp_path, capsys):
    data, out = tmp_path / "n5.txt", tmp_path / "m.json"
    main(["make-hull-data", "--n", "5", "--count", "30", "--seed", "3", "--out", str(data)])
    assert len(geometry.read_examples(data)) == 30
    main(["eval-hull", "--file", str(data), "--json", str(out)])
    metrics = json.loads(out.read_text())
    assert metrics["count"] == 30 and 0 <= metrics["exact"] <= 1
    assert "area coverage" in capsys.readouterr().out
    main(["eval-hull", "--file", str(data), "--beam", "2", "--checkpoint",
          str(checkpoints.shipped("pointer_hull.pt"))])


@pytest.mark.parametrize("argv, message", [
    (["eval-hull", "--file", "missing.txt"], "missing.txt"),
    (["eval-hull", "--file", "{data}", "--beam", "0"], "--beam must be >= 1"),
    (["eval-hull", "--file", "{data}", "--json", "no/such/folder/m.json"], "does not exist"),
    (["train-hull", "--out", "{data}"], "--force"),
    (["train-hull", "--out", "no/such/folder/h.pt"], "does not exist"),
    (["train-hull", "--lr", "0"], "--lr > 0"),
    (["make-hull-data", "--n", "0", "--out", "x.txt"], "--n must be >= 1"),
    (["make-hull-data", "--n", "2", "--out", "x.txt"], "--n must be >= 3"),
    (["bench", "--count", "0"], "--count must be >= 1"),
])
def test_cli_mistakes_end_in_one_sentence(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data.txt"
    data.write_text("0.1 0.2 0.9 0.1 0.5 0.9 output 1 2 3 1\n")
    with pytest.raises(SystemExit) as stop:
        main([a.replace("{data}", str(data)) for a in argv])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_names_a_malformed_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("0.1 0.2 0.9 0.1 0.5 0.9 output 1 2 3 1\n0.1 0.2 output 1 1\n0.1 zero output 1\n")
    with pytest.raises(SystemExit):
        main(["eval-hull", "--file", str(bad)])
    assert "line 3" in capsys.readouterr().err


def test_bench_report_is_markdown_and_keeps_the_hand_written_notes():
    metrics = {"exact": 0.9, "area": 0.99, "invalid": 0.02, "area_strict": 0.97, "fail": True, "count": 10}
    result = {"hull": {"n5": {"greedy": metrics, "beam4": metrics}, "n50": {"greedy": metrics}},
              "hull_model": P.PointerNet(hidden=8).config,
              "hull_train": {"recipe": vars(P.HullRecipe()).copy(), "train_wall_s": 60.0},
              "sorting": {"ptr_net": {"train_s": 1.0, "steps": 5, "n5": 1.0, "n10": 0.5, "n15": 0.25, "n20": 0.0}}}
    text = markdown(result)
    assert "| 5 | 90.0 % | 99.00 % | 2.0 % (FAIL) | 97.00 % | 90.0 % | 99.00 % |" in text
    assert "| 50 | 90.0 % |" in text and "| ptr_net | 5 | 1 s | 100.0 % | 50.0 % | 25.0 % | 0.0 % |" in text
    assert KEEP_MARKER in open("benchmarks/ch02_pointer.md").read()


# ----------------------------------------------------------------------------- exercise checkers

def learner_scores(e, d, W1, W2, v, mask=None):
    u = torch.tanh(e @ W1.T + (d @ W2.T)[:, None, :]) @ v
    return u if mask is None else u.masked_fill(~mask, float("-inf"))


def learner_greedy(model, x):
    B, N, _ = x.shape
    memory, state = model.encode(x)
    inp, may_choose, out = model.go.expand(B, 1, -1), torch.ones(B, N, dtype=torch.bool), []
    with torch.no_grad():
        for _ in range(N):
            dec, state = model.decoder(inp, state)
            choice = model.scores(memory, dec)[:, 0].masked_fill(~may_choose, float("-inf")).argmax(-1)
            out.append(choice)
            may_choose[torch.arange(B), choice] = False
            inp = memory.inputs[torch.arange(B), choice][:, None]
    return torch.stack(out, dim=1)


def learner_area(points, predicted, truth):
    def area(seq):
        q = np.asarray(points, float)[[i - 1 for i in seq[:-1]]]
        return 0.5 * abs(np.sum(q[:, 0] * np.roll(q[:, 1], -1) - np.roll(q[:, 0], -1) * q[:, 1]))
    return 0.0 if not geometry.is_valid_polygon(points, predicted) else float(area(predicted) / area(truth))


def learner_hull(points):
    first = {}
    for i, q in enumerate(np.asarray(points, float).tolist()):
        first.setdefault(tuple(q), i)
    keys = sorted(first)
    if len(keys) <= 2:
        return sorted(first[k] for k in keys)
    cross = lambda o, a, b: (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def chain(pts):
        out = []
        for q in pts:
            while len(out) >= 2 and cross(out[-2], out[-1], q) <= 0:
                out.pop()
            out.append(q)
        return out

    ring = [first[k] for k in chain(keys)[:-1] + chain(keys[::-1])[:-1]]
    return ring[ring.index(min(ring)):] + ring[: ring.index(min(ring))]


def test_chapter_checkers_accept_right_answers_and_reject_mistakes(capsys):
    from minimem.checks import ch02

    assert ch02.check_pointer_scores(learner_scores)
    assert ch02.check_greedy_decode(learner_greedy)
    assert ch02.check_area_coverage(learner_area)
    assert ch02.check_convex_hull(learner_hull)
    swapped = lambda e, d, W1, W2, v, mask=None: learner_scores(e, d, W2, W1, v, mask)
    unmasked = lambda e, d, W1, W2, v, mask=None: learner_scores(e, d, W1, W2, v)
    forbidden_rule = lambda e, d, W1, W2, v, mask=None: learner_scores(
        e, d, W1, W2, v, None if mask is None else ~mask)  # the old "True = forbidden" rule
    assert not ch02.check_pointer_scores(swapped)
    assert not ch02.check_pointer_scores(unmasked)
    assert not ch02.check_pointer_scores(forbidden_rule)
    assert not ch02.check_greedy_decode(lambda model, x: torch.arange(x.shape[1]).expand(len(x), -1))
    assert not ch02.check_area_coverage(lambda p, a, b: 1.0)
    assert not ch02.check_convex_hull(lambda p: list(range(len(p))))
    capsys.readouterr()


def test_checkers_switch_off_the_library_answers(capsys):
    from minimem.checks import ch02

    assert not ch02.check_greedy_decode(lambda model, x: torch.tensor(P.greedy(model, x)))
    assert "Exercise 2.2 asks you to write this yourself" in capsys.readouterr().out
    assert not ch02.check_area_coverage(lambda p, a, b: geometry.area_coverage([p], [a], [b])[0])
    assert not ch02.check_convex_hull(geometry.convex_hull)
    assert P.greedy.__name__ == "greedy" and geometry.convex_hull.__name__ == "convex_hull"

    def stub(*args):
        raise NotImplementedError("Exercise 2.1: write it")

    assert not ch02.check_pointer_scores(stub)
    assert "not implemented yet — Exercise 2.1: write it" in capsys.readouterr().out
