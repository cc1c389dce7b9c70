"""The tiny pre-LN transformer: shapes, causality, embeddings input, errors."""

import pytest
import torch

from minimem.transformer import Transformer, TransformerBlock


def test_shapes_and_causality():
    torch.manual_seed(0)
    model = Transformer(vocab_size=11, d_model=16, num_heads=2, num_layers=2, max_len=10).eval()
    idx = torch.randint(11, (3, 7))
    logits = model(idx)
    assert logits.shape == (3, 7, 11)
    changed = idx.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 11
    assert torch.allclose(model(changed)[:, :5], logits[:, :5], atol=1e-5)
    assert not torch.allclose(model(changed)[:, 5:], logits[:, 5:])


def test_bidirectional_sees_the_future():
    torch.manual_seed(0)
    model = Transformer(vocab_size=5, d_model=8, num_heads=2, num_layers=1, causal=False).eval()
    idx = torch.randint(5, (1, 4))
    changed = idx.clone()
    changed[0, -1] = (changed[0, -1] + 1) % 5
    assert not torch.allclose(model(changed)[:, 0], model(idx)[:, 0])


def test_inputs_embeds_equals_token_path():
    torch.manual_seed(0)
    model = Transformer(vocab_size=7, d_model=8, num_heads=2, num_layers=1).eval()
    idx = torch.randint(7, (2, 5))
    assert torch.allclose(model(idx), model(inputs_embeds=model.tok_emb(idx)))


def test_block_keeps_shape():
    assert TransformerBlock(12, 3)(torch.randn(2, 4, 12)).shape == (2, 4, 12)


@pytest.mark.parametrize("call, message", [
    (lambda m: m(torch.randint(5, (1, 20))), "exceeds max_len"),
    (lambda m: m(torch.tensor([[0, 9]])), r"token ids must lie in \[0, 5\)"),
    (lambda m: m(torch.zeros(2, 3)), "LongTensor"),
    (lambda m: m(), "exactly one of"),
])
def test_errors(call, message):
    model = Transformer(vocab_size=5, d_model=8, num_heads=2, num_layers=1, max_len=8)
    with pytest.raises(ValueError, match=message):
        call(model)
