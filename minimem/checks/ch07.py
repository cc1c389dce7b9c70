"""Checkers for the chapter 07 exercises: 7.1 the gist mask (Mu, Li & Goodman 2023), cell by
cell, then in a small seeded Transformer; 7.2 a LoRA layer (Hu et al. 2021), property by
property; 7.3 the compressed context memory (Kim et al. 2024) over streams of 20 chunks, then
the key/value bytes. Each names the first thing that differs; the library's answers are
refused and switched off. B batch, C context, k gist tokens (or memory rows per chunk),
R continuation, T = C + k + R, D width."""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from minimem import compression
from minimem.checks._answer_key import answer_key_off
from minimem.checks._framework import (CheckResult, hint, register_hints,
                                       run_check, seeded_tensors)
from minimem.compression import ccm, gist, lora
from minimem.transformer import Transformer, TransformerConfig

__all__ = ["check_gist_mask", "check_lora", "check_memory_update", "hint"]

register_hints("7.1", [
    "Start from the causal mask (True on and below the diagonal), then switch off one block "
    "of it: the continuation's rows against the context's columns. Nothing else changes.",
    "The continuation's rows start at C + k; the context's columns end at C. For the second "
    "function, run the model on the tokens and on a copy with one token changed; compare the "
    "logits of the last R positions only.",
    "A lower-triangular (T, T) boolean tensor, then rows C + k … T-1 × columns 0 … C-1 set to "
    "False (explicit slice starts keep C = 0 and R = 0 right). The changed token is (id + 1) "
    "mod V; pass the mask as mask=; the answer is one float.",
])
register_hints("7.2", [
    "The adapter is a detour beside the frozen layer: x goes down through A to r numbers, "
    "back up through B to `out`, is scaled by α / r and added to the base layer's output.",
    "Freeze the base by switching off requires_grad on its parameters. A (r, in) small and "
    "random, B (out, r) zeros, both nn.Parameter: they are then the only trainable tensors.",
    "forward: base(x) plus (α / r) times x multiplied by A transposed, then by B transposed. "
    "B = 0 makes the start exact; A random lets B get a gradient at once (scale it by 1/√in).",
])
register_hints("7.3", [
    "concat stacks the new chunk's rows under the memory; merge keeps k rows: the average of "
    "every chunk so far. Before the first chunk the memory is None.",
    "With no memory yet, the memory is the chunk itself. A running mean after t chunks weighs "
    "the new chunk 1/t and the old memory 1 - 1/t. A cache keeps a key and a value of width "
    "d_model per position per layer.",
    "Join along dim 1 (rows), not dim 0 (batch). Check merge on paper at t = 3: the old memory "
    "is the mean of 2 chunks. The full cache has num_chunks · chunk_len positions, concat "
    "k · num_chunks rows, merge k rows: three calls of your cache_bytes.",
])

OK = "all properties hold"


def _staged(name: str, exercise: str, stages: list) -> CheckResult:
    """Run stages (learner, arg_names, groups) in order, stopping at the first that fails; a
    learner returns OK or a sentence naming what broke (a library answer: "switched off")."""
    lines: list[str] = []
    for learner, arg_names, groups in stages:
        result = run_check(name, learner, lambda *a: OK, groups, arg_names=arg_names,
                           exercise=exercise, verbose=False,
                           compare=lambda e, r: None if r == e else "a rule is broken")
        lines += [line for line in result.lines if not line.startswith("All checks passed")]
        if not result:
            print("\n".join(lines))
            return CheckResult(name, False, lines)
    lines.append(f"All checks passed for {name}.")
    print("\n".join(lines))
    return CheckResult(name, True, lines)


# ---------------------------------------------------------------- 7.1: the gist mask
def _gist_reference(C: int, k: int, R: int) -> torch.Tensor:
    """(T, T): row t may see column s when s <= t, except continuation rows × context columns."""
    T = C + k + R
    return torch.tensor([[s <= t and not (t >= C + k and s < C) for s in range(T)]
                         for t in range(T)], dtype=torch.bool).reshape(T, T)


def _mask_rules(fn: Callable) -> Callable:
    """fn  ==>  (C, k, R) -> OK, or the first wrong cell and the rule it breaks."""
    def run(C: int, k: int, R: int) -> str:
        mask, want, T = fn(C, k, R), _gist_reference(C, k, R), C + k + R
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (T, T):
            got = (mask.dtype, tuple(mask.shape)) if isinstance(mask, torch.Tensor) else mask
            return f"expected a (T, T) = {(T, T)} boolean tensor, got {got!r:.80}"
        wrong = (mask.cpu() != want).nonzero().tolist()
        if not wrong:
            return OK
        (t, s), part = wrong[0], lambda i: ("context", "gist", "continuation")[
            (i >= C) + (i >= C + k)]
        row, col = f"{part(t)} row {t}", f"{part(s)} column {s}"
        if mask[t, s]:
            rule = (f"{row} sees the future ({col}): the mask must stay causal" if s > t else
                    f"{row} sees {col}: the continuation reads the context only through the gist")
        else:
            rule = (f"{row} cannot see {col}: the gist must read the context to summarise it"
                    if part(t) == "gist" else f"{row} cannot see {col}, which it may")
        bits = lambda m: "".join("1" if v else "0" for v in m[t].tolist())  # noqa: E731
        return f"{rule} (row {t}: expected {bits(want)}, yours {bits(mask.cpu())})"
    return run


def small_model(seed: int = 0) -> Transformer:
    """A seeded 2-layer, D = 16, float64 Transformer with causal=False (a mask is used as given)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return Transformer(TransformerConfig(vocab_size=12, d_model=16, num_heads=2, d_ff=32,
                                             causal=False, max_len=32)).double().eval()


def _change_reference(model, mask, tokens, position, continuation_len) -> float:
    changed = tokens.clone()
    changed[:, position] = (changed[:, position] + 1) % model.config.vocab_size
    with torch.no_grad():
        a, b = (model(x, mask=mask).logits[:, -continuation_len:] for x in (tokens, changed))
    return float((a - b).abs().max())


def _in_model(mask_fn: Callable, change_fn: Callable) -> Callable:
    """(C, k, R, position, seed, yours) -> OK or how the change differs; yours: mask_fn's mask."""
    def run(C: int, k: int, R: int, position: int, seed: int, yours: bool) -> str:
        model, g = small_model(seed), torch.Generator().manual_seed(seed)
        tokens = torch.randint(0, 12, (2, C + k + R), generator=g)  # (B, T)
        want = _change_reference(model, _gist_reference(C, k, R), tokens, position, R)
        mask = (mask_fn if yours else _gist_reference)(C, k, R)
        got = change_fn(model, mask, tokens, position, R)
        if not isinstance(got, (int, float, torch.Tensor)) or torch.as_tensor(got).numel() != 1:
            return f"expected one number (a float), got {type(got).__name__}"
        if abs(float(got) - want) <= 1e-9 + 1e-6 * want:
            return OK
        return (f"changing context token {position} moved the continuation's logits by "
                f"{float(got):.3g}: with num_gist = 0 they must not move" if want == 0 else
                f"the largest change should be {want:.6g}, got {float(got):.6g}")
    return run


def check_gist_mask(mask_fn: Callable, change_fn: Callable) -> CheckResult:
    """Exercise 7.1: mask_fn(context_len, num_gist, continuation_len) -> (T, T) bool, True = may
    attend; change_fn(model, mask, tokens (B, T), position, continuation_len) -> the largest
    absolute change of the last continuation_len positions' logits when the token at
    `position` becomes (id + 1) mod V. Then both together in a small seeded Transformer."""
    off = [(gist, "gist_mask"), (compression, "gist_mask")]
    mask_fn, change_fn = (answer_key_off(f, "Exercise 7.1", off) for f in (mask_fn, change_fn))
    sizes = {"the docstring's example: C = 2, k = 1, R = 2": [(2, 1, 2)],
             "several sizes (C, k, R from 1 to 6)": [(3, 2, 4), (5, 1, 3), (4, 3, 6), (6, 2, 2)],
             "no gist (k = 0): the continuation sees no context at all": [(4, 0, 3), (1, 0, 5)],
             "no continuation (R = 0): plain causal": [(4, 2, 0), (3, 0, 0)],
             "no context (C = 0): plain causal": [(0, 2, 3), (0, 0, 4)]}
    right = [(4, 2, 3, 1, 0, False), (5, 1, 4, 4, 1, False), (4, 0, 3, 1, 2, False)]
    return _staged("gist_mask", "7.1", [
        (_mask_rules(mask_fn), ("context_len", "num_gist", "continuation_len"),
         {group: [(case, {}) for case in cases] for group, cases in sizes.items()}),
        (_in_model(mask_fn, change_fn), ("C", "k", "R", "position", "seed", "your_mask"),
         {"continuation_change with the right mask, k = 2, 1 and 0 (exactly 0)":
              [(case, {}) for case in right],
          "your mask in the model, k = 0: no context token reaches the continuation":
              [((4, 0, 3, p, 3, True), {}) for p in range(4)],
          "your mask in the model, k = 2: the context reaches it through the gist":
              [((4, 2, 3, p, 4, True), {}) for p in range(4)]})])


# ---------------------------------------------------------------- 7.2: a LoRA layer
def _lora_rules(cls: Callable) -> Callable:
    """cls  ==>  (in, out, r, alpha, seed, part) -> OK, or the first property that fails."""
    def run(n_in: int, n_out: int, r: int, alpha: float, seed: int, part: str) -> str:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            base = nn.Linear(n_in, n_out)
            W, b = base.weight.detach().clone(), base.bias.detach().clone()
            layer = cls(base, r, alpha)
        x, A, B = seeded_tensors(seed, (3, n_in), (r, n_in), (n_out, r))
        plain, params = x @ W.T + b, dict(layer.named_parameters())  # (3, out): frozen layer
        if part == "init":
            shapes = {"A": (r, n_in), "B": (n_out, r)}
            bad = [n for n, shape in shapes.items() if not isinstance(getattr(layer, n, None),
                   nn.Parameter) or tuple(getattr(layer, n).shape) != shape]
            gap = 0.0 if bad else (layer(x).detach() - plain).abs().max().item()
            return (f"layer.{bad[0]} should be an nn.Parameter of shape {shapes[bad[0]]}" if bad
                    else "B starts random: it must start at zeros" if layer.B.detach().any()
                    else "A starts at zeros: with B = 0 too, no gradient reaches either; draw "
                    "A at random" if not layer.A.detach().any() else OK if gap < 1e-5
                    else f"at init the output differs from the base layer's by {gap:.3g}")
        if part == "params":
            frozen = [n for n, p in base.named_parameters() if p.requires_grad]
            trained = sorted(n for n, p in params.items() if p.requires_grad)
            count, want = sum(params[n].numel() for n in trained), r * (n_in + n_out)
            return (f"the base layer's {frozen[0]} still requires a gradient: freeze it" if frozen
                    else f"the trainable parameters should be A and B, got {trained}"
                    if trained != ["A", "B"] else OK if count == want else
                    f"{count} trainable numbers, expected r·(in + out) = {want}")
        layer.A.data.copy_(A), layer.B.data.copy_(B)  # set by hand
        if part == "output":
            got, detour = layer(x).detach(), (x @ A.T) @ B.T  # (3, out)
            for scale, slip in ((alpha / r, OK), (1.0, "the scale α / r is missing")):
                if torch.allclose(got, plain + scale * detour, atol=1e-5, rtol=1e-4):
                    return slip
            gap = (got - plain - alpha / r * detour).abs().max().item()
            return f"the output differs from x Wᵀ + b + (α/r) x Aᵀ Bᵀ by {gap:.3g}"
        before = (layer.A.detach().clone(), layer.B.detach().clone())
        optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
        (layer(x) ** 2).sum().backward()
        optimizer.step()
        if not (torch.equal(base.weight, W) and torch.equal(base.bias, b)):
            return "a training step changed the base layer's weights: they must stay frozen"
        still = [n for n, p, old in zip("AB", (layer.A, layer.B), before) if torch.equal(p, old)]
        return f"{still[0]} did not change in a training step: no gradient?" if still else OK
    return run


def check_lora(cls: Callable) -> CheckResult:
    """Exercise 7.2: cls(base: nn.Linear, rank, alpha); forward(x (..., in)) -> x Wᵀ + b + (α/r)
    x Aᵀ Bᵀ, A (r, in) random, B (out, r) zeros, the base frozen. LoRALinear (its forward too,
    for a subclass) and add_lora are switched off."""
    off = [(lora, "LoRALinear"), (compression, "LoRALinear"), (lora, "add_lora"),
           (compression, "add_lora"), (lora.LoRALinear, "forward")]
    shapes = [(8, 6, 2, 4.0, 0), (5, 7, 1, 3.0, 1), (16, 16, 4, 2.0, 2)]
    parts = {"init": "at init: A random (r, in), B zeros (out, r), the base layer's output",
             "params": "the base frozen; only A and B train: r·(in + out) numbers",
             "output": "A and B set by hand: x Wᵀ + b + (α/r) x Aᵀ Bᵀ",
             "step": "a training step moves A and B, never the base"}
    groups = {text: [((*s, part), {}) for s in shapes] for part, text in parts.items()}
    rules = answer_key_off(_lora_rules(cls), "Exercise 7.2", off)  # forward runs inside too
    return _staged("lora", "7.2", [(rules, ("in", "out", "r", "alpha", "seed", "part"), groups)])


# ---------------------------------------------------------------- 7.3: the memory update
def _slip(prev: torch.Tensor | None, new: torch.Tensor, t: int, got: Any) -> str:
    """A known mistake of merge or concat that explains `got`, as '; looks like …', else ''."""
    if prev is None or not isinstance(got, torch.Tensor):
        return ""
    slips = [((prev + new) / 2, "the memory and the new chunk averaged 1/2 each: older chunks "
              "fade, but the running mean weighs every chunk 1/t"),
             ((1 - 1 / (t + 1)) * prev + new / (t + 1), "the new chunk weighted 1/(t + 1): "
              "step t counts from 1 and already includes this chunk"),
             (prev + new, "a sum, not a mean"), (new, "only the newest chunk kept"),
             (torch.cat([prev, new], dim=0), "joined along the batch (dim 0), not the rows")]
    return next((f"; looks like {why}" for value, why in slips if got.shape == value.shape
                 and torch.allclose(got, value, atol=1e-5, rtol=1e-4)), "")


def _stream_rules(fn: Callable, mode: str) -> Callable:
    """fn  ==>  (seed, B, k, D) -> OK, or the first of 20 chunks after which the memory differs."""
    def run(seed: int, B: int, k: int, D: int) -> str:
        chunks, memory = seeded_tensors(seed, *[(B, k, D)] * 20), None
        for t, new in enumerate(chunks, start=1):
            prev, want = memory, (torch.stack(chunks[:t]).mean(0) if mode == "merge"
                                  else torch.cat(chunks[:t], dim=1))  # (B, k, D) or (B, k·t, D)
            memory = fn(None if prev is None else prev.clone(), new.clone(), t)
            if not isinstance(memory, torch.Tensor) or memory.shape != want.shape:
                got = tuple(getattr(memory, "shape", ())) or memory
                return (f"after chunk {t} of 20: expected shape {tuple(want.shape)}, got "
                        f"{got!r:.60}" + _slip(prev, new, t, memory))
            if not torch.allclose(memory, want, atol=1e-5, rtol=1e-4):
                what = "the mean of chunks 1 … t" if mode == "merge" else "chunks 1 … t stacked"
                return (f"after chunk {t} of 20 the memory differs from {what} by "
                        f"{(memory - want).abs().max().item():.3g}" + _slip(prev, new, t, memory))
        return OK
    return run


def _bytes_rules(bytes_fn: Callable, saving_fn: Callable) -> Callable:
    """(layers, positions, d_model, bytes_per_value, chunks, chunk_len, k) -> OK or why not."""
    def run(L: int, T: int, D: int, b: int, n: int, n_len: int, k: int) -> str:
        want, got = 2 * L * T * D * b, bytes_fn(L, T, D, b)
        if not isinstance(got, int) or got != want:
            why = "; a cache keeps a key AND a value" if got in (want // 2,) and want else ""
            return f"cache_bytes: expected the int {want}, got {got!r}{why}"
        three = tuple(saving_fn(n, n_len, k, L, D, b))
        right = tuple(2 * L * rows * D * b for rows in (n * n_len, k * n, k))
        names = ("the full cache", "the concat memory", "the merge memory")
        return next((f"memory_saving: {name} should be {w} bytes, got {g!r}"
                     for name, w, g in zip(names, right, three) if w != g), OK)
    return run


def check_memory_update(merge: Callable, concat: Callable, cache_bytes: Callable,
                        memory_saving: Callable) -> CheckResult:
    """Exercise 7.3: merge / concat(memory (B, M, D) or None, new (B, k, D), step t from 1) ->
    Mem(t), run over streams of 20 chunks; cache_bytes(num_layers, positions, d_model,
    bytes_per_value) -> int; memory_saving(num_chunks, chunk_len, k, num_layers, d_model,
    bytes_per_value) -> (full, concat, merge) bytes. update_memory / kv_cache_bytes are off."""
    off = [(o, n) for o in (ccm, compression) for n in ("update_memory", "kv_cache_bytes")]
    merge, concat, cache_bytes, memory_saving = (answer_key_off(f, "Exercise 7.3", off) for f
                                                 in (merge, concat, cache_bytes, memory_saving))
    streams = [("B = 2, k = 3, D = 4", (0, 2, 3, 4)), ("B = 1, k = 1, D = 6", (1, 1, 1, 6))]
    return _staged("memory_update", "7.3", [
        (_stream_rules(merge, "merge"), ("seed", "B", "k", "D"),
         {f"merge over 20 chunks, {g}: the mean of h(1 … t)": [(c, {})] for g, c in streams}),
        (_stream_rules(concat, "concat"), ("seed", "B", "k", "D"),
         {f"concat over 20 chunks, {g}: k·t rows": [(c, {})] for g, c in streams}),
        (_bytes_rules(cache_bytes, memory_saving), ("num_layers", "positions", "d_model",
                                                    "bytes_per_value", "chunks", "chunk_len", "k"),
         {"cache_bytes and memory_saving for the lesson's LM (2 layers of width 128, float32), "
          "20 chunks of 64, k = 16: full cache 2,621,440 bytes, concat memory 655,360 (4× "
          "smaller), merge memory 32,768 (80× smaller)":
              [((2, 1280, 128, 4, 20, 64, 16), {})],
          "other sizes, fp16, and 0 positions":
              [((12, 2048, 768, 2, 8, 256, 4), {}), ((1, 0, 8, 4, 3, 5, 2), {})]})])
