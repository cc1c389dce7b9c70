"""Tests for minimem.data.sequences (sorting data for chapter 02)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem.data import sequences


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 16), st.integers(1, 30), st.integers(0, 2**31))
def test_sort_task_order_sorts_the_values(batch_size, n, seed):
    values, order = sequences.sort_task(batch_size, n, seed)
    assert values.shape == order.shape == (batch_size, n)
    assert values.dtype == np.float32 and order.dtype == np.int64
    assert np.all((values >= 0) & (values < 1))
    assert np.all(np.sort(order, axis=1) == np.arange(n))  # every row is a permutation
    assert np.all(np.diff(np.take_along_axis(values, order, axis=1), axis=1) >= 0)


def test_seeded_and_generator_inputs_are_reproducible():
    a = sequences.sort_task(4, 6, 7)
    b = sequences.sort_task(4, 6, np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], sequences.sort_task(4, 6, 8)[0])


def test_variable_length_covers_the_range():
    rng = np.random.default_rng(0)
    lengths = {sequences.sort_task_variable(2, 3, 6, rng)[0].shape[1] for _ in range(200)}
    assert lengths == {3, 4, 5, 6}


@pytest.mark.parametrize("args, match", [((0, 5), "batch_size"), ((3, 0), "n must"), ((3, 2.5), "n must"),
                                         ((10**6, 10**6), "at most")])
def test_bad_sizes_raise(args, match):
    with pytest.raises(ValueError, match=match):
        sequences.sort_task(*args)
    with pytest.raises(ValueError, match="n_min"):
        sequences.sort_task_variable(2, 5, 3)
