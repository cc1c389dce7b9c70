"""Pass 2 of the RASP compiler: which sub-layer computes each stored quantity (Chapter 04).

Lindner et al. (2023), https://arxiv.org/abs/2301.05062, place every node of a RASP program
(Weiss et al. 2021, https://arxiv.org/abs/2106.06981) in an attention or an MLP sub-layer by
the longest path through the graph; chapter 03's `minimem.rasp.schedule` counts layers the same
way, with element-wise operations free. Here they are not quite free, but cheap:

- maps of `tokens` alone, of `indices` alone, or of nothing (constants) are folded into the
  token or position embedding: no sub-layer at all;
- every other map runs in the first MLP sub-layer after its sources exist (fusing in
  `graph.fuse` already merged chains of maps into one);
- aggregates and selector-width scratch values run in the first attention sub-layer after
  their keys, queries and values exist; those of one layer with the same selector share a head.

Sub-layer numbering (`Plan.ready`): 0 = the embedding, 2L - 1 = the attention of layer L,
2L = the MLP of layer L. One attention + one MLP sub-layer = one layer, as tracr counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .graph import Graph, Quantity


@dataclass
class Plan:
    """Where each quantity is computed. `mlps[L-1]` lists the maps of layer L's MLP;
    `heads[L-1]` lists layer L's heads, each a list of quantities sharing that head."""

    ready: dict[str, int] = field(default_factory=dict)
    embedded: list[str] = field(default_factory=list)
    mlps: list[list[str]] = field(default_factory=list)
    heads: list[list[list[str]]] = field(default_factory=list)

    @property
    def num_layers(self) -> int:
        return len(self.mlps)

    @property
    def num_heads(self) -> int:
        return max((len(h) for h in self.heads), default=0)

    def layer(self, L: int) -> None:
        """Make sure layer L exists."""
        while len(self.mlps) < L:
            self.mlps.append([])
            self.heads.append([])


def is_embedded(q: Quantity) -> bool:
    """A map of tokens alone, of indices alone or of nothing: a row of an embedding table."""
    return q.kind == "map" and (set(q.sources) <= {"tokens"} or set(q.sources) <= {"indices"})


def _input_rule(plan: Plan, graph: Graph, q: Quantity) -> int:
    return 0


def _map_rule(plan: Plan, graph: Graph, q: Quantity) -> int:
    if is_embedded(q):
        plan.embedded.append(q.name)
        return 0
    L = max(plan.ready[s] for s in q.sources) // 2 + 1  # first MLP after every source
    plan.layer(L)
    plan.mlps[L - 1].append(q.name)
    return 2 * L


def _attention_rule(plan: Plan, graph: Graph, q: Quantity) -> int:
    reads = [n for f in q.factors for n in (f.keys, f.queries)] + ([q.sop] if q.sop else [])
    L = max(plan.ready[n] for n in reads) // 2 + 1  # first attention after every input
    plan.layer(L)
    heads = plan.heads[L - 1]
    shared = next((h for h in heads if graph.quantities[h[0]].signature == q.signature), None)
    if shared is None:
        heads.append([q.name])
    else:
        shared.append(q.name)
    return 2 * L - 1


SCHEDULE: dict[str, Callable[[Plan, Graph, Quantity], int]] = {
    "input": _input_rule,
    "map": _map_rule,
    "aggregate": _attention_rule,
    "width": _attention_rule,
}


def schedule(graph: Graph) -> Plan:
    """Pass 2: assign every stored quantity (in the graph's order, sources first) a sub-layer."""
    plan = Plan()
    for q in graph.quantities.values():
        plan.ready[q.name] = SCHEDULE[q.kind](plan, graph, q)
    return plan
