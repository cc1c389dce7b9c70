"""Checkers for the chapter 03 exercises (RASP programs).

Each exercise asks for a function that *builds* a RASP program. A checker builds it, runs it
on fixed hand-picked and seeded random inputs against a plain-Python reference (len, reversed,
Counter, sorted, a stack), and then asks `count_layers_heads` whether it fits in as many
layers and heads as the library's program: a correct but wasteful program does not pass.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Callable, NamedTuple

from minimem.checks._framework import CheckResult, run_check
from minimem.rasp import RASPExpr, SOp, count_layers_heads, evaluate, indices, lib, tokens


class Cost(NamedTuple):
    layers: int
    heads: int


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    return a == b


def _compare(expected: Any, received: Any) -> str | None:
    if isinstance(expected, Cost):
        if received.layers <= expected.layers and received.heads <= expected.heads:
            return None
        return (f"the outputs are right, but your program needs {received.layers} layer(s) and "
                f"{received.heads} head(s); it can be done with {expected.layers} layer(s) of "
                f"{expected.heads} head(s) — look for an attention step you can merge or skip")
    if not isinstance(received, list) or len(received) != len(expected):
        return f"expected {len(expected)} values, received {received!r}"
    for i, (e, r) in enumerate(zip(expected, received)):
        if not _close(e, r):
            return f"position {i}: expected {e!r}, received {r!r}"
    return None


def _check_program(name: str, fn: Callable, build: Callable[[Callable], Any],
                   reference: Callable[[list], list], budget: RASPExpr,
                   groups: dict[str, list], hint: str) -> CheckResult:
    """Run `build(fn)` (a RASP program) on every input of `groups` and compare with
    `reference`; the last group compares its layers/heads with those of `budget`."""
    if not callable(fn):
        raise TypeError(f"{name}: pass your function itself (not the program it builds), got "
                        f"{type(fn).__name__}")
    cost = Cost(*count_layers_heads(budget))

    def learner(text: list, what: str) -> Any:
        program = build(fn)
        if not isinstance(program, SOp):
            raise TypeError(f"{name} must return a RASP s-op (built from tokens, "
                            f"indices, Select, Aggregate, …), got {type(program).__name__}")
        return evaluate(program, text) if what == "outputs" else Cost(*count_layers_heads(program))

    def expected(text: list, what: str) -> Any:
        return reference(text) if what == "outputs" else cost

    cases = {g: [((x, "outputs"), {}) for x in xs] for g, xs in groups.items()}
    cases[f"at most {cost.layers} layer(s) and {cost.heads} head(s)"] = [((["a"], "cost"), {})]
    return run_check(name, learner, expected, cases, arg_names=("input", "checking"),
                     hint=hint, compare=_compare)


def _random_words(seed: int, count: int = 20, alphabet: str = "abcde") -> list[list]:
    rng = random.Random(seed)
    return [[rng.choice(alphabet) for _ in range(rng.randint(1, 12))] for _ in range(count)]


def check_length(fn: Callable) -> CheckResult:
    """Exercise 3.1: fn() -> an s-op whose value at every position is the input length."""
    return _check_program(
        "make_length", fn, lambda f: f(), lambda x: [len(x)] * len(x), lib.make_length(),
        {"hand-picked inputs": [list("a"), list("hello"), list("aaaa")],
         "20 random inputs": _random_words(30)},
        hint="a selector that selects every key (Comparison.TRUE) has width N at every query.")


def check_reverse(fn: Callable) -> CheckResult:
    """Exercise 3.2: fn() -> an s-op holding the tokens in reverse order."""
    return _check_program(
        "make_reverse", fn, lambda f: f(), lambda x: x[::-1], lib.make_reverse(),
        {"hand-picked inputs": [list("a"), list("ab"), list("hello")],
         "20 random inputs": _random_words(31)},
        hint="query i should select the key whose index is length - i - 1, then Aggregate "
             "the tokens.")


def check_hist(fn: Callable) -> CheckResult:
    """Exercise 3.3: fn() -> an s-op with, at each position, the count of its token."""
    return _check_program(
        "make_hist", fn, lambda f: f(),
        lambda x: [Counter(x)[t] for t in x], lib.make_hist(),
        {"hand-picked inputs": [list("a"), list("abca"), list("hello")],
         "20 random inputs": _random_words(32)},
        hint="select the keys holding the same token as the query; count them with "
             "SelectorWidth.")


def check_sort(fn: Callable) -> CheckResult:
    """Exercise 3.4: fn(vals, keys) -> `vals` sorted by `keys`, duplicates allowed, stable."""
    rng = random.Random(33)
    numbers = [[rng.randint(-3, 3) for _ in range(rng.randint(1, 10))] for _ in range(20)]
    sorted_tokens = _check_program(
        "make_sort(tokens, tokens)", fn, lambda f: f(tokens, tokens), sorted,
        lib.make_sort(tokens, tokens),
        {"hand-picked inputs": [[3, 1, 2], [2, 2, 1], list("banana")],
         "20 random lists with repeats": numbers},
        hint="a key's target position is the number of keys that must come before it: "
             "smaller ones, and equal ones at smaller indices — pair each key with its index.")
    if not sorted_tokens:
        return sorted_tokens
    return _check_program(
        "make_sort(indices, tokens) — stability", fn, lambda f: f(indices, tokens),
        lambda x: sorted(range(len(x)), key=lambda i: x[i]), lib.make_sort(indices, tokens),
        {"equal keys keep their input order": [[1, 0, 1, 0], list("abab"), [5, 5, 5]] + numbers},
        hint="break ties between equal keys by their index.")


def _dyck1(x: list) -> list:
    depth, broken, out = 0, False, []
    for t in x:
        depth += (t == "(") - (t == ")")
        broken |= depth < 0
        out.append("F" if broken else ("T" if depth == 0 else "P"))
    return out


def check_dyck1(fn: Callable) -> CheckResult:
    """Exercise 3.5: fn() -> per position "T" (balanced prefix), "P" (can still be completed)
    or "F" (never), for inputs over "(" and ")"."""
    rng = random.Random(34)
    words = [[rng.choice("()") for _ in range(rng.randint(1, 12))] for _ in range(30)]
    return _check_program(
        "make_dyck1", fn, lambda f: f(), _dyck1, lib.make_dyck("()"),
        {"hand-picked inputs": [list("()"), list("(()))("), list(")("), list("((")],
         "30 random bracket strings": words},
        hint="the prefix balance is (opens - closes) / (i + 1): a numerical Aggregate over "
             "keys j <= i. A prefix is dead once any earlier balance was negative.")
