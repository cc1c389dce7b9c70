"""The chapter 08 exercise checkers accept right answers, name wrong ones and greet stubs."""

import math

import pytest
import torch
import torch.nn.functional as F

from minimem import cramming
from minimem.checks import _framework, ch08
from minimem.cramming import exact_prefix, text_bits


# ---------------------------------------------------------------- the solutions' answers
def cramming_loss(lm, vectors, texts, start=None, freeze=True, to_bits=True, reduce="sum",
                  embed_all=False):
    """The right loss; the keyword arguments make the wrong ones below."""
    if freeze:
        lm.requires_grad_(False)
    k, T = vectors.shape[1], texts.shape[1]
    x = lm.tok_emb(texts if embed_all else texts[:, :-1])  # (B, T or T - 1, D)
    logits = lm(inputs_embeds=torch.cat([vectors, x], dim=1)).logits
    if start == "skip x_0":  # predict x_1 … x_{T-1} only
        logits, texts = logits[:, k: k + T - 1], texts[:, 1:]
    else:
        first = k - 1 if start is None else start
        logits = logits[:, first: first + T]  # (B, T, V)
    nats = F.cross_entropy(logits.transpose(1, 2), texts, reduction="none")  # (B, T)
    per_text = nats.sum(1) if reduce == "sum" else nats.mean(1)
    return per_text / math.log(2) if to_bits else per_text


@torch.no_grad()
def greedy_regenerate(lm, vectors, texts, count_all=False):
    inputs, generated = vectors, []
    for _ in range(texts.shape[1]):
        generated.append(lm(inputs_embeds=inputs).logits[:, -1].argmax(-1))  # (B,)
        inputs = torch.cat([inputs, lm.tok_emb(generated[-1])[:, None]], dim=1)
    generated = torch.stack(generated, dim=1)  # (B, T)
    hits = (generated == texts).long()
    return generated, hits.sum(1) if count_all else hits.cumprod(1).sum(1)


def information_bound(d_model, vocab_size, bits_per_float=32, log=math.log2):
    return d_model * bits_per_float / log(vocab_size)


def vectors_needed(num_chars, bits_per_char, d_model, bits_per_float=32, rounding=math.ceil):
    return rounding(num_chars * bits_per_char / (d_model * bits_per_float))


@pytest.fixture(autouse=True)
def fresh_hints():
    _framework.reset_hints()


def test_right_answers_pass(capsys):
    assert ch08.check_cramming_loss(cramming_loss)
    assert ch08.check_greedy_regenerate(greedy_regenerate)
    assert ch08.check_information_bound(information_bound, vectors_needed)
    out = capsys.readouterr().out
    assert out.count("All checks passed") == 3 and "✘" not in out


def test_reading_all_t_embeddings_is_right_too(capsys):
    """The model is causal: the last character's embedding changes no score that counts."""
    assert ch08.check_cramming_loss(lambda *a: cramming_loss(*a, embed_all=True))


def test_hints_are_registered_in_three_levels_without_code():
    for exercise in ("8.1", "8.2", "8.4"):
        hints = _framework._HINTS[exercise]
        assert len(hints) == 3
        assert not any("def " in h or "return " in h or "torch.cat(" in h or "math.ceil(" in h
                       for h in hints)


def test_the_small_lm_reads_its_vectors():
    """The checks need an LM whose predictions depend on the vectors, and a case where greedy
    decoding from them goes wrong part-way (row 1) and one where it never does (row 0)."""
    lm, vectors, texts = ch08._decode_case("small", 0, 3, 1, 8)
    exact = exact_prefix(text_bits(lm, texts, vectors)[1])
    assert exact[0] == 8 and exact[1] == 4
    bits = text_bits(lm, texts, vectors)[0].sum(1)
    assert (bits - text_bits(lm, texts, vectors * 0)[0].sum(1)).abs().max() > 1


# ---------------------------------------------------------------- 8.1
@pytest.mark.parametrize("options, named", [
    ({"start": "skip x_0"}, "x_0 is missing"),
    ({"start": 0, "embed_all": True}, "the predictions start at the first vector"),
    ({"start": 1, "embed_all": True}, "scored one step late"),
    ({"to_bits": False}, "these are nats; divide by ln 2"),
    ({"reduce": "mean"}, "this is the mean over the characters"),
])
def test_wrong_losses_are_named(options, named, capsys):
    assert not ch08.check_cramming_loss(lambda *a: cramming_loss(*a, **options))
    out = capsys.readouterr().out
    assert named in out and "values differ in bits" in out and "hint 1/3" in out


def test_a_loss_that_does_not_freeze_the_lm_is_named(capsys):
    assert not ch08.check_cramming_loss(lambda *a: cramming_loss(*a, freeze=False))
    out = capsys.readouterr().out
    assert "✔ cramming_loss · the shipped character LM" in out  # the values are right
    assert "the LM is not frozen: its parameter" in out and "received a .grad" in out


def test_a_loss_that_changes_the_lm_or_cuts_the_gradient_is_named(capsys):
    def nudges(lm, vectors, texts):
        with torch.no_grad():
            lm.head.bias[0] += 1e-6  # too small to change the bits, but a change
        return cramming_loss(lm, vectors, texts)

    assert not ch08.check_cramming_loss(nudges)
    assert "the LM's parameter head.bias changed" in capsys.readouterr().out
    assert not ch08.check_cramming_loss(lambda lm, v, t: cramming_loss(lm, v.detach(), t))
    assert "the loss carries no gradient" in capsys.readouterr().out


def test_the_library_loss_is_refused_and_switched_off(capsys):
    assert not ch08.check_cramming_loss(cramming.text_bits)
    assert "library's own" in capsys.readouterr().out
    assert not ch08.check_cramming_loss(lambda lm, v, t: cramming.text_bits(lm, t, v)[0].sum(1))
    assert "switched off" in capsys.readouterr().out
    # under a name this module gave it, too (a notebook's `from minimem.cramming import …`)
    assert not ch08.check_cramming_loss(lambda lm, v, t: text_bits(lm, t, v)[0].sum(1))
    assert "switched off" in capsys.readouterr().out
    assert text_bits is cramming.text_bits  # put back afterwards


# ---------------------------------------------------------------- 8.2
def test_teacher_forced_choices_are_named(capsys):
    def forced(lm, vectors, texts):
        k = vectors.shape[1]
        with torch.no_grad():
            x = torch.cat([vectors, lm.tok_emb(texts[:, :-1])], dim=1)
            generated = lm(inputs_embeds=x).logits[:, k - 1:].argmax(-1)
        return generated, (generated == texts).long().cumprod(1).sum(1)

    assert not ch08.check_greedy_regenerate(forced)
    out = capsys.readouterr().out
    assert "values differ in generated" in out and "teacher forcing" in out


def test_counting_every_match_is_named(capsys):
    assert not ch08.check_greedy_regenerate(lambda *a: greedy_regenerate(*a, count_all=True))
    out = capsys.readouterr().out
    assert "values differ in exact" in out and "stops at the first mismatch" in out


def test_a_single_output_is_explained(capsys):
    assert not ch08.check_greedy_regenerate(lambda *a: greedy_regenerate(*a)[1])
    assert "return the tuple (generated, exact)" in capsys.readouterr().out


def test_the_library_prefix_is_refused_and_switched_off(capsys):
    assert not ch08.check_greedy_regenerate(cramming.exact_prefix)
    assert "library's own" in capsys.readouterr().out

    def uses_library(lm, vectors, texts):
        generated = greedy_regenerate(lm, vectors, texts)[0]
        return generated, exact_prefix(generated == texts)

    assert not ch08.check_greedy_regenerate(uses_library)
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- 8.4
@pytest.mark.parametrize("bound, named", [
    (lambda d, V, b=32: information_bound(d, V, b, log=math.log), "the natural log"),
    (lambda d, V, b=32: d * b, "the vector's size in bits"),
    (lambda d, V, b=32: d / math.log2(V), "each float counted as 1 bit"),
    (lambda d, V, b=32: information_bound(d, V), "bits_per_float ignored"),
])
def test_wrong_bounds_are_named(bound, named, capsys):
    assert not ch08.check_information_bound(bound, vectors_needed)
    out = capsys.readouterr().out
    assert "value in characters" in out and named in out


@pytest.mark.parametrize("needed, named", [
    (lambda n, c, d, b=32: vectors_needed(n, c, d, b, rounding=math.floor), "rounded down"),
    (lambda n, c, d, b=32: vectors_needed(n, c, d, b, rounding=float), "a whole number"),
    (lambda n, c, d, b=32: math.ceil(n * math.log2(96) / (d * b)), "its cross-entropy"),
    (lambda n, c, d, b=32: math.ceil(n * c / d), "each float counted as 1 bit"),
])
def test_wrong_vector_counts_are_named(needed, named, capsys):
    assert not ch08.check_information_bound(information_bound, needed)
    out = capsys.readouterr().out
    assert "✔ information_bound · the smallest" in out  # the bound itself was right
    assert "value in vectors" in out and named in out


def test_the_library_bound_is_refused_and_switched_off(capsys):
    assert not ch08.check_information_bound(cramming.information_bound, vectors_needed)
    assert "library's own" in capsys.readouterr().out
    assert not ch08.check_information_bound(lambda *a: cramming.information_bound(*a),
                                            vectors_needed)
    assert "switched off" in capsys.readouterr().out


# ---------------------------------------------------------------- stubs
@pytest.mark.parametrize("check, arity", [(ch08.check_cramming_loss, 1),
                                          (ch08.check_greedy_regenerate, 1),
                                          (ch08.check_information_bound, 2)])
def test_a_stub_gets_the_friendly_message(check, arity, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("write it")

    assert not check(*[stub] * arity)
    assert "not implemented yet" in capsys.readouterr().out
