"""The transformer's opt-in previous-token shift (chapter 07): off changes nothing; on, position
t's input holds a learned map of token t-1's embedding (position 0 gets zeros)."""

import pytest
import torch

from minimem import checkpoints
from minimem.transformer import Transformer, TransformerConfig

OPTIONS = dict(vocab_size=11, d_model=16, num_heads=2, num_layers=2, max_len=12)


def make(seed=0, **overrides):
    torch.manual_seed(seed)
    return Transformer(TransformerConfig(**(OPTIONS | overrides))).eval()


def test_off_by_default_with_no_new_parameters():
    assert TransformerConfig(vocab_size=5).prev_token_shift is False
    model = make()
    assert model.prev_proj is None
    assert not any("prev_proj" in name for name in model.state_dict())
    on = make(prev_token_shift=True)
    assert set(on.state_dict()) - set(model.state_dict()) == {"prev_proj.weight"}


def test_off_leaves_the_model_bit_for_bit_unchanged():
    """Same seed, same weights and outputs as a model built without the option; the input is
    exactly token + position embeddings."""
    model = make()
    torch.manual_seed(0)
    plain = Transformer(TransformerConfig(**OPTIONS)).eval()
    idx = torch.randint(11, (2, 9))
    for (name, a), (_, b) in zip(model.state_dict().items(), plain.state_dict().items()):
        assert torch.equal(a, b), name
    assert torch.equal(model(idx).logits, plain(idx).logits)
    expected = model.tok_emb(idx) + model.pos_emb(torch.arange(9))
    assert torch.equal(model(idx).hidden_states[0], expected)


def test_shipped_checkpoints_still_load_strictly():
    from minimem.rmt import load
    model, _ = load(checkpoints.shipped("rmt_copy_rmt.pt"))  # load_state_dict is strict
    assert model.backbone.prev_proj is None


@pytest.mark.parametrize("pos_emb", [True, False])
def test_position_t_receives_a_map_of_token_t_minus_1(pos_emb):
    model = make(prev_token_shift=True, pos_emb=pos_emb)
    idx = torch.randint(11, (2, 7))
    emb = model.tok_emb(idx)  # (B, T, D)
    previous = torch.cat([torch.zeros_like(emb[:, :1]), emb[:, :-1]], dim=1)
    expected = emb + previous @ model.prev_proj.weight.T
    if pos_emb:
        expected = expected + model.pos_emb(torch.arange(7))
    assert torch.allclose(model(idx).hidden_states[0], expected, atol=1e-6)


def test_the_shift_reaches_only_the_next_position_of_the_input():
    model = make(prev_token_shift=True)
    idx = torch.randint(11, (1, 8))
    changed = idx.clone()
    changed[0, 3] = (idx[0, 3] + 1) % 11
    moved = (model(idx).hidden_states[0] - model(changed).hidden_states[0]).abs().sum(-1)[0]
    assert [bool(v > 0) for v in moved] == [i in (3, 4) for i in range(8)]


def test_the_model_stays_causal_with_the_shift():
    model = make(prev_token_shift=True)
    idx = torch.randint(11, (2, 10))
    changed = idx.clone()
    changed[:, 6:] = (idx[:, 6:] + 1) % 11
    assert torch.equal(model(idx).logits[:, :6], model(changed).logits[:, :6])


def test_inputs_embeds_are_shifted_too():
    model = make(prev_token_shift=True)
    idx = torch.randint(11, (2, 5))
    assert torch.allclose(model(idx).logits, model(inputs_embeds=model.tok_emb(idx)).logits)


def test_the_option_must_be_a_bool():
    with pytest.raises(ValueError, match="prev_token_shift must be True or False"):
        TransformerConfig(vocab_size=5, prev_token_shift=1)
