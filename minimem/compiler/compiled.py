"""`compile_rasp`: a RASP program in, a transformer with hand-set weights out (Chapter 04).

The passes, one file each, as in tracr (Lindner et al. 2023, https://arxiv.org/abs/2301.05062;
RASP: Weiss et al. 2021, https://arxiv.org/abs/2106.06981):

    lower.build_graph   program -> stored quantities, value sets, fused element-wise maps
    schedule.schedule   each quantity -> the embedding, an attention or an MLP sub-layer
    layout.make_layout  named residual subspaces (one, bos, one-hots, numbers)
    heads / mlp         the weights of every head and MLP, in those coordinates
    assemble.assemble   embeddings + blocks + unembedding -> `minimem.transformer.Transformer`

`CompiledModel.run(tokens)` gives the same list as `minimem.rasp.evaluate(program, tokens)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from minimem.rasp import CATEGORICAL, NUMERICAL, RASPExpr
from minimem.transformer import Transformer

from .assemble import assemble
from .graph import MAX_MLP_UNITS, Graph, sort_values
from .layout import Layout, make_layout
from .lower import build_graph
from .schedule import Plan, schedule

COLDNESS = 100.0  # softmax sharpness λ: unselected keys get weight below e^-50


@dataclass
class CompiledModel:
    """A compiled RASP program: `model` (the transformer) and what it takes to read it."""

    program: RASPExpr
    model: Transformer
    graph: Graph
    plan: Plan
    layout: Layout

    @property
    def num_layers(self) -> int:
        return self.model.config.num_layers

    @property
    def num_heads(self) -> int:
        return self.plan.num_heads

    @property
    def d_model(self) -> int:
        return self.model.config.d_model

    @property
    def num_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def token_ids(self, tokens: Sequence) -> torch.Tensor:
        """(1, N + 1) ids: BOS (0), then each token's id; a clear error for bad input."""
        tokens = list(tokens)
        vocab = self.graph.quantities["tokens"].values
        if not 1 <= len(tokens) <= self.graph.max_seq_len:
            raise ValueError(f"tokens: this model was compiled for 1..{self.graph.max_seq_len} "
                             f"tokens (max_seq_len), got {len(tokens)}")
        ids = {t: i + 1 for i, t in enumerate(vocab)}
        for pos, t in enumerate(tokens):
            if t not in ids:
                raise ValueError(f"tokens: {t!r} at position {pos} is not in the compiled "
                                 f"vocabulary {vocab}")
        return torch.tensor([[0] + [ids[t] for t in tokens]])

    @torch.no_grad()
    def run(self, tokens: Sequence) -> list:
        """The program's output on `tokens`, read from the logits (BOS dropped)."""
        if len(tokens) == 0:
            return []
        out = self.model(self.token_ids(tokens))
        self._check_aggregates(out.hidden_states[-1][0])
        return self._read_output(out.logits[0, 1:])  # (N, V)

    def _read_output(self, logits: torch.Tensor) -> list:
        name = self.graph.output
        values = self.layout.values[name]
        if self.layout.encoding[name] == NUMERICAL:
            table = torch.tensor([float(v) for v in values], dtype=logits.dtype)
            return [values[int(k)] for k in (logits[:, :1] - table).abs().argmin(dim=1)]
        return [values[int(k)] for k in logits[:, : len(values)].argmax(dim=1)]

    def _check_aggregates(self, hidden: torch.Tensor) -> None:
        """A categorical aggregate that selected several different values holds a mixture of
        one-hots, not one: the same error as `rasp.evaluate` gives."""
        for q in self.graph.quantities.values():
            if q.kind != "aggregate" or q.encoding != CATEGORICAL:
                continue
            block = hidden[1:, self.layout.subspace(q.name)]  # (N, values)
            bad = (block.max(dim=1).values < 1 - 1e-6).nonzero().flatten()
            if len(bad):
                raise ValueError(f"Aggregate {q.name!r}: query position {int(bad[0])} selects "
                                 "several different values; a categorical aggregate must "
                                 "select one value")

    @torch.no_grad()
    def residuals(self, tokens: Sequence) -> list[dict[str, list]]:
        """Every layer's residual stream decoded by subspace: entry 0 is the embedding, entry
        L the stream after layer L; each maps a quantity to its values at the input
        positions (BOS dropped), or None where no sub-layer has written it yet."""
        hidden = self.model(self.token_ids(tokens)).hidden_states
        decoded = []
        for L, h in enumerate(hidden):
            decoded.append({name: self.layout.decode(h[0], name)[1:]
                            if self.plan.ready[name] <= 2 * L else None
                            for name in self.graph.quantities})
        return decoded


def compile_rasp(program: RASPExpr, vocab: Any, max_seq_len: int, *,
                 max_mlp_units: int = MAX_MLP_UNITS, coldness: float = COLDNESS,
                 ) -> CompiledModel:
    """Compile `program` for inputs over `vocab` of length 1..max_seq_len into a transformer
    that computes it exactly. Raises `CompileError` (a ValueError) naming the node and why
    when a construct cannot be compiled."""
    vocab = sort_values(set(vocab))
    if not vocab:
        raise ValueError("vocab: expected at least one token, got none")
    if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, int) or max_seq_len < 1:
        raise ValueError(f"max_seq_len: expected an int >= 1, got {max_seq_len!r}")
    graph = build_graph(program, vocab, max_seq_len, max_mlp_units)
    plan = schedule(graph)
    layout = make_layout(graph)
    model = assemble(graph, plan, layout, coldness)
    return CompiledModel(program, model, graph, plan, layout)
