"""Tests of minimem.memn2n: encodings, the K-hop forward pass, masking, tying, training, CLI."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem import memn2n
from minimem.data import babi
from minimem.memn2n import MemN2N, position_encoding, temporal_indices
from minimem.training import setup


def random_batch(B=3, M=6, L=5, V=12, seed=0, fill=(6, 2, 4)):
    """Stories with `fill[b]` sentences each (oldest first), random words, some padding words."""
    g = torch.Generator().manual_seed(seed)
    stories = torch.zeros(B, M, L, dtype=torch.long)
    for b in range(B):
        for m in range(fill[b]):
            n = int(torch.randint(1, L + 1, (1,), generator=g))
            stories[b, m, :n] = torch.randint(1, V, (n,), generator=g)
    queries = torch.randint(1, V, (B, L), generator=g)
    queries[:, -1] = 0
    return stories, queries


def reference_forward(model, stories, queries):
    """The paper's equations written out with loops, one story and one memory at a time."""
    K, d = model.hops, model.embed_dim
    logits = []
    for b in range(stories.shape[0]):
        sentences = [s for s in stories[b] if (s > 0).any()]
        n = len(sentences)

        def embed(table, ids):
            L = ids.shape[0]
            total = torch.zeros(d)
            for j, w in enumerate(ids.tolist(), start=1):
                if w:
                    l_j = torch.tensor([(1 - j / L) - (k / d) * (1 - 2 * j / L)
                                        for k in range(1, d + 1)])
                    total = total + l_j * table[w]
            return total

        u = embed(model.words[0], queries[b])
        for k in range(K):
            A, C, TA, TC = model.words[k], model.words[k + 1], model.times[k], model.times[k + 1]
            m = torch.stack([embed(A, s) + TA[n - 1 - i] for i, s in enumerate(sentences)])
            c = torch.stack([embed(C, s) + TC[n - 1 - i] for i, s in enumerate(sentences)])
            p = torch.softmax(m @ u, dim=0)
            u = u + p @ c
        logits.append(u @ model.words[K].T)
    return torch.stack(logits)


def test_position_encoding_matches_the_formula():
    L, d = 4, 6
    pe = position_encoding(L, d)
    for j in range(1, L + 1):
        for k in range(1, d + 1):
            assert pe[j - 1, k - 1].item() == pytest.approx((1 - j / L) - (k / d) * (1 - 2 * j / L))


def test_temporal_indices_count_back_from_the_most_recent_sentence():
    filled = torch.tensor([[True, True, True, False], [True, False, False, False]])
    t, kept = temporal_indices(filled)
    assert t.tolist() == [[2, 1, 0, 0], [0, 0, 0, 0]]
    assert kept.tolist() == filled.tolist()
    # noise=1: an empty memory after every sentence, older ones pushed out of the memory
    t, kept = temporal_indices(filled, noise=1.0)
    assert kept.tolist() == [[False, True, True, False], [True, False, False, False]]
    assert t[0, 1:3].tolist() == [3, 1] and t[1, 0] == 1


@pytest.mark.parametrize("hops", [1, 3])
def test_forward_matches_the_paper_equations_written_as_loops(hops):
    torch.manual_seed(0)
    model = MemN2N(12, embed_dim=8, memory_size=6, hops=hops)
    stories, queries = random_batch()
    expected = reference_forward(model, stories, queries)
    torch.testing.assert_close(model(stories, queries), expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("tying", ["adjacent", "layerwise"])
@pytest.mark.parametrize("pe,te", [(True, True), (False, False), (True, False)])
def test_shapes_and_attention(tying, pe, te):
    model = MemN2N(12, 8, memory_size=6, hops=3, position_encoding=pe, temporal_encoding=te,
                   tying=tying)
    stories, queries = random_batch()
    logits, attention = model(stories, queries, return_attention=True)
    assert logits.shape == (3, 12) and len(attention) == 3 and model.attention is attention
    for p in attention:
        assert p.shape == (3, 6)
        torch.testing.assert_close(p.sum(-1), torch.ones(3))
        assert (p[1, 2:] == 0).all()  # story 1 has two sentences: no weight on empty slots


def test_tying_schemes_share_the_right_tables():
    adjacent = MemN2N(10, 4, 5, hops=3)
    assert len(adjacent.words) == 4 and len(adjacent.times) == 4 and adjacent.H is None
    A2, C1 = adjacent.tables(1)[0], adjacent.tables(0)[1]
    assert A2 is C1  # A^{k+1} = C^k
    layerwise = MemN2N(10, 4, 5, hops=3, tying="layerwise")
    assert all(layerwise.tables(k)[0] is layerwise.tables(0)[0] for k in range(3))
    assert layerwise.H is not None and len(layerwise.words) == 4


def test_padding_is_masked():
    torch.manual_seed(1)
    model = MemN2N(12, 8, memory_size=10, hops=2, position_encoding=False)
    stories, queries = random_batch()
    before = model(stories, queries)
    # more empty memory slots and more padding words change nothing
    wider = torch.zeros(3, 10, 7, dtype=torch.long)
    wider[:, :6, :5] = stories
    longer_q = torch.cat([queries, torch.zeros(3, 2, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(wider, longer_q), before)
    # nor does the embedding of the nil word (except the score of the nil word as an answer)
    with torch.no_grad():
        for table in model.words:
            table[0] = 5.0
    torch.testing.assert_close(model(stories, queries)[:, 1:], before[:, 1:])


def test_linear_start_removes_the_softmax():
    model = MemN2N(12, 8, memory_size=6, hops=1)
    stories, queries = random_batch()
    _, (p,) = model(stories, queries, softmax=False, return_attention=True)
    u = model.embed(model.words[0], queries)
    t, kept = temporal_indices((stories > 0).any(-1))
    m = model.embed(model.words[0], stories) + model.times[0][t]
    torch.testing.assert_close(p, torch.einsum("bd,bmd->bm", u, m) * kept)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="tying"):
        MemN2N(10, 4, 5, 2, tying="rnn")
    with pytest.raises(ValueError, match="hops"):
        MemN2N(10, 4, 5, 0)
    model = MemN2N(12, 8, memory_size=6, hops=1)
    stories, queries = random_batch()
    with pytest.raises(TypeError, match="stories"):
        model(stories.float(), queries)
    with pytest.raises(ValueError, match="word ids"):
        model(stories, queries + 20)
    with pytest.raises(ValueError, match="memory_size"):
        model(torch.ones(3, 7, 5, dtype=torch.long), queries)
    with pytest.raises(ValueError, match="batch"):
        model(stories, queries[:2])


def tiny_task(task, n_train, n_test, seed=0):
    train_ex, test_ex = babi.generate(task, n_train, seed), babi.generate(task, n_test, seed + 1)
    vocab = babi.Vocab(train_ex + test_ex)
    M = max(len(ex.story) for ex in train_ex + test_ex)
    return vocab, M, vocab.encode(train_ex, M), vocab.encode(test_ex, M, None)


def test_training_is_deterministic():
    vocab, M, train_set, _ = tiny_task(1, 64, 8)
    results = []
    for _ in range(2):
        setup(3)
        model = MemN2N(len(vocab), 8, M, hops=2)
        history = memn2n.train(model, train_set, epochs=2, ls_epochs=1, seed=3, progress=False)
        results.append((history.loss, [p.detach().clone() for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    assert all(torch.equal(a, b) for a, b in zip(results[0][1], results[1][1]))
    assert all((p[0] == 0).all() for p in model.words)  # the nil word stays at zero


def test_short_training_solves_generated_task_1():
    train_ex, test_ex = babi.generate(1, 500, 0), babi.generate(1, 300, 1)
    vocab = babi.Vocab(train_ex + test_ex)
    train_set, test_set = vocab.encode(train_ex, 10, 7), vocab.encode(test_ex, 10, 7)
    setup(0)
    model = MemN2N(len(vocab), 20, 10, hops=1)
    history = memn2n.train(model, train_set, test_set, epochs=12, ls_epochs=0, lr=0.05,
                           anneal_every=4, seed=0, progress=False)
    acc, _ = memn2n.evaluate(model, test_set)
    assert acc >= 0.95, history.evals["valid_acc"]


def write_babi_folder(root, tasks):
    (root / "en").mkdir()
    for task in tasks:
        for split, seed in (("train", 0), ("test", 1)):
            babi.write(babi.generate(task, 40, seed), root / "en" / babi.task_file_name(task, split))


def test_benchmark_cli_on_babi_files_writes_json(tmp_path, capsys):
    write_babi_folder(tmp_path, [1, 6])
    out = tmp_path / "bench.json"
    report = memn2n.main(["--babi-dir", str(tmp_path), "--tasks", "1", "6", "--runs", "2",
                          "--epochs", "1", "--ls-epochs", "1", "--json", str(out)])
    printed = capsys.readouterr().out
    assert "| 1 | 0.0 |" in printed and "| 6 | 7.6 |" in printed
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(report))
    for task in ("1", "6"):
        row = saved["tasks"][task]
        assert len(row["run_errors"]) == 2 and row["best_error"] in row["run_errors"]
        assert row["paper_error"] == memn2n.PAPER_TABLE1[int(task)]
        best = max(row["runs"], key=lambda r: (r["valid_acc"], -r["valid_loss"]))
        assert row["best_seed"] == best["seed"]


def test_benchmark_cli_rejects_tasks_it_cannot_generate(capsys):
    with pytest.raises(SystemExit):
        memn2n.main(["--tasks", "4"])
    assert "not available" in capsys.readouterr().err


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.booleans())
def test_attention_ignores_empty_slots_property(n_sentences, hops, pe):
    model = MemN2N(12, 4, memory_size=6, hops=hops, position_encoding=pe)
    stories, queries = random_batch(B=1, fill=(n_sentences,))
    _, attention = model(stories, queries, return_attention=True)
    for p in attention:
        assert (p[0, n_sentences:] == 0).all()
        assert p[0, :n_sentences].sum().item() == pytest.approx(1.0, abs=1e-5)


def test_saved_checkpoint_rebuilds_the_best_model(tmp_path):
    write_babi_folder(tmp_path, [2])
    path = tmp_path / "task2.pt"
    report = memn2n.main(["--babi-dir", str(tmp_path), "--tasks", "2", "--runs", "2", "--hops", "2",
                          "--bag-of-words", "--epochs", "1", "--ls-epochs", "0", "--save", str(path)])
    model, vocab, sentence_len = memn2n.load_checkpoint(path)
    assert model.hops == 2 and not model.use_position and vocab.words[0] == "<nil>"
    test = babi.load_task(tmp_path, 2, "test")
    acc, _ = memn2n.evaluate(model, vocab.encode(test, model.memory_size, sentence_len))
    assert 100 * (1 - acc) == pytest.approx(report["tasks"]["2"]["best_error"], abs=0.01)
    with pytest.raises(SystemExit):
        memn2n.main(["--tasks", "1", "2", "--save", str(path)])
