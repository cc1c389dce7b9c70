"""Plots shared by every chapter (introduced in chapter 00): attention heatmaps, training
curves, and interactive explorers that always draw a static figure first.

The static-first rule matters twice: the website and the notebook tests show the static
figure even where no Jupyter kernel runs the widgets.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from minimem.training import History


def _as_matrix(weights: Any) -> np.ndarray:
    if hasattr(weights, "detach"):
        weights = weights.detach().cpu().numpy()
    matrix = np.asarray(weights, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"weights must be a 2-D matrix (queries × keys), got shape "
                         f"{matrix.shape}")
    return matrix


def plot_attention(weights: Any, row_labels: Sequence[str] | None = None,
                   col_labels: Sequence[str] | None = None, ax: plt.Axes | None = None,
                   title: str = "attention weights", xlabel: str = "key",
                   ylabel: str = "query", annotate: bool = False,
                   vmax: float | None = None) -> plt.Axes:
    """Draw a (queries × keys) weight matrix as a heatmap, one row per query. The colour
    scale runs from 0 to `vmax` (default: the matrix's largest value); give vmax=1 to compare
    several panels of weights on one scale."""
    matrix = _as_matrix(weights)
    for name, labels, size in (("row_labels", row_labels, matrix.shape[0]),
                               ("col_labels", col_labels, matrix.shape[1])):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{name} has {len(labels)} labels but the matrix has {size}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * matrix.shape[1] + 2, 0.4 * matrix.shape[0] + 1.5))
    top = max(1e-9, matrix.max()) if vmax is None else vmax
    image = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=top, aspect="auto")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if col_labels is not None:
        ax.set_xticks(range(len(col_labels)), labels=[str(c) for c in col_labels], rotation=90)
    if row_labels is not None:
        ax.set_yticks(range(len(row_labels)), labels=[str(r) for r in row_labels])
    if annotate:
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if value > 0.6 * top else "black")
    return ax


def plot_history(history: History, ax: plt.Axes | None = None, smooth: int = 1,
                 title: str = "training", metrics: Sequence[str] | None = None) -> plt.Axes:
    """Training loss per step (optionally a moving average) and evaluated metrics on a twin axis."""
    if not isinstance(history, History):
        raise TypeError(f"history must be a minimem.training.History, got "
                        f"{type(history).__name__}")
    if smooth < 1:
        raise ValueError(f"smooth must be >= 1, got {smooth}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    loss = np.asarray(history.loss, dtype=float)
    if smooth > 1 and len(loss) >= smooth:
        loss = np.convolve(loss, np.ones(smooth) / smooth, mode="valid")
    ax.plot(np.arange(1, len(loss) + 1) + (smooth - 1), loss, color="tab:blue", label="loss")
    ax.set(title=title, xlabel="step", ylabel="training loss")
    names = list(history.evals) if metrics is None else list(metrics)
    if names:
        twin = ax.twinx()
        for name in names:
            steps, values = zip(*history.evals[name])
            twin.plot(steps, values, marker="o", label=name)
        twin.set_ylabel("metric")
        twin.legend(loc="center right")
    return ax


def explorer(draw: Callable[..., Any], **controls: Any) -> None:
    """An interactive explorer with a static fallback.

    `draw(**values)` makes one figure. Each keyword is an ipywidgets control (or anything
    `ipywidgets.interactive` accepts, such as a `(min, max, step)` tuple). The figure is drawn
    once, at the controls' initial values, as a plain static figure — what the website and
    the notebook tests show — and the interactive version is returned to be displayed where
    a kernel runs it. Put the call in a cell tagged `nbval-ignore-output`.
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not controls:
        raise ValueError("explorer needs at least one control, e.g. temperature=(0.1, 5.0, 0.1)")
    panel = widgets.interactive(draw, **controls)  # draws into its own output area
    draw(**panel.kwargs)  # the same figure again, as a plain static output
    plt.show()
    display(panel)


def show_source(obj: Any, start: str | None = None, end: str | None = None) -> None:
    """Show the library's own code for `obj` (a function, class or method) in the notebook,
    so the page and the library can never drift apart. `start`/`end` cut it to the lines from
    the first one containing `start` through the first later one containing `end`.
    Displays highlighted code in Jupyter and prints it elsewhere; returns nothing, so a
    notebook cell shows the code once."""
    import inspect
    import textwrap

    try:
        lines = textwrap.dedent(inspect.getsource(obj)).splitlines()
    except (TypeError, OSError) as error:
        raise TypeError(f"obj must be a function, class or method of the library, got "
                        f"{type(obj).__name__} ({error})") from None
    first = next((i for i, l in enumerate(lines) if start in l), None) if start else 0
    if first is None:
        raise ValueError(f"start {start!r} is not in the source of {obj.__qualname__}")
    last = next((i for i in range(first, len(lines)) if end in lines[i]), None) if end \
        else len(lines) - 1
    if last is None:
        raise ValueError(f"end {end!r} is not in the source of {obj.__qualname__} after start")
    text = textwrap.dedent("\n".join(lines[first:last + 1]))
    try:
        from IPython import get_ipython
        from IPython.display import Code, display
        if get_ipython() is not None:
            display(Code(text, language="python"))
            return
    except ImportError:  # plain Python: print it
        pass
    print(text)
