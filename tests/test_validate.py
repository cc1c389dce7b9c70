"""minimem.validate: the shared argument checks name the argument, the expectation and the value."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from minimem import validate


def test_tensor_checks_pass_good_values_through():
    x = torch.ones(2, 3)
    assert validate.tensor("x", x, dims=(2, 3), kind="float", finite=True, nonempty=True) is x
    assert validate.integer("n", 3, low=1, high=3) == 3
    assert validate.number("lr", 0.5, low=0, strict_low=True) == 0.5


@pytest.mark.parametrize("call, error, message", [
    (lambda: validate.tensor("x", [1.0]), TypeError, "x must be a torch.Tensor, got list"),
    (lambda: validate.tensor("x", torch.ones(2), dims=(2, 3)), ValueError, r"x must have 2 or 3 dimensions, got shape \(2,\)"),
    (lambda: validate.tensor("x", torch.ones(2), min_dims=2), ValueError, "at least 2 dimensions"),
    (lambda: validate.tensor("ids", torch.ones(2), kind="long"), TypeError, "ids must be a long tensor, got dtype torch.float32"),
    (lambda: validate.tensor("x", torch.ones(2).double(), dtype=torch.float32), TypeError, r"\.to\(torch.float32\)"),
    (lambda: validate.tensor("x", torch.ones(0), nonempty=True), ValueError, "x must not be empty"),
    (lambda: validate.tensor("x", torch.tensor([math.nan]), finite=True), ValueError, "x holds NaN"),
    (lambda: validate.integer("steps", True), TypeError, "steps must be an int, got bool"),
    (lambda: validate.integer("steps", 0, low=1), ValueError, r"steps must be in \[1, inf\), got 0"),
    (lambda: validate.number("clip", -1.0, low=0, strict_low=True), ValueError, r"clip must be a finite number in \(0, inf\)"),
    (lambda: validate.number("lr", math.nan), ValueError, "lr must be a finite number"),
    (lambda: validate.number("lr", "0.1"), TypeError, "lr must be a number, got str"),
])
def test_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


@given(value=st.integers(-10**6, 10**6), low=st.integers(-100, 100), span=st.integers(0, 100))
def test_integer_accepts_exactly_its_range(value, low, span):
    inside = low <= value <= low + span
    if inside:
        assert validate.integer("n", value, low, low + span) == value
    else:
        with pytest.raises(ValueError, match="n must be in"):
            validate.integer("n", value, low, low + span)
