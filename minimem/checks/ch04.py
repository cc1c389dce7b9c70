"""Checkers for the chapter 04 exercises (compiling RASP into transformer weights).

The exercises ask for *weights*, and many different weights are right, so the checkers test
what the weights do: the MLP's output on every one-hot input, the head's score for every
(query, key) pair. Each exercise has three hints (`checks.hint("4.1")`), none of them code.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from minimem.checks._framework import CheckResult, hint, register_hints, run_check

__all__ = ["check_eq_select", "check_lookup_mlp", "check_read_subspace", "hint"]

register_hints("4.1", [
    "A ReLU of a one-hot vector is the same one-hot vector: one hidden unit per input value "
    "can 'light up' for exactly that value.",
    "Let hidden unit k read input dimension k with weight 1 (W_in is then an identity); its "
    "output column says what to write when value k is the input.",
    "Column k of W_out is the one-hot of f(in_values[k]) over out_values: a 1 in the row of "
    "that output value, 0 elsewhere.",
])
register_hints("4.2", [
    "The score is (W_q x_query) · (W_k x_key): a sum over head features of a query feature "
    "times a key feature. Give each value its own feature.",
    "Feature v: the query reads its one-hot dimension for v, the key reads its own one-hot "
    "dimension for v; the product is 1 only when both hold v.",
    "Add one more feature for BOS: the query reads `one` (weight 0.5), the key reads `bos` "
    "(weight 1), so every query gives BOS 0.5 and ordinary keys get nothing from it.",
])
register_hints("4.3", [
    "Take the columns `dims` of the hidden states: one small vector of scores per position.",
    "At each position the largest entry names the value (values[k] for column k)...",
    "...unless that largest entry is below 0.5: nothing was written there, return None.",
])

VALUE_CASES = [
    (["a", "b", "c"], ["x", "y"], {"a": "x", "b": "y", "c": "x"}),
    ([0, 1, 2, 3], [0, 1], lambda x: x % 2),
    ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5], lambda x: min(x + 1, 5)),
    ([True, False], ["T", "F", "?"], lambda b: "T" if b else "F"),
]


def _call(f: Any, x: Any) -> Any:
    return f[x] if isinstance(f, dict) else f(x)


def _mlp_behaviour(fn: Callable) -> Callable:
    """fn(in_values, out_values, f) -> weights  ==>  (V_in, V_out) outputs on each one-hot."""
    def run(in_values: list, out_values: list, f: Any) -> torch.Tensor:
        W_in, W_out = fn(in_values, out_values, f)
        W_in, W_out = torch.as_tensor(W_in, dtype=torch.float64), torch.as_tensor(
            W_out, dtype=torch.float64)
        onehots = torch.eye(len(in_values), dtype=torch.float64)  # (V_in, V_in)
        return torch.relu(onehots @ W_in.T) @ W_out.T  # (V_in, V_out)
    return run


def _mlp_reference(in_values: list, out_values: list, f: Any) -> torch.Tensor:
    table = torch.zeros(len(in_values), len(out_values), dtype=torch.float64)
    for i, x in enumerate(in_values):
        table[i, out_values.index(_call(f, x))] = 1.0
    return table


def check_lookup_mlp(fn: Callable) -> CheckResult:
    """Exercise 4.1: fn(in_values, out_values, f) -> (W_in (U, V_in), W_out (V_out, U))."""
    groups = {"a table (dict)": [(VALUE_CASES[0], {})],
              "functions of numbers": [(VALUE_CASES[1], {}), (VALUE_CASES[2], {})],
              "an output value that never occurs": [(VALUE_CASES[3], {})]}
    return run_check("lookup_mlp", _mlp_behaviour(fn), _mlp_reference, groups,
                     arg_names=("in_values", "out_values", "f"), exercise="4.1")


def _select_behaviour(fn: Callable) -> Callable:
    """fn(n) -> (W_q, W_k)  ==>  the (n, n + 1) scores of every query against every key + BOS."""
    def run(n: int) -> torch.Tensor:
        W_q, W_k = (torch.as_tensor(w, dtype=torch.float64) for w in fn(n))
        queries = torch.zeros(n, n + 2, dtype=torch.float64)
        queries[:, 0] = 1.0  # `one`
        queries[:, 2:] = torch.eye(n)
        keys = torch.cat([queries, torch.zeros(1, n + 2, dtype=torch.float64)])
        keys[n, 1] = 1.0  # the BOS key: only `bos`
        return (queries @ W_q.T) @ (keys @ W_k.T).T  # (n, n + 1)
    return run


def _select_reference(n: int) -> torch.Tensor:
    return torch.cat([torch.eye(n, dtype=torch.float64),
                      torch.full((n, 1), 0.5, dtype=torch.float64)], dim=1)


def check_eq_select(fn: Callable) -> CheckResult:
    """Exercise 4.2: fn(n) -> (W_q (d, n + 2), W_k (d, n + 2)) for Select(x, x, EQ)."""
    groups = {"one value": [((1,), {})], "a few values": [((2,), {}), ((3,), {}), ((5,), {})]}
    return run_check("eq_select", _select_behaviour(fn), _select_reference, groups,
                     arg_names=("n",), exercise="4.2")


def _read_reference(hidden: torch.Tensor, dims: list, values: list) -> list:
    block = hidden[:, dims]  # (T, len(dims))
    top, arg = block.max(dim=1)
    return [values[int(a)] if t >= 0.5 else None for t, a in zip(top, arg)]


def _read_cases(seed: int, T: int, D: int, dims: list, values: list) -> tuple:
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(T, D, generator=generator) * 0.05  # small noise everywhere
    picks = torch.randint(0, len(dims), (T,), generator=generator)
    for t in range(T):
        if t % 3 != 2:  # every third position: nothing written
            hidden[t, dims[int(picks[t])]] += 1.0
    return hidden, dims, values


def check_read_subspace(fn: Callable) -> CheckResult:
    """Exercise 4.3: fn(hidden (T, D), dims, values) -> list of T values (None = unwritten)."""
    groups = {"contiguous subspace": [(_read_cases(0, 6, 8, [2, 3, 4], ["a", "b", "c"]), {})],
              "scattered dimensions, numbers as values": [
                  (_read_cases(1, 9, 12, [7, 1, 10, 4], [0, 1, 2, 3]), {})]}
    return run_check("read_subspace", fn, _read_reference, groups,
                     arg_names=("hidden", "dims", "values"), exercise="4.3")
