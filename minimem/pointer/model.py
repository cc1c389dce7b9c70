"""Pointer Networks, the model: attention that *selects* an input position (chapter 02).

Vinyals, Fortunato & Jaitly (2015), "Pointer Networks", https://arxiv.org/abs/1506.03134.
An LSTM encoder reads the inputs P = (P_1..P_N) into states e_1..e_N; an LSTM decoder, fed the
input it pointed at last, produces states d_i; additive attention scores every input (eq. 3):

    u_j^i = v^T tanh(W1 e_j + W2 d_i),    p(C_i | C_1..C_{i-1}, P) = softmax(u^i)

so the "output vocabulary" is the set of input positions, whatever N is. `Seq2SeqAttention`
is the paper's baseline: the same encoder, decoder and attention, but the attention only
*reads* the inputs into a context, and a linear layer on [d_i; context] scores a fixed
vocabulary of V positions, so it cannot name a position >= V.

Beyond the paper: an optional bidirectional encoder, and inputs in [0, 1] centred to [-1, 1]
(`centre_inputs`, recorded in the config as `input_norm`). Which positions may be chosen at
each step (the mask mode), greedy decoding and beam search live in `minimem.pointer.decode`.

Dimension names: B batch, N input positions, T decoder steps, D input features (2 for points,
1 for numbers to sort), H hidden width, S output positions (N, or V for the baseline).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from minimem.pointer.decode import MaskMode


def centre_inputs(x: torch.Tensor) -> torch.Tensor:
    """Map inputs from [0, 1] to [-1, 1] (x -> 2x - 1). Every input path (training, greedy
    decoding, beam search) goes through `EncoderDecoder.encode`, which applies it; on the
    convex hull it shortens the loss plateau at the start of training from ~2 000 to ~500 steps."""
    return 2 * x - 1


INPUT_NORMS = {"centre": centre_inputs, "none": lambda x: x}  # config value -> function


class AdditiveAttention(nn.Module):
    """Eq. 3's scores u_j^i = v^T tanh(W1 e_j + W2 d_i), for every step i and input j."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.W1 = nn.Linear(hidden, hidden, bias=False)
        self.W2 = nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, 1, bias=False)

    def project(self, enc: torch.Tensor) -> torch.Tensor:
        """W1 e_j (B, N, H): it does not depend on the step, so compute it once per input."""
        return self.W1(enc)

    def forward(self, keys: torch.Tensor, dec: torch.Tensor) -> torch.Tensor:
        """keys = project(e) (B, N, H), decoder states d (B, T, H) -> scores u (B, T, N)."""
        hidden = torch.tanh(keys[:, None] + self.W2(dec)[:, :, None])  # (B, T, N, H)
        return self.v(hidden).squeeze(-1)  # (B, T, N)


class Memory(NamedTuple):
    """What the encoder leaves for the decoder, computed once per input sequence."""

    inputs: torch.Tensor  # (B, N, D) normalised inputs: the decoder is fed the one chosen
    states: torch.Tensor  # (B, N, H) encoder states e_j
    keys: torch.Tensor  # (B, N, H) W1 e_j of eq. 3


class EncoderDecoder(nn.Module):
    """What the Ptr-Net and the baseline share: the input normalisation, an LSTM encoder, an
    LSTM decoder fed the input chosen at the previous step (a learned "go" vector first), the
    additive attention, and the mask mode that `decode` applies."""

    def __init__(self, input_dim: int, hidden: int, mask: str, bidirectional: bool,
                 input_norm: str) -> None:
        super().__init__()
        for name, value in (("input_dim", input_dim), ("hidden", hidden)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if bidirectional and hidden % 2:
            raise ValueError(f"a bidirectional encoder needs an even hidden size, got {hidden}")
        if input_norm not in INPUT_NORMS:
            raise ValueError(f"input_norm must be one of {list(INPUT_NORMS)}, got {input_norm!r}")
        self.mask = MaskMode.parse(mask)
        self.input_dim, self.hidden = input_dim, hidden
        self.bidirectional, self.input_norm = bool(bidirectional), input_norm
        width = hidden // 2 if bidirectional else hidden  # per direction, so e_j is always H wide
        self.encoder = nn.LSTM(input_dim, width, batch_first=True, bidirectional=bidirectional)
        self.decoder = nn.LSTM(input_dim, hidden, batch_first=True)
        self.go = nn.Parameter(torch.empty(input_dim).uniform_(-1, 1))
        self.attention = AdditiveAttention(hidden)

    @property
    def config(self) -> dict:
        """The keyword arguments that rebuild this model (what a checkpoint records)."""
        return {"input_dim": self.input_dim, "hidden": self.hidden, "mask": self.mask.value,
                "bidirectional": self.bidirectional, "input_norm": self.input_norm}

    def output_size(self, n: int) -> int:
        """How many positions the output layer can name for N inputs."""
        return n

    def _check_inputs(self, x: object) -> None:
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.input_dim \
                or x.shape[1] < 1 or x.shape[0] < 1:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (B, N, {self.input_dim}) with B, N >= 1, got {got}")
        if x.dtype != self.go.dtype:
            raise TypeError(f"x must be a {self.go.dtype} tensor like the model, got {x.dtype}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError("x must hold finite numbers (it has NaN or inf)")

    def _check_targets(self, targets: object, x: torch.Tensor) -> None:
        B, N = x.shape[:2]
        S = self.output_size(N)
        if not isinstance(targets, torch.Tensor) or targets.dtype != torch.long \
                or targets.dim() != 2 or targets.shape[0] != B or targets.shape[1] < 1:
            got = (f"{tuple(targets.shape)} {targets.dtype}" if isinstance(targets, torch.Tensor)
                   else type(targets).__name__)
            raise ValueError(f"targets must be a (B={B}, T) LongTensor, got {got}")
        bad = (targets != -100) & ((targets < 0) | (targets >= S))
        if bool(bad.any()):
            raise ValueError(f"targets must be positions 0..{S - 1} (or -100 after the end), "
                             f"got {targets[bad][:5].tolist()}")

    def encode(self, x: torch.Tensor) -> tuple[Memory, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, N, D) raw inputs -> the decoder's `Memory` and initial (h, c), each (1, B, H).
        The one place where inputs are normalised."""
        self._check_inputs(x)
        inputs = INPUT_NORMS[self.input_norm](x)  # (B, N, D)
        enc, (h, c) = self.encoder(inputs)  # (B, N, H)
        if self.bidirectional:  # (2, B, H/2) -> (1, B, H): both directions' final states
            h, c = (torch.cat([s[0], s[1]], dim=-1)[None] for s in (h, c))
        return Memory(inputs, enc, self.attention.project(enc)), (h, c)

    def scores(self, memory: Memory, dec: torch.Tensor) -> torch.Tensor:
        """Scores (B, T, S) of every output position for decoder states dec (B, T, H)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: x (B, N, D), targets (B, T) 0-based, -100 after the end. Returns the
        scores (B, T, S) before the step mask (`decode.teacher_forcing_mask` gives it)."""
        memory, state = self.encode(x)
        self._check_targets(targets, x)
        B, N, _ = x.shape
        safe = targets[:, :-1].clamp(0, N - 1)  # padding points at a real input; ignored later
        prev = torch.gather(memory.inputs, 1, safe[..., None].expand(-1, -1, self.input_dim))
        dec_in = torch.cat([self.go.expand(B, 1, -1), prev], dim=1)  # (B, T, D)
        dec, _ = self.decoder(dec_in, state)  # (B, T, H)
        return self.scores(memory, dec)  # (B, T, S)


class PointerNet(EncoderDecoder):
    """The Ptr-Net: the output at each step is attention over the N input positions (eq. 3)."""

    def __init__(self, input_dim: int = 2, hidden: int = 128, mask: str = "cycle",
                 bidirectional: bool = False, input_norm: str = "centre") -> None:
        super().__init__(input_dim, hidden, mask, bidirectional, input_norm)

    def scores(self, memory: Memory, dec: torch.Tensor) -> torch.Tensor:
        return self.attention(memory.keys, dec)  # (B, T, N): u_j^i, eq. 3


class Seq2SeqAttention(EncoderDecoder):
    """The baseline: attention reads the inputs into a context d'_i, and a linear layer on
    [d_i; d'_i] scores a FIXED vocabulary of V positions — positions >= V cannot be output."""

    def __init__(self, input_dim: int = 1, hidden: int = 128, vocab: int = 10,
                 mask: str = "permutation", bidirectional: bool = False,
                 input_norm: str = "centre") -> None:
        super().__init__(input_dim, hidden, mask, bidirectional, input_norm)
        if not isinstance(vocab, int) or vocab < 1:
            raise ValueError(f"vocab must be a positive int, got {vocab!r}")
        self.vocab = vocab
        self.out = nn.Linear(2 * hidden, vocab)

    @property
    def config(self) -> dict:
        return {**super().config, "vocab": self.vocab}

    def output_size(self, n: int) -> int:
        return self.vocab

    def scores(self, memory: Memory, dec: torch.Tensor) -> torch.Tensor:
        a = torch.softmax(self.attention(memory.keys, dec), dim=-1)  # (B, T, N)
        context = torch.einsum("btn,bnh->bth", a, memory.states)  # (B, T, H): d'_i
        return self.out(torch.cat([dec, context], dim=-1))  # (B, T, V)
