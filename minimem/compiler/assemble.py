"""Pass 5 of the RASP compiler: blocks into a `minimem.transformer` model (Chapter 04).

Lindner et al. (2023), "Tracr: Compiled Transformers as a Laboratory for Interpretability",
https://arxiv.org/abs/2301.05062, assemble the blocks of a RASP program (Weiss et al. 2021,
https://arxiv.org/abs/2106.06981) into an ordinary transformer whose weights are set, not
trained. Ours is the course's one `Transformer`: no layer norm, ReLU MLPs, no biases (the
`one` dimension plays their part), not causal (a selector sees the whole sequence), float64
(the sharp softmax then leaves errors near 1e-40, far below every decision threshold).

Token id 0 is BOS; token `vocab[i]` (sorted) is id i + 1. The embedding writes `one`, `bos`,
the token's one-hot and every map folded into the embedding; the position embedding writes
the index one-hot (position p + 1 holds index p) and the folded maps of indices. The head
(unembedding) reads the output subspace: logit k is the output's k-th value (categorical) or
logit 0 is the number (numerical).
"""

from __future__ import annotations

import torch

from minimem.transformer import Transformer, TransformerConfig

from .graph import Graph
from .heads import head_matrices, head_weights, head_width
from .layout import Layout
from .mlp import map_mlp
from .schedule import Plan


def _embed(model: Transformer, layout: Layout, graph: Graph, plan: Plan) -> None:
    tokens = graph.quantities["tokens"].values
    tok = torch.zeros_like(model.tok_emb.weight)  # (V, D)
    pos = torch.zeros_like(model.pos_emb.weight)  # (max_len, D)
    tok[0, layout.dim("bos", None)] = 1.0
    for i, t in enumerate(tokens):
        tok[i + 1] = layout.encode("tokens", t)
        tok[i + 1, layout.dim("one", None)] = 1.0
    for p in range(graph.max_seq_len):
        pos[p + 1] = layout.encode("indices", p)
    for name in plan.embedded:
        q = graph.quantities[name]
        if q.sources == ("indices",):
            for p in range(graph.max_seq_len):
                pos[p + 1] += layout.encode(name, q.fn(p))
        else:  # a map of tokens, or a constant
            for i, t in enumerate(tokens):
                tok[i + 1] += layout.encode(name, q.fn(t) if q.sources else q.fn())
    model.tok_emb.weight.copy_(tok)
    model.pos_emb.weight.copy_(pos)


def _unembed(model: Transformer, layout: Layout, graph: Graph) -> None:
    head = torch.zeros_like(model.head.weight)  # (V, D)
    for k, i in enumerate(layout.subspace(graph.output)):
        head[k, i] = 1.0
    model.head.weight.copy_(head)


Weights = dict[tuple, tuple[torch.Tensor, torch.Tensor]]  # (QK, OV) or (W_in, W_out)


def _blocks(model: Transformer, layout: Layout, plan: Plan, coldness: float,
            heads: Weights, mlps: Weights) -> None:
    d = model.config.d_head
    for L, block in enumerate(model.blocks):
        attn = block.attn
        for h in range(len(plan.heads[L])):
            W_q, W_k, W_v, W_o = head_weights(layout, *heads[L, h], d, coldness)
            rows = slice(h * d, (h + 1) * d)
            attn.q_proj.weight[rows] = W_q
            attn.k_proj.weight[rows] = W_k
            attn.v_proj.weight[rows] = W_v
            attn.out_proj.weight[:, rows] = W_o
        start = 0
        for name in plan.mlps[L]:
            W_in, W_out = mlps[name]  # (U, D), (D, U)
            block.mlp.fc_in.weight[start: start + len(W_in)] = W_in
            block.mlp.fc_out.weight[:, start: start + len(W_in)] = W_out
            start += len(W_in)


def _config(layout: Layout, graph: Graph, plan: Plan, heads: Weights,
            mlps: Weights) -> TransformerConfig:
    widths = [head_width(QK, OV) for QK, OV in heads.values()]
    units = [sum(len(mlps[n][0]) for n in names) for names in plan.mlps]
    return TransformerConfig(
        vocab_size=max(len(graph.quantities["tokens"].values) + 1,
                       len(layout.subspace(graph.output))),
        d_model=len(layout), num_heads=max(plan.num_heads, 1), num_layers=plan.num_layers,
        d_head=max(widths, default=1), d_ff=max(units, default=1) or 1, activation="relu",
        layer_norm=False, causal=False, max_len=graph.max_seq_len + 1, bias=False)


@torch.no_grad()
def assemble(graph: Graph, plan: Plan, layout: Layout, coldness: float) -> Transformer:
    """Pass 5: a `Transformer` (float64, eval mode) with every weight set by hand."""
    mlps = {n: map_mlp(layout, graph, n) for names in plan.mlps for n in names}
    heads = {(L, h): head_matrices(layout, graph, names)
             for L, layer in enumerate(plan.heads) for h, names in enumerate(layer)}
    config = _config(layout, graph, plan, heads, mlps)
    model = Transformer(config).to(torch.float64).eval()
    for p in model.parameters():
        p.zero_()
    _embed(model, layout, graph, plan)
    _blocks(model, layout, plan, coldness, heads, mlps)
    _unembed(model, layout, graph)
    return model
