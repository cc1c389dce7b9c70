"""Tests for minimem.pointer: eq. 3, the step-mask rule, decoding against plain one-example
references, teacher forcing, the baseline, training recipes and the input normalisation."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem import pointer as P
from minimem.attention import masked_log_softmax, masked_softmax
from minimem.data import geometry
from minimem.pointer.decode import MaskMode, allowed


def random_net(seed: int, input_dim: int = 2, mask: str = "cycle", hidden: int = 16,
               bidirectional: bool = False) -> P.PointerNet:
    torch.manual_seed(seed)
    return P.PointerNet(input_dim, hidden, mask=mask, bidirectional=bidirectional).eval()


# ----------------------------------------------------------------------------- plain references

def plain_greedy(model, x1):
    """One example, Python lists: the step mask written out by hand. Returns (seq, weights)."""
    memory, state = model.encode(x1[None])
    N, S = x1.shape[0], model.output_size(x1.shape[0])
    seq, weights, inp = [], [], model.go.view(1, 1, -1)
    T = N if model.mask is MaskMode.PERMUTATION else N + 1
    for t in range(T):
        dec, state = model.decoder(inp, state)
        u = model.scores(memory, dec)[0, 0]
        may = torch.tensor([j < N and j not in seq for j in range(S)])
        if model.mask is MaskMode.CYCLE and t >= 3:
            may[seq[0]] = True
        if model.mask is MaskMode.NONE:
            may = torch.arange(S) < N
        if not may.any():
            may[:] = True
        w = masked_softmax(u, may)
        weights.append(w)
        seq.append(int(w.argmax()))
        if (model.mask is MaskMode.PERMUTATION and len(seq) == min(N, S)) or (
                model.mask is not MaskMode.PERMUTATION and t > 0 and seq[-1] == seq[0]):
            break
        inp = memory.inputs[0, min(seq[-1], N - 1)].view(1, 1, -1)
    return seq, torch.stack(weights)


def plain_beam(model, x1, beam):
    """One example at a time, candidate by candidate (the algorithm before batching)."""
    memory, state = model.encode(x1[None])
    N, S = x1.shape[0], model.output_size(x1.shape[0])
    T = N if model.mask is MaskMode.PERMUTATION else N + 1
    exists = torch.arange(S) < N
    beams, finished = [([], 0.0, state)], []
    for t in range(T):
        cands = []
        for seq, logp, st_ in beams:
            inp = model.go.view(1, 1, -1) if not seq else memory.inputs[0, min(seq[-1], N - 1)].view(1, 1, -1)
            dec, new = model.decoder(inp, st_)
            used = torch.tensor([j in seq for j in range(S)])
            start = torch.nn.functional.one_hot(torch.tensor(seq[0]), S).bool() if seq else None
            lp = masked_log_softmax(model.scores(memory, dec)[0, 0], allowed(model.mask, exists, used, start, t))
            cands += [(logp + float(lp[j]), seq + [j], new) for j in range(S) if lp[j] > float("-inf")]
        cands.sort(key=lambda c: -c[0])
        beams = []
        for score, seq, st_ in cands[:beam]:
            done = (len(seq) == min(N, S)) if model.mask is MaskMode.PERMUTATION else (t > 0 and seq[-1] == seq[0])
            (finished.append((score, seq)) if done else beams.append((seq, score, st_)))
        if not beams or (len(finished) >= beam and max(finished)[0] >= cands[0][0]):
            break
    return max(finished)[1] if finished else beams[0][0]


# ----------------------------------------------------------------------------- the mechanism

def test_additive_attention_is_eq3():
    net = random_net(0)
    e, d = torch.randn(3, 5, 16), torch.randn(3, 2, 16)
    W1, W2, v = net.attention.W1.weight, net.attention.W2.weight, net.attention.v.weight[0]
    u = net.attention(net.attention.project(e), d)  # (B, T, N)
    with torch.no_grad():
        by_hand = torch.tensor([[[float(v @ torch.tanh(W1 @ e[b, j] + W2 @ d[b, t])) for j in range(5)]
                                 for t in range(2)] for b in range(3)])
    torch.testing.assert_close(u, by_hand)


def test_the_step_mask_rule():
    exists, used = torch.ones(4, dtype=torch.bool), torch.tensor([[True, False, True, False]])
    start = torch.tensor([[True, False, False, False]])
    cycle, perm, none = MaskMode.CYCLE, MaskMode.PERMUTATION, MaskMode.NONE
    assert allowed(cycle, exists, used, start, 2).tolist() == [[False, True, False, True]]
    assert allowed(cycle, exists, used, start, 3).tolist() == [[True, True, False, True]]
    assert allowed(perm, exists, used, start, 3).tolist() == [[False, True, False, True]]
    assert allowed(none, exists, used, start, 3).all()
    assert allowed(none, torch.tensor([True, True, False, False]), used).tolist() == [[True, True, False, False]]
    assert allowed(perm, exists, torch.ones(1, 4, dtype=torch.bool)).all()  # never an empty row
    with pytest.raises(ValueError, match="mask must be one of"):
        MaskMode.parse("sometimes")


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 9), st.integers(1, 4), st.sampled_from(["permutation", "cycle", "none"]))
def test_greedy_matches_the_plain_one_example_decoder(seed, n, batch, mask):
    net = random_net(seed, input_dim=1, mask=mask)
    x = torch.rand(batch, n, 1, generator=torch.Generator().manual_seed(seed))
    assert P.greedy(net, x) == [plain_greedy(net, x1)[0] for x1 in x]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 8), st.integers(1, 4), st.integers(1, 4),
       st.sampled_from(["permutation", "cycle", "none"]))
def test_batched_beam_search_matches_the_plain_one_example_search(seed, n, batch, beam, mask):
    net = random_net(seed, input_dim=1, mask=mask)
    x = torch.rand(batch, n, 1, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        assert P.beam_search(net, x, beam) == [plain_beam(net, x1, beam) for x1 in x]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 12), st.integers(1, 5))
def test_permutation_mask_never_repeats_a_position(seed, n, batch):
    net = random_net(seed, input_dim=1, mask="permutation")
    x = torch.rand(batch, n, 1, generator=torch.Generator().manual_seed(seed))
    for seq in P.greedy(net, x) + P.beam_search(net, x, beam=3):
        assert sorted(seq) == list(range(n))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.integers(3, 12))
def test_cycle_mask_gives_closed_non_repeating_tours(seed, n):
    net = random_net(seed, bidirectional=seed % 2 == 1)
    x = torch.rand(4, n, 2, generator=torch.Generator().manual_seed(seed))
    for seq in P.greedy(net, x) + P.beam_search(net, x, beam=2):
        assert seq[0] == seq[-1] and len(seq) >= 4
        assert len(set(seq[:-1])) == len(seq) - 1


@pytest.mark.parametrize("bidirectional", [False, True])
def test_teacher_forcing_weights_are_the_greedy_steps(bidirectional):
    net = random_net(3, bidirectional=bidirectional)
    x = torch.rand(6, 7, 2, generator=torch.Generator().manual_seed(0))
    seqs = P.greedy(net, x)
    weights = P.pointer_weights(net, x, seqs)  # (B, T, N), teacher-forced with the same mask rule
    for b, seq in enumerate(seqs):
        plain_seq, plain_w = plain_greedy(net, x[b])
        assert plain_seq == seq
        torch.testing.assert_close(weights[b, : len(seq)], plain_w)
        assert torch.all(weights[b, len(seq):] == 0)


def test_beam_of_one_is_greedy():
    net = random_net(5)
    x = torch.rand(5, 8, 2, generator=torch.Generator().manual_seed(1))
    assert P.beam_search(net, x, beam=1) == P.greedy(net, x)


def test_baseline_cannot_point_beyond_its_vocabulary():
    torch.manual_seed(0)
    base = P.Seq2SeqAttention(1, 16, vocab=10).eval()
    assert not hasattr(base, "W1") and "attention.W1.weight" in base.state_dict()
    short, long = torch.rand(3, 6, 1), torch.rand(3, 15, 1)
    for seq in P.greedy(base, short) + P.beam_search(base, short, 2):
        assert sorted(seq) == list(range(6))  # positions 6..9 do not exist here: masked
    for seq in P.greedy(base, long):
        assert len(seq) == 10 and max(seq) < 10  # it can never name positions 10..14
    assert P.Seq2SeqAttention(**base.config).config == base.config


def test_inputs_are_normalised_once_and_recorded():
    net = random_net(0)
    x = torch.rand(2, 5, 2)
    memory, _ = net.encode(x)
    torch.testing.assert_close(memory.inputs, P.centre_inputs(x))
    assert net.config["input_norm"] == "centre"
    raw = P.PointerNet(**{**net.config, "input_norm": "none"})
    raw.load_state_dict(net.state_dict())
    assert torch.equal(raw.encode(x)[0].inputs, x)
    assert not torch.equal(raw.encode(x)[0].states, memory.states)


def test_bad_inputs_raise():
    net = random_net(0)
    with pytest.raises(ValueError, match=r"\(B, N, 2\)"):
        P.greedy(net, torch.rand(2, 5, 3))
    with pytest.raises(ValueError, match="mask must be one of"):
        P.PointerNet(mask="sometimes")
    with pytest.raises(ValueError, match="even hidden size"):
        P.PointerNet(hidden=15, bidirectional=True)
    with pytest.raises(ValueError, match="input_norm"):
        P.PointerNet(input_norm="zscore")
    with pytest.raises(ValueError, match="beam"):
        P.beam_search(net, torch.rand(1, 5, 2), beam=0)
    with pytest.raises(ValueError, match="one non-empty answer per example"):
        P.pointer_weights(net, torch.rand(2, 5, 2), [[0, 1]])
    with pytest.raises(TypeError, match="x must be a torch.float32"):
        P.greedy(net, torch.rand(1, 4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="finite"):
        net(torch.full((1, 4, 2), float("nan")), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="targets must be positions 0..3"):
        net(torch.rand(1, 4, 2), torch.tensor([[0, 9, 1]]))
    with pytest.raises(ValueError, match=r"targets must be a \(B=2, T\)"):
        net(torch.rand(2, 4, 2), torch.zeros(3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="point set 1 is not"):
        P.predict_hulls(net, [np.random.rand(5, 2), np.full((5, 2), np.nan)])


# ----------------------------------------------------------------------------- training

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
    assert P.pad_targets([[1, 2, 3], [4]]).tolist() == [[1, 2, 3], [4, -100, -100]]


def test_decay_schedule_is_the_lambda_schedule_it_replaced():
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=2e-3)
    start = int(0.5 * 40)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 ** max(0.0, (s - start) / (40 - start)))
    lr_at = P.decay_schedule(2e-3, 40, 0.5)
    for step in range(1, 41):
        assert lr_at(step) == opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    assert lr_at(40) == pytest.approx(2e-4, rel=0.15)


def test_pointer_loss_ignores_padding_and_uses_the_mask():
    net = random_net(1)
    x, targets = P.hull_batch(4, 6, np.random.default_rng(1))
    loss = P.pointer_loss(net, (x, targets))
    u = net(x, targets)
    mask = P.teacher_forcing_mask(net.mask, targets, 6, 6)
    by_hand = [-masked_log_softmax(u[b, t], mask[b, t])[targets[b, t]]
               for b in range(4) for t in range(targets.shape[1]) if targets[b, t] >= 0]
    torch.testing.assert_close(loss, torch.stack(by_hand).mean())
