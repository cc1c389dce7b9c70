"""Tests for minimem.pointer: eq. 3 scores, masks, decoding, the baseline, the shipped checkpoint."""

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem import pointer as P
from minimem.data import geometry


def random_net(seed: int, input_dim: int = 2, mask: str = "cycle", hidden: int = 16,
               bidirectional: bool = False) -> P.PointerNet:
    torch.manual_seed(seed)
    return P.PointerNet(input_dim, hidden, mask=mask, bidirectional=bidirectional).eval()


def test_pointer_scores_is_eq3_and_matches_the_module():
    net = random_net(0)
    e, d = torch.randn(3, 5, 16), torch.randn(3, 16)
    W1, W2, v = net.W1.weight, net.W2.weight, net.v.weight[0]
    u = P.pointer_scores(e, d, W1, W2, v)
    by_hand = torch.stack([torch.stack([v @ torch.tanh(W1 @ e[b, j] + W2 @ d[b]) for j in range(5)])
                           for b in range(3)])
    torch.testing.assert_close(u, by_hand)
    torch.testing.assert_close(u, net.scores(e, d[:, None], None)[:, 0])
    mask = torch.zeros(3, 5, dtype=torch.bool)
    mask[:, 1] = True
    masked = P.pointer_scores(e, d, W1, W2, v, mask)
    assert torch.all(masked[:, 1] == P.NEG) and torch.equal(masked[:, 0], u[:, 0])
    with pytest.raises(ValueError, match=r"\(B, N, H\)"):
        P.pointer_scores(e[0], d, W1, W2, v)


def test_step_mask_rules():
    visited = torch.tensor([[True, False, True, False]])
    first = torch.tensor([0])
    assert P.step_mask(visited, first, 2, "cycle").tolist() == [[True, False, True, False]]
    assert P.step_mask(visited, first, 3, "cycle").tolist() == [[False, False, True, False]]
    assert P.step_mask(visited, first, 3, "permutation").tolist() == [[True, False, True, False]]
    assert not P.step_mask(visited, first, 3, "none").any()
    assert not P.step_mask(torch.ones(1, 4, dtype=torch.bool), None, 0, "permutation").any()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 12), st.integers(1, 5))
def test_permutation_mask_never_repeats_a_position(seed, n, batch):
    net = random_net(seed, input_dim=1, mask="permutation")
    x = torch.rand(batch, n, 1, generator=torch.Generator().manual_seed(seed))
    for seq in net.decode(x) + net.beam_search(x, beam=3):
        assert sorted(seq) == list(range(n))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.integers(3, 12))
def test_cycle_mask_gives_closed_non_repeating_tours(seed, n):
    net = random_net(seed, bidirectional=seed % 2 == 1)
    x = torch.rand(4, n, 2, generator=torch.Generator().manual_seed(seed))
    for seq in net.decode(x) + net.beam_search(x, beam=2):
        assert seq[0] == seq[-1] and len(seq) >= 4
        assert len(set(seq[:-1])) == len(seq) - 1


@pytest.mark.parametrize("bidirectional", [False, True])
def test_teacher_forcing_agrees_with_greedy_decoding(bidirectional):
    net = random_net(3, bidirectional=bidirectional)
    x = torch.rand(6, 7, 2, generator=torch.Generator().manual_seed(0))
    seqs, weights = net.decode(x, return_scores=True)
    targets = torch.full((6, max(map(len, seqs))), -100)
    for b, s in enumerate(seqs):
        targets[b, : len(s)] = torch.tensor(s)
    forced = torch.softmax(net(x, targets), dim=-1)
    for b, s in enumerate(seqs):
        torch.testing.assert_close(forced[b, : len(s)], weights[b, : len(s)])


def test_beam_of_one_is_greedy():
    net = random_net(5)
    x = torch.rand(5, 8, 2, generator=torch.Generator().manual_seed(1))
    assert net.beam_search(x, beam=1) == net.decode(x)


def test_baseline_cannot_point_beyond_its_vocabulary():
    torch.manual_seed(0)
    base = P.Seq2SeqAttention(1, 16, vocab=10).eval()
    short, long = torch.rand(3, 6, 1), torch.rand(3, 15, 1)
    for seq in base.decode(short):
        assert sorted(seq) == list(range(6))  # positions 6..9 do not exist here: masked
    for seq in base.decode(long):
        assert len(seq) == 10 and max(seq) < 10  # it can never name positions 10..14


def test_bad_inputs_raise():
    net = random_net(0)
    with pytest.raises(ValueError, match=r"\(B, N, 2\)"):
        net.decode(torch.rand(2, 5, 3))
    with pytest.raises(ValueError, match="mask must be one of"):
        P.PointerNet(mask="sometimes")
    with pytest.raises(ValueError, match="even hidden size"):
        P.PointerNet(hidden=15, bidirectional=True)
    with pytest.raises(ValueError, match="beam"):
        net.beam_search(torch.rand(1, 5, 2), beam=0)


def test_sorting_learns_in_a_few_hundred_steps():
    torch.manual_seed(0)
    net = P.PointerNet(1, 32, mask="permutation")
    hist = P.train_sorter(net, steps=150, n_min=4, n_max=6, batch_size=64, progress=False)
    assert np.mean(hist.loss[-20:]) < 0.6 * np.mean(hist.loss[:20])
    assert P.sort_accuracy(net, 4, count=200) > 0.3


def test_hull_batch_targets_are_the_exact_hulls():
    x, targets = P.hull_batch(8, 9, np.random.default_rng(0))
    same = np.random.default_rng(0).random((8, 9, 2))
    np.testing.assert_allclose(x.numpy(), same, rtol=1e-6)
    for pts, t in zip(same, targets.tolist()):
        assert [i + 1 for i in t if i >= 0] == geometry.hull_sequence(pts)


# ----------------------------------------------------------------------------- the checkpoint

def test_checkpoint_is_small_and_reproduces_its_recorded_metrics():
    assert P.CHECKPOINT.stat().st_size < 2 * 2**20
    model = P.load_hull_checkpoint()
    info = model.info
    assert info["train_config"]["steps"] > 0 and info["train_wall_s"] > 0
    check = info["check"]
    got = P.evaluate_hull(model, P.eval_set(check["n"], check["count"]))
    one = 1 / check["count"]  # allow one near-tie to fall the other way on another CPU/BLAS
    assert got["exact"] == pytest.approx(check["exact"], abs=one + 1e-12)
    assert got["invalid"] == pytest.approx(check["invalid"], abs=one + 1e-12)
    assert got["area"] == pytest.approx(check["area"], abs=0.01)
    assert info["metrics"]["n5"]["exact"] >= 0.9 and info["metrics"]["n5"]["area"] >= 0.995
    assert info["model"]["hidden"] == 128 and model.hidden == 128


def test_cli_writes_data_and_evaluates_it(tmp_path, capsys):
    data, out = tmp_path / "n5.txt", tmp_path / "m.json"
    P.main(["make-hull-data", "--n", "5", "--count", "30", "--seed", "3", "--out", str(data)])
    assert len(geometry.read_examples(data)) == 30
    P.main(["eval-hull", "--file", str(data), "--json", str(out)])
    metrics = json.loads(out.read_text())
    assert metrics["count"] == 30 and 0 <= metrics["exact"] <= 1
    assert "area coverage" in capsys.readouterr().out


# ----------------------------------------------------------------------------- exercise checkers

def test_chapter_checkers_accept_the_references_and_reject_mistakes(capsys):
    from minimem.checks import ch02

    assert ch02.check_pointer_scores(P.pointer_scores)
    assert ch02.check_greedy_decode(lambda model, x: torch.tensor(model.decode(x)))
    assert ch02.check_area_coverage(lambda p, a, b: geometry.area_coverage([p], [a], [b])[0])
    assert ch02.check_convex_hull(geometry.convex_hull)
    swapped = lambda e, d, W1, W2, v, mask=None: P.pointer_scores(e, d, W2, W1, v, mask)
    unmasked = lambda e, d, W1, W2, v, mask=None: P.pointer_scores(e, d, W1, W2, v)
    assert not ch02.check_pointer_scores(swapped)
    assert not ch02.check_pointer_scores(unmasked)
    assert not ch02.check_greedy_decode(lambda model, x: torch.arange(x.shape[1]).expand(len(x), -1))
    assert not ch02.check_area_coverage(lambda p, a, b: 1.0)
    assert not ch02.check_convex_hull(lambda p: list(range(len(p))))

    def stub(*args):
        raise NotImplementedError("Exercise 2.1: write it")

    assert not ch02.check_pointer_scores(stub)
    assert "not implemented yet — Exercise 2.1: write it" in capsys.readouterr().out
