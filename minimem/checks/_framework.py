"""The exercise checker framework (introduced in chapter 00).

A checker runs a learner's function and the library's reference on the same fixed, seeded
cases, grouped by what they test, and prints one line per group. On the first mismatch of a
group it shows the input, the expected and the received value, and a hint. A stub that still
raises NotImplementedError gets a friendly "not implemented yet" line, never a traceback.

Every chapter's checkers (`minimem.checks.chNN.check_<thing>`) are built from `run_check`.
"""

from __future__ import annotations

import copy
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

PASS, FAIL = "✔", "✘"


@dataclass
class CheckResult:
    """What a checker found. Truthy when every group passed, so a cell can `assert` it."""

    name: str
    passed: bool
    lines: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"CheckResult({self.name!r}, passed={self.passed})"


def _short(value: Any, limit: int = 240) -> str:
    if isinstance(value, torch.Tensor):
        with np.printoptions(precision=3, suppress=True, threshold=40, edgeitems=3):
            body = np.array2string(value.detach().cpu().numpy(), separator=", ")
        text = f"tensor{tuple(value.shape)} {value.dtype}: {body}"
    elif isinstance(value, np.ndarray):
        with np.printoptions(precision=3, suppress=True, threshold=40, edgeitems=3):
            text = f"array{value.shape} {value.dtype}: {np.array2string(value, separator=', ')}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def differences(expected: Any, received: Any, atol: float = 1e-5, rtol: float = 1e-4,
                where: str = "") -> str | None:
    """None when `received` matches `expected`, else a sentence saying how it differs."""
    label = f" in {where}" if where else ""
    if isinstance(expected, (torch.Tensor, np.ndarray)):
        if isinstance(expected, torch.Tensor) and not isinstance(received, torch.Tensor):
            return f"expected a torch.Tensor{label}, received {type(received).__name__}"
        if isinstance(expected, np.ndarray) and not isinstance(received, (np.ndarray, list)):
            return f"expected a NumPy array{label}, received {type(received).__name__}"
        exp = torch.as_tensor(np.asarray(expected) if isinstance(expected, np.ndarray) else expected)
        rec = torch.as_tensor(np.asarray(received) if not isinstance(received, torch.Tensor)
                              else received)
        if tuple(exp.shape) != tuple(rec.shape):
            return f"shape{label}: expected {tuple(exp.shape)}, received {tuple(rec.shape)}"
        if exp.dtype == torch.bool or rec.dtype == torch.bool:
            if exp.dtype != rec.dtype:
                return f"dtype{label}: expected {exp.dtype}, received {rec.dtype}"
            return None if torch.equal(exp, rec) else f"values differ{label}"
        if not torch.allclose(rec.double().cpu(), exp.double().cpu(), atol=atol, rtol=rtol,
                              equal_nan=True):
            worst = (rec.double().cpu() - exp.double().cpu()).abs().nan_to_num(float("inf"))
            return f"values differ{label} (largest difference {worst.max().item():.3g})"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(received, (tuple, list)):
            return f"expected a {type(expected).__name__}{label}, received {type(received).__name__}"
        if len(expected) != len(received):
            return f"length{label}: expected {len(expected)} items, received {len(received)}"
        for i, (e, r) in enumerate(zip(expected, received)):
            problem = differences(e, r, atol, rtol, where=f"item {i}{label}")
            if problem:
                return problem
        return None
    if isinstance(expected, float) and isinstance(received, (int, float)):
        return None if abs(expected - received) <= atol + rtol * abs(expected) else (
            f"value{label}: expected {expected:.6g}, received {received:.6g}")
    return None if expected == received else f"value{label} differs"


def _describe_args(args: Sequence[Any], kwargs: Mapping[str, Any], names: Sequence[str]) -> str:
    parts = [f"{n}={_short(a, 120)}" for n, a in zip(names, args)]
    parts += [f"{k}={_short(v, 120)}" for k, v in kwargs.items()]
    return "; ".join(parts)


def run_check(
    name: str,
    learner: Callable[..., Any],
    reference: Callable[..., Any],
    groups: Mapping[str, Sequence[tuple[tuple, dict]]],
    *,
    arg_names: Sequence[str] = (),
    hint: str = "",
    atol: float = 1e-5,
    rtol: float = 1e-4,
    compare: Callable[[Any, Any], str | None] | None = None,
    verbose: bool = True,
) -> CheckResult:
    """Compare `learner` with `reference` on each group of (args, kwargs) cases.

    `compare(expected, received)` may replace the default comparison (`differences`); it
    returns None for a match or a sentence describing the mismatch.
    """
    if not callable(learner):
        raise TypeError(f"{name}: pass your function itself (not its result), got "
                        f"{type(learner).__name__}")
    compare = compare or (lambda e, r: differences(e, r, atol, rtol))
    result = CheckResult(name, passed=True)
    hinted = False

    def say(line: str) -> None:
        result.lines.append(line)
        if verbose:
            print(line)

    for group, cases in groups.items():
        try:
            failure = _first_failure(learner, reference, cases, compare)
        except NotImplementedError as stub:
            message = str(stub) or "replace the `raise NotImplementedError` line"
            say(f"… {name}: not implemented yet — {message}")
            result.passed = False
            return result
        if failure is None:
            say(f"{PASS} {name} · {group}: {len(cases)}/{len(cases)} cases match")
            continue
        result.passed = False
        for line in _describe_failure(name, group, len(cases), failure, arg_names):
            say(line)
        if hint and not hinted:
            say(f"    hint:     {hint}")
            hinted = True
    if result.passed:
        say(f"All checks passed for {name}.")
    return result


def _describe_failure(name: str, group: str, count: int, failure: tuple,
                      arg_names: Sequence[str]) -> list[str]:
    index, args, kwargs, expected, received, problem = failure
    shown = received if isinstance(received, str) and problem is None else _short(received)
    return [f"{FAIL} {name} · {group}: case {index} of {count} "
            + (f"differs — {problem}" if problem else "failed"),
            f"    input:    {_describe_args(args, kwargs, arg_names)}",
            f"    expected: {_short(expected)}",
            f"    received: {shown}"]


def _first_failure(learner: Callable[..., Any], reference: Callable[..., Any],
                   cases: Sequence[tuple[tuple, dict]],
                   compare: Callable[[Any, Any], str | None]) -> tuple | None:
    """(index, args, kwargs, expected, received, problem) of the first case that fails, or
    None. Everything the learner's code or value can break runs inside a guard, so a slip
    (an exception, a missing `return`) becomes a ✘ line, never a traceback. A stub's
    NotImplementedError is passed on to the caller."""
    for index, (args, kwargs) in enumerate(cases, start=1):
        expected = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        try:
            received = learner(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NotImplementedError:
            raise
        except Exception as error:  # a learner's bug: explain it, don't crash the notebook
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f" (line {frame.lineno}: {frame.line})" if frame.line else ""
            return (index, args, kwargs, expected,
                    f"raised {type(error).__name__}: {error}{where}", None)
        if received is None and expected is not None:
            return (index, args, kwargs, expected, received,
                    "your function returned None — is a `return` missing?")
        try:
            problem = compare(expected, received)
        except Exception as error:  # the value is too far off to compare: say so
            problem = (f"the result could not be compared with the expected one "
                       f"({type(error).__name__}: {error})")
        if problem:
            return index, args, kwargs, expected, received, problem
    return None


def seeded_tensors(seed: int, *shapes: tuple[int, ...]) -> list[torch.Tensor]:
    """Fixed random normal tensors of the given shapes, the same on every machine."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=generator) for shape in shapes]
