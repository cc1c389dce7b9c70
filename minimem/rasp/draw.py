"""Pictures of RASP programs: selectors as attention matrices, programs laid out by layer,
and every intermediate value for one input (Chapter 03).

Weiss, Goldberg & Yahav (2021), "Thinking Like Transformers"
(https://arxiv.org/abs/2106.06981), draw selectors as query x key grids and programs as
computation graphs whose attention nodes line up in layers; these functions do the same with
matplotlib (and as plain text, for static output). Semantics live in `core`/`selectors`/
`evaluate`; this module only shows them. Which sublayer draws an s-op comes from one table,
`SUBLAYER` (node type -> "input", "mlp" or "attention").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .analysis import Schedule, schedule
from .core import Full, Map, Primitive, RASPExpr, SequenceMap, SOp, lookup, topological_order
from .evaluate import evaluate_all
from .selectors import Aggregate, Select, Selector, SelectorWidth

SUBLAYER: dict[type, str] = {
    Primitive: "input",
    Full: "input",
    Map: "mlp",
    SequenceMap: "mlp",
    Aggregate: "attention",
    SelectorWidth: "attention",
}
_BOX_COLOUR = {"input": "#fff2cc", "mlp": "#fff2cc", "attention": "#cfe3ff"}


def _is_attention(node: RASPExpr) -> bool:
    return isinstance(node, SOp) and lookup(SUBLAYER, node, "draw") == "attention"


def _show(value: Any, width: int = 5) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    elif isinstance(value, tuple):
        text = ",".join(_show(v, width) for v in value)
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "~"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _leaf(selector: Selector) -> Select | None:
    while not isinstance(selector, Select):
        if not selector.children:
            return None
        selector = selector.children[0]  # type: ignore[assignment]
    return selector


def _selector_values(selector: Selector, tokens_list: Sequence) -> tuple[Any, list, list]:
    """(matrix, keys, queries) of a selector on one input; keys and queries are the values
    of its first `Select`'s s-ops (the tokens if it has none)."""
    if not isinstance(selector, Selector):
        raise TypeError(f"selector must be a Selector, got {type(selector).__name__}")
    values = evaluate_all(selector, tokens_list)
    leaf = _leaf(selector)
    keys = values[leaf.keys] if leaf is not None else list(tokens_list)
    queries = values[leaf.queries] if leaf is not None else list(tokens_list)
    return values[selector], keys, queries


def _trace(program: RASPExpr, tokens_list: Sequence, bos: bool) -> list[tuple[SOp, int, list]]:
    """(s-op, layer whose output holds it, its values) for every s-op, children first."""
    values = evaluate_all(program, tokens_list)
    layer = schedule(program, bos=bos).layer
    return [(node, layer[node.id], vals) for node, vals in values.items() if isinstance(node, SOp)]


def format_selector(selector: Selector, tokens_list: Sequence) -> str:
    """The selector's attention matrix for one input as text: rows are queries, columns keys,
    '1' where the query selects the key."""
    matrix, keys, queries = _selector_values(selector, tokens_list)
    w = max([len(_show(v, 8)) for v in list(keys) + list(queries)] + [1])
    lines = [f"{selector.label}: rows = queries, columns = keys",
             " " * (w + 3) + " ".join(_show(k, 8).rjust(w) for k in keys)]
    for q, row in zip(queries, matrix):
        cells = " ".join(("1" if s else ".").rjust(w) for s in row)
        lines.append(f"{_show(q, 8).rjust(w)} | {cells}")
    return "\n".join(lines)


def format_attention(program: RASPExpr, tokens_list: Sequence) -> str:
    """The selector of every attention node of `program` (aggregates and selector widths),
    printed as its matrix for one input, in the order the nodes run."""
    blocks, seen = [], set()
    for node in topological_order(program):
        if _is_attention(node) and node.selector.id not in seen:
            seen.add(node.selector.id)
            blocks.append(f"[{node.label}] " + format_selector(node.selector, tokens_list))
    return "\n\n".join(blocks)


def draw_selector(selector: Selector, tokens_list: Sequence, ax: Any = None) -> Any:
    """Draw the selector's (queries x keys) boolean matrix for one input; returns the axes."""
    matrix, keys, queries = _selector_values(selector, tokens_list)
    if ax is None:
        n = max(len(keys), 1)
        _, ax = plt.subplots(figsize=(1.2 + 0.35 * n, 1.0 + 0.35 * n))
    ax.imshow(np.asarray(matrix, dtype=float), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(keys)), [_show(k) for k in keys], fontsize=8)
    ax.set_yticks(range(len(queries)), [_show(q) for q in queries], fontsize=8)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.set_title(selector.label)
    return ax


def format_trace(program: RASPExpr, tokens_list: Sequence, *, bos: bool = True) -> str:
    """Every s-op of `program` on one input, one row each (children first), with the layer
    whose output holds it."""
    rows = _trace(program, tokens_list, bos)
    name_w = max(len(node.label) for node, _, _ in rows)
    width = max([len(_show(v, 8)) for _, _, vals in rows for v in vals] + [1])
    lines = []
    for node, lay, vals in rows:
        cells = " ".join(_show(v, 8).rjust(width) for v in vals)
        lines.append(f"{node.label.ljust(name_w)}  L{lay}  {cells}")
    return "\n".join(lines)


def _column(node: SOp, layer: int) -> int:
    """Inputs in column 0, maps of inputs in column 1; layer l's attention sublayer in
    column 2l and its MLP sublayer in column 2l + 1."""
    sublayer = lookup(SUBLAYER, node, "draw_program")
    if sublayer == "input":
        return 0
    return 2 * layer if sublayer == "attention" else 2 * layer + 1


def _inputs_of(node: RASPExpr) -> list[tuple[SOp, str]]:
    """The s-ops a node reads: solid for values, dashed for its selector's keys/queries."""
    out = []
    for child in node.children:
        if isinstance(child, SOp):
            out.append((child, "-"))
            continue
        stack = [child]
        while stack:
            s = stack.pop()
            for cc in s.children:
                if isinstance(cc, SOp):
                    out.append((cc, "--"))
                else:
                    stack.append(cc)
    return out


def _layout(sops: list[SOp], plan: Schedule) -> tuple[dict[int, tuple[float, float]], int]:
    """(x, y) of every s-op's box by node id (x = its column, the nodes of a column centred
    on y = 0), and the height of the fullest column."""
    cols: dict[int, list[SOp]] = {}
    for node in sops:
        cols.setdefault(_column(node, plan.layer[node.id]), []).append(node)
    pos = {}
    for c, nodes in cols.items():
        for k, node in enumerate(nodes):
            pos[node.id] = (c, -(k - (len(nodes) - 1) / 2))
    return pos, max(len(v) for v in cols.values())


def _draw_layer_bands(ax: Any, plan: Schedule, top: float) -> None:
    """A shaded band per layer (attention + MLP columns) headed by its number of heads."""
    for lay in range(1, plan.layers + 1):
        ax.axvspan(2 * lay - 0.5, 2 * lay + 1.5, color="0.92" if lay % 2 else "0.97", zorder=0)
        ax.text(2 * lay + 0.5, top, f"layer {lay}: {_count(len(plan.heads[lay - 1]), 'head')}",
                ha="center", va="center", fontsize=9)


def draw_program(program: RASPExpr, *, bos: bool = True, ax: Any = None) -> Any:
    """The computation graph laid out by layer: each layer's attention sublayer (blue:
    aggregates, selector widths) and MLP sublayer (yellow: maps). Solid edges carry values,
    dashed edges feed a selector's keys and queries."""
    plan = schedule(program, bos=bos)
    sops = [n for n in topological_order(program) if isinstance(n, SOp)]
    pos, height = _layout(sops, plan)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.5 + 1.3 * (2 * plan.layers + 2), 1.5 + 0.6 * height))
    top = (height - 1) / 2 + 1.0
    _draw_layer_bands(ax, plan, top)
    boxes = {}
    for node in sops:
        colour = _BOX_COLOUR[lookup(SUBLAYER, node, "draw_program")]
        boxes[node.id] = ax.text(*pos[node.id], node.label, ha="center", va="center",
                                 fontsize=8, zorder=3,
                                 bbox=dict(boxstyle="round", ec="0.3", fc=colour))
    for node in sops:
        for child, style in _inputs_of(node):
            same_col = pos[child.id][0] == pos[node.id][0]
            ax.annotate("", pos[node.id], pos[child.id], zorder=2, arrowprops=dict(
                arrowstyle="-|>", mutation_scale=9, linestyle=style, color="0.4", lw=0.8,
                patchA=boxes[child.id].get_bbox_patch(), patchB=boxes[node.id].get_bbox_patch(),
                connectionstyle="arc3,rad=0.5" if same_col else "arc3,rad=0.05"))
    ax.set_xlim(-0.6, 2 * plan.layers + 1.6)
    ax.set_ylim(-top, top + 0.4)
    names = ["inputs", "MLP 0"] + [n for lay in range(1, plan.layers + 1)
                                   for n in (f"attention {lay}", f"MLP {lay}")]
    ax.set_xticks(range(2 * plan.layers + 2), names, fontsize=8)
    ax.set_yticks([])
    ax.set_title(f"{program.label}: {plan.layers} layers, {_count(plan.max_heads, 'head')}")
    return ax


def draw_trace(program: RASPExpr, tokens_list: Sequence, *, bos: bool = True,
               ax: Any = None) -> Any:
    """Every s-op's value at every position for one input, as a coloured table (the colour is
    the layer that produces the row)."""
    rows = _trace(program, tokens_list, bos)
    n = len(list(tokens_list))
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5 + 0.5 * n, 0.6 + 0.32 * len(rows)))
    colours = np.array([[lay] * n for _, lay, _ in rows], dtype=float)
    ax.imshow(colours, cmap="Pastel1", aspect="auto", vmin=0, vmax=8)
    for r, (_, _, vals) in enumerate(rows):
        for c, v in enumerate(vals):
            ax.text(c, r, _show(v, 7), ha="center", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [f"{node.label} (L{lay})" for node, lay, _ in rows],
                  fontsize=8)
    ax.set_xticks(range(n), range(n), fontsize=8)
    ax.set_xlabel("position")
    ax.set_title(f"{program.label} on {''.join(map(str, tokens_list))!r}")
    return ax
