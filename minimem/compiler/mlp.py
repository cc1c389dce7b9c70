"""Pass 4a of the RASP compiler: element-wise operations as exact lookup-table MLPs (Chapter 04).

Lindner et al. (2023), https://arxiv.org/abs/2301.05062, section 3: a categorical `Map` of
RASP (Weiss et al. 2021, https://arxiv.org/abs/2106.06981) is a table, and an MLP with one
hidden ReLU unit per input value looks it up; a numerical input goes through a hidden layer
that discretises it. One function here does both, for any fused map (`graph.fuse`) of k
categorical sources c₁..c_k (one-hot) and numerical sources merged into one number z
(`tables.numeric_axis`) whose possible values are z₀ < z₁ < … < z_m.

For each combination γ = (a₁, …, a_k) of categorical values, match(γ) = Σᵢ onehot(cᵢ)[aᵢ]
equals k exactly when every source takes its value in γ, and at most k - 1 otherwise. Then

    base unit     relu(match(γ) - (k - 1))                                    = [γ]
    step at z_j   relu(s·(z - t) + 1 - B·(k - match)) - relu(s·(z - t) - B·(k - match))
                  = [γ] · [z ≥ t],   t = (z_{j-1} + z_j) / 2,   s = 4 / (z_j - z_{j-1})

(B is large enough to switch a step off when γ does not match), and the output is
Σ_γ ( enc f(γ, z₀)·base + Σ_j (enc f(γ, z_j) - enc f(γ, z_{j-1}))·step_j ), a telescoping sum
equal to enc f(γ, z) (enc = one-hot, or the number itself). Steps where f does not change are
left out. Constants are multiples of the `one` dimension, so the MLP needs no biases; every
hidden unit also reads `bos` with the weight that makes it -1 at the BOS position, whatever
else BOS holds: the MLP writes nothing there.
"""

from __future__ import annotations

import torch

from .graph import Graph
from .layout import Layout
from .tables import numeric_axis, table_plan


def _z_row(layout: Layout, graph: Graph, nums: list[str]) -> torch.Tensor:
    """(D,) the read-out z = Σ c_k x_k of the numerical sources."""
    coefs, _ = numeric_axis([graph.quantities[n].values for n in nums])
    row = torch.zeros(len(layout), dtype=torch.float64)
    for c, n in zip(coefs, nums):
        row[layout.dim(n)] += c
    return row


def map_mlp(layout: Layout, graph: Graph, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The MLP computing stored map `name` from its sources: (W_in (U, D), W_out (D, U))."""
    q = graph.quantities[name]
    cats, nums, points, rows = table_plan(graph.quantities, q.sources, q.fn)
    one, k = layout.dim("one", None), len(cats)
    zs = [z for z, _ in points]
    z_row = _z_row(layout, graph, nums) if nums else None
    big = 4.0 * (zs[-1] - zs[0]) / min((b - a for a, b in zip(zs, zs[1:])), default=1) + 2
    ins, outs = [], []
    for combo, first, changes in rows:
        match = torch.zeros(len(layout), dtype=torch.float64)  # (D,)
        for c, a in zip(cats, combo):
            match[layout.dim(c, a)] += 1.0
        base = match.clone()
        base[one] -= k - 1
        ins.append(base)
        outs.append(layout.encode(name, first))
        previous = first
        for j, value in changes:
            s, t = 4.0 / (zs[j] - zs[j - 1]), (zs[j] + zs[j - 1]) / 2
            ramp = big * match + s * z_row  # s·z - B·(k - match) ...
            ramp[one] += -s * t - big * k  # ... - s·t, constants through `one`
            upper = ramp.clone()
            upper[one] += 1.0
            delta = layout.encode(name, value) - layout.encode(name, previous)
            ins += [upper, ramp]
            outs += [delta, -delta]
            previous = value
    W_in = torch.stack(ins)  # (U, D)
    W_out = torch.stack(outs, dim=1)  # (D, U)
    # At BOS the residual is at_bos + bos: make every pre-activation exactly -1 there.
    W_in[:, layout.dim("bos", None)] = -1.0 - W_in @ layout.at_bos  # (U,)
    return W_in, W_out
