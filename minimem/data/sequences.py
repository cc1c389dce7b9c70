"""Generators for synthetic sequence tasks.

Chapter 02 (Pointer Networks, Vinyals et al., 2015) uses `sort_task`: a list of real numbers
whose answer is the order in which to read them so they come out sorted — an output made of
positions of the input, so its "vocabulary" grows with the input length. Chapter 06 (the
Recurrent Memory Transformer) uses `memory_task`: copy, reverse, associative retrieval and
passkey, whose answers lie segments away from what they depend on. Every function is pure:
give it a seed or a NumPy `Generator`.

Shapes: B examples per batch, N items per example.
"""

from __future__ import annotations

import numpy as np


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


MAX_NUMBERS = 10**8  # batch_size * n: about 0.4 GB of float32


def _check_sizes(batch_size: int, n: int) -> None:
    for name, value in (("batch_size", batch_size), ("n", n)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if batch_size * n > MAX_NUMBERS:
        raise ValueError(f"batch_size * n must be at most {MAX_NUMBERS:.0e}, got batch_size="
                         f"{batch_size} and n={n}")


def sort_task(
    batch_size: int, n: int, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Random reals in [0, 1) and the 0-based order that sorts them ascending.

    Returns `values` (B, N) float32 and `order` (B, N) int64 with
    ``values[b, order[b]]`` increasing.
    """
    _check_sizes(batch_size, n)
    values = _rng(rng).random((batch_size, n)).astype(np.float32)  # (B, N)
    order = np.argsort(values, axis=1, kind="stable").astype(np.int64)  # (B, N)
    return values, order


def sort_task_variable(
    batch_size: int,
    n_min: int,
    n_max: int,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Like `sort_task`, with a length drawn uniformly from [n_min, n_max] for the whole batch.

    One length per batch keeps the tensors rectangular (no padding) while training still sees
    every length in the range.
    """
    if not 1 <= n_min <= n_max:
        raise ValueError(f"need 1 <= n_min <= n_max, got n_min={n_min}, n_max={n_max}")
    g = _rng(rng)
    return sort_task(batch_size, int(g.integers(n_min, n_max + 1)), g)


# --- Chapter 06: tasks whose answer lies segments away (the RMT paper's algorithmic tasks) -----
# One vocabulary for all of them: "_" (filler / a place to write the answer), "?" (query),
# "#" (the passkey's marker), the digits 0-9 (values), the letters a-p (keys, filler).
SEQ_VOCAB = ("_", "?", "#", *"0123456789", *"abcdefghijklmnop")
BLANK, QUERY, MARK, DIGIT0, LETTER0 = 0, 1, 2, 3, 13
IGNORE = -100  # target of a position that is not scored (torch's cross-entropy ignore_index)
TASKS = ("copy", "reverse", "retrieval", "passkey")
MAX_RETRIEVAL_SEGMENTS = 9  # 2 (N - 1) distinct keys out of the 16 letters


def memory_task(task: str, batch_size: int, num_segments: int, segment_len: int,
                rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A batch of one chapter-06 task: `inputs` (B, T) and `targets` (B, T) int64 token ids
    (`SEQ_VOCAB`), T = num_segments · segment_len, targets IGNORE where nothing is asked.

    - copy / reverse: the first half holds T/2 random digits, the second half blanks, where the
      digits must come back in order (copy) or reversed (reverse). Scored per sequence.
    - retrieval: the first N - 1 segments hold key–value pairs "k v" (distinct letter keys,
      digit values, 2 per segment at offsets 0 and S // 2, blanks between); the last segment
      asks "? k" for min(4, pairs, S // 2) different stored keys, question q at offsets 2q and
      2q + 1, and the value is the target at the key's position. Scored per query.
    - passkey: letters and distractor digits as filler; "# d d" (the marker, then two digits)
      somewhere before the last segment; the last two positions are blanks that must read the
      two digits after the marker. Scored per sequence.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    _check_sizes(batch_size, num_segments * segment_len)
    low = {"copy": 1, "reverse": 1, "retrieval": 2, "passkey": 2}[task]
    if not isinstance(num_segments, int) or num_segments < low:
        raise ValueError(f"{task} needs num_segments >= {low}, got {num_segments!r}")
    if segment_len < (5 if task == "passkey" else 4) or (task == "retrieval" and segment_len < 8):
        raise ValueError(f"segment_len {segment_len} is too short for {task}")
    if task == "retrieval" and num_segments > MAX_RETRIEVAL_SEGMENTS:
        raise ValueError(f"retrieval has 16 keys, 2 pairs per segment before the last: at most "
                         f"{MAX_RETRIEVAL_SEGMENTS} segments, got {num_segments}")
    g = _rng(rng)
    make = {"copy": _copy, "reverse": _copy, "retrieval": _retrieval, "passkey": _passkey}[task]
    return make(g, batch_size, num_segments, segment_len, task == "reverse")


def _copy(g, B, N, S, reverse):
    T = N * S
    half = T // 2
    digits = g.integers(DIGIT0, DIGIT0 + 10, size=(B, half))  # (B, T/2)
    inputs = np.full((B, T), BLANK, dtype=np.int64)
    targets = np.full((B, T), IGNORE, dtype=np.int64)
    inputs[:, :half] = digits
    targets[:, T - half:] = digits[:, ::-1] if reverse else digits
    return inputs, targets


def _retrieval(g, B, N, S, _):
    T, pairs = N * S, 2 * (N - 1)
    inputs = np.full((B, T), BLANK, dtype=np.int64)
    targets = np.full((B, T), IGNORE, dtype=np.int64)
    for b in range(B):
        keys = LETTER0 + g.permutation(16)[:pairs]
        values = g.integers(DIGIT0, DIGIT0 + 10, size=pairs)
        for p in range(pairs):  # pair p in segment p // 2, at offset 0 or S // 2
            start = (p // 2) * S + (p % 2) * (S // 2)
            inputs[b, start: start + 2] = keys[p], values[p]
        asked = g.permutation(pairs)[: min(4, pairs, S // 2)]
        for q, p in enumerate(asked):  # "? k" pairs in the last segment
            pos = (N - 1) * S + 2 * q
            inputs[b, pos: pos + 2] = QUERY, keys[p]
            targets[b, pos + 1] = values[p]
    return inputs, targets


def _passkey(g, B, N, S, _):
    T = N * S
    inputs = g.integers(LETTER0, LETTER0 + 16, size=(B, T))  # letter filler
    distract = g.random((B, T)) < 0.1  # one filler token in ten is a distractor digit
    inputs[distract] = g.integers(DIGIT0, DIGIT0 + 10, size=int(distract.sum()))
    targets = np.full((B, T), IGNORE, dtype=np.int64)
    start = g.integers(0, (N - 1) * S - 3, size=B)  # the key ends before the last segment
    key = g.integers(DIGIT0, DIGIT0 + 10, size=(B, 2))
    rows = np.arange(B)
    inputs[rows, start] = MARK
    inputs[rows, start + 1], inputs[rows, start + 2] = key[:, 0], key[:, 1]
    inputs[:, T - 3:] = np.array([QUERY, BLANK, BLANK])
    targets[:, T - 2:] = key
    return inputs, targets
