"""Pointer Networks, decoding: the step mask, greedy decoding and beam search (chapter 02).

Vinyals, Fortunato & Jaitly (2015), "Pointer Networks", https://arxiv.org/abs/1506.03134.
The paper decodes with beam search and no constraint on the answer. Beyond the paper, a
*mask mode* says which positions may be chosen at each step:

- "none": any position that exists (the paper's setting);
- "permutation": each position once (sorting);
- "cycle": each position once, except the first, which may be chosen again from step 3 on
  to close the polygon (convex hull).

`allowed` is the one step-mask rule, written in the course's convention (True = may be
chosen, `minimem.attention`): greedy decoding, beam search and teacher forcing (training, and
`pointer_weights` for plots) all call it, for the Ptr-Net and the baseline alike.

Dimension names: B batch, N input positions, S output positions (N, or V for the baseline),
T decoder steps, K beams per example.
"""

from __future__ import annotations

from enum import Enum

import torch
import torch.nn.functional as F

from minimem.attention import masked_log_softmax, masked_softmax


class MaskMode(str, Enum):
    """Which positions a decoder may choose at each step (see the module docstring)."""

    NONE = "none"
    PERMUTATION = "permutation"
    CYCLE = "cycle"

    @classmethod
    def parse(cls, mode: "MaskMode | str") -> "MaskMode":
        try:
            return cls(mode)
        except ValueError:
            raise ValueError(f"mask must be one of {[m.value for m in cls]}, got {mode!r}") from None


CLOSE_FROM_STEP = 3  # a polygon needs 3 corners before it may return to its start


def allowed(mode: MaskMode, exists: torch.Tensor, used: torch.Tensor,
            start: torch.Tensor | None = None, step: int | torch.Tensor = 0) -> torch.Tensor:
    """THE step-mask rule: True where a position may be chosen at decoder step `step` (0-based).

    exists (S,): positions that exist (the baseline's vocabulary can be longer than N);
    used (..., S): positions chosen before this step; start (..., S): the first chosen
    position, one-hot (None before it is known); step: an int, or a tensor broadcastable to
    used[..., :1] (one step per row, for teacher forcing). Returns (..., S) bool. A step is
    never left with nothing to choose: then every position is allowed.
    """
    if mode is MaskMode.NONE:
        may = exists.expand_as(used)
    else:
        may = exists & ~used  # (..., S)
        if mode is MaskMode.CYCLE and start is not None:
            may = may | (start & (torch.as_tensor(step) >= CLOSE_FROM_STEP))  # close the polygon
    return may | ~may.any(dim=-1, keepdim=True)


def steps_for(mode: MaskMode, n: int, max_steps: int | None = None) -> int:
    """How many decoder steps at most: N for a permutation, N + 1 for a closed tour."""
    if max_steps is not None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        return max_steps
    return n if mode is MaskMode.PERMUTATION else n + 1


def _ends(mode: MaskMode, choice: torch.Tensor, first: torch.Tensor, step: int,
          last_step: int) -> torch.Tensor:
    """Which answers are complete after `choice`: a permutation after its last position, a
    tour (or an unmasked answer) when it returns to its first position."""
    if mode is MaskMode.PERMUTATION:
        return torch.full_like(choice, step == last_step, dtype=torch.bool)
    return (choice == first) & (step > 0)


def teacher_forcing_mask(mode: MaskMode, targets: torch.Tensor, n: int, size: int) -> torch.Tensor:
    """`allowed` at every step of known answers. targets (B, T) 0-based, -100 after the end;
    n inputs, size output positions. Returns (B, T, S) bool."""
    chosen = (F.one_hot(targets.clamp(0, size - 1), size) * (targets >= 0)[..., None])  # (B, T, S)
    used = (chosen.cumsum(dim=1) - chosen) > 0  # (B, T, S): chosen before step t
    step = torch.arange(targets.shape[1])[:, None]  # (T, 1)
    return allowed(mode, torch.arange(size) < n, used, chosen[:, :1].bool(), step)


def pointer_weights(model, x: torch.Tensor, sequences: list[list[int]]) -> torch.Tensor:
    """The pointer distribution p(C_i | C_<i, P) at every step of the given answers (0-based,
    one per example), masked by the model's rule: (B, T, S), rows past an answer's end are 0.
    With the greedy answers these are the weights greedy decoding chose from (for plots)."""
    if len(sequences) != len(x) or not all(len(s) for s in sequences):
        raise ValueError(f"sequences must give one non-empty answer per example ({len(x)}), "
                         f"got {len(sequences)}")
    targets = torch.full((len(x), max(map(len, sequences))), -100, dtype=torch.long)
    for b, seq in enumerate(sequences):
        targets[b, : len(seq)] = torch.tensor(seq)
    with torch.no_grad():
        u = model(x, targets)  # (B, T, S)
    mask = teacher_forcing_mask(model.mask, targets, x.shape[1], u.shape[-1])
    return masked_softmax(u, mask) * (targets >= 0)[..., None]


@torch.no_grad()
def greedy(model, x: torch.Tensor, max_steps: int | None = None) -> list[list[int]]:
    """Greedy decoding: at each step the most probable allowed position. x (B, N, D) ->
    one list of 0-based positions per example ("cycle": closed, the start repeated last).
    Once a quarter of the batch has finished, the finished examples leave it."""
    memory, state = model.encode(x)  # W1 e_j computed once, here
    B, N = x.shape[:2]
    S, T = model.output_size(N), steps_for(model.mask, N, max_steps)
    exists, used = torch.arange(S) < N, torch.zeros(B, S, dtype=torch.bool)
    out, length = torch.zeros(B, T, dtype=torch.long), torch.full((B,), T)
    rows, done = torch.arange(B), torch.zeros(B, dtype=torch.bool)  # the batch's examples
    inp, start, first = model.go.expand(B, 1, -1), None, None
    for t in range(T):
        dec, state = model.decoder(inp, state)  # (A, 1, H), A = len(rows)
        u = model.scores(memory, dec)[:, 0]  # (A, S)
        choice = masked_log_softmax(u, allowed(model.mask, exists, used, start, t)).argmax(-1)
        out[rows, t] = choice
        if t == 0:
            first, start = choice, F.one_hot(choice, S).bool()
        used[torch.arange(len(rows)), choice] = True
        ends = _ends(model.mask, choice, first, t, min(N, S) - 1) & ~done  # (A,)
        length[rows[ends]], done = t + 1, done | ends
        if bool(done.all()):
            break
        if 4 * int(done.sum()) >= len(rows):  # drop the finished examples from the batch
            keep = (~done).nonzero().squeeze(1)
            rows, choice, first, used, start, done = (
                v[keep] for v in (rows, choice, first, used, start, done))
            memory = type(memory)(*(m[keep] for m in memory))
            state = tuple(s[:, keep] for s in state)
        inp = memory.inputs[torch.arange(len(rows)), choice.clamp(max=N - 1)][:, None]  # (A, 1, D)
    return [seq[:k] for seq, k in zip(out.tolist(), length.tolist())]


@torch.no_grad()
def beam_search(model, x: torch.Tensor, beam: int = 4, max_steps: int | None = None) -> list[list[int]]:
    """Beam search, all examples at once (B examples x K beams in one batch). Keeps the K most
    probable partial answers per example; an example stops when no live beam is left or its
    best finished answer beats every live one. x (B, N, D) -> 0-based positions per example."""
    if not isinstance(beam, int) or beam < 1:
        raise ValueError(f"beam must be an int >= 1, got {beam!r}")
    memory, state = model.encode(x)  # encode (and W1 e_j) once per example
    B, N, K = x.shape[0], x.shape[1], beam
    S, T = model.output_size(N), steps_for(model.mask, N, max_steps)
    memory = type(memory)(*(m.repeat_interleave(K, dim=0) for m in memory))  # (B*K, ...)
    state = tuple(s.repeat_interleave(K, dim=1) for s in state)  # (1, B*K, H)
    logp = torch.full((B, K), float("-inf"))
    logp[:, 0] = 0.0  # one live beam per example to begin with; -inf = empty slot
    seqs = torch.zeros(B, K, 0, dtype=torch.long)
    exists, used = torch.arange(S) < N, torch.zeros(B * K, S, dtype=torch.bool)
    inp, finished = model.go.expand(B * K, 1, -1), [[] for _ in range(B)]
    base = (torch.arange(B) * K)[:, None]  # (B, 1): first row of each example
    for t in range(T):
        dec, state = model.decoder(inp, state)  # (B*K, 1, H)
        u = model.scores(memory, dec)[:, 0]  # (B*K, S)
        start = F.one_hot(seqs[..., 0].flatten(), S).bool() if t else None
        lp = masked_log_softmax(u, allowed(model.mask, exists, used, start, t))  # (B*K, S)
        total = (logp[..., None] + lp.view(B, K, S)).view(B, K * S)
        score, flat = total.topk(K, dim=1)  # (B, K) best candidates, best first
        parent, choice = flat // S, flat % S
        cand = torch.cat([seqs.gather(1, parent[..., None].expand(-1, -1, t)),
                          choice[..., None]], dim=2)  # (B, K, t + 1)
        real = score > float("-inf")
        ends = real & _ends(model.mask, choice, cand[..., 0], t, min(N, S) - 1)
        for b, k in ends.nonzero().tolist():
            finished[b].append((float(score[b, k]), cand[b, k].tolist()))
        keep = real & ~ends
        best_done = torch.tensor([max(f)[0] if len(f) >= K else float("-inf") for f in finished])
        stop = ~keep.any(dim=1) | (best_done >= score[:, 0])  # live beams only lose probability
        order = torch.sort((~keep).to(torch.int8), dim=1, stable=True).indices  # kept first
        parent, choice, seqs = parent.gather(1, order), choice.gather(1, order), cand.gather(
            1, order[..., None].expand_as(cand))
        logp = score.gather(1, order).masked_fill(~keep.gather(1, order) | stop[:, None], float("-inf"))
        if bool(stop.all()):
            break
        rows = (base + parent).flatten()  # (B*K,) the row each new beam continues
        state = tuple(s[:, rows] for s in state)
        used = used[rows]
        used[torch.arange(B * K), choice.flatten()] = True
        inp = memory.inputs[torch.arange(B * K), choice.flatten().clamp(max=N - 1)][:, None]
    return [max(f)[1] if f else seqs[b, 0].tolist() for b, f in enumerate(finished)]
