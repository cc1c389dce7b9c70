"""Pass 3 of the RASP compiler: the residual stream's named subspaces (Chapter 04).

As in tracr (Lindner et al. 2023, https://arxiv.org/abs/2301.05062, section 3), every
dimension of the residual stream has a name, so any intermediate value of the RASP program
(Weiss et al. 2021, https://arxiv.org/abs/2106.06981) can be read back by name:

- `one`: 1 at every input position (the biases of the hand-set weights read it), 0 at BOS;
- `bos`: 1 at the beginning-of-sequence position only;
- a categorical quantity: one dimension per value (a one-hot code), labelled (name, value);
- a numerical quantity: one dimension holding the number, labelled (name, NUMBER).

The BOS position is not an input position: `at_bos` records what each dimension holds there
(attention writes the defaults of aggregates at BOS). Every block reads its inputs as
x - at_bos · x[bos], "cleaned", so that BOS looks empty to it.

Shapes: T positions (BOS first), D = d_model = len(dims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from minimem.rasp import NUMERICAL

from .graph import Graph

NUMBER = "#"  # the label of a numerical quantity's one dimension


@dataclass
class Layout:
    """Named dimensions of the residual stream: `dims[i] = (quantity, value or NUMBER)`."""

    dims: list[tuple[str, Any]] = field(default_factory=list)
    encoding: dict[str, str] = field(default_factory=dict)
    values: dict[str, list] = field(default_factory=dict)
    at_bos: torch.Tensor | None = None  # (D,)

    def __len__(self) -> int:
        return len(self.dims)

    def dim(self, name: str, value: Any = NUMBER) -> int:
        """The index of dimension (name, value); a numerical quantity has one, (name, NUMBER)."""
        return self._index[(name, NUMBER if self.encoding.get(name) == NUMERICAL else value)]

    def subspace(self, name: str) -> list[int]:
        """The dimensions of quantity `name`, in the order of its values."""
        return [i for i, (n, _) in enumerate(self.dims) if n == name]

    def encode(self, name: str, value: Any) -> torch.Tensor:
        """The residual vector (D,) that stores `value` in quantity `name`."""
        vec = torch.zeros(len(self.dims), dtype=torch.float64)
        if self.encoding.get(name) == NUMERICAL:
            vec[self.dim(name)] = float(value)
        else:
            vec[self.dim(name, value)] = 1.0
        return vec

    def decode(self, hidden: torch.Tensor, name: str) -> list:
        """The value of `name` at each position of `hidden` (T, D) (BOS included): the value
        of the largest one-hot entry (None if all are below 1/2), or the number nearest to
        one of the quantity's possible values."""
        values = self.values[name]
        block = hidden[:, self.subspace(name)]  # (T, len(values)) or (T, 1)
        if self.encoding[name] == NUMERICAL:
            table = torch.tensor([float(v) for v in values], dtype=hidden.dtype)
            nearest = (block - table[None, :]).abs().argmin(dim=1)  # (T,)
            return [values[int(k)] for k in nearest]
        top, arg = block.max(dim=1)  # (T,), (T,)
        return [values[int(a)] if t > 0.5 else None for t, a in zip(top, arg)]

    def build_index(self) -> None:
        self._index = {d: i for i, d in enumerate(self.dims)}


def make_layout(graph: Graph) -> Layout:
    """Pass 3: `one`, `bos`, then each stored quantity's subspace, in the graph's order."""
    layout = Layout(dims=[("one", None), ("bos", None)])
    for q in graph.quantities.values():
        layout.encoding[q.name] = q.encoding
        layout.values[q.name] = q.values
        if q.encoding == NUMERICAL:
            layout.dims.append((q.name, NUMBER))
        else:
            layout.dims.extend((q.name, v) for v in q.values)
    layout.build_index()
    layout.at_bos = _contents_at_bos(layout, graph.quantities.values())
    return layout


def _contents_at_bos(layout: Layout, quantities: Any) -> torch.Tensor:
    """What the BOS position holds once every block has run (bos itself excluded): the BOS
    query attends only to itself, so each head writes there the value it reads from BOS:
    an aggregate's default, a selector width's share 1."""
    at_bos = torch.zeros(len(layout), dtype=torch.float64)
    for q in quantities:
        if q.kind == "aggregate":
            at_bos += layout.encode(q.name, q.default)
        elif q.kind == "width":
            at_bos += layout.encode(q.name, 1.0)
    return at_bos


def cleaner(layout: Layout) -> torch.Tensor:
    """C (D, D) with C x = x - at_bos · x[bos]: at BOS, C x is the bare `bos` direction."""
    C = torch.eye(len(layout), dtype=torch.float64)
    C[:, layout.dim("bos", None)] -= layout.at_bos
    return C
