"""Seeding, threads, devices and the fit loop."""

import random

import numpy as np
import pytest
import torch
from torch import nn

from minimem import training


def draw():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seed_everything_is_reproducible():
    training.seed_everything(3)
    first = draw()
    training.seed_everything(3)
    assert draw() == first
    training.seed_everything(4)
    assert draw() != first


def test_threads_from_argument_and_environment(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv(training.THREADS_ENV, "2")
        assert training.set_threads() == 2 and torch.get_num_threads() == 2
        assert training.set_threads(1) == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv(training.THREADS_ENV, "many")
        with pytest.raises(ValueError, match="MINIMEM_THREADS"):
            training.set_threads()
        with pytest.raises(ValueError, match=">= 1"):
            training.set_threads(0)
    finally:
        torch.set_num_threads(before)


def test_setup_returns_a_working_device():
    device = training.setup(seed=0, threads=1)
    assert device == training.default_device()
    assert torch.ones(2, device=device).sum().item() == 2


def test_fit_learns_a_linear_map_and_records_history():
    training.seed_everything(0)
    w_true = torch.tensor([[2.0], [-1.0]])
    model = nn.Linear(2, 1)

    def make_batch(step):
        x = torch.randn(32, 2)
        return x, x @ w_true

    def mse(model, batch):
        return nn.functional.mse_loss(model(batch[0]), batch[1])

    x_test = torch.randn(100, 2)
    history = training.fit(model, make_batch, mse, steps=300, lr=0.05, progress=False,
                           eval_every=100,
                           eval_fn=lambda m: {"test_mse": mse(m, (x_test, x_test @ w_true)).item()})
    assert len(history.loss) == 300
    assert [s for s, _ in history.evals["test_mse"]] == [100, 200, 300]
    assert history.last("test_mse") < 1e-3 < history.loss[0]
    assert not model.training  # left in eval mode


def test_fit_and_history_errors():
    model = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        training.fit(model, lambda s: None, lambda m, b: torch.tensor(0.0), steps=0)
    with pytest.raises(ValueError, match="scalar"):
        training.fit(model, lambda s: torch.ones(3, 1), lambda m, b: m(b), steps=1, progress=False)
    with pytest.raises(KeyError, match="recorded: none"):
        training.History().last("accuracy")
    with pytest.raises(TypeError, match="seed must be an int"):
        training.seed_everything(1.5)
