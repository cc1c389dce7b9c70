"""A compressed context memory over a stream (CCM-style, Kim et al. 2024,
https://arxiv.org/abs/2312.03414), built from a trained ICAE compressor (`icae.py`).

A stream of n chunks of L characters (consecutive held-out documentation text) arrives one chunk
at a time. Each chunk is compressed on its own into k = L / ratio slots, and the memory is
updated (`ccm.update_memory`): concat keeps every chunk's slots (k·t rows after t chunks), merge
keeps their running mean (k rows). A simplification of CCM: there the compressor also reads the
memory so far (a conditional adapter); here each chunk is compressed alone.

`evaluate_stream` reads the text that follows the stream with the ICAE's decoder (the frozen
LM, or the LM with the decoder's adapter) given

    none      nothing but the continuation itself
    window    the last chunk as plain characters (what a window of L positions keeps)
    concat    the concatenated memory            merge    the merged memory

and reports bits per character with each, beside the bytes each keeps: a key/value cache of
every position it holds (`ccm.kv_cache_bytes`), and for the full stream n·L positions, which
this LM (context 128) cannot even read at once.
"""

from __future__ import annotations

import numpy as np
import torch

from minimem import validate
from minimem.data import text

from .ccm import MODES, kv_cache_bytes, update_memory
from .icae import ICAE


def stream_windows(ids: np.ndarray, count: int, num_chunks: int, chunk_len: int,
                   continuation_len: int,
                   rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` streams: chunks (count, n, L) of consecutive text and the continuation
    (count, R) that follows them."""
    span = num_chunks * chunk_len + continuation_len
    starts = rng.integers(0, len(ids) - span, count)
    rows = torch.from_numpy(np.stack([ids[s:s + span] for s in starts]).astype(np.int64))
    chunks = rows[:, :num_chunks * chunk_len].reshape(count, num_chunks, chunk_len)
    return chunks, rows[:, num_chunks * chunk_len:]


@torch.no_grad()
def memories(model: ICAE, chunks: torch.Tensor, mode: str = "concat") -> list[torch.Tensor]:
    """Mem(1) … Mem(n) for chunks (B, n, L): each chunk compressed alone, then folded in."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    validate.tensor("chunks", chunks, dims=3, kind="long", nonempty=True)
    memory, out = None, []
    for t in range(chunks.shape[1]):
        memory = update_memory(memory, model.compress(chunks[:, t]), t + 1, mode)
        out.append(memory)
    return out


def _bits(model: ICAE, prefix: torch.Tensor | None, continuation: torch.Tensor) -> float:
    """Mean bits of continuation[:, 1:] read by the decoder after `prefix` (B, P, D), if any."""
    if prefix is None:
        return float(model.decoder.bits(continuation[:, :-1], continuation[:, 1:]).mean())
    return float(model.continuation(prefix, continuation)[0].mean())


@torch.no_grad()
def evaluate_stream(model: ICAE, num_chunks: int = 20, count: int = 64,
                    split: str = "validation", seed: int = 1234) -> dict:
    """Bits per character of the text after a stream of `num_chunks` chunks, and the bytes of
    what each reader keeps (float32 keys and values over the LM's layers)."""
    model.eval()
    lm, L, k = model.lm, model.context_len, model.num_slots
    R = lm.config.max_len - num_chunks * k + 1  # the longest continuation the memory leaves
    if R < 2:
        raise ValueError(f"{num_chunks} chunks of {k} slots leave no room in the LM's context "
                         f"of {lm.config.max_len}")
    R = min(R, L)
    chunks, continuation = stream_windows(text.corpus_ids(split), count, num_chunks, L, R,
                                          np.random.default_rng(seed))
    concat = memories(model, chunks, "concat")[-1]  # (B, n·k, D)
    merge = memories(model, chunks, "merge")[-1]  # (B, k, D)
    window = lm.tok_emb(chunks[:, -1])  # (B, L, D)
    layers, width = lm.config.num_layers, lm.config.d_model

    def cache(positions: int) -> int:
        return kv_cache_bytes(layers, positions, width)

    return {"chunks": num_chunks, "chunk_len": L, "slots_per_chunk": k,
            "continuation_len": R, "count": count,
            "bytes": {"full": cache(num_chunks * L), "window": cache(L),
                      "concat": cache(num_chunks * k), "merge": cache(k)},
            "bpc": {"none": _bits(model, None, continuation),
                    "window": _bits(model, window, continuation),
                    "concat": _bits(model, concat, continuation),
                    "merge": _bits(model, merge, continuation)}}
