"""Checkers for the chapter 03 exercises (RASP programs).

Each exercise asks for a function that *builds* a RASP program. A checker builds it, runs it
on fixed hand-picked and seeded random inputs against a plain-Python reference (len, reversed,
sorted, a stack), and then asks `count_layers_heads` whether it fits in the exercise's budget
of layers and heads: a correct but wasteful program does not pass. The budgets of 3.1–3.3 are
stated, not derived from a program, so no answer to them lives in the library. Hints (a nudge,
a guide, a strong hint) come after a wrong answer or on request: `checks.hint("3.2")`.
"""

from __future__ import annotations

import random
from typing import Any, Callable, NamedTuple

from minimem.checks._framework import (CheckResult, is_reference, hint, register_hints,
                                       run_check)
from minimem.rasp import RASPExpr, SOp, count_layers_heads, evaluate, indices, lib, tokens

__all__ = ["check_dyck1", "check_first", "check_later_same", "check_rotate", "check_sort",
           "hint"]

register_hints("3.1", [
    "One attention step is enough: every query must read the same key. Which key, and how do "
    "you say that with a predicate?",
    "Select on indices with a predicate that looks only at the key (lambda key, query: ...), "
    "so that every query selects exactly one position; then Aggregate the tokens.",
    "The predicate is true exactly when the key's index is 0. A categorical Aggregate of a "
    "selector that picks one position returns that position's token.",
])
register_hints("3.2", [
    "Reverse (in the lesson) reads position N-1-i. Which position must query i read to "
    "rotate, and what does that need to know about the input?",
    "Query i reads position i+1, except the last query, which wraps round to position 0: "
    "that needs the length N, which costs the first attention layer (a selector width).",
    "Compute the target index (i + 1) mod N element-wise with SequenceMap from indices and the "
    "length; select the key whose index equals the target; Aggregate the tokens.",
])
register_hints("3.3", [
    "This is a count, so think SelectorWidth. Which keys should query i count?",
    "Query i counts the keys that hold the same token AND sit at a larger index. Two "
    "conditions on different s-ops: build a selector for each.",
    "Combine Select(tokens, tokens, EQ) with a Select on indices using & (one selector, so "
    "one head); mind the direction of the comparison: it is applied as predicate(key, query).",
])
register_hints("3.4", [
    "A value's place in the output is the number of values that must come before it.",
    "Count, for each key, the keys smaller than it (a selector width), then let output "
    "position i read the value whose count is i. Equal keys would get the same count.",
    "Make the keys unique for free: pair each key with its index element-wise, (key, index); "
    "pairs compare by key first and break ties by index, so the sort is stable.",
])
register_hints("3.5", [
    "A numerical Aggregate over the prefix (keys j <= i) computes a mean, and a mean of "
    "+1/-1 steps has the sign of the prefix balance.",
    "Layer 1: the mean of +1 (open) / -1 (close) over the prefix. A prefix is hopeless once "
    "any earlier balance was negative: layer 2, with the same selector, averages "
    "(balance < 0) over the prefix.",
    "Finish element-wise with SequenceMap: F if that second mean is above 0, else T if the "
    "balance is 0, else P. Mark both aggregated s-ops numerical, with default 0.",
])


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
                   reference: Callable[[list], list], budget: RASPExpr | Cost,
                   groups: dict[str, list], exercise: str,
                   forbidden: tuple = ()) -> CheckResult:
    """Run `build(fn)` (a RASP program) on every input of `groups` and compare with
    `reference`; the last group compares its layers/heads with `budget` (a Cost, or a program
    whose cost it is)."""
    if not callable(fn):
        raise TypeError(f"{name}: pass your function itself (not the program it builds), got "
                        f"{type(fn).__name__}")
    cost = budget if isinstance(budget, Cost) else Cost(*count_layers_heads(budget))

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
    submitted = fn if is_reference(fn, forbidden) else learner  # the reference: refused
    return run_check(name, submitted, expected, cases, arg_names=("input", "checking"),
                     compare=_compare, exercise=exercise, forbidden=forbidden)


def _random_words(seed: int, count: int = 20, alphabet: str = "abcde") -> list[list]:
    rng = random.Random(seed)
    return [[rng.choice(alphabet) for _ in range(rng.randint(1, 12))] for _ in range(count)]


def check_first(fn: Callable) -> CheckResult:
    """Exercise 3.1: fn() -> an s-op holding, at every position, the first token."""
    return _check_program(
        "make_first", fn, lambda f: f(), lambda x: [x[0]] * len(x), Cost(1, 1),
        {"hand-picked inputs": [list("a"), list("hello"), list("abba")],
         "20 random inputs": _random_words(30)}, exercise="3.1")


def check_rotate(fn: Callable) -> CheckResult:
    """Exercise 3.2: fn() -> the tokens rotated left by one (the first token moves last)."""
    return _check_program(
        "make_rotate", fn, lambda f: f(), lambda x: x[1:] + x[:1], Cost(2, 1),
        {"hand-picked inputs": [list("a"), list("ab"), list("hello")],
         "20 random inputs": _random_words(31)}, exercise="3.2")


def check_later_same(fn: Callable) -> CheckResult:
    """Exercise 3.3: fn() -> per position, how often its token occurs *after* it."""
    return _check_program(
        "make_later_same", fn, lambda f: f(),
        lambda x: [x[i + 1:].count(t) for i, t in enumerate(x)], Cost(1, 1),
        {"hand-picked inputs": [list("a"), list("banana"), list("hello")],
         "20 random inputs": _random_words(32)}, exercise="3.3")


def check_sort(fn: Callable) -> CheckResult:
    """Exercise 3.4: fn(vals, keys) -> `vals` sorted by `keys`, duplicates allowed, stable."""
    rng = random.Random(33)
    numbers = [[rng.randint(-3, 3) for _ in range(rng.randint(1, 10))] for _ in range(20)]
    sorted_tokens = _check_program(
        "make_sort(tokens, tokens)", fn, lambda f: f(tokens, tokens), sorted,
        lib.make_sort(tokens, tokens),
        {"hand-picked inputs": [[3, 1, 2], [2, 2, 1], list("banana")],
         "20 random lists with repeats": numbers}, exercise="3.4", forbidden=(lib.make_sort,))
    if not sorted_tokens:
        return sorted_tokens
    return _check_program(
        "make_sort(indices, tokens) — stability", fn, lambda f: f(indices, tokens),
        lambda x: sorted(range(len(x)), key=lambda i: x[i]), lib.make_sort(indices, tokens),
        {"equal keys keep their input order": [[1, 0, 1, 0], list("abab"), [5, 5, 5]] + numbers},
        exercise="3.4", forbidden=(lib.make_sort,))


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
         "30 random bracket strings": words}, exercise="3.5", forbidden=(lib.make_dyck,))
