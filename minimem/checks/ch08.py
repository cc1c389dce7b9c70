"""Checkers for the chapter 08 exercises (cramming, Kuratov et al. 2025, arXiv:2502.13063).

8.1 (the cramming loss) is compared with `text_bits`, then by where its gradient goes; 8.2
(greedy decoding from vectors) with a free-running loop and `exact_prefix`; 8.4 with formulas
here. Library answers are switched off meanwhile; a value matching a known slip is named.
"""

from __future__ import annotations

import functools
import importlib
import math
from typing import Callable
from unittest import mock

import torch
import torch.nn.functional as F

from minimem import cramming
from minimem.checks._answer_key import _stub, answer_key_off
from minimem.checks._framework import (CheckResult, _short, differences, hint, is_reference,
                                       register_hints, run_check, seeded_tensors)
from minimem.checkpoints import shipped
from minimem.data.text import encode, plain_english
from minimem.lm import CharLM, load

__all__ = ["check_cramming_loss", "check_greedy_regenerate", "check_information_bound", "hint"]

CRAM_MODULE = importlib.import_module("minimem.cramming.cram")  # `cramming.cram` is the function

register_hints("8.1", [
    "The model reads the k vectors, then the embeddings of all characters but the last; the "
    "output at the last vector's position predicts x_0.",
    "Embed texts[:, :-1] with lm.tok_emb, put it after the vectors along the positions, run the "
    "model on inputs_embeds; keep T outputs from position k - 1; take the cross-entropy of each "
    "character, in bits, summed over T.",
    "Freeze first: requires_grad off for every parameter of lm (not the vectors). Use "
    "reduction='none' with the logits as (B, V, T), divide by ln 2, sum over the positions.",
])
register_hints("8.2", [
    "Start from the vectors alone and grow the input one character at a time, appending the "
    "embedding of the model's own top choice, never the true character.",
    "Loop T times: run the model on inputs_embeds, argmax the last position's logits (B,), keep "
    "it, append its embedding as one more position; then count the matches before the first "
    "mismatch.",
    "Leading matches: a cumulative product of the match indicators along the positions, summed. "
    "lm.tok_emb of (B,) ids is (B, D): add a position axis before joining. Use torch.no_grad().",
])
register_hints("8.4", [
    "A vector of d floats holds d times bits_per_float bits; one of V characters needs log2 V "
    "bits at most. For vectors_needed, what a text holds is its cross-entropy in bits.",
    "Bound: the vector's bits divided by log2 of the vocabulary (base 2, not e). Needed: "
    "num_chars times bits_per_char bits, divided by the bits one vector holds, rounded up.",
    "Use math.log2 (math.log is the natural log); round with math.ceil, as a whole int: part of "
    "a vector is still a vector, and a text with 0 bits needs 0 vectors.",
])


class _Expected:
    """A reference value and the wrong values known slips give: [(value, explanation)]."""

    def __init__(self, value, mistakes=()):
        self.value, self.mistakes = value, list(mistakes)

    def __repr__(self) -> str:
        return _short(self.value)


def _compare(names: tuple[str, ...], atol: float = 1e-4, rtol: float = 1e-4) -> Callable:
    """Compare named outputs with _Expected ones; name the slip a wrong value matches."""
    def compare(expected, received) -> str | None:
        exp, rec = (expected, received) if len(names) > 1 else ((expected,), (received,))
        if not isinstance(rec, (tuple, list)) or len(rec) != len(exp):
            return f"return the tuple ({', '.join(names)}), got {type(received).__name__}"
        for name, e, r in zip(names, exp, rec):
            problem = ((None if r == e.value else str(r)) if isinstance(e.value, str)  # a verdict
                       else differences(e.value, r, atol, rtol, where=name))
            if problem:
                why = next((w for alt, w in e.mistakes if not differences(alt, r, atol, rtol)), "")
                return f"{problem}: {why}" if why else problem
        return None
    return compare


def _staged(name: str, exercise: str, forbidden: tuple, stages: list) -> CheckResult:
    """Run stages (learner, reference, arg_names, output_names, groups); stop at a failure."""
    lines, done = [], f"All checks passed for {name}."
    for learner, reference, arg_names, names, groups in stages:
        result = run_check(name, learner, reference, groups, arg_names=arg_names,
                           exercise=exercise, output_names=names, verbose=False,
                           forbidden=forbidden, compare=_compare(names))
        lines += [line for line in result.lines if line != done]
        if not result:
            break
    else:
        lines.append(done)
    print("\n".join(lines))
    return CheckResult(name, lines[-1] == done, lines)


def _at(*cases: tuple) -> list[tuple[tuple, dict]]:
    return [(case, {}) for case in cases]  # positional arguments only


def _switched_off(fn: Callable, exercise: str, names: tuple[str, ...]) -> Callable:
    """fn with the library's `names` switched off, also under names fn's globals give them."""
    own = getattr(fn, "__globals__", {})
    aliases = {key: _stub(f"Exercise {exercise}", f"cramming.{n}") for n in names
               for key, value in own.items() if value is getattr(cramming, n)}
    off = answer_key_off(fn, f"Exercise {exercise}",
                         [(owner, n) for owner in (cramming, CRAM_MODULE) for n in names])
    return mock.patch.dict(own, aliases)(off)


def small_lm(seed: int) -> CharLM:
    """A seeded 1-layer CharLM (D = 32, context 32), float64, matrices ×3 (sharp predictions)."""
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        lm = CharLM(d_model=32, num_heads=2, num_layers=1, context=32).double().eval()
        for p in lm.parameters():
            p.mul_(3 if p.dim() == 2 else 1)
    return lm


def _case(model: str, seed: int, B: int, k: int, T: int) -> tuple:
    """(lm, vectors (B, k, D) requiring grad, texts (B, T)): small LM, random ids; or shipped."""
    if model == "shipped":
        lm = load(shipped("lm_char.pt"))[0]
        texts = torch.tensor([encode(s[:T]) for s in plain_english()[seed: seed + B]])
        vectors = seeded_tensors(seed, (B, k, lm.config.d_model))[0] * 0.5
    else:
        lm, vectors = small_lm(seed), seeded_tensors(seed, (B, k, 32))[0].double()
        texts = torch.randint(0, 96, (B, T), generator=torch.Generator().manual_seed(seed))
    return lm, vectors.requires_grad_(True), texts


# ---------------------------------------------------------------- 8.1: the cramming loss
def _loss_reference(*case) -> _Expected:
    (lm, vectors, texts), T = _case(*case), case[-1]
    with torch.no_grad():
        bits = cramming.text_bits(lm, texts, vectors)[0]  # (B, T)
        logits = lm(inputs_embeds=torch.cat([vectors, lm.tok_emb(texts)], dim=1)).logits

    def scored(start: int) -> torch.Tensor:  # (B,) bits of texts read from logits[start …]
        part = logits[:, start: start + T].transpose(1, 2)  # (B, V, T)
        return F.cross_entropy(part, texts, reduction="none").sum(1) / math.log(2)
    return _Expected(bits.sum(1), [
        (bits.sum(1) * math.log(2), "these are nats; divide by ln 2 to get bits"),
        (bits[:, 1:].sum(1), "x_0 is missing: the last vector's output predicts it, and it counts"),
        (scored(vectors.shape[1]), "scored one step late, each character at its own "
                                   "position: the output at a position predicts the NEXT one"),
        (scored(0), "the predictions start at the first vector; with k vectors the prediction "
                    "of x_0 sits at position k - 1"),
        (bits.mean(1), "this is the mean over the characters; return their sum")])


OK = "only the vectors get a gradient, the right one"


def _gradient(fn: Callable) -> Callable:  # (model, seed, B, k, T) -> OK, or what is wrong
    def run(*case) -> str:
        lm, vectors, texts = _case(*case)
        before = {n: p.detach().clone() for n, p in lm.named_parameters()}
        bits = fn(lm, vectors, texts)
        if not isinstance(bits, torch.Tensor) or not bits.requires_grad:
            return "the loss carries no gradient: computed under torch.no_grad(), or detached?"
        bits.sum().backward()
        if vectors.grad is None or not vectors.grad.abs().sum() > 0:
            return "no gradient reached the vectors: keep them in the graph (no .detach())"
        grads = [n for n, p in lm.named_parameters() if p.grad is not None]
        moved = [n for n, p in lm.named_parameters() if not torch.equal(p, before[n])]
        if grads or moved:
            return (f"the LM is not frozen: its parameter {grads[0]} received a .grad; switch off "
                    "the model's gradients so that only the vectors are optimised" if grads else
                    f"the LM's parameter {moved[0]} changed: the loss must leave the model alone")
        ref = vectors.detach().clone().requires_grad_(True)
        cramming.text_bits(lm.requires_grad_(False), texts, ref)[0].sum().backward()
        return differences(ref.grad, vectors.grad, 1e-5, 1e-4, where="the vectors' gradient") or OK
    return run


def check_cramming_loss(fn: Callable) -> CheckResult:
    """Exercise 8.1: fn(lm, vectors (B, k, D), texts (B, T)) -> (B,) bits of each text given the
    vectors, the LM frozen: compared with text_bits(...)[0].sum(1), then by where gradients go."""
    forbidden = (cramming.text_bits, cramming.cram)
    loss = _switched_off(fn, "8.1", ("text_bits", "cram", "capacity"))
    values, grads = ((fn, fn) if is_reference(fn, forbidden)
                     else (lambda *case: loss(*_case(*case)), _gradient(loss)))
    args = ("model", "seed", "B", "k", "T")
    return _staged("cramming_loss", "8.1", forbidden, [
        (values, _loss_reference, args, ("bits",), {
            "one vector, 2 texts of 8 characters (a small random LM)": _at(("small", 0, 2, 1, 8)),
            "2 and 4 vectors: the last vector's output predicts x_0":
                _at(("small", 1, 3, 2, 12), ("small", 2, 2, 4, 6)),
            "one-character texts: the vectors alone predict them":
                _at(("small", 3, 2, 1, 1), ("small", 4, 1, 3, 1)),
            "the shipped character LM (D = 128) on 2 English sentences":
                _at(("shipped", 0, 2, 1, 40))}),
        (grads, lambda *case: _Expected(OK), args, ("gradient",), {
            "the gradient reaches the vectors only, the LM frozen and unchanged":
                _at(("small", 5, 2, 2, 8), ("shipped", 2, 2, 1, 24))}),
    ])


# ---------------------------------------------------------------- 8.2: greedy decoding
@functools.lru_cache(maxsize=1)
def _crammed() -> tuple[torch.Tensor, torch.Tensor]:
    """One vector crammed (50 steps) per sentence into the shipped LM: right, then wrong."""
    texts = torch.tensor([encode(s[:40]) for s in plain_english()[2:4]])
    return cramming.cram(load(shipped("lm_char.pt"))[0], texts, 1, steps=50, lr=0.5).vectors, texts


def _decode_case(model: str, seed: int, B: int, k: int, T: int) -> tuple:
    """(lm, vectors, texts): row 0 regenerated whole, row 1 wrong at T // 2; or crammed ones."""
    if model == "shipped":
        return load(shipped("lm_char.pt"))[0], *(t.clone() for t in _crammed())
    lm, vectors, texts = _case(model, seed, B, k, T)
    texts[:2] = _free_greedy(lm, vectors, T)[:2]
    texts[1, T // 2] = (texts[1, T // 2] + 1) % 96
    return lm, vectors.detach(), texts


@torch.no_grad()
def _free_greedy(lm: CharLM, vectors: torch.Tensor, T: int) -> torch.Tensor:  # (B, T) ids
    inputs, out = vectors, []
    for _ in range(T):
        out.append(lm(inputs_embeds=inputs).logits[:, -1].argmax(-1))  # (B,)
        inputs = torch.cat([inputs, lm.tok_emb(out[-1])[:, None]], dim=1)  # (B, k + t + 1, D)
    return torch.stack(out, dim=1)


def _decode_reference(*case) -> tuple[_Expected, _Expected]:
    lm, vectors, texts = _decode_case(*case)
    free = _free_greedy(lm, vectors, texts.shape[1])
    with torch.no_grad():
        right = cramming.text_bits(lm, texts, vectors)[1]  # (B, T) teacher-forced top-1 hits
        forced = lm(inputs_embeds=torch.cat([vectors, lm.tok_emb(texts[:, :-1])], 1)).logits[
            :, vectors.shape[1] - 1:].argmax(-1)  # (B, T) the teacher-forced top choices
    return (_Expected(free, [(forced, "the top choices of the model reading the TRUE text "
                              "(teacher forcing); greedy decoding feeds back its own")]),
            _Expected(cramming.exact_prefix(right), [((free == texts).sum(1), "every match "
                      "counted; the exact prefix stops at the first mismatch")]))


def check_greedy_regenerate(fn: Callable) -> CheckResult:
    """Exercise 8.2: fn(lm, vectors (B, k, D), texts (B, T)) -> (generated (B, T), exact (B,)):
    T characters greedily decoded from the vectors alone; how many leading ones match the text."""
    names = ("exact_prefix", "capacity", "cram", "text_bits")
    forbidden, decode = tuple(getattr(cramming, n) for n in names), _switched_off(fn, "8.2", names)
    learner = fn if is_reference(fn, forbidden) else lambda *case: decode(*_decode_case(*case))
    return _staged("greedy_regenerate", "8.2", forbidden, [
        (learner, _decode_reference, ("model", "seed", "B", "k", "T"), ("generated", "exact"), {
            "one vector, a small random LM: row 0 regenerated whole, row 1 wrong at T // 2":
                _at(("small", 0, 3, 1, 8)),
            "2 and 4 vectors, longer texts": _at(("small", 1, 2, 2, 16), ("small", 2, 4, 4, 12)),
            "one-character texts": _at(("small", 3, 2, 2, 1)),
            "one vector crammed for each of 2 sentences (the shipped LM, 40 characters)":
                _at(("shipped", 0, 2, 1, 40))}),
    ])


# ---------------------------------------------------------------- 8.4: the information bound
def _bound(d: int, V: int, b: int = 32) -> _Expected:
    return _Expected(d * b / math.log2(V), [
        (d * b / math.log(V), "the natural log: a character chosen among V needs log2 V bits"),
        (d * b, "this is the vector's size in bits; divide by the bits of one character"),
        (d / math.log2(V), "each float counted as 1 bit: a float holds bits_per_float bits"),
        (d * 32 / math.log2(V), "bits_per_float ignored (32 used whatever was given)"),
        (d * b / V, "a character needs log2 V bits, not V")])


def _needed(n: int, bpc: float, d: int, b: int = 32) -> _Expected:
    bits, per_vector = n * bpc, d * b
    return _Expected(math.ceil(bits / per_vector), [
        (math.floor(bits / per_vector), "rounded down: part of a vector is still one vector"),
        (bits / per_vector, "return a whole number of vectors (round up)"),
        (math.ceil(n * math.log2(96) / per_vector), "log2 V bits per character is random "
         "text's cost; a text holds its cross-entropy, num_chars · bits_per_char"),
        (math.ceil(bits / d), "each float counted as 1 bit: a float holds bits_per_float bits")])


def check_information_bound(bound_fn: Callable, needed_fn: Callable) -> CheckResult:
    """Exercise 8.4: bound_fn(d_model, vocab_size, bits_per_float=32) -> characters a vector holds
    at most; needed_fn(num_chars, bits_per_char, d_model, bits_per_float=32) -> vectors (int)."""
    forbidden = (cramming.information_bound,)
    bound, needed = (fn if is_reference(fn, forbidden) else _switched_off(
        fn, "8.4", ("information_bound",)) for fn in (bound_fn, needed_fn))
    return _staged("information_bound", "8.4", forbidden, [
        (bound, _bound, ("d_model", "vocab_size", "bits_per_float"), ("characters",), {
            "the shipped LM (d = 128, V = 96)": _at((128, 96)),
            "other widths, vocabularies and float sizes":
                _at((768, 50304, 16), (64, 10, 8), (4096, 32000)),
            "the smallest: 2 floats of 1 bit, 2 characters": _at((2, 2, 1))}),
        (needed, _needed, ("num_chars", "bits_per_char", "d_model", "bits_per_float"),
         ("vectors",), {
            "a page of English (1 500 chars at 1.2 bits each, d = 128)": _at((1500, 1.2, 128)),
            "long and uncertain texts": _at((100_000, 2.0, 128), (5000, 3.3, 64, 16)),
            "exactly one vector's worth (512 chars at 8 bits, d = 128)": _at((512, 8.0, 128)),
            "nothing to store: 0 bits need 0 vectors": _at((100, 0.0, 128), (0, 2.0, 64))}),
    ])
