"""Plots draw what they say, reject bad input, and the explorer draws a static figure first."""

import matplotlib.pyplot as plt
import pytest
import torch

from minimem import training, viz


def test_plot_attention_draws_the_matrix():
    w = torch.softmax(torch.randn(3, 4), -1)
    ax = viz.plot_attention(w, row_labels=list("abc"), col_labels=list("wxyz"), annotate=True)
    image = ax.get_images()[0]
    assert image.get_array().shape == (3, 4)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("wxyz")
    assert len(ax.texts) == 12
    plt.close("all")


def test_plot_attention_errors():
    with pytest.raises(ValueError, match="2-D matrix"):
        viz.plot_attention(torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="row_labels has 1 labels but the matrix has 2"):
        viz.plot_attention(torch.ones(2, 2), row_labels=["a"])


def test_plot_history_smooths_and_shows_metrics():
    history = training.History(loss=[4.0, 2.0, 0.0, 2.0], evals={"acc": [(2, 0.5), (4, 0.9)]})
    ax = viz.plot_history(history, smooth=2)
    assert list(ax.lines[0].get_ydata()) == [3.0, 1.0, 1.0]
    assert len(ax.figure.axes) == 2  # a twin axis for the metric
    plt.close("all")
    with pytest.raises(TypeError, match="History"):
        viz.plot_history({"loss": [1.0]})
    with pytest.raises(ValueError, match="smooth"):
        viz.plot_history(history, smooth=0)


def test_explorer_draws_a_static_figure_then_shows_the_panel(monkeypatch):
    import IPython.display

    shown, calls = [], []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    monkeypatch.setattr(plt, "show", lambda: None)

    def draw(x=3, scale=1.0):
        calls.append((x, scale))
        plt.figure()

    viz.explorer(draw, x=(0, 10, 1), scale=(0.5, 2.0, 0.5))
    assert (3, 1.0) in calls and len(calls) >= 2  # the panel's own draw and the static one
    assert type(shown[0]).__name__ == "interactive"
    plt.close("all")
    with pytest.raises(ValueError, match="at least one control"):
        viz.explorer(draw)


def test_show_source_shows_the_library_code_and_can_cut_it(capsys):
    from minimem import attention
    assert viz.show_source(attention.masked_softmax, start="if mask is None",
                           end="return torch.where") is None
    text = capsys.readouterr().out  # printed outside Jupyter
    assert text.startswith("if mask is None") and text.rstrip().endswith("0, not NaN")
    with pytest.raises(ValueError, match="start 'nowhere'"):
        viz.show_source(attention.masked_softmax, start="nowhere")
    with pytest.raises(TypeError, match="obj must be a function"):
        viz.show_source(3)


def test_plot_attention_can_share_one_colour_scale():
    import matplotlib.pyplot as plt
    ax = viz.plot_attention([[0.1, 0.2], [0.05, 0.15]], vmax=1.0)
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert viz.plot_attention([[0.1, 0.2]]).images[0].get_clim() == (0.0, 0.2)
    plt.close("all")
