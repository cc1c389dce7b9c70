"""Training and scoring the ICAE-style compressor (`icae.py`) on chapter 07's character LM.

The data are windows of the documentation corpus (`minimem.data.text`): a context of L = 64
characters, and a continuation of R = 64 characters that is one of two kinds —

    next     the 64 characters that follow the context in the document (plain language modelling:
             the context helps only a little);
    recall   16 characters that follow, then a 48-character passage quoted from the context
             (c[s : s + 48], s < 16): what the LM needs from the context is its exact text.

Training (ICAE's pretraining) minimises the reconstruction bits plus the continuation bits,
half the continuations of each kind. `evaluate` measures, on held-out windows: the character
accuracy of the greedy reconstruction (position by position), its teacher-forced top-1 accuracy
and bits per character, and the recall continuation's bits per character read with the slots
(`bpc_compressed`), with the whole context (`bpc_full`) and with no context (`bpc_none`).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from minimem import checkpoints
from minimem.data import text
from minimem.lm import CharLM
from minimem.training import History, fit

from .icae import ICAE

QUOTE, LEAD = 48, 16  # the recall continuation: LEAD characters, then a QUOTE-long quote


@dataclass
class CompressionRecipe:
    """Everything that fixes a training run of `ICAE(lm, context_len, ratio, rank,
    decoder_rank)`."""

    ratio: int = 4
    context_len: int = 64
    continuation_len: int = 64
    rank: int = 8
    decoder_rank: int = 0
    steps: int = 1600
    batch_size: int = 16
    lr: float = 3e-3
    recall_frac: float = 0.5
    clip: float = 1.0
    eval_every: int = 400
    eval_count: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        if self.continuation_len != LEAD + QUOTE:
            raise ValueError(f"continuation_len must be {LEAD + QUOTE} (recall windows quote "
                             f"{QUOTE} characters after {LEAD})")
        if self.context_len < QUOTE + LEAD:
            raise ValueError(f"context_len must be at least {QUOTE + LEAD}")


HEADLINE_STEPS = 5000  # ICAE's headline ratio, 4×, trains about three times longer


def recipe_for(ratio: int, decoder_rank: int = 0) -> CompressionRecipe:
    """The committed recipe of a shipped compressor (what `python -m minimem.compression train`
    runs): 1600 steps (about 4–13 minutes on one thread), 5000 at 4×."""
    steps = HEADLINE_STEPS if ratio == 4 else CompressionRecipe.steps
    return CompressionRecipe(ratio=ratio, decoder_rank=decoder_rank, steps=steps)


def windows(ids: np.ndarray, count: int, recipe: CompressionRecipe, rng: np.random.Generator,
            recall_frac: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` (context (count, L), continuation (count, R)) pairs from the corpus `ids`; a
    share recall_frac (default: the recipe's) of the continuations are recall windows."""
    L, R = recipe.context_len, recipe.continuation_len
    share = recipe.recall_frac if recall_frac is None else recall_frac
    starts = rng.integers(0, len(ids) - L - R, count)
    rows = np.stack([ids[s:s + L + R] for s in starts]).astype(np.int64)  # (count, L + R)
    context, continuation = rows[:, :L], rows[:, L:].copy()
    for i in np.flatnonzero(rng.random(count) < share):
        s = rng.integers(0, L - QUOTE + 1)
        continuation[i, LEAD:] = context[i, s:s + QUOTE]
    return torch.from_numpy(context), torch.from_numpy(continuation)


def build(lm: CharLM, recipe: CompressionRecipe) -> ICAE:
    torch.manual_seed(recipe.seed)
    return ICAE(lm, recipe.context_len, recipe.ratio, recipe.rank, recipe.decoder_rank)


def loss_fn(model: ICAE, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean bits of the reconstruction plus mean bits of the continuation."""
    context, continuation = batch
    slots = model.compress(context)  # (B, k, D)
    return (model.reconstruction(slots, context)[0].mean()
            + model.continuation(slots, continuation)[0].mean())


def _recall_bits(lm: CharLM, context: torch.Tensor, continuation: torch.Tensor,
                 full: bool) -> torch.Tensor:
    """Bits of continuation[:, 1:] read by the bare LM after the context, or after nothing."""
    x = torch.cat([context, continuation], 1) if full else continuation  # (B, L + R) or (B, R)
    bits = lm.bits(x[:, :-1], x[:, 1:])  # (B, T - 1)
    return bits[:, -(continuation.shape[1] - 1):]


@torch.no_grad()
def evaluate(model: ICAE, split: str = "validation", count: int = 256,
             seed: int = 1234) -> dict[str, float]:
    """The measures in the module docstring, on `count` held-out windows of `split`."""
    model.eval()
    recipe = CompressionRecipe(ratio=model.ratio, context_len=model.context_len)
    rng = np.random.default_rng(seed)
    context, continuation = windows(text.corpus_ids(split), count, recipe, rng, recall_frac=1)
    slots = model.compress(context)
    bits, right = model.reconstruction(slots, context)
    lm = model.lm
    return {
        "reconstruction_accuracy": float((model.decode(slots) == context).float().mean()),
        "teacher_forced_accuracy": float(right.float().mean()),
        "reconstruction_bpc": float(bits.mean()),
        "bpc_compressed": float(model.continuation(slots, continuation)[0].mean()),
        "bpc_full": float(_recall_bits(lm, context, continuation, full=True).mean()),
        "bpc_none": float(_recall_bits(lm, context, continuation, full=False).mean())}


def english_accuracy(model: ICAE) -> float:
    """Greedy reconstruction accuracy on plain English outside the training domain: every
    L-character window of `text.plain_english()` that starts a paragraph."""
    model.eval()
    L = model.context_len
    rows = [text.encode(p[:L]) for p in text.plain_english() if len(p) >= L]
    context = torch.tensor(rows)
    with torch.no_grad():
        return float((model.decode(model.compress(context)) == context).float().mean())


def train(lm: CharLM, recipe: CompressionRecipe,
          progress: bool | None = None) -> tuple[ICAE, History]:
    """Train the adapters, memory tokens and [AE] embedding for recipe.steps steps."""
    start = time.perf_counter()
    model = build(lm, recipe)
    ids, rng = text.corpus_ids("train"), np.random.default_rng(recipe.seed)
    params = list(model.trainable().values())
    optimizer = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.0)

    def lr_at(step: int) -> float:  # a cosine to 10 %
        return recipe.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * step / recipe.steps)))

    def eval_fn(m: ICAE) -> dict[str, float]:
        return evaluate(m, count=recipe.eval_count)

    history = fit(model, lambda step: windows(ids, recipe.batch_size, recipe, rng), loss_fn,
                  steps=recipe.steps, optimizer=optimizer, lr_at=lr_at,
                  clip_grad_norm=recipe.clip, eval_fn=eval_fn, eval_every=recipe.eval_every,
                  progress=progress, desc=f"ICAE {recipe.ratio}x")
    history.log_eval(recipe.steps, {"seconds": time.perf_counter() - start})
    return model, history


def save(path, model: ICAE, recipe: CompressionRecipe, history: History,
         metrics: dict[str, float]) -> None:
    """Only what training changed (float16), with the recipe, the metrics and the LM's
    corpus fingerprint; the frozen LM itself is `lm_char.pt`."""
    record = {"seconds": round(history.last("seconds"), 1),
              "trainable": sum(p.numel() for p in model.trainable().values()),
              "lm_parameters": sum(p.numel() for p in model.encoder.parameters()
                                   if not p.requires_grad)}
    record |= {name: round(float(value), 4) for name, value in metrics.items()}
    weights = {k: v.detach().half() for k, v in model.trainable().items()}
    checkpoints.save(path, model, asdict(recipe), record, weights=weights,
                     corpus=text.fingerprint())


def load(path, lm: CharLM) -> tuple[ICAE, CompressionRecipe]:
    """A saved compressor around `lm` (frozen), float32, eval mode, and its recipe."""
    ckpt = checkpoints.load(path, kind="ICAE")
    recipe = CompressionRecipe(**ckpt.config)
    model = build(lm, recipe)
    missing = set(model.trainable()) - set(ckpt.state_dict)
    if missing:
        raise ValueError(f"{path} lacks {sorted(missing)[:3]}: not a compressor for this recipe")
    model.load_state_dict({k: v.float() for k, v in ckpt.state_dict.items()}, strict=False)
    return model.eval(), recipe
