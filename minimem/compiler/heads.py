"""Pass 4b of the RASP compiler: `Select` + `Aggregate` and `SelectorWidth` as heads (Chapter 04).

Lindner et al. (2023), https://arxiv.org/abs/2301.05062, section 3, turn a RASP selector
(Weiss et al. 2021, https://arxiv.org/abs/2106.06981) into attention with a bilinear score
matrix and a softmax made sharp by a large factor λ ("coldness"). With a BOS position:

    score(query i, key j) = Σ_factors [test(key_j, query_i)] - (#factors - 1)
        = 1 where the selector holds, ≤ 0 where it does not,
    score(query i, BOS)   = ½ for an aggregate (BOS wins only when nothing is selected),
                          = 1 for a selector width (BOS shares the weight with the w keys),
    score(BOS, BOS)       = 1, every other score of the BOS query 0 (BOS reads itself).

Written as one matrix QK (D, D) with score = (C x_i)ᵀ QK (C x_j), C = `layout.cleaner`.
The values: an aggregate copies its s-op's one-hot (categorical: a mean of equal one-hots is
that one-hot) or number (numerical: the mean) into its own subspace, and BOS contributes the
default, so "nothing selected" reads the default. A selector width reads 1 from BOS only:
the query gets 1/(w + 1) (the MLP in `mlp.py` turns that into w). As a matrix, OV (D, D):
out = OV (C x). `head_weights` factors QK and OV into q/k/v/o projections of one head.
"""

from __future__ import annotations

import torch

from minimem.rasp import NUMERICAL

from .graph import Graph, Quantity
from .layout import Layout, cleaner


def _holds(test, key, query) -> bool:
    """The predicate on one pair of possible values. A comparison that fails (say None < 0,
    where None is a default that a program never actually compares) counts as not selected;
    `rasp.evaluate` would raise on an input where it happens."""
    try:
        return bool(test(key, query))
    except Exception:  # noqa: BLE001 - any failure of a user predicate means "no"
        return False


def score_matrix(layout: Layout, q: Quantity) -> torch.Tensor:
    """QK (D, D): score = xᵢᵀ QK xⱼ for cleaned residual vectors (query i, key j)."""
    D = len(layout)
    one, bos = layout.dim("one", None), layout.dim("bos", None)
    QK = torch.zeros(D, D, dtype=torch.float64)
    for f in q.factors:
        keys, queries = layout.values[f.keys], layout.values[f.queries]
        for qv in queries:
            for kv in keys:
                if _holds(f.test, kv, qv):
                    QK[layout.dim(f.queries, qv), layout.dim(f.keys, kv)] += 1.0
    QK[one, one] -= len(q.factors) - 1
    QK[one, bos] = 1.0 if q.kind == "width" else 0.5
    QK[bos, bos] = 1.0
    return QK


def value_matrix(layout: Layout, graph: Graph, q: Quantity) -> torch.Tensor:
    """OV (D, D): what a position contributes to quantity `q` when attended to."""
    OV = torch.zeros(len(layout), len(layout), dtype=torch.float64)
    bos = layout.dim("bos", None)
    if q.kind == "width":
        OV[layout.dim(q.name), bos] = 1.0
        return OV
    sop = graph.quantities[q.sop]
    for v in sop.values:
        src = layout.dim(sop.name, v)
        if q.encoding == NUMERICAL:
            OV[layout.dim(q.name), src] = float(v)  # a number, or a one-hot read as a number
        else:
            OV[layout.dim(q.name, v), src] = 1.0
    OV[:, bos] = layout.encode(q.name, q.default)
    return OV


def head_matrices(layout: Layout, graph: Graph, names: list[str],
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(QK, OV) of one head computing `names` (quantities that share a selector)."""
    QK = score_matrix(layout, graph.quantities[names[0]])
    OV = sum(value_matrix(layout, graph, graph.quantities[n]) for n in names)
    return QK, OV


def head_width(QK: torch.Tensor, OV: torch.Tensor) -> int:
    """The head dimension a head needs: max(#key features, #value features)."""
    return max(int((QK.abs().sum(0) > 0).sum()), int((OV.abs().sum(0) > 0).sum()))


def head_weights(layout: Layout, QK: torch.Tensor, OV: torch.Tensor, d_head: int,
                 coldness: float) -> tuple[torch.Tensor, ...]:
    """(W_q, W_k, W_v (d_head, D), W_o (D, d_head)) of the head with matrices QK and OV.
    The model divides scores by √d_head: W_q is scaled back up."""
    C = cleaner(layout)
    kcols = QK.abs().sum(dim=0).nonzero().flatten()  # key features used
    vcols = OV.abs().sum(dim=0).nonzero().flatten()  # value features used
    D = len(layout)
    W_q, W_k, W_v = (torch.zeros(d_head, D, dtype=torch.float64) for _ in range(3))
    W_o = torch.zeros(D, d_head, dtype=torch.float64)
    W_q[: len(kcols)] = QK[:, kcols].T @ C * coldness * d_head ** 0.5  # (F, D)
    W_k[: len(kcols)] = C[kcols]  # (F, D)
    W_v[: len(vcols)] = C[vcols]  # (G, D)
    W_o[:, : len(vcols)] = OV[:, vcols]  # (D, G)
    return W_q, W_k, W_v, W_o
