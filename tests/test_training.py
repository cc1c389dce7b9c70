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
        with pytest.raises(ValueError, match=r"threads must be a whole number of threads in 1\.\."):
            training.set_threads(0)
        with pytest.raises(ValueError, match="this machine's CPUs"):
            training.set_threads(10**5)  # torch itself would crash the kernel
        monkeypatch.delenv(training.THREADS_ENV)
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        assert training.set_threads() == 2  # the standard variable is honoured too
        monkeypatch.delenv("OMP_NUM_THREADS")
        assert training.set_threads() == 1
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


def test_fit_schedule_clipping_and_hook():
    training.seed_everything(0)
    model = nn.Linear(3, 1)
    seen_lr, hooked = [], []

    def loss_fn(model, batch):
        seen_lr.append(optimizer.param_groups[0]["lr"])
        return (model(batch) ** 2).sum() * 1e6  # a huge gradient, so clipping must act

    def after_step(step):
        hooked.append(step)
        with torch.no_grad():
            model.bias.zero_()  # what MemN2N does with its padding embedding

    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    before = model.weight.detach().clone()
    training.fit(model, lambda step: torch.ones(4, 3), loss_fn, steps=4, optimizer=optimizer,
                 lr_at=lambda step: 0.1 / step, clip_grad_norm=1.0, after_step=after_step,
                 progress=False)
    assert seen_lr == [0.1, 0.05, 0.1 / 3, 0.025]
    assert hooked == [1, 2, 3, 4] and model.bias.item() == 0.0
    # each clipped update moves the weights by at most lr · 1
    assert (model.weight - before).norm() <= sum(seen_lr) + 1e-6


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": 0}, "steps must be a positive int"),
    ({"steps": 2.0}, "steps must be a positive int"),
    ({"steps": 1, "lr": -1.0}, "lr must be a positive"),
    ({"steps": 1, "clip_grad_norm": -1.0}, "clip_grad_norm must be a positive"),
    ({"steps": 1, "eval_every": -1}, "eval_every must be an int >= 0"),
])
def test_fit_rejects_bad_numbers_before_training(kwargs, message):
    calls = []
    with pytest.raises(ValueError, match=message):
        training.fit(nn.Linear(1, 1), lambda s: calls.append(s), lambda m, b: torch.tensor(0.0),
                     progress=False, **kwargs)
    assert calls == []  # nothing ran


def test_progress_is_quiet_under_tests_and_when_asked(monkeypatch):
    assert training.progress_default() is False  # pytest sets PYTEST_CURRENT_TEST
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setenv("MINIMEM_PROGRESS", "0")
    assert training.progress_default() is False
    monkeypatch.setenv("MINIMEM_PROGRESS", "1")
    assert training.progress_default() is True
