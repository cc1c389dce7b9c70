"""The chapter 07 building blocks: gist mask, LoRA adapter, compressed-memory update."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from minimem.compression import (LoRALinear, add_lora, gist_mask, kv_cache_bytes,
                                 trainable_fraction, update_memory)
from minimem.transformer import Transformer, TransformerConfig


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 6), st.integers(0, 4), st.integers(0, 6))
def test_gist_mask_against_its_definition(C, k, R):
    if C + k + R == 0:
        return
    mask = gist_mask(C, k, R)
    for i in range(C + k + R):
        for j in range(C + k + R):
            allowed = j <= i and not (i >= C + k and j < C)
            assert bool(mask[i, j]) == allowed, (i, j)


def test_through_the_gist_only():
    """With the mask, a continuation's outputs change with the context only via the gist:
    with zero gist tokens they do not change at all."""
    torch.manual_seed(0)
    model = Transformer(TransformerConfig(vocab_size=11, d_model=16, num_heads=2, max_len=16))
    idx = torch.randint(0, 11, (2, 9))
    changed = idx.clone()
    changed[:, :4] = (idx[:, :4] + 1) % 11  # the 4 context tokens
    for k, moves in ((0, False), (2, True)):
        mask = gist_mask(4, k, 9 - 4 - k)
        a, b = model(idx, mask=mask).logits, model(changed, mask=mask).logits
        assert (not torch.allclose(a[:, 4 + k:], b[:, 4 + k:])) == moves


def test_lora_starts_as_the_frozen_layer_and_trains_only_its_factors():
    torch.manual_seed(0)
    base = nn.Linear(8, 6)
    layer = LoRALinear(base, rank=2, alpha=4)
    x = torch.randn(3, 8)
    assert torch.equal(layer(x), base(x))  # B = 0 at the start
    assert [n for n, p in layer.named_parameters() if p.requires_grad] == ["A", "B"]
    with torch.no_grad():
        layer.B.normal_()
    want = base(x) + 2.0 * x @ layer.A.T @ layer.B.T  # scale alpha / rank = 2
    assert torch.allclose(layer(x), want, atol=1e-6)
    assert torch.allclose(x @ layer.weight.T + base.bias, want, atol=1e-6)  # merged weight
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(base, rank=7)
    with pytest.raises(TypeError, match="nn.Linear"):
        LoRALinear(nn.Conv1d(2, 2, 1), rank=1)


def test_add_lora_wraps_the_named_projections_of_the_transformer():
    model = Transformer(TransformerConfig(vocab_size=11, d_model=32, num_heads=4, num_layers=2))
    idx = torch.randint(0, 11, (2, 5))
    before = model(idx).logits
    wrapped = add_lora(model, rank=2)
    assert wrapped == ["blocks.0.attn.q_proj", "blocks.0.attn.v_proj",
                       "blocks.1.attn.q_proj", "blocks.1.attn.v_proj"]
    assert torch.allclose(model(idx).logits, before)
    trainable = 4 * 2 * (32 + 32)  # four layers of rank 2, 32 in and 32 out
    total = sum(p.numel() for p in model.parameters())
    assert trainable_fraction(model) == pytest.approx(trainable / total)
    with pytest.raises(ValueError, match="no nn.Linear named"):
        add_lora(model, rank=2, names=("nowhere",))


def test_memory_update_concat_grows_and_merge_is_the_running_mean():
    chunks = [torch.randn(2, 3, 4) for _ in range(5)]
    concat = merge = None
    for t, h in enumerate(chunks, start=1):
        concat = update_memory(concat, h, t, "concat")
        merge = update_memory(merge, h, t, "merge")
    assert concat.shape == (2, 15, 4) and torch.equal(concat[:, 3:6], chunks[1])
    assert torch.allclose(merge, torch.stack(chunks).mean(0), atol=1e-6)
    with pytest.raises(ValueError, match="mode must be one of"):
        update_memory(None, chunks[0], 1, "sum")
    with pytest.raises(ValueError, match="before the first chunk"):
        update_memory(None, chunks[0], 2)
    with pytest.raises(ValueError, match="merge keeps k rows"):
        update_memory(chunks[0], torch.randn(2, 2, 4), 2, "merge")
    with pytest.raises(ValueError, match="agree in B and D"):
        update_memory(chunks[0], torch.randn(2, 3, 5), 2)


def test_kv_cache_bytes():
    assert kv_cache_bytes(2, 128, 64) == 2 * 2 * 128 * 64 * 4
    assert kv_cache_bytes(2, 0, 64) == 0
    with pytest.raises(ValueError, match="num_layers"):
        kv_cache_bytes(0, 10, 64)
