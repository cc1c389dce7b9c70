"""The course's transformer: each config option, masks, hand-set weights, a plain-loop oracle."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from minimem.attention import causal_mask
from minimem.transformer import Transformer, TransformerBlock, TransformerConfig


def make(seed=0, **overrides):
    """A small model in eval mode, seeded."""
    torch.manual_seed(seed)
    options = dict(vocab_size=11, d_model=16, num_heads=2, num_layers=2, max_len=12)
    return Transformer(TransformerConfig(**(options | overrides))).eval()


def bump(idx, start):
    """idx with every token from position `start` on replaced by the next id."""
    changed = idx.clone()
    changed[:, start:] = (changed[:, start:] + 1) % 11
    return changed


# --- shapes and the output object ------------------------------------------------------------

@pytest.mark.parametrize("num_layers", [0, 1, 3])
def test_output_shapes(num_layers):
    model = make(num_layers=num_layers)
    out = model(torch.randint(11, (3, 7)))
    assert out.logits.shape == (3, 7, 11)
    assert len(out.hidden_states) == num_layers + 1 and len(out.attentions) == num_layers
    assert all(h.shape == (3, 7, 16) for h in out.hidden_states)
    assert all(a.shape == (3, 2, 7, 7) and a.requires_grad for a in out.attentions)
    logits, hidden_states, attentions = out  # a NamedTuple: always these three fields


def test_hidden_states_chain_through_the_blocks_and_the_last_feeds_the_head():
    model = make(num_layers=3, causal=True)
    idx = torch.randint(11, (2, 6))
    out = model(idx)
    assert torch.equal(out.hidden_states[0], model.tok_emb(idx) + model.pos_emb.weight[:6])
    for i, block in enumerate(model.blocks):
        x, w = block(out.hidden_states[i], causal_mask(6))
        assert torch.allclose(x, out.hidden_states[i + 1]) and torch.allclose(w, out.attentions[i])
    assert torch.allclose(out.logits, model.head(model.ln_f(out.hidden_states[-1])))
    assert torch.equal(model.blocks[-1].attn.last_weights, out.attentions[-1])


def test_defaults_are_resolved_in_the_config():
    config = TransformerConfig(vocab_size=5, d_model=8, num_heads=2)
    assert config.d_ff == 32 and make(d_model=8, d_ff=None).blocks[0].mlp.fc_in.out_features == 32


# --- causal or not; masks --------------------------------------------------------------------

def test_causal_future_tokens_do_not_change_earlier_logits():
    model = make(causal=True)
    idx = torch.randint(11, (3, 7))
    logits, changed = model(idx).logits, model(bump(idx, 5)).logits
    assert torch.allclose(changed[:, :5], logits[:, :5], atol=1e-6)
    assert not torch.allclose(changed[:, 5:], logits[:, 5:])


def test_bidirectional_sees_the_future():
    model = make(causal=False)
    idx = torch.randint(11, (1, 7))
    assert not torch.allclose(model(bump(idx, 6)).logits[:, 0], model(idx).logits[:, 0])


@pytest.mark.parametrize("causal", [True, False])
def test_attention_rows_are_distributions(causal):
    for weights in make(causal=causal)(torch.randint(11, (2, 7))).attentions:
        assert (weights >= 0).all() and torch.allclose(weights.sum(-1), torch.ones(2, 2, 7))
        if causal:
            assert (weights.triu(1) == 0).all()


def gist_mask(T=8, prompt=3, gist=2):
    """Gist pattern: positions after the gist span see the gist tokens and each other only."""
    mask = torch.ones(T, T, dtype=torch.bool)
    mask[prompt + gist:, :prompt] = False
    return mask


def test_a_custom_mask_gets_exactly_zero_weight_and_blocks_information():
    mask = gist_mask()
    one_layer = make(causal=False, num_layers=1)
    idx = torch.randint(11, (2, 8))
    out = one_layer(idx, mask=mask)
    assert (out.attentions[0][..., ~mask] == 0).all()
    changed_prompt = idx.clone()
    changed_prompt[:, :3] = (idx[:, :3] + 1) % 11
    after = one_layer(changed_prompt, mask=mask).logits[:, 5:]
    assert torch.equal(after, out.logits[:, 5:])  # the prompt is invisible after the gist
    two_layers = make(causal=False, num_layers=2)  # ... but it flows in through the gist tokens
    assert not torch.allclose(two_layers(changed_prompt, mask=mask).logits[:, 5:],
                              two_layers(idx, mask=mask).logits[:, 5:])


def test_mask_shapes_T_T_and_B_T_T_and_B_H_T_T_agree():
    model = make(causal=False)
    idx, mask = torch.randint(11, (3, 8)), gist_mask()
    expected = model(idx, mask=mask).logits
    assert torch.equal(model(idx, mask=mask.expand(3, 8, 8)).logits, expected)
    assert torch.equal(model(idx, mask=mask.expand(3, 2, 8, 8)).logits, expected)
    assert torch.equal(model(idx, mask=mask[None, None]).logits, expected)


def test_a_per_head_mask_applies_to_its_head():
    model = make(causal=False)
    per_head = torch.stack([gist_mask(), causal_mask(8)])[None]  # (1, H=2, T, T)
    weights = model(torch.randint(11, (2, 8)), mask=per_head).attentions[0]
    assert (weights[:, 0][..., ~gist_mask()] == 0).all()
    assert (weights[:, 1].triu(1) == 0).all() and (weights[:, 0].triu(1) != 0).any()


def test_causal_and_an_explicit_mask_are_combined_by_and():
    idx, mask = torch.randint(11, (2, 8)), torch.rand(2, 8, 8) > 0.3
    causal = make(causal=True)
    both = causal(idx, mask=mask)
    bidirectional = make(causal=False)  # same seed, same weights
    reference = bidirectional(idx, mask=mask & causal_mask(8))
    assert torch.equal(both.logits, reference.logits)
    hidden = ~(mask & causal_mask(8))[:, None].expand(2, 2, 8, 8)
    assert (both.attentions[0][hidden] == 0).all()
    all_true = torch.ones(8, 8, dtype=torch.bool)
    assert torch.equal(causal(idx, mask=all_true).logits, causal(idx).logits)


# --- embeddings ------------------------------------------------------------------------------

def test_inputs_embeds_equals_token_path():
    model = make()
    idx = torch.randint(11, (2, 5))
    assert torch.equal(model(idx).logits, model(inputs_embeds=model.tok_emb(idx)).logits)


def test_without_position_embeddings_the_model_is_permutation_equivariant():
    model = make(causal=False, pos_emb=False)
    assert model.pos_emb is None
    idx, perm = torch.randint(11, (2, 7)), torch.randperm(7)
    assert torch.allclose(model(idx[:, perm]).logits, model(idx).logits[:, perm], atol=1e-5)
    with_positions = make(causal=False, pos_emb=True)
    assert not torch.allclose(with_positions(idx[:, perm]).logits,
                              with_positions(idx).logits[:, perm], atol=1e-3)


# --- layer norm, activation, dropout, bias ---------------------------------------------------

def averaging_block(activation):
    """A no-LN block set by hand: uniform attention (q = k = 0), v = out = I, MLP = act."""
    config = TransformerConfig(vocab_size=3, d_model=4, num_heads=2, d_ff=4, bias=False,
                               layer_norm=False, activation=activation)
    block = TransformerBlock(config)
    with torch.no_grad():
        for proj in (block.attn.q_proj, block.attn.k_proj):
            proj.weight.zero_()
        for layer in (block.attn.v_proj, block.attn.out_proj, block.mlp.fc_in, block.mlp.fc_out):
            layer.weight.copy_(torch.eye(4))
    return block


@pytest.mark.parametrize("activation, act", [("relu", torch.relu),
                                             ("gelu", nn.functional.gelu)])
def test_without_layer_norm_a_block_is_x_plus_attn_plus_mlp(activation, act):
    block = averaging_block(activation)
    assert isinstance(block.ln1, nn.Identity) and isinstance(block.ln2, nn.Identity)
    x = torch.randn(2, 5, 4)
    prefix_mean = x.cumsum(1) / torch.arange(1, 6)[:, None]  # what causal uniform attention reads
    y = x + prefix_mean
    out, weights = block(x, causal_mask(5))
    assert torch.allclose(out, y + act(y), atol=1e-6)
    assert torch.allclose(weights[0, 0], causal_mask(5) / torch.arange(1, 6)[:, None])


def test_relu_and_gelu_differ_on_negative_inputs():
    x = -torch.rand(1, 3, 4) - 0.5
    relu, gelu = averaging_block("relu").mlp(x), averaging_block("gelu").mlp(x)
    assert torch.equal(relu, torch.zeros_like(x)) and (gelu < 0).all()


def test_layer_norm_off_means_no_normalisation_anywhere():
    model = make(layer_norm=False)
    assert not any(isinstance(m, nn.LayerNorm) for m in model.modules())
    assert isinstance(model.ln_f, nn.Identity)
    assert sum(isinstance(m, nn.LayerNorm) for m in make(layer_norm=True).modules()) == 5


def test_bias_off_removes_every_bias():
    names = [name for name, _ in make(bias=False).named_parameters()]
    assert not any(name.endswith("bias") for name in names)


def test_dropout_is_off_in_eval_and_on_in_training():
    model = make(dropout=0.5)
    idx = torch.randint(11, (2, 7))
    assert torch.equal(model(idx).logits, model(idx).logits)
    model.train()
    assert not torch.equal(model(idx).logits, model(idx).logits)


# --- weights set by hand ---------------------------------------------------------------------

def previous_token_model(V=5, T=8):
    """One layer, no LN, weights written by hand: position t attends to t - 1 and copies it.

    Residual stream (D = 2V + T): [token one-hot | position one-hot | copied token one-hot].
    """
    D = 2 * V + T
    config = TransformerConfig(vocab_size=V, d_model=D, num_heads=1, num_layers=1, max_len=T,
                               layer_norm=False, activation="relu", bias=False, causal=True)
    model = Transformer(config).eval()
    tok, pos, copy = slice(0, V), slice(V, V + T), slice(V + T, D)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.tok_emb.weight[:, tok] = torch.eye(V)
        model.pos_emb.weight[:, pos] = torch.eye(T)
        attn = model.blocks[0].attn
        attn.q_proj.weight[pos, pos] = 1000.0 * torch.eye(T).roll(1, dims=1)  # q_t = e_{t-1}
        attn.k_proj.weight[pos, pos] = torch.eye(T)  # k_s = e_s
        attn.v_proj.weight[tok, tok] = torch.eye(V)  # read the token
        attn.out_proj.weight[copy, tok] = torch.eye(V)  # write it to the copy slot
        model.head.weight[:, copy] = torch.eye(V)  # predict the copied token
    return model


def test_hand_set_weights_copy_the_previous_token_exactly():
    model = previous_token_model()
    idx = torch.tensor([[3, 1, 4, 1, 0, 2, 2, 4], [0, 1, 2, 3, 4, 0, 1, 2]])
    out = model(idx)
    previous = torch.cat([idx[:, :1], idx[:, :-1]], dim=1)  # position 0 sees only itself
    assert torch.equal(out.logits, nn.functional.one_hot(previous, 5).float())
    expected_attention = torch.eye(8).roll(-1, dims=1).tril()
    expected_attention[0, 0] = 1.0
    assert torch.equal(out.attentions[0][0, 0], expected_attention)


# --- one block against a plain loop-by-loop reference ----------------------------------------

def reference_block(block, x, mask, H, d):
    """The pre-LN block written with loops over batch, positions, heads and keys (float64)."""

    def norm(mod, v):
        if isinstance(mod, nn.Identity):
            return v
        centred = v - v.mean()
        out = centred / math.sqrt(float((centred ** 2).mean()) + mod.eps) * mod.weight
        return out if mod.bias is None else out + mod.bias

    def linear(mod, v):
        return mod.weight @ v + (0 if mod.bias is None else mod.bias)

    def act(u):
        if isinstance(block.mlp.act, nn.ReLU):
            return max(u, 0.0)
        return 0.5 * u * (1 + math.erf(u / math.sqrt(2)))

    B, T, _ = x.shape
    attn, out = block.attn, torch.zeros_like(x)
    for b in range(B):
        h = [norm(block.ln1, x[b, t]) for t in range(T)]
        q, k, v = ([linear(proj, h[t]) for t in range(T)]
                   for proj in (attn.q_proj, attn.k_proj, attn.v_proj))
        for t in range(T):
            reads = []
            for head in range(H):
                sl = slice(head * d, (head + 1) * d)
                visible = [s for s in range(T) if mask is None or mask[b, head, t, s]]
                scores = [float(q[t][sl] @ k[s][sl]) / math.sqrt(d) for s in visible]
                exps = [math.exp(sc - max(scores)) for sc in scores]
                reads.append(sum((e / sum(exps) * v[s][sl] for e, s in zip(exps, visible)),
                                 torch.zeros(d, dtype=x.dtype)))
            y = x[b, t] + linear(attn.out_proj, torch.cat(reads))
            pre = linear(block.mlp.fc_in, norm(block.ln2, y))
            hidden = torch.tensor([act(float(u)) for u in pre], dtype=x.dtype)
            out[b, t] = y + linear(block.mlp.fc_out, hidden)
    return out


small = st.integers(min_value=1, max_value=4)


@settings(max_examples=40, deadline=None)
@given(B=small, T=small, H=small, d=small, d_ff=small, seed=st.integers(0, 10_000),
       activation=st.sampled_from(["relu", "gelu"]), layer_norm=st.booleans(),
       bias=st.booleans(), masking=st.sampled_from(["none", "causal", "random"]),
       free_d_head=st.booleans())
def test_block_matches_plain_loop_reference(B, T, H, d, d_ff, seed, activation, layer_norm,
                                            bias, masking, free_d_head):
    D = H * d + (1 if free_d_head else 0)  # with d_head set, D need not be H · d
    config = TransformerConfig(vocab_size=2, d_model=D, num_heads=H, d_ff=d_ff, bias=bias,
                               activation=activation, layer_norm=layer_norm,
                               d_head=d if free_d_head else None)
    g = torch.Generator().manual_seed(seed)
    block = TransformerBlock(config).double()
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64)
    mask = {"none": None, "causal": causal_mask(T).expand(B, H, T, T),
            "random": torch.rand(B, H, T, T, generator=g) > 0.4}[masking]
    out, weights = block(x, mask)
    with torch.no_grad():
        expected = reference_block(block, x, mask, H, d)
    assert torch.allclose(out, expected, atol=1e-8)
    if mask is not None:
        assert (weights[~mask] == 0).all()


# --- errors written for learners -------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    (dict(vocab_size=0), r"vocab_size must be an int >= 1, got 0"),
    (dict(d_model=10, num_heads=4), r"d_model=10 must be a multiple of num_heads=4"),
    (dict(num_layers=-1), r"num_layers must be an int >= 0, got -1"),
    (dict(d_ff=0), r"d_ff must be an int >= 1, got 0"),
    (dict(d_head=0), r"d_head must be an int >= 1, got 0"),
    (dict(max_len=2.5), r"max_len must be an int >= 1, got 2.5"),
    (dict(activation="tanh"), r"activation must be 'gelu' or 'relu', got 'tanh'"),
    (dict(dropout=1.0), r"dropout must be a number in \[0, 1\), got 1.0"),
    (dict(layer_norm="yes"), r"layer_norm must be True or False, got 'yes'"),
    (dict(causal=1), r"causal must be True or False, got 1"),
])
def test_config_errors(overrides, message):
    options = dict(vocab_size=5, d_model=8, num_heads=2) | overrides
    with pytest.raises(ValueError, match=message):
        TransformerConfig(**options)


def test_transformer_wants_a_config():
    with pytest.raises(TypeError, match="config must be a TransformerConfig"):
        Transformer(dict(vocab_size=5))


IDS, B2 = torch.zeros(2, 4, dtype=torch.long), torch.ones(2, 4, 4, dtype=torch.bool)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m(torch.randint(5, (1, 20))), ValueError, r"idx has sequence length T=20; T must be in \[1, max_len=8\]"),
    (lambda m: m(torch.zeros(1, 0, dtype=torch.long)), ValueError, "idx has sequence length T=0"),
    (lambda m: m(torch.tensor([[0, 9]])), ValueError, r"token ids must lie in \[0, 5\)"),
    (lambda m: m(torch.tensor([[-1, 0]])), ValueError, r"got range \[-1, 0\]"),
    (lambda m: m(torch.zeros(2, 3)), TypeError, r"dtype torch.long \(int64\), got torch.float32"),
    (lambda m: m([[1, 2]]), TypeError, "idx must be a torch.Tensor"),
    (lambda m: m(torch.zeros(3, dtype=torch.long)), ValueError, r"idx must have shape \(B, T\), got \(3,\)"),
    (lambda m: m(), ValueError, "exactly one of"),
    (lambda m: m(torch.zeros(1, 3, dtype=torch.long), inputs_embeds=torch.zeros(1, 3, 8)), ValueError, "exactly one of"),
    (lambda m: m(inputs_embeds=torch.zeros(1, 3, 6)), ValueError, r"D = d_model = 8, got \(1, 3, 6\)"),
    (lambda m: m(inputs_embeds=torch.zeros(3, 8)), ValueError, r"shape \(B, T, D\)"),
    (lambda m: m(inputs_embeds=torch.zeros(1, 3, 8, dtype=torch.float64)), TypeError, "model's dtype torch.float32, got torch.float64"),
    (lambda m: m(IDS, mask=torch.ones(4, 4)), TypeError, "boolean tensor"),
    (lambda m: m(IDS, mask=B2[0, :3]), ValueError, r"B=2, H=2, T=4; got \(3, 4\)"),
    (lambda m: m(IDS, mask=B2.repeat(2, 1, 1)), ValueError, r"got \(4, 4, 4\)"),
    (lambda m: m(IDS, mask=B2[:, None].expand(2, 3, 4, 4)), ValueError, r"got \(2, 3, 4, 4\)"),
    (lambda m: m(IDS, mask=B2[None, None]), ValueError, "mask must have shape"),
])
def test_forward_errors(call, error, message):
    model = Transformer(TransformerConfig(vocab_size=5, d_model=8, num_heads=2, num_layers=1,
                                          max_len=8))
    with pytest.raises(error, match=message):
        call(model)
