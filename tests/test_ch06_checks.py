"""The chapter 06 exercise checkers accept right answers, explain wrong ones and greet stubs."""

import numpy as np
import pytest
import torch

from minimem.checks import _framework, ch06
from minimem.data import sequences
from minimem.data.sequences import BLANK, DIGIT0, IGNORE, LETTER0, QUERY
from minimem.rmt import RecurrentMemoryTransformer


# ---------------------------------------------------------------- the solutions' answers
def segment_window(memory, token_emb, write_offset):
    return torch.cat([memory, token_emb, memory + write_offset], dim=1)


def split_window(hidden, m, S):
    return hidden[:, m: m + S], hidden[:, m + S:]


def run_segments(step, memory, tokens, segment_len, bptt_segments=None, cut=None):
    """The right loop; `cut(k, N, bptt)` replaces the rule that says when to detach."""
    cut = cut or (lambda k, N, bptt: bptt is not None and 1 <= k <= N - bptt)
    starts = range(0, tokens.shape[1], segment_len)
    logits, memories = [], [memory]
    for k, start in enumerate(starts):
        if cut(k, len(starts), bptt_segments):
            memory = memory.detach()
        seg_logits, memory = step(memory, tokens[:, start: start + segment_len])
        logits.append(seg_logits)
        memories.append(memory)
    return torch.cat(logits, dim=1), memories


def retrieval_batch(rng, batch_size, num_segments, segment_len, keys_from=None,
                    target_shift=1, values_from=None):
    """The right generator; the keyword arguments make the wrong ones below."""
    B, N, S = batch_size, num_segments, segment_len
    pairs = 2 * (N - 1)
    inputs = np.full((B, N * S), BLANK, dtype=np.int64)
    targets = np.full((B, N * S), IGNORE, dtype=np.int64)
    for b in range(B):
        keys = LETTER0 + (keys_from or (lambda: rng.permutation(16)[:pairs]))()
        values = (values_from or (lambda: rng.integers(DIGIT0, DIGIT0 + 10, size=pairs)))()
        for p in range(pairs):
            at = (p // 2) * S + (p % 2) * (S // 2)
            inputs[b, at], inputs[b, at + 1] = keys[p], values[p]
        for q, p in enumerate(rng.permutation(pairs)[: min(4, pairs, S // 2)]):
            at = (N - 1) * S + 2 * q
            inputs[b, at], inputs[b, at + 1] = QUERY, keys[p]
            targets[b, at + target_shift] = values[p]
    return inputs, targets


@pytest.fixture(autouse=True)
def fresh_hints():
    _framework.reset_hints()


def test_right_answers_pass(capsys):
    assert ch06.check_segment_window(segment_window, split_window)
    assert ch06.check_run_segments(run_segments)
    assert ch06.check_retrieval_batch(retrieval_batch)
    assert capsys.readouterr().out.count("All checks passed") == 3


def test_the_library_generator_has_every_property():
    run = ch06._retrieval_properties(
        lambda rng, B, N, S: sequences.memory_task("retrieval", B, N, S, rng))
    for args in [(0, 4, 2, 8), (1, 4, 4, 8), (2, 3, 3, 9), (3, 2, 9, 16)]:
        assert run(*args) == ch06.OK
    assert run(4, 64, 4, 8, variety=True) == ch06.OK


def test_hints_are_registered_in_three_levels_without_code():
    for exercise in ("6.1", "6.2", "6.3"):
        hints = _framework._HINTS[exercise]
        assert len(hints) == 3
        assert not any("def " in h or "return " in h or "torch.cat(" in h for h in hints)


# ---------------------------------------------------------------- 6.1
def test_a_window_with_the_write_tokens_first_is_named(capsys):
    def write_first(memory, token_emb, write_offset):
        return torch.cat([memory + write_offset, token_emb, memory], dim=1)

    assert not ch06.check_segment_window(write_first, split_window)
    out = capsys.readouterr().out
    assert "✘ segment_window · segment_window, m = 2" in out and "values differ in window" in out
    assert "hint 1/3" in out


def test_a_window_without_the_offset_or_along_the_wrong_axis_fails(capsys):
    assert not ch06.check_segment_window(
        lambda memory, emb, offset: torch.cat([memory, emb, memory], dim=1), split_window)
    assert "values differ in window" in capsys.readouterr().out
    assert not ch06.check_segment_window(
        lambda memory, emb, offset: torch.cat([memory, emb, memory + offset], dim=0), split_window)
    assert "raised RuntimeError" in capsys.readouterr().out  # sizes differ along dim 1


def test_a_split_with_negative_slices_fails_at_m_0(capsys):
    def negative(hidden, m, S):
        return hidden[:, m: m + S], hidden[:, -m:]

    assert not ch06.check_segment_window(segment_window, negative)
    out = capsys.readouterr().out
    assert "✔ segment_window · split_window, m = 2, S = 5" in out
    assert "✘ segment_window · split_window, m = 0" in out and "new memory" in out


def test_a_split_that_swaps_the_read_and_write_rows_fails_in_the_model(capsys):
    def read_rows(hidden, m, S):  # right shapes, wrong rows: the read memory as the new one
        return hidden[:, m: m + S], hidden[:, :m]

    assert not ch06.check_segment_window(segment_window, read_rows)
    assert "values differ in new memory" in capsys.readouterr().out


def test_the_library_step_is_refused_and_switched_off(capsys):
    assert not ch06.check_segment_window(RecurrentMemoryTransformer.step, split_window)
    assert "library's own" in capsys.readouterr().out

    def calls_step(memory, token_emb, write_offset):
        return RecurrentMemoryTransformer.step(None, memory, token_emb)

    assert not ch06.check_segment_window(calls_step, split_window)
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- 6.2
def test_a_loop_that_detaches_every_segment_names_the_segment(capsys):
    always = lambda k, N, bptt: k >= 1  # noqa: E731
    assert not ch06.check_run_segments(lambda *a, **k: run_segments(*a, **k, cut=always))
    out = capsys.readouterr().out
    assert "✔ run_segments · 3 segments of 4" in out  # the forward values are the same
    assert "bptt_segments = None on 4 segments: case 1 of 1 differs — segment 0" in out
    assert "missed a gradient" in out


def test_a_loop_that_ignores_bptt_names_the_segment_that_got_a_gradient(capsys):
    never = lambda k, N, bptt: False  # noqa: E731
    assert not ch06.check_run_segments(lambda *a, **k: run_segments(*a, **k, cut=never))
    out = capsys.readouterr().out
    assert "✔ run_segments · gradients from the last segment's loss, bptt_segments = None" in out
    assert "bptt_segments = 1 on 4 segments" in out and "received a gradient" in out


def test_an_off_by_one_cut_is_caught(capsys):
    one_less = lambda k, N, bptt: bptt is not None and 1 <= k < N - bptt  # noqa: E731
    assert not ch06.check_run_segments(lambda *a, **k: run_segments(*a, **k, cut=one_less))
    out = capsys.readouterr().out
    assert "✘ run_segments · gradients from the last segment's loss, bptt_segments = 1" in out
    assert "segment 2 (of 0 … 3) received a gradient" in out


def test_a_loop_that_drops_the_short_last_segment_fails(capsys):
    def whole_segments(step, memory, tokens, segment_len, bptt_segments=None):
        T = tokens.shape[1] // segment_len * segment_len
        return run_segments(step, memory, tokens[:, :T], segment_len, bptt_segments)

    assert not ch06.check_run_segments(whole_segments)
    out = capsys.readouterr().out
    assert "✘ run_segments · a shorter last segment" in out and "shape in logits" in out


def test_the_library_forward_is_refused_and_switched_off(capsys):
    assert not ch06.check_run_segments(RecurrentMemoryTransformer.forward)
    assert "library's own" in capsys.readouterr().out

    def calls_forward(step, memory, tokens, segment_len, bptt_segments=None):
        return RecurrentMemoryTransformer.forward(None, tokens)

    assert not ch06.check_run_segments(calls_forward)
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- 6.3
def test_a_target_on_the_question_mark_is_named(capsys):
    assert not ch06.check_retrieval_batch(lambda *a: retrieval_batch(*a, target_shift=0))
    out = capsys.readouterr().out
    assert "example 0: the target at position 9 (the queried key" in out
    assert "should be its stored value" in out


def test_keys_that_repeat_are_named(capsys):
    assert not ch06.check_retrieval_batch(lambda g, B, N, S: retrieval_batch(
        g, B, N, S, keys_from=lambda: g.integers(0, 16, size=2 * (N - 1))))
    assert "is stored twice" in capsys.readouterr().out


def test_a_generator_that_ignores_rng_is_caught(capsys):
    assert not ch06.check_retrieval_batch(
        lambda rng, B, N, S: retrieval_batch(np.random.default_rng(), B, N, S))
    assert "the same seed gave a different batch" in capsys.readouterr().out


def test_constant_values_fail_the_variety_check(capsys):
    result = ch06.check_retrieval_batch(lambda g, B, N, S: retrieval_batch(
        g, B, N, S, values_from=lambda: np.full(2 * (N - 1), DIGIT0 + 7)))
    out = capsys.readouterr().out
    assert not result and "✔ retrieval_batch · 9 segments of 16" in out
    assert "do not use all 10 digits" in out


def test_wrong_shapes_or_dtypes_are_explained(capsys):
    assert not ch06.check_retrieval_batch(
        lambda *a: tuple(x.astype(np.int32) for x in retrieval_batch(*a)))
    assert "inputs: expected int64 of shape (4, 16)" in capsys.readouterr().out


def test_the_library_generator_is_refused_and_switched_off(capsys):
    assert not ch06.check_retrieval_batch(sequences.memory_task)
    assert "library's own" in capsys.readouterr().out
    assert not ch06.check_retrieval_batch(
        lambda rng, B, N, S: sequences.memory_task("retrieval", B, N, S, rng))
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- stubs
@pytest.mark.parametrize("check, arity", [(ch06.check_segment_window, 2),
                                          (ch06.check_run_segments, 1),
                                          (ch06.check_retrieval_batch, 1)])
def test_a_stub_gets_the_friendly_message(check, arity, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("write it")

    assert not check(*[stub] * arity)
    assert "not implemented yet" in capsys.readouterr().out
