"""Tests of minimem.memn2n's recipe (train.py), the paper check (experiment.py, __main__.py) and
its checkpoints, including the ones shipped with the package."""

from __future__ import annotations

import json

import pytest
import torch

from minimem import checkpoints, memn2n
from minimem.data import babi
from minimem.memn2n import MemN2N, Recipe
from minimem.memn2n.__main__ import main
from minimem.training import setup


def tiny_task(task, n_train, n_test, seed=0):
    train_ex, test_ex = babi.generate(task, n_train, seed), babi.generate(task, n_test, seed + 1)
    vocab = babi.Vocab(train_ex + test_ex)
    M = max(len(ex.story) for ex in train_ex + test_ex)
    return vocab, M, vocab.encode(train_ex, M), vocab.encode(test_ex, M, None)


def test_recipe_schedule_is_the_papers():
    recipe = Recipe()
    assert (recipe.epochs, recipe.ls_epochs, recipe.batch_size, recipe.clip) == (100, 20, 32, 40.0)
    lrs = [recipe.lr_at_epoch(e) for e in range(120)]
    assert set(lrs[:20]) == {0.005}  # linear start
    assert set(lrs[20:45]) == {0.01} and set(lrs[45:70]) == {0.005} and lrs[119] == 0.01 / 8


@pytest.mark.parametrize("field, value, message", [
    ("epochs", -1, "epochs"), ("ls_epochs", 1.5, "ls_epochs"), ("clip", -1.0, "clip"),
    ("lr", 0.0, "lr"), ("noise", 2.0, "noise"), ("batch_size", 0, "batch_size")])
def test_recipe_rejects_bad_values(field, value, message):
    with pytest.raises((TypeError, ValueError), match=message):
        Recipe(**{field: value})
    with pytest.raises(ValueError, match="at least 1"):
        Recipe(epochs=0, ls_epochs=0)


def test_training_is_deterministic_and_keeps_the_nil_word_at_zero():
    vocab, M, train_set, _ = tiny_task(1, 64, 8)
    results = []
    for _ in range(2):
        setup(3)
        model = MemN2N(len(vocab), 8, M, hops=2)
        history = memn2n.train(model, train_set, recipe=Recipe(epochs=2, ls_epochs=1), seed=3,
                               progress=False)
        results.append((history.loss, [p.detach().clone() for p in model.parameters()]))
    assert len(results[0][0]) == 3 * 2  # 64 examples: 2 steps per epoch, 3 epochs
    assert results[0][0] == results[1][0]
    assert all(torch.equal(a, b) for a, b in zip(results[0][1], results[1][1]))
    assert all((p[0] == 0).all() for p in model.words)  # the nil word stays at zero
    assert not model.training


def test_linear_start_then_softmax_and_the_lr_schedule(monkeypatch):
    """The phase and the learning rate are chosen from the step: 2 steps per epoch here."""
    vocab, M, train_set, valid_set = tiny_task(1, 64, 8)
    model = MemN2N(len(vocab), 8, M, hops=1)
    optimizer = memn2n.make_optimizer(model)
    seen = []  # (softmax, noise, learning rate) of every training step
    forward = MemN2N.forward

    def spy(self, stories, queries, **kwargs):
        if self.training:
            seen.append((kwargs["softmax"], kwargs["noise"], optimizer.param_groups[0]["lr"]))
        return forward(self, stories, queries, **kwargs)

    monkeypatch.setattr(MemN2N, "forward", spy)
    recipe = Recipe(epochs=3, ls_epochs=2, anneal_every=2, noise=0.25)
    history = memn2n.train(model, train_set, valid_set, recipe, optimizer=optimizer,
                           progress=False)
    assert [s for s, _, _ in seen] == [False] * 4 + [True] * 6 and {n for _, n, _ in seen} == {0.25}
    assert [lr for _, _, lr in seen] == [0.005] * 4 + [0.01] * 4 + [0.005] * 2
    assert [s for s, _ in history.evals["valid_acc"]] == [2, 4, 6, 8, 10]  # once per epoch


def test_train_checks_its_data_once_before_the_first_step():
    vocab, M, (s, q, a), _ = tiny_task(1, 16, 8)
    model = MemN2N(len(vocab), 8, M, hops=1)
    with pytest.raises(ValueError, match="stories holds word ids outside"):
        memn2n.train(model, (s + len(vocab), q, a), progress=False)
    with pytest.raises(ValueError, match="answers"):
        memn2n.train(model, (s, q, -a), progress=False)
    with pytest.raises(ValueError, match="same number of examples"):
        memn2n.train(model, (s, q, a[:3]), progress=False)
    with pytest.raises(TypeError, match="valid_set"):
        memn2n.train(model, (s, q, a), valid_set=[s, q], progress=False)
    with pytest.raises(ValueError, match="no examples"):
        memn2n.train(model, (s[:0], q[:0], a[:0]), progress=False)
    with pytest.raises(TypeError, match="recipe"):
        memn2n.train(model, (s, q, a), recipe={"epochs": 1}, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        memn2n.evaluate(model, (s, q, a), batch_size=0)


def test_short_training_solves_generated_task_1():
    train_ex, test_ex = babi.generate(1, 500, 0), babi.generate(1, 300, 1)
    vocab = babi.Vocab(train_ex + test_ex)
    train_set, test_set = vocab.encode(train_ex, 10, 7), vocab.encode(test_ex, 10, 7)
    setup(0)
    model = MemN2N(len(vocab), 20, 10, hops=1)
    history = memn2n.train(model, train_set, test_set,
                           Recipe(epochs=12, ls_epochs=0, lr=0.05, anneal_every=4), seed=0,
                           progress=False)
    acc, _ = memn2n.evaluate(model, test_set)
    assert acc >= 0.95, history.evals["valid_acc"]


def test_encode_task_splits_like_the_paper_check():
    train_ex, test_ex = babi.generate(2, 40, 0), babi.generate(2, 20, 1)
    data = memn2n.encode_task(train_ex, test_ex, max_memory=5)
    assert data.memory_size == 5 and len(data.train[2]) == 36 and len(data.valid[2]) == 4
    assert len(data.test[2]) == 20 and data.train[0].shape[1:] == (5, data.sentence_len)
    with pytest.raises(ValueError, match="empty"):
        memn2n.encode_task([], test_ex)


def write_babi_folder(root, tasks):
    (root / "en").mkdir()
    for task in tasks:
        for split, seed in (("train", 0), ("test", 1)):
            babi.write(babi.generate(task, 40, seed), root / "en" / babi.task_file_name(task, split))


def test_benchmark_cli_on_babi_files_writes_json(tmp_path, capsys):
    write_babi_folder(tmp_path, [1, 6])
    out = tmp_path / "bench.json"
    report = main(["bench", "--babi-dir", str(tmp_path), "--tasks", "1", "6", "--runs", "2",
                   "--epochs", "1", "--ls-epochs", "1", "--json", str(out)])
    printed = capsys.readouterr().out
    assert "| 1 | 0.0 |" in printed and "| 6 | 7.6 |" in printed
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(report))
    assert saved["settings"]["epochs"] == 1 and saved["settings"]["lr"] == Recipe.lr
    for task in ("1", "6"):
        row = saved["tasks"][task]
        assert len(row["run_errors"]) == 2 and row["best_error"] in row["run_errors"]
        assert row["paper_error"] == memn2n.PAPER_TABLE1[int(task)]
        best = min(row["runs"], key=lambda r: (r["train_error"], -r["valid_acc"], r["valid_loss"]))
        assert row["best_seed"] == best["seed"]  # the paper's rule: lowest training error
    assert saved["settings"]["selection"] == "lowest training error"
    errors = [saved["tasks"][t]["best_error"] for t in ("1", "6")]
    assert saved["summary"]["mean_error"] == pytest.approx(sum(errors) / 2, abs=0.01)
    assert saved["summary"]["failed"] == sum(e > 5 for e in errors)
    assert saved["summary"]["paper_failed"] == 1  # task 6: 7.6 %


def test_best_run_is_the_lowest_training_error_then_validation():
    runs = [{"seed": 0, "train_error": 2.0, "valid_acc": 1.0, "valid_loss": 0.1},
            {"seed": 1, "train_error": 0.0, "valid_acc": 0.9, "valid_loss": 0.5},
            {"seed": 2, "train_error": 0.0, "valid_acc": 0.9, "valid_loss": 0.3}]
    assert memn2n.best_run(runs)["seed"] == 2


def test_bench_reads_the_shipped_release_by_default_and_generates_on_request(tmp_path, capsys):
    report = main(["bench", "--tasks", "19", "--runs", "1", "--epochs", "1", "--ls-epochs", "0"])
    assert "shipped" in report["source"] and report["tasks"]["19"]["paper_error"] == 82.8
    report = main(["bench", "--generated", "--tasks", "1", "--runs", "1", "--epochs", "1",
                   "--ls-epochs", "0"])
    assert report["source"] == "generated (minimem)"
    archive = tmp_path / "release.tar.gz"
    import tarfile
    write_babi_folder(tmp_path, [1])
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "en", arcname="tasks_1-20_v1-2/en")
    report = main(["bench", "--babi-dir", str(archive), "--tasks", "1", "--runs", "1",
                   "--epochs", "1", "--ls-epochs", "0"])
    assert str(archive) in report["source"]
    assert "task 1 seed 0" in capsys.readouterr().err  # one progress line per run


@pytest.mark.parametrize("argv, message", [
    (["bench", "--generated", "--tasks", "4"], "not available"),
    (["bench", "--tasks", "21"], "not available"),
    (["bench", "--generated", "--babi-dir", "."], "not allowed with"),
    (["bench", "--size", "10k"], "needs --babi-dir"),
    (["bench", "--tasks", "1", "2", "--save", "x.pt"], "exactly one task"),
    (["bench", "--runs", "0"], "--runs must be at least 1"),
    (["bench", "--epochs", "0", "--ls-epochs", "0"], "at least one epoch"),
    (["bench", "--babi-dir", "no/such/folder"], "not a folder or archive"),
    (["bench", "--json", "no/such/folder/r.json"], "does not exist"),
    ([], "required"),
])
def test_cli_mistakes_end_with_one_sentence(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code != 0 and message in capsys.readouterr().err


def test_save_refuses_to_replace_a_file_without_force(tmp_path, capsys):
    path = tmp_path / "model.pt"
    path.write_bytes(b"precious")
    with pytest.raises(SystemExit):
        main(["bench", "--tasks", "1", "--runs", "1", "--epochs", "1", "--save", str(path)])
    assert "--force" in capsys.readouterr().err and path.read_bytes() == b"precious"


def test_saved_checkpoint_rebuilds_the_best_model(tmp_path):
    write_babi_folder(tmp_path, [2])
    path = tmp_path / "task2.pt"
    report = main(["bench", "--babi-dir", str(tmp_path), "--tasks", "2", "--runs", "2",
                   "--hops", "2", "--bag-of-words", "--epochs", "1", "--ls-epochs", "0",
                   "--save", str(path)])
    ckpt = checkpoints.load(path, kind="MemN2N")  # the course's one checkpoint format
    assert ckpt.metrics["test_error"] == report["tasks"]["2"]["best_error"]
    assert ckpt.extra["task"] == 2 and ckpt.metrics["seed"] == report["tasks"]["2"]["best_seed"]
    model, vocab, sentence_len = memn2n.load_checkpoint(path)
    assert model.hops == 2 and not model.use_position and vocab.words[0] == "<nil>"
    assert not model.training
    test = babi.load_task(tmp_path, 2, "test")
    acc, _ = memn2n.evaluate(model, vocab.encode(test, model.memory_size, sentence_len))
    assert 100 * (1 - acc) == pytest.approx(report["tasks"]["2"]["best_error"], abs=0.01)


@pytest.mark.parametrize("name, task, hops, position", [
    ("memn2n_task2_hops1.pt", 2, 1, True), ("memn2n_task2_hops3.pt", 2, 3, True),
    ("memn2n_task5_pe.pt", 5, 3, True), ("memn2n_task5_bow.pt", 5, 3, False)])
def test_shipped_checkpoints_reproduce_their_recorded_test_error(name, task, hops, position):
    path = checkpoints.shipped(name)
    ckpt = checkpoints.load(path, kind="MemN2N")
    assert ckpt.extra["task"] == task and set(ckpt.extra) >= {"words", "sentence_len"}
    model, vocab, sentence_len = memn2n.load_checkpoint(path)
    assert model.hops == hops and model.use_position == position
    data = vocab.encode(babi.load_task(task, "test"), model.memory_size, sentence_len)
    acc, _ = memn2n.evaluate(model, data)  # the real bAbI 1k test file, as in the benchmark
    assert 100 * (1 - acc) == pytest.approx(ckpt.metrics["test_error"], abs=0.01)
