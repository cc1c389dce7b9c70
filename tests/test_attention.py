"""minimem.attention against plain reference computations, plus its error messages."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem import attention

dims = st.integers(min_value=1, max_value=6)


def reference(q, k, v, mask=None, temperature=1.0):
    """Loop-by-loop softmax attention, written as plainly as possible."""
    T, S = q.shape[0], k.shape[0]
    out, weights = torch.zeros(T, v.shape[1], dtype=torch.float64), torch.zeros(T, S, dtype=torch.float64)
    for t in range(T):
        visible = [s for s in range(S) if mask is None or mask[t, s]]
        if not visible:
            continue
        scores = {s: float(q[t] @ k[s]) / (math.sqrt(q.shape[1]) * temperature) for s in visible}
        top = max(scores.values())
        total = sum(math.exp(x - top) for x in scores.values())
        for s, x in scores.items():
            weights[t, s] = math.exp(x - top) / total
            out[t] += weights[t, s] * v[s].double()
    return out, weights


@settings(max_examples=60, deadline=None)
@given(T=dims, S=dims, d=dims, dv=dims, seed=st.integers(0, 10_000),
       temperature=st.floats(0.2, 5.0), masked=st.booleans())
def test_matches_plain_reference(T, S, d, dv, seed, temperature, masked):
    g = torch.Generator().manual_seed(seed)
    q, k, v = torch.randn(T, d, generator=g), torch.randn(S, d, generator=g), torch.randn(S, dv, generator=g)
    mask = torch.rand(T, S, generator=g) > 0.4 if masked else None
    out, w = attention.scaled_dot_product_attention(q, k, v, mask, temperature)
    ref_out, ref_w = reference(q, k, v, mask, temperature)
    assert torch.allclose(w.double(), ref_w, atol=1e-5)
    assert torch.allclose(out.double(), ref_out, atol=1e-5)


@settings(max_examples=30, deadline=None)
@given(B=dims, H=dims, T=dims, S=dims, d=dims, seed=st.integers(0, 10_000))
def test_matches_torch_on_batched_heads(B, H, T, S, d, seed):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(B, H, n, d, generator=g) for n in (T, S, S))
    mask = torch.rand(T, S, generator=g) > 0.3
    mask[:, 0] = True  # torch's own version returns NaN for rows with no visible key
    out, _ = attention.scaled_dot_product_attention(q, k, v, mask)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(out, expected, atol=1e-5)


def test_weights_are_a_distribution_and_output_a_convex_combination():
    q, k, v = torch.randn(4, 3), torch.randn(7, 3), torch.randn(7, 2)
    out, w = attention.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(w.sum(-1), torch.ones(4)) and (w >= 0).all()
    assert (out <= v.max(0).values + 1e-6).all() and (out >= v.min(0).values - 1e-6).all()


def test_fully_masked_query_gets_zeros_not_nan():
    q, k, v = torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 5)
    mask = torch.tensor([[False] * 4, [True, False, False, False]])
    out, w = attention.scaled_dot_product_attention(q, k, v, mask)
    assert not torch.isnan(out).any()
    assert torch.equal(w[0], torch.zeros(4)) and torch.equal(out[0], torch.zeros(5))
    assert torch.allclose(out[1], v[0])  # the only visible key takes all the weight


@settings(max_examples=40, deadline=None)
@given(rows=dims, cols=dims, seed=st.integers(0, 10_000))
def test_masked_softmax_is_the_softmax_over_allowed_positions(rows, cols, seed):
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randn(rows, cols, generator=gen, requires_grad=True)
    mask = torch.rand(rows, cols, generator=gen) < 0.6
    w = attention.masked_softmax(scores, mask)
    logw = attention.masked_log_softmax(scores, mask)
    for r in range(rows):
        allowed = mask[r].nonzero().flatten()
        expected = torch.zeros(cols)
        if len(allowed):
            expected[allowed] = torch.softmax(scores[r, allowed], dim=0)
            assert torch.allclose(logw[r, allowed].exp(), expected[allowed], atol=1e-6)
        assert torch.allclose(w[r], expected, atol=1e-6)
        assert (w[r][~mask[r]] == 0).all()  # exactly zero, not merely small
        assert torch.isneginf(logw[r][~mask[r]]).all()
    w.sum().backward()  # fully masked rows must not poison the gradient
    assert torch.isfinite(scores.grad).all()


def test_masked_softmax_does_not_hide_nan():
    scores = torch.tensor([[0.0, float("nan"), 1.0]])
    w = attention.masked_softmax(scores, torch.tensor([[True, True, False]]))
    assert torch.isnan(w[0, :2]).all() and w[0, 2] == 0


def test_low_temperature_becomes_the_hard_lookup():
    keys, values = torch.randn(6, 4), torch.randn(6, 3)
    query = keys[2] * 2
    soft, _ = attention.scaled_dot_product_attention(query[None], keys, values, temperature=1e-3)
    assert torch.allclose(soft[0], attention.hard_lookup(query, keys, values), atol=1e-4)


def test_causal_mask():
    m = attention.causal_mask(4)
    assert m.dtype == torch.bool
    assert [[bool(m[t, s]) for s in range(4)] for t in range(4)] == [[s <= t for s in range(4)] for t in range(4)]


@settings(max_examples=30, deadline=None)
@given(B=dims, T=dims, H=dims, d=dims)
def test_split_merge_round_trip(B, T, H, d):
    x = torch.randn(B, T, H * d)
    heads = attention.split_heads(x, H)
    assert heads.shape == (B, H, T, d)
    assert torch.equal(heads[:, 1 % H, :, :], x[:, :, (1 % H) * d:(1 % H + 1) * d])
    assert torch.equal(attention.merge_heads(heads), x)


def test_multi_head_attention_shapes_and_causality():
    torch.manual_seed(0)
    mha = attention.MultiHeadAttention(d_model=8, num_heads=2)
    x = torch.randn(3, 5, 8)
    out = mha(x, mask=attention.causal_mask(5))
    assert out.shape == (3, 5, 8) and mha.last_weights.shape == (3, 2, 5, 5)
    changed = x.clone()
    changed[:, -1] += 1.0  # changing the last position must not change earlier outputs
    assert torch.allclose(mha(changed, mask=attention.causal_mask(5))[:, :-1], out[:, :-1], atol=1e-6)
    cross = mha(x, context=torch.randn(3, 7, 8))
    assert cross.shape == (3, 5, 8) and mha.last_weights.shape == (3, 2, 5, 7)


def test_multi_head_attention_attend_returns_the_weights_with_gradients():
    torch.manual_seed(0)
    mha = attention.MultiHeadAttention(d_model=8, num_heads=2)
    x = torch.randn(2, 4, 8)
    out, weights = mha.attend(x, mask=attention.causal_mask(4))
    assert torch.equal(out, mha(x, mask=attention.causal_mask(4)))
    assert weights.requires_grad and torch.equal(weights.detach(), mha.last_weights)


def test_multi_head_attention_head_width_can_differ_from_d_model_over_heads():
    mha = attention.MultiHeadAttention(d_model=6, num_heads=4, bias=False, d_head=3)
    assert mha.q_proj.weight.shape == (12, 6) and mha.out_proj.weight.shape == (6, 12)
    assert mha.q_proj.bias is None
    x = torch.randn(2, 5, 6)
    assert mha(x).shape == (2, 5, 6) and mha.last_weights.shape == (2, 4, 5, 5)
    q = mha.q_proj(x[0, 1])[3:6]  # head 1 uses rows 3..5 of the projections
    k = mha.k_proj(x[0])[:, 3:6]
    expected = torch.softmax(k @ q / 3 ** 0.5, dim=0)
    assert torch.allclose(mha.last_weights[0, 1, 1], expected, atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: attention.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 5), torch.randn(4, 2)), "share their last dimension"),
    (lambda: attention.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(5, 2)), "same number of keys"),
    (lambda: attention.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 2), temperature=0), r"temperature must be a finite number in \(0, inf\)"),
    (lambda: attention.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 2), torch.ones(2, 4)), "boolean tensor"),
    (lambda: attention.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 2), torch.ones(3, 4, dtype=torch.bool)), "cannot broadcast"),
    (lambda: attention.scaled_dot_product_attention([[1.0]], torch.randn(4, 3), torch.randn(4, 2)), "must be a torch.Tensor"),
    (lambda: attention.scaled_dot_product_attention(torch.randn(3), torch.randn(4, 3), torch.randn(4, 2)), "at least 2 dimensions"),
    (lambda: attention.split_heads(torch.randn(1, 2, 6), 4), "divisible by num_heads=4"),
    (lambda: attention.causal_mask(0), r"size must be in \[1, 32768\]"),
    (lambda: attention.causal_mask(10**7), "size must be in"),
    (lambda: attention.scaled_dot_product_attention(torch.randn(2, 3).double(), torch.randn(4, 3), torch.randn(4, 2)), "share one dtype"),
    (lambda: attention.MultiHeadAttention(6, 4), "multiple of num_heads"),
    (lambda: attention.MultiHeadAttention(6, 4, d_head=0), "must be positive"),
    (lambda: attention.hard_lookup(torch.randn(3), torch.randn(4, 2), torch.randn(4, 1)), "expected query"),
    (lambda: attention.hard_lookup(torch.tensor([float("nan"), 0.0]), torch.randn(4, 2), torch.randn(4, 1)), "query holds NaN"),
    (lambda: attention.hard_lookup(torch.randn(2), torch.randn(0, 2), torch.randn(0, 1)), "keys must not be empty"),
    (lambda: attention.MultiHeadAttention(8, 2)(torch.randn(1, 3, 8, dtype=torch.float64)), "x must have dtype torch.float32"),
    (lambda: attention.MultiHeadAttention(8, 2)(torch.randn(3, 8)), "x must have 3 dimensions"),
    (lambda: attention.MultiHeadAttention(8, 2)(torch.randn(1, 3, 8), torch.randn(1, 3, 8).long()), "context must have dtype"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
