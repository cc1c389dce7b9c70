"""The chapter 04 exercise checkers accept right answers, explain wrong ones and greet stubs."""

import pytest
import torch

from minimem.checks import ch04


def lookup_mlp(in_values, out_values, f):
    W_in = torch.eye(len(in_values))
    W_out = torch.zeros(len(out_values), len(in_values))
    for k, x in enumerate(in_values):
        W_out[out_values.index(f[x] if isinstance(f, dict) else f(x)), k] = 1
    return W_in, W_out


def eq_select(n):
    W_q, W_k = torch.zeros(n + 1, n + 2), torch.zeros(n + 1, n + 2)
    for v in range(n):
        W_q[v, 2 + v] = W_k[v, 2 + v] = 1
    W_q[n, 0], W_k[n, 1] = 0.5, 1
    return W_q, W_k


def read_subspace(hidden, dims, values):
    top, arg = hidden[:, dims].max(dim=1)
    return [values[int(a)] if t >= 0.5 else None for t, a in zip(top, arg)]


@pytest.mark.parametrize("check, good", [
    (ch04.check_lookup_mlp, lookup_mlp),
    (ch04.check_eq_select, eq_select),
    (ch04.check_read_subspace, read_subspace),
])
def test_right_answers_pass(check, good, capsys):
    assert check(good)
    assert "All checks passed" in capsys.readouterr().out


def test_a_head_without_the_bos_feature_fails_with_a_hint(capsys):
    def no_bos(n):
        W_q, W_k = eq_select(n)
        return W_q[:n], W_k[:n]

    assert not ch04.check_eq_select(no_bos)
    out = capsys.readouterr().out
    assert "values differ" in out and "hint" in out


def test_weights_that_write_the_wrong_value_fail():
    def off_by_one(in_values, out_values, f):
        W_in, W_out = lookup_mlp(in_values, out_values, f)
        return W_in, W_out.roll(1, dims=0)

    assert not ch04.check_lookup_mlp(off_by_one)


def test_forgetting_unwritten_positions_fails(capsys):
    def always_a_value(hidden, dims, values):
        return [values[int(a)] for a in hidden[:, dims].argmax(dim=1)]

    assert not ch04.check_read_subspace(always_a_value)
    assert "None" in capsys.readouterr().out


@pytest.mark.parametrize("check", [ch04.check_lookup_mlp, ch04.check_eq_select,
                                   ch04.check_read_subspace])
def test_a_stub_gets_the_friendly_message(check, capsys):
    def stub(*args):
        raise NotImplementedError("write it")

    assert not check(stub)
    assert "not implemented yet" in capsys.readouterr().out
