"""Property-based bad-input suite: a public function given one wrong argument must raise a
ValueError/TypeError that names that argument — quickly, and never a deep torch error, a
hang or a silently wrong answer. (The command lines and the rest are swept by tools/sweep.py.)

Each target lists its valid arguments; hypothesis breaks one of them at a time: a wrong number
of dimensions, a wrong dtype, an empty dimension, NaN values, or a non-tensor.
"""

from __future__ import annotations

import math
import signal
from contextlib import contextmanager
from typing import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem import attention, memn2n, pointer
from minimem.data import geometry
from minimem.transformer import Transformer, TransformerConfig

torch.manual_seed(0)
MEMN2N = memn2n.MemN2N(vocab_size=12, embed_dim=8, memory_size=5, hops=2)
POINTER = pointer.PointerNet(input_dim=2, hidden=8)
TRANSFORMER = Transformer(TransformerConfig(vocab_size=10, d_model=8, num_heads=2, num_layers=1))
MHA = attention.MultiHeadAttention(8, 2)


def ids(*shape: int, high: int = 10) -> torch.Tensor:
    return torch.randint(1, high, shape)


# name -> (function, {argument: valid value}, the arguments for which NaN is wrong)
TARGETS: dict[str, tuple[Callable, dict, set[str]]] = {
    "scaled_dot_product_attention": (
        attention.scaled_dot_product_attention,
        {"q": torch.randn(2, 3), "k": torch.randn(4, 3), "v": torch.randn(4, 2)}, set()),
    "hard_lookup": (
        attention.hard_lookup,
        {"query": torch.randn(3), "keys": torch.randn(4, 3), "values": torch.randn(4, 2)},
        {"query", "keys"}),
    "MultiHeadAttention": (lambda x: MHA(x), {"x": torch.randn(1, 3, 8)}, set()),
    "Transformer": (lambda idx: TRANSFORMER(idx), {"idx": ids(1, 4)}, set()),
    "MemN2N": (lambda stories, queries: MEMN2N(stories, queries),
               {"stories": ids(2, 5, 3, high=12), "queries": ids(2, 3, high=12)}, set()),
    "PointerNet.forward": (lambda x, targets: POINTER(x, targets),
                           {"x": torch.rand(2, 5, 2), "targets": torch.tensor([[0, 1, 2]] * 2)},
                           {"x"}),
    "pointer.greedy": (lambda x: pointer.greedy(POINTER, x), {"x": torch.rand(2, 5, 2)}, {"x"}),
    "memn2n.temporal_indices": (memn2n.temporal_indices,
                                {"filled": torch.tensor([[True, True, False]])}, set()),
}


@contextmanager
def time_limit(seconds: int):
    def stop(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def breakages(value: object, nan_matters: bool) -> list[tuple[str, object]]:
    """Wrong versions of a valid tensor argument."""
    assert isinstance(value, torch.Tensor)
    wrong = [("one dimension more", value[None]), ("a list", value.tolist()),
             ("an empty dimension", value[..., :0] if value.dim() else value[None][:0])]
    if value.dim() > 1:
        wrong.append(("one dimension less", value[0]))
    if value.is_floating_point():
        wrong += [("float64", value.double()), ("integer", value.long())]
        if nan_matters:
            wrong.append(("NaN", torch.full_like(value, math.nan)))
    else:
        wrong.append(("float", value.float()))
    return wrong


# Breakages that are valid input for some arguments: attention broadcasts leading dimensions,
# and a hard lookup may return values of any dtype and width.
ALLOWED = {("scaled_dot_product_attention", "one dimension more"),
           ("scaled_dot_product_attention-v", "an empty dimension"),
           ("hard_lookup-values", "an empty dimension"), ("hard_lookup-values", "integer"),
           ("hard_lookup-values", "float64")}

CASES = [(target, arg) for target, (_, valid, _) in TARGETS.items() for arg in valid]


@pytest.mark.parametrize("target, arg", CASES, ids=[f"{t}-{a}" for t, a in CASES])
@settings(max_examples=12, deadline=None)
@given(pick=st.integers(0, 100))
def test_one_bad_argument_is_named(target, arg, pick):
    function, valid, nan_args = TARGETS[target]
    kind, bad = (options := breakages(valid[arg], arg in nan_args))[pick % len(options)]
    if (target, kind) in ALLOWED or (f"{target}-{arg}", kind) in ALLOWED:
        return
    if kind == "an empty dimension" and target == "memn2n.temporal_indices":
        return  # a batch of no stories is a valid (empty) batch
    with time_limit(10), pytest.raises((ValueError, TypeError)) as error:
        function(**{**valid, arg: bad})
    assert arg in str(error.value), f"{target} given {kind} {arg}: {error.value}"


def test_every_target_accepts_its_valid_arguments():
    for target, (function, valid, _) in TARGETS.items():
        with time_limit(10):
            function(**valid)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 8), bad=st.sampled_from(["nan", "index", "short"]), seed=st.integers(0, 99))
def test_geometry_rejects_or_flags_bad_polygons(n, bad, seed):
    points = np.random.default_rng(seed).random((n, 2))
    ring = list(range(1, n + 1)) + [1]
    if bad == "nan":
        points[seed % n] = math.nan
        assert not geometry.valid_polygons([points], [ring])[0]  # never counted valid
        with pytest.raises(ValueError, match="points"):
            geometry.is_valid_polygon(points, ring)
    elif bad == "index":
        with pytest.raises(ValueError, match="ring|sequence"):
            geometry.polygon_area(points, [1, 2, n + 5])
    else:
        with pytest.raises(ValueError, match="predictions"):
            geometry.exact_accuracy([ring], [])
