"""Checkers for the chapter 06 exercises (the Recurrent Memory Transformer, Bulatov et al. 2022).

6.1 (the segment window and its split) and 6.2 (the segment loop with truncated BPTT) are
compared with references on seeded tensors and on a small RMT (its `step` and `forward` switched
off while your code runs), 6.2 also by which segments a gradient reaches; 6.3 (the retrieval
generator) by the properties of what it returns on many seeds and sizes. Three hints each, no
code. Shapes: B batch, T tokens, N segments of S tokens, m memory tokens, D width, V vocabulary.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from minimem.checks._answer_key import answer_key_off
from minimem.checks._framework import (CheckResult, differences, hint, is_reference,
                                       register_hints, run_check, seeded_tensors)
from minimem.data import sequences
from minimem.data.sequences import BLANK, DIGIT0, IGNORE, LETTER0, QUERY, SEQ_VOCAB
from minimem.rmt import RecurrentMemoryTransformer
from minimem.transformer import Transformer, TransformerConfig

__all__ = ["check_segment_window", "check_run_segments", "check_retrieval_batch", "hint"]

register_hints("6.1", [
    "Three blocks side by side along the positions: old memory, token embeddings, old memory "
    "plus the write offset. The split undoes it: m rows read, S of segment, m written.",
    "Concatenate along dim=1 (positions); the (m, D) offset broadcasts over the batch. The "
    "segment is positions m … m + S, the new memory m + S … the end.",
    "At m = 0, hidden[:, -m:] is the whole window, not nothing: slice from explicit starts "
    "(m, m + S) so that m = 0 gives an empty (B, 0, D) memory.",
])
register_hints("6.2", [
    "Walk over the segments in order with a stride of segment_len (the last may be shorter); "
    "each step takes the memory the previous one returned; keep every memory, the start first.",
    "Truncated BPTT detaches the memory *entering* segment k (from 0) when 1 <= k <= N - "
    "bptt_segments; with None nothing is detached. Concatenate the logits along the positions.",
    "Count the segments first, N = ceil(T / segment_len), then loop over their index k. Store "
    "the memory that step returns, not the detached one you gave it.",
])
register_hints("6.3", [
    "Build each example on its own: 2 (N - 1) different letter keys, a digit for each, the "
    "pairs in the first N - 1 segments; then choose which pairs the last segment asks about.",
    "Pair p goes in segment p // 2 at offset 0 or S // 2; a permutation of the 16 letters "
    "gives distinct keys, a permutation of the pairs distinct questions.",
    "Question q sits at offset 2q of the last segment, '?' then the key; its target (the "
    "stored digit) sits on the key, one place after the '?'. Ask min(4, pairs, S // 2).",
])


def small_rmt(num_mem_tokens: int = 2, segment_len: int = 4, bptt_segments: int | None = None,
              seed: int = 0) -> RecurrentMemoryTransformer:
    """A seeded 1-layer, D = 16 RMT over SEQ_VOCAB, in float64 (the checks compare to 1e-9)."""
    torch.manual_seed(seed)
    config = TransformerConfig(vocab_size=len(SEQ_VOCAB), d_model=16, num_heads=2, num_layers=1,
                               d_ff=32, causal=False, max_len=2 * num_mem_tokens + segment_len)
    model = RecurrentMemoryTransformer(Transformer(config), num_mem_tokens, segment_len,
                                       bptt_segments).double().eval()
    for start in (model.memory, model.write_offset):  # large enough to matter
        start.data.normal_(0.0, 1.0)
    return model


def _tokens(seed: int, B: int, T: int) -> torch.Tensor:  # (B, T) random token ids
    return torch.randint(0, len(SEQ_VOCAB), (B, T), generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- 6.1: the segment window
def _window_reference(memory: torch.Tensor, token_emb: torch.Tensor,
                      write_offset: torch.Tensor) -> torch.Tensor:
    """[M | E | M + W]: (B, m, D), (B, S, D), (m, D) -> (B, 2m + S, D)."""
    return torch.cat([memory, token_emb, memory + write_offset], dim=1)


def _split_reference(hidden: torch.Tensor, m: int, S: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 2m + S, D) -> the segment's rows (B, S, D), the write rows: the new memory (B, m, D)."""
    return hidden[:, m: m + S], hidden[:, m + S:]


def _step_with(window_fn: Callable | None, split_fn: Callable | None) -> Callable:
    """(m, S, B, seed) -> (segment logits, new memory) of one step of a small RMT, with the
    learner's window and split plugged in (both None: the model's own `step`)."""
    def run(m: int, S: int, B: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        model, tokens = small_rmt(m, S, seed=seed), _tokens(seed, B, S)
        memory = torch.randn(B, m, 16, dtype=torch.float64,
                             generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            if window_fn is None:
                return tuple(model.step(memory, tokens)[:2])
            window = window_fn(memory, model.backbone.tok_emb(tokens), model.write_offset)
            out = model.backbone(inputs_embeds=window)
            return split_fn(out.logits, m, S)[0], split_fn(out.hidden_states[-1], m, S)[1]
    return run


def _staged(name: str, exercise: str, forbidden: tuple, stages: list) -> CheckResult:
    """Run stages (learner, reference, arg_names, output_names, compare, groups) in order."""
    lines: list[str] = []
    for learner, reference, arg_names, names, compare, groups in stages:
        where = names[0] if len(names) == 1 else ""  # one output: name it in the message
        compare = compare or (lambda e, r: differences(e, r, 1e-9, 1e-7, where, names))
        result = run_check(name, learner, reference, groups, arg_names=arg_names, exercise=exercise,
                           output_names=names, verbose=False, forbidden=forbidden, compare=compare)
        shown = [line for line in result.lines if not line.startswith("All checks passed")]
        print("\n".join(shown))
        lines += shown
        if not result:
            return CheckResult(name, False, lines)
    print(f"All checks passed for {name}.")
    return CheckResult(name, True, lines + [f"All checks passed for {name}."])


def check_segment_window(window_fn: Callable, split_fn: Callable) -> CheckResult:
    """Exercise 6.1: window_fn(memory (B, m, D), token_emb (B, S, D), write_offset (m, D)) ->
    (B, 2m + S, D) = [memory | tokens | memory + write_offset]; split_fn(hidden (B, 2m + S, D),
    m, S) -> (segment rows (B, S, D), new memory (B, m, D)). Then both, plugged into a small
    RecurrentMemoryTransformer, must reproduce its `step` (switched off meanwhile)."""
    forbidden = (RecurrentMemoryTransformer.step, RecurrentMemoryTransformer.forward)
    off = [(RecurrentMemoryTransformer, "step"), (RecurrentMemoryTransformer, "forward")]
    window, split = (fn if is_reference(fn, forbidden) else answer_key_off(fn, "Exercise 6.1", off)
                     for fn in (window_fn, split_fn))

    def case(seed, B, m, S, D):
        return tuple(seeded_tensors(seed, (B, m, D), (B, S, D), (m, D))), {}

    return _staged("segment_window", "6.1", forbidden, [
        (window, _window_reference, ("memory", "token_emb", "write_offset"), ("window",), None, {
            "segment_window, m = 2, S = 5, D = 3": [case(0, 2, 2, 5, 3)],
            "segment_window, m = 4, S = 8, D = 6, batch 3": [case(1, 3, 4, 8, 6)],
            "segment_window, m = 0 (no memory): the tokens alone": [case(2, 2, 0, 5, 3)]}),
        (split, _split_reference, ("hidden", "m", "S"), ("segment outputs", "new memory"), None, {
            "split_window, m = 2, S = 5": [((*seeded_tensors(3, (2, 9, 3)), 2, 5), {})],
            "split_window, m = 4, S = 3, batch 3": [((*seeded_tensors(4, (3, 11, 6)), 4, 3), {})],
            "split_window, m = 0: no memory": [((*seeded_tensors(5, (2, 5, 3)), 0, 5), {})]}),
        (_step_with(window, split), _step_with(None, None), ("m", "S", "batch", "seed"),
         ("segment logits", "new memory"), None, {
             "both plugged into a small RMT reproduce model.step (m = 2, S = 4; m = 3, S = 6)":
                 [((2, 4, 2, 0), {}), ((3, 6, 3, 1), {})],
             "the same with m = 0 (the no-memory baseline)": [((0, 4, 2, 2), {})]}),
    ])


# ---------------------------------------------------------------- 6.2: the segment loop
def _loop_outputs(loop: Callable | None) -> Callable:
    """(m, S, T, bptt, seed) -> (logits, memories) of a small RMT driven by `loop`, or by its
    own forward when loop is None."""
    def run(m: int, S: int, T: int, bptt: int | None, seed: int) -> tuple:
        model, tokens = small_rmt(m, S, bptt, seed=seed), _tokens(seed, 2, T)
        with torch.no_grad():
            if loop is None:
                return tuple(model(tokens)[:2])
            return loop(lambda mem, toks: model.step(mem, toks)[:2],
                        model.memory.expand(2, -1, -1), tokens, S, bptt)
    return run


SEGMENTS = 4  # the gradient test: 4 segments of 3 tokens, each segment its own token ids


def _grad_pattern(loop: Callable) -> Callable:
    """bptt -> for each segment, does the last segment's loss reach its token embeddings?
    Segment k uses the token ids 5k … 5k + 4 only: rows of the embedding tell them apart."""
    def run(bptt: int | None) -> tuple[bool, ...]:
        S, model, g = 3, small_rmt(2, 3, seed=7), torch.Generator().manual_seed(7)
        tokens = torch.cat([5 * k + torch.randint(0, 5, (2, S), generator=g)
                            for k in range(SEGMENTS)], dim=1)  # (2, 12)
        model.zero_grad()
        logits, _ = loop(lambda mem, toks: model.step(mem, toks)[:2],
                         model.memory.expand(2, -1, -1), tokens, S, bptt)
        weights = torch.randn(logits[:, -S:].shape, generator=g, dtype=torch.float64)
        (logits[:, -S:] * weights).sum().backward()  # the last segment's loss
        grad = model.backbone.tok_emb.weight.grad
        grad = torch.zeros_like(model.backbone.tok_emb.weight) if grad is None else grad
        return tuple(bool(grad[5 * k: 5 * k + 5].abs().sum() > 1e-12) for k in range(SEGMENTS))
    return run


def _grad_compare(expected: tuple, received: tuple) -> str | None:
    wrong = [k for k, (e, r) in enumerate(zip(expected, received)) if e != r]
    return wrong and f"segment {wrong[0]} (of 0 … {SEGMENTS - 1}) " + (
        "missed a gradient from the last segment's loss: its memory path should stay attached"
        if expected[wrong[0]] else "received a gradient from the last segment's loss: the "
        "memory entering a later segment should have been detached") or None


def check_run_segments(fn: Callable) -> CheckResult:
    """Exercise 6.2: fn(step, memory (B, m, D), tokens (B, T), segment_len, bptt_segments=None)
    -> (logits (B, T, V), memories: N + 1 tensors (B, m, D)). Compared with a small
    RecurrentMemoryTransformer's forward (switched off while fn runs), then the gradient
    pattern of the last segment's loss for bptt_segments None, 1, 2, 3 on 4 segments."""
    forbidden = (RecurrentMemoryTransformer.forward,)
    loop = answer_key_off(fn, "Exercise 6.2", [(RecurrentMemoryTransformer, "forward")])
    pattern = {bptt: tuple(k >= SEGMENTS - (bptt or SEGMENTS) for k in range(SEGMENTS))
               for bptt in (None, 1, 2, 3)}
    learner = fn if is_reference(fn, forbidden) else _loop_outputs(loop)
    return _staged("run_segments", "6.2", forbidden, [
        (learner, _loop_outputs(None), ("m", "S", "T", "bptt_segments", "seed"),
         ("logits", "memories"), None, {
             "3 segments of 4 (m = 2, 3): logits and memories equal the model's forward":
                 [((2, 4, 12, None, 0), {}), ((3, 4, 12, 2, 1), {})],
             "a shorter last segment (T = 10, S = 4)": [((2, 4, 10, None, 2), {})],
             "one segment only, and m = 0": [((2, 5, 5, None, 3), {}), ((0, 4, 9, None, 4), {})]}),
        (_grad_pattern(loop), lambda bptt: pattern[bptt], ("bptt_segments",), (), _grad_compare,
         {f"gradients from the last segment's loss, bptt_segments = {bptt} on 4 segments":
          [((bptt,), {})] for bptt in (None, 1, 2, 3)}),
    ])


# ---------------------------------------------------------------- 6.3: the retrieval generator
OK = "all properties hold"


def _violation(x: np.ndarray, y: np.ndarray, N: int, S: int) -> str | None:
    """The first property of one example (inputs x, targets y) that fails, else None."""
    pairs, nq, last = 2 * (N - 1), min(4, 2 * (N - 1), S // 2), (N - 1) * S
    starts = [(p // 2) * S + (p % 2) * (S // 2) for p in range(pairs)]
    stored, asked = {}, set()
    for p, pos in enumerate(starts):
        key, value = int(x[pos]), int(x[pos + 1])
        if not (LETTER0 <= key < LETTER0 + 16 and DIGIT0 <= value < DIGIT0 + 10):
            return f"pair {p} at position {pos} should be a letter key, then a digit value; " \
                   f"got tokens {key}, {value}"
        if key in stored:
            return f"the key {SEQ_VOCAB[key]!r} is stored twice (the keys must be distinct)"
        stored[key] = value
    for q, pos in enumerate(range(last, last + 2 * nq, 2)):
        key = int(x[pos + 1])
        if x[pos] != QUERY or key not in stored:
            return (f"question {q} at position {pos} should be '?' then a stored key; got "
                    f"tokens {int(x[pos])}, {key}")
        if key in asked or asked.add(key):
            return f"the key {SEQ_VOCAB[key]!r} is asked twice"
        if y[pos + 1] != stored[key]:
            return (f"the target at position {pos + 1} (the queried key {SEQ_VOCAB[key]!r}) "
                    f"should be its stored value {stored[key]}, got {int(y[pos + 1])}")
    used = np.zeros(N * S, dtype=bool)
    used[[p + i for p in starts + list(range(last, last + 2 * nq, 2)) for i in (0, 1)]] = True
    if (x[~used] != BLANK).any():
        pos = int(np.flatnonzero(~used & (x != BLANK))[0])
        return f"position {pos} should be a blank ({BLANK}), got token {int(x[pos])}"
    scored = np.zeros(N * S, dtype=bool)
    scored[last + 1: last + 2 * nq: 2] = True
    if (y[~scored] != IGNORE).any():
        pos = int(np.flatnonzero(~scored & (y != IGNORE))[0])
        return (f"position {pos} has target {int(y[pos])}; only the queried keys are scored, "
                f"every other target is IGNORE = {IGNORE}")
    return None


def _variety(inputs: np.ndarray, N: int, S: int) -> str | None:
    """Over a batch: every digit is a value somewhere, the keys and the questions vary."""
    first_values = inputs[:, [(p // 2) * S + (p % 2) * (S // 2) + 1 for p in range(2 * N - 2)]]
    if len(set(first_values.flatten().tolist())) < 10:
        return "over 64 examples the values do not use all 10 digits (draw them at random)"
    if len(set(inputs[:, 0].tolist())) < 8:
        return "over 64 examples the first key is nearly always the same (draw the keys at random)"
    if len({tuple(row) for row in inputs[:, (N - 1) * S:]}) < len(inputs) // 2:
        return "the questions barely vary between examples (choose the asked pairs at random)"
    return None


def _retrieval_properties(fn: Callable) -> Callable:
    """fn  ==>  (seed, B, N, S, variety) -> OK, or the first property that fails."""
    def run(seed: int, B: int, N: int, S: int, variety: bool = False) -> str:
        out = fn(np.random.default_rng(seed), B, N, S)
        inputs, targets = (np.asarray(a) for a in out)  # a wrong count raises: explained
        for name, a in (("inputs", inputs), ("targets", targets)):
            if a.shape != (B, N * S) or a.dtype != np.int64:
                return f"{name}: expected int64 of shape {(B, N * S)}, got {a.dtype} {a.shape}"
        again = fn(np.random.default_rng(seed), B, N, S)
        if not all(np.array_equal(a, np.asarray(b)) for a, b in zip((inputs, targets), again)):
            return "the same seed gave a different batch: draw every random number from rng"
        problems = [_variety(inputs, N, S)] if variety else [
            f"example {b}: {p}" for b in range(B) if (p := _violation(inputs[b], targets[b], N, S))]
        return next((p for p in problems if p), OK)
    return run


def check_retrieval_batch(fn: Callable) -> CheckResult:
    """Exercise 6.3: fn(rng, batch_size, num_segments, segment_len) -> (inputs, targets), (B, T)
    int64 arrays following `memory_task`'s "retrieval" spec, checked property by property on
    many seeds and sizes (`memory_task` and `_retrieval` are switched off meanwhile)."""
    forbidden = (sequences.memory_task, sequences._retrieval)
    learner = fn if is_reference(fn, forbidden) else _retrieval_properties(answer_key_off(
        fn, "Exercise 6.3", [(sequences, "memory_task"), (sequences, "_retrieval")]))
    groups = {"2 segments of 8 (2 pairs, 2 questions), 20 seeds": [((s, 4, 2, 8), {})
                                                                 for s in range(20)],
              "4 segments of 8 (6 pairs, 4 questions), 20 seeds":
                  [((s, 4, 4, 8), {}) for s in range(20, 40)],
              "odd and uneven segments (S = 9: pairs at offsets 0 and 4; S = 11; 3 of 8)":
                  [((40, 3, 3, 9), {}), ((41, 3, 5, 11), {}), ((42, 5, 3, 8), {})],
              "9 segments of 16: all 16 letters are keys": [((43, 2, 9, 16), {})],
              "variety over a batch of 64 (values, keys, questions)":
                  [((44, 64, 4, 8), {"variety": True})]}
    return run_check("retrieval_batch", learner, lambda *a, **k: OK, groups,
                     arg_names=("seed", "batch_size", "num_segments", "segment_len"),
                     exercise="6.3", forbidden=forbidden,
                     compare=lambda e, r: None if r == e else "a property fails")
