"""The chapter 07 exercise checkers accept right answers, explain wrong ones and greet stubs."""

import math

import pytest
import torch
from torch import nn

from minimem import compression
from minimem.checks import _framework, ch07
from minimem.compression import ccm, gist
from minimem.compression.lora import LoRALinear, add_lora


# ---------------------------------------------------------------- the solutions' answers
def my_gist_mask(context_len, num_gist, continuation_len):
    C, k, R = context_len, num_gist, continuation_len
    mask = torch.ones(C + k + R, C + k + R, dtype=torch.bool).tril()
    mask[C + k:, :C] = False
    return mask


def continuation_change(model, mask, tokens, position, continuation_len):
    changed = tokens.clone()
    changed[:, position] = (changed[:, position] + 1) % model.config.vocab_size
    with torch.no_grad():
        before = model(tokens, mask=mask).logits[:, -continuation_len:]
        after = model(changed, mask=mask).logits[:, -continuation_len:]
    return (before - after).abs().max().item()


class MyLoRA(nn.Module):
    """The right layer; the class attributes make the wrong ones below."""

    b_init, freeze, use_scale = staticmethod(torch.zeros), True, True

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(not self.freeze)
        self.A = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.B = nn.Parameter(self.b_init(base.out_features, rank))
        self.scale = alpha / rank if self.use_scale else 1.0

    def forward(self, x):
        return self.base(x) + self.scale * (x @ self.A.T) @ self.B.T


def merge(memory, new, step, weight=None):
    """The right running mean; `weight(step)` replaces the new chunk's weight 1/t."""
    if memory is None:
        return new
    w = (weight or (lambda t: 1 / t))(step)
    return (1 - w) * memory + w * new


def concat(memory, new, step, dim=1):
    return new if memory is None else torch.cat([memory, new], dim=dim)


def cache_bytes(num_layers, positions, d_model, bytes_per_value=4, kv=2):
    return kv * num_layers * positions * d_model * bytes_per_value


def memory_saving(num_chunks, chunk_len, k, num_layers, d_model, bytes_per_value=4):
    return tuple(cache_bytes(num_layers, rows, d_model, bytes_per_value)
                 for rows in (num_chunks * chunk_len, k * num_chunks, k))


@pytest.fixture(autouse=True)
def fresh_hints():
    _framework.reset_hints()


def test_right_answers_pass(capsys):
    assert ch07.check_gist_mask(my_gist_mask, continuation_change)
    assert ch07.check_lora(MyLoRA)
    assert ch07.check_memory_update(merge, concat, cache_bytes, memory_saving)
    out = capsys.readouterr().out
    assert out.count("All checks passed") == 3
    assert "4× smaller" in out and "80× smaller" in out


def test_the_reference_mask_is_the_library_one():
    for C, k, R in [(2, 1, 2), (4, 0, 3), (0, 2, 3), (3, 2, 0), (5, 3, 6)]:
        assert torch.equal(ch07._gist_reference(C, k, R), gist.gist_mask(C, k, R))


def test_hints_are_registered_in_three_levels_without_code():
    for exercise in ("7.1", "7.2", "7.3"):
        hints = _framework._HINTS[exercise]
        assert len(hints) == 3
        assert not any(word in h for h in hints for word in ("def ", "return ", "torch.", "[:"))


# ---------------------------------------------------------------- 7.1
def test_a_continuation_that_sees_the_context_is_named(capsys):
    assert not ch07.check_gist_mask(
        lambda C, k, R: torch.ones(C + k + R, C + k + R, dtype=torch.bool).tril(),
        continuation_change)
    out = capsys.readouterr().out
    assert "✔ gist_mask · no continuation (R = 0): plain causal" in out
    assert "continuation row 3 sees context column 0: the continuation reads the context only " \
           "through the gist" in out and "hint 1/3" in out


def test_a_mask_that_is_not_causal_is_named(capsys):
    def full(C, k, R):
        mask = torch.ones(C + k + R, C + k + R, dtype=torch.bool)
        mask[C + k:, :C] = False
        return mask

    assert not ch07.check_gist_mask(full, continuation_change)
    assert "context row 0 sees the future (context column 1): the mask must stay causal" \
        in capsys.readouterr().out


def test_a_gist_that_cannot_read_the_context_is_named(capsys):
    def blind_gist(C, k, R):
        mask = my_gist_mask(C, k, R)
        mask[C:, :C] = False
        return mask

    assert not ch07.check_gist_mask(blind_gist, continuation_change)
    assert "gist row 2 cannot see context column 0: the gist must read the context" \
        in capsys.readouterr().out


def test_off_by_one_blocks_and_edge_cases_fail(capsys):
    def one_late(C, k, R):  # the block starts one row late: the first continuation row leaks
        mask = my_gist_mask(C, k, R)
        mask[C + k: C + k + 1, :C] = True
        return mask

    assert not ch07.check_gist_mask(one_late, continuation_change)
    out = capsys.readouterr().out
    assert "continuation row 3 sees context column 0" in out
    assert "expected 00110, yours 11110" in out

    def negative(C, k, R):  # -R as a slice start is the whole mask when R = 0
        mask = torch.ones(C + k + R, C + k + R, dtype=torch.bool).tril()
        mask[-R:, :C] = False
        return mask

    assert not ch07.check_gist_mask(negative, continuation_change)
    out = capsys.readouterr().out
    assert "✘ gist_mask · no continuation (R = 0): plain causal" in out
    assert "cannot see context column 0, which it may" in out


def test_a_wrong_dtype_or_shape_is_explained(capsys):
    assert not ch07.check_gist_mask(lambda C, k, R: my_gist_mask(C, k, R).float(),
                                    continuation_change)
    assert "boolean tensor" in capsys.readouterr().out
    assert not ch07.check_gist_mask(lambda C, k, R: my_gist_mask(C, k, R)[1:],
                                    continuation_change)
    assert "expected a (T, T) = (5, 5) boolean tensor" in capsys.readouterr().out


def test_a_change_function_that_ignores_the_mask_is_caught(capsys):
    def unmasked(model, mask, tokens, position, continuation_len):
        return continuation_change(model, None, tokens, position, continuation_len)

    assert not ch07.check_gist_mask(my_gist_mask, unmasked)
    out = capsys.readouterr().out
    assert "✔ gist_mask · no context (C = 0)" in out
    assert "the largest change should be" in out


def test_a_change_that_compares_every_position_is_caught(capsys):
    def everything(model, mask, tokens, position, continuation_len):
        return continuation_change(model, mask, tokens, position, tokens.shape[1])

    assert not ch07.check_gist_mask(my_gist_mask, everything)
    assert "the largest change should be" in capsys.readouterr().out


def test_the_library_mask_is_switched_off(capsys):
    assert not ch07.check_gist_mask(gist.gist_mask, continuation_change)
    assert "switched off" in capsys.readouterr().out
    assert not ch07.check_gist_mask(lambda C, k, R: compression.gist_mask(C, k, R),
                                    continuation_change)
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- 7.2
def variant(**attributes):
    return type("Wrong", (MyLoRA,), {k: staticmethod(v) if callable(v) else v
                                     for k, v in attributes.items()})


def test_a_random_b_is_named(capsys):
    assert not ch07.check_lora(variant(b_init=torch.randn))
    out = capsys.readouterr().out
    assert "✘ lora · at init" in out and "B starts random: it must start at zeros" in out


def test_a_missing_scale_is_named(capsys):
    assert not ch07.check_lora(variant(use_scale=False))
    out = capsys.readouterr().out
    assert "✔ lora · at init" in out and "✔ lora · the base frozen" in out
    assert "the scale α / r is missing" in out


def test_a_base_that_is_not_frozen_is_named(capsys):
    assert not ch07.check_lora(variant(freeze=False))
    out = capsys.readouterr().out
    assert "the base layer's weight still requires a gradient: freeze it" in out
    assert "a training step changed the base layer's weights" in out


def test_a_zero_a_and_a_detached_detour_fail(capsys):
    class ZeroA(MyLoRA):
        def __init__(self, base, rank, alpha):
            super().__init__(base, rank, alpha)
            nn.init.zeros_(self.A)

    assert not ch07.check_lora(ZeroA)
    assert "A starts at zeros" in capsys.readouterr().out

    class Detached(MyLoRA):
        def forward(self, x):
            return self.base(x) + self.scale * (x @ self.A.detach().T) @ self.B.T

    assert not ch07.check_lora(Detached)
    assert "A did not change in a training step" in capsys.readouterr().out


def test_extra_trainable_parameters_are_named(capsys):
    class Extra(MyLoRA):
        def __init__(self, base, rank, alpha):
            super().__init__(base, rank, alpha)
            self.gate = nn.Parameter(torch.ones(1))

    assert not ch07.check_lora(Extra)
    assert "the trainable parameters should be A and B, got ['A', 'B', 'gate']" \
        in capsys.readouterr().out


def test_the_library_layer_is_switched_off(capsys):
    assert not ch07.check_lora(LoRALinear)
    assert "switched off" in capsys.readouterr().out

    class Sub(LoRALinear):
        pass

    assert not ch07.check_lora(Sub)
    assert "switched off" in capsys.readouterr().out

    def wraps(base, rank, alpha):
        model = nn.Sequential(base)
        add_lora(model, rank, alpha, names=("0",))
        return model[0]

    assert not ch07.check_lora(wraps)
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- 7.3
def test_a_merge_weighted_one_over_t_plus_one_names_chunk_2(capsys):
    assert not ch07.check_memory_update(lambda m, n, t: merge(m, n, t, lambda t: 1 / (t + 1)),
                                        concat, cache_bytes, memory_saving)
    out = capsys.readouterr().out
    assert "after chunk 2 of 20 the memory differs from the mean of chunks 1 … t" in out
    assert "looks like the new chunk weighted 1/(t + 1)" in out


def test_a_merge_of_the_last_two_names_chunk_3(capsys):
    assert not ch07.check_memory_update(lambda m, n, t: merge(m, n, t, lambda t: 0.5),
                                        concat, cache_bytes, memory_saving)
    out = capsys.readouterr().out
    assert "after chunk 3 of 20" in out and "averaged 1/2 each: older chunks fade" in out


def test_a_concat_along_the_batch_is_named(capsys):
    assert not ch07.check_memory_update(merge, lambda m, n, t: concat(m, n, t, dim=0),
                                        cache_bytes, memory_saving)
    out = capsys.readouterr().out
    assert "✔ memory_update · merge over 20 chunks" in out
    assert "after chunk 2 of 20: expected shape (2, 6, 4), got (4, 3, 4)" in out
    assert "joined along the batch" in out


def test_a_merge_that_fails_before_the_first_chunk_is_explained(capsys):
    assert not ch07.check_memory_update(lambda m, n, t: (1 - 1 / t) * m + n / t, concat,
                                        cache_bytes, memory_saving)
    assert "raised TypeError" in capsys.readouterr().out


def test_bytes_without_the_value_half_are_named(capsys):
    def keys_only(*args):
        return cache_bytes(*args, kv=1)

    assert not ch07.check_memory_update(merge, concat, keys_only, memory_saving)
    out = capsys.readouterr().out
    assert "✔ memory_update · concat over 20 chunks" in out
    assert "a cache keeps a key AND a value" in out


def test_a_saving_with_the_full_cache_of_one_chunk_is_named(capsys):
    def one_chunk(num_chunks, chunk_len, k, num_layers, d_model, bytes_per_value=4):
        full, cat, mean = memory_saving(num_chunks, chunk_len, k, num_layers, d_model,
                                        bytes_per_value)
        return full // num_chunks, cat, mean

    assert not ch07.check_memory_update(merge, concat, cache_bytes, one_chunk)
    assert "memory_saving: the full cache should be 2621440 bytes, got 131072" \
        in capsys.readouterr().out


def test_the_library_update_and_bytes_are_switched_off(capsys):
    assert not ch07.check_memory_update(ccm.update_memory, concat, cache_bytes, memory_saving)
    assert "switched off" in capsys.readouterr().out
    assert not ch07.check_memory_update(
        lambda m, n, t: compression.update_memory(m, n, t, "merge"), concat, cache_bytes,
        memory_saving)
    assert "switched off" in capsys.readouterr().out
    assert not ch07.check_memory_update(merge, concat, lambda *a: ccm.kv_cache_bytes(*a),
                                        memory_saving)
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- stubs
@pytest.mark.parametrize("check, arity", [(ch07.check_gist_mask, 2), (ch07.check_lora, 1),
                                          (ch07.check_memory_update, 4)])
def test_a_stub_gets_the_friendly_message(check, arity, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("write it")

    assert not check(*[stub] * arity)
    assert "not implemented yet" in capsys.readouterr().out
