"""Tests of minimem.memn2n.model: encodings, the K-hop forward pass, masking, tying, input checks.
(Training, the paper check's command line and checkpoints: tests/test_memn2n_train.py.)"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem.checks.ch01 import random_stories
from minimem.memn2n import MemN2N, memory_read, position_encoding, temporal_indices


def random_batch(B=3, M=6, L=5, V=12, seed=0, fill=(6, 2, 4)):
    """Stories with `fill[b]` sentences each (oldest first), random words, some padding words."""
    return random_stories(seed, B, M, L, V, list(fill))


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
                    total = total + (l_j if model.use_position else 1) * table[w]
            return total

        def time(table, i):
            return table[n - 1 - i] if model.use_time else 0

        u = embed(model.words[0], queries[b])
        for k in range(K):
            A, C, TA, TC = model.tables(k)
            if n:
                m = torch.stack([embed(A, s) + time(TA, i) for i, s in enumerate(sentences)])
                c = torch.stack([embed(C, s) + time(TC, i) for i, s in enumerate(sentences)])
                o = torch.softmax(m @ u, dim=0) @ c
            else:  # an empty story reads nothing
                o = torch.zeros(d)
            u = (model.H(u) if model.H is not None else u) + o
        logits.append(u @ model.words[-1].T)
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
@pytest.mark.parametrize("tying", ["adjacent", "layerwise"])
@pytest.mark.parametrize("pe,te", [(True, True), (False, True), (True, False)])
def test_forward_matches_the_paper_equations_written_as_loops(hops, tying, pe, te):
    torch.manual_seed(0)
    model = MemN2N(12, embed_dim=8, memory_size=6, hops=hops, position_encoding=pe,
                   temporal_encoding=te, tying=tying)
    stories, queries = random_batch()
    stories[1] = 0  # and a story with no sentence at all
    expected = reference_forward(model, stories, queries)
    torch.testing.assert_close(model(stories, queries), expected, atol=1e-5, rtol=1e-4)
    # another sentence length: the position encoding is built for each L it meets
    wider = random_batch(L=7, seed=1)
    torch.testing.assert_close(model(*wider), reference_forward(model, *wider), atol=1e-5,
                               rtol=1e-4)


def test_side_by_side_tables_embed_like_separate_ones():
    model = MemN2N(12, embed_dim=8, memory_size=6, hops=2)
    stories, _ = random_batch()
    together = model.embed(torch.cat(list(model.words), dim=1), stories)  # (B, M, 3 d)
    apart = torch.cat([model.embed(w, stories) for w in model.words], dim=-1)
    torch.testing.assert_close(together, apart)


@pytest.mark.parametrize("tying", ["adjacent", "layerwise"])
@pytest.mark.parametrize("pe,te", [(True, True), (False, False), (True, False)])
def test_shapes_and_attention(tying, pe, te):
    model = MemN2N(12, 8, memory_size=6, hops=3, position_encoding=pe, temporal_encoding=te,
                   tying=tying)
    stories, queries = random_batch()
    logits = model(stories, queries)
    attention = model.attention
    assert isinstance(logits, torch.Tensor) and logits.shape == (3, 12) and len(attention) == 3
    for p in attention:
        assert p.shape == (3, 6)
        torch.testing.assert_close(p.sum(-1), torch.ones(3))
        assert (p[1, 2:] == 0).all()  # story 1 has two sentences: no weight on empty slots


def test_an_empty_story_reads_nothing():
    model = MemN2N(12, 8, memory_size=6, hops=2).eval()
    stories, queries = random_batch()
    stories[0] = 0
    logits = model(stories, queries)
    assert torch.isfinite(logits).all()
    assert all((p[0] == 0).all() for p in model.attention)  # zero weights, not NaN
    u = model.embed(model.words[0], queries[:1])  # the question alone
    torch.testing.assert_close(logits[0], (u @ model.words[-1].T)[0])
    o, p = memory_read(torch.ones(1, 3), torch.ones(1, 2, 3), torch.ones(1, 2, 3),
                       torch.zeros(1, 2, dtype=torch.bool))
    assert (o == 0).all() and (p == 0).all()


def test_tying_schemes_share_the_right_tables():
    adjacent = MemN2N(10, 4, 5, hops=3)
    assert len(adjacent.words) == 4 and len(adjacent.times) == 4 and adjacent.H is None
    A2, C1 = adjacent.tables(1)[0], adjacent.tables(0)[1]
    assert A2 is C1  # A^{k+1} = C^k
    layerwise = MemN2N(10, 4, 5, hops=3, tying="layerwise")
    assert all(layerwise.tables(k)[0] is layerwise.tables(0)[0] for k in range(3))
    assert layerwise.H is not None and len(layerwise.words) == 4


def test_adjacent_hops_share_memories():
    """Hop k's values are hop k+1's keys: K + 1 story embeddings, not 2K."""
    model = MemN2N(12, 8, memory_size=6, hops=3)
    stories, _ = random_batch()
    t, _ = temporal_indices((stories > 0).any(-1))
    hops = model.memories(stories, t)
    assert len(hops) == 3
    for (_, values), (keys, _) in zip(hops, hops[1:]):
        assert values.data_ptr() == keys.data_ptr() and torch.equal(values, keys)
    A, C, TA, TC = model.tables(1)
    torch.testing.assert_close(hops[1][0], model.embed(A, stories) + TA[t])
    torch.testing.assert_close(hops[1][1], model.embed(C, stories) + TC[t])


def test_padding_is_ignored():
    torch.manual_seed(1)
    model = MemN2N(12, 8, memory_size=10, hops=2, position_encoding=False)
    stories, queries = random_batch()
    before = model(stories, queries)
    # more empty memory slots and more padding words change nothing
    wider = torch.zeros(3, 10, 7, dtype=torch.long)
    wider[:, :6, :5] = stories
    longer_q = torch.cat([queries, torch.zeros(3, 2, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(wider, longer_q), before)
    # because the nil word's embedding is zero, and zero_nil puts it back after a change
    with torch.no_grad():
        for table in model.words:
            table[0] = 5.0
    assert not torch.allclose(model(stories, queries)[:, 1:], before[:, 1:])
    model.zero_nil()
    assert all((w[0] == 0).all() for w in model.words)
    torch.testing.assert_close(model(stories, queries), before)


def test_linear_start_removes_the_softmax():
    model = MemN2N(12, 8, memory_size=6, hops=1)
    stories, queries = random_batch()
    model(stories, queries, softmax=False)
    (p,) = model.attention
    u = model.embed(model.words[0], queries)
    t, kept = temporal_indices((stories > 0).any(-1))
    m = model.embed(model.words[0], stories) + model.times[0][t]
    torch.testing.assert_close(p, torch.einsum("bd,bmd->bm", u, m) * kept)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="tying"):
        MemN2N(10, 4, 5, 2, tying="rnn")
    with pytest.raises(ValueError, match="hops"):
        MemN2N(10, 4, 5, 0)
    model = MemN2N(12, 8, memory_size=6, hops=1).eval()
    stories, queries = random_batch()
    with pytest.raises(TypeError, match="stories"):
        model(stories.float(), queries)
    with pytest.raises(ValueError, match=r"queries holds word ids outside 0..11"):
        model(stories, queries + 20)
    with pytest.raises(ValueError, match="word ids outside"):
        model(stories - 1, queries)
    with pytest.raises(ValueError, match="memory_size"):
        model(torch.ones(3, 7, 5, dtype=torch.long), queries)
    with pytest.raises(ValueError, match="batch"):
        model(stories, queries[:2])
    model.train()  # a fresh model is in training mode: the same checks
    with pytest.raises(ValueError, match="stories holds word ids outside"):
        model(stories + 20, queries)
    gap = stories.clone()
    gap[0, 1] = 0  # an empty slot between two sentences
    with pytest.raises(ValueError, match="stories must hold each story's sentences first"):
        model(gap, queries)
    with pytest.raises(ValueError, match="noise"):
        model(stories, queries, noise=1.5)
    model(stories, queries, check=False)  # a caller that checked its data once (train) skips it


def test_temporal_indices_reject_bad_filled():
    with pytest.raises(ValueError, match="filled must hold each story's sentences first"):
        temporal_indices(torch.tensor([[True, False, True]]))
    with pytest.raises(TypeError, match="filled"):
        temporal_indices(torch.ones(2, 3))
    with pytest.raises(ValueError, match="noise"):
        temporal_indices(torch.ones(2, 3, dtype=torch.bool), noise=-0.1)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.booleans())
def test_attention_ignores_empty_slots_property(n_sentences, hops, pe):
    model = MemN2N(12, 4, memory_size=6, hops=hops, position_encoding=pe)
    stories, queries = random_batch(B=1, fill=(n_sentences,))
    model(stories, queries)
    for p in model.attention:
        assert (p[0, n_sentences:] == 0).all()
        assert p[0, :n_sentences].sum().item() == pytest.approx(1.0, abs=1e-5)


def test_the_padding_word_gets_no_gradient():
    """Padding is not a word: row 0 of every table gets no gradient, so it neither moves nor
    takes a share of the clipped gradient norm (the original code masks it out)."""
    torch.manual_seed(0)
    model = MemN2N(vocab_size=10, embed_dim=4, memory_size=3, hops=2)
    stories = torch.tensor([[[1, 2, 0], [3, 0, 0], [0, 0, 0]]])
    model(stories, torch.tensor([[4, 0, 0]])).sum().backward()
    for table in model.words:
        assert table.grad[0].abs().sum() == 0 and table.grad[1:].abs().sum() > 0
