"""The exercise checker framework (introduced in chapter 00).

A checker runs a learner's function and the library's reference on the same fixed, seeded
cases, grouped by what they test, and prints one line per group. On the first mismatch of a
group it shows the input, the expected and the received value (named, when the checker names
its outputs). A stub that still raises NotImplementedError gets a friendly "not implemented
yet" line that says what to write, never a traceback, and never the hint.

Hints teach in steps. A chapter's checker module registers, per exercise, a list of hints that
grow from a nudge to a strong hint (never the answer code): `register_hints("3.2", [...])`. A
wrong answer shows the next level; so does `hint("3.2")`, on request. A checker given
`forbidden=` fails a submission that *is* the library's reference, so an exercise cannot be
passed by handing the reference back.

Every chapter's checkers (`minimem.checks.chNN.check_<thing>`) are built from `run_check`.
"""

from __future__ import annotations

import copy
import traceback
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

PASS, FAIL = "✔", "✘"
HINT_LEVELS = ("nudge", "guide", "strong hint")

_HINTS: dict[str, list[str]] = {}  # exercise id ("3.2") -> hints, from a nudge to a strong one
_SHOWN: dict[str, int] = {}  # exercise id -> how many of its hints were shown so far


def register_hints(exercise: str, hints: Sequence[str]) -> None:
    """Register the hints of one exercise, from a nudge to a strong hint (at most three)."""
    if not isinstance(exercise, str) or not exercise:
        raise TypeError(f"exercise must be an id such as '3.2', got {exercise!r}")
    if not 1 <= len(hints) <= len(HINT_LEVELS) or not all(isinstance(h, str) and h for h in hints):
        raise ValueError(f"exercise {exercise}: give 1 to {len(HINT_LEVELS)} non-empty hints, "
                         f"got {hints!r}")
    _HINTS[exercise] = list(hints)
    _SHOWN.pop(exercise, None)


def next_hint(exercise: str) -> str:
    """The next hint of `exercise` as one line (the strongest one again once all were shown)."""
    if exercise not in _HINTS:
        known = ", ".join(sorted(_HINTS)) or "none"
        raise ValueError(f"no hints for exercise {exercise!r}; exercises with hints: {known}")
    hints = _HINTS[exercise]
    level = min(_SHOWN.get(exercise, 0), len(hints) - 1)
    _SHOWN[exercise] = level + 1
    more = (f" — ask again for the {HINT_LEVELS[level + 1]}: checks.hint({exercise!r})"
            if level + 1 < len(hints) else "")
    return f"hint {level + 1}/{len(hints)} ({HINT_LEVELS[level]}): {hints[level]}{more}"


def hint(exercise: str) -> None:
    """Print the next hint of an exercise: a nudge first, then a guide, then a strong hint."""
    print(next_hint(exercise))


def reset_hints() -> None:
    """Forget which hints were shown (every exercise starts again from its nudge)."""
    _SHOWN.clear()


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
                where: str = "", names: Sequence[str] = ()) -> str | None:
    """None when `received` matches `expected`, else a sentence saying how it differs.
    `names` name the items of a tuple/list result ("weights" rather than "item 1")."""
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
            item = f"{names[i]}" if i < len(names) else f"item {i}"
            problem = differences(e, r, atol, rtol, where=f"{item}{label}")
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


def run_check(  # long: the signature alone is 16 lines of documented keyword arguments
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
    exercise: str | None = None,
    output_names: Sequence[str] = (),
    forbidden: Sequence[Any] = (),
) -> CheckResult:
    """Compare `learner` with `reference` on each group of (args, kwargs) cases.

    `compare(expected, received)` may replace the default comparison (`differences`): None for
    a match, else a sentence. `output_names` name a tuple result's items in mismatch messages.
    `exercise` ("0.1") ties the check to its registered hints: a wrong answer shows the next
    one (else `hint`, if given). `forbidden`: reference objects a submission must not be.
    """
    if not callable(learner):
        raise TypeError(f"{name}: pass your function itself (not its result), got "
                        f"{type(learner).__name__}")
    compare = compare or (lambda e, r: differences(e, r, atol, rtol, names=output_names))
    result = CheckResult(name, passed=True)
    ask = f" (stuck? run checks.hint({exercise!r}))" if exercise in _HINTS else ""

    def say(line: str) -> None:
        result.lines.append(line)
        if verbose:
            print(line)

    if is_reference(learner, forbidden):
        say(f"{FAIL} {name}: this is the library's own {is_reference(learner, forbidden)}, not "
            f"your answer — write the function yourself{ask}")
        result.passed = False
        return result
    for group, cases in groups.items():
        try:
            failure = _first_failure(learner, reference, cases, compare)
        except NotImplementedError as stub:
            message = str(stub) or "replace the `raise NotImplementedError` line"
            say(f"… {name}: not implemented yet — {message}{ask}")
            result.passed = False
            return result
        if failure is None:
            say(f"{PASS} {name} · {group}: {len(cases)}/{len(cases)} cases match")
            continue
        lines = _describe_failure(name, group, len(cases), failure, arg_names, output_names)
        for line in lines + (_hint_lines(exercise, hint) if result.passed else []):
            say(line)
        result.passed = False
    if result.passed:
        say(f"All checks passed for {name}.")
    return result


def _hint_lines(exercise: str | None, hint: str) -> list[str]:
    """What a first failure adds: the exercise's next registered hint, else the fixed one."""
    if exercise in _HINTS:
        return [f"    {next_hint(exercise)}"]
    return [f"    hint:     {hint}"] if hint else []


def is_reference(learner: Any, forbidden: Sequence[Any]) -> str:
    """The name of the reference that `learner` is (the object itself, or the same code behind
    another name), else ''."""
    code = getattr(learner, "__code__", None)
    for ref in forbidden:
        if learner is ref or (code is not None and code is getattr(ref, "__code__", None)):
            return f"`{getattr(ref, '__module__', '')}.{getattr(ref, '__qualname__', ref)}`"
    return ""


def _describe_failure(name: str, group: str, count: int, failure: tuple,
                      arg_names: Sequence[str], output_names: Sequence[str] = ()) -> list[str]:
    index, args, kwargs, expected, received, problem = failure
    shown = received if isinstance(received, str) and problem is None else _short(received)
    what, want = "", _short(expected)
    if (output_names and problem and isinstance(expected, (tuple, list))
            and isinstance(received, (tuple, list)) and len(expected) == len(received)):
        for item, e, r in zip(output_names, expected, received):  # show the output that differs
            if problem.endswith(f" in {item}") or f" in {item} " in problem:
                what, want, shown = f" {item}", _short(e), _short(r)
                break
    return [f"{FAIL} {name} · {group}: case {index} of {count} "
            + (f"differs — {problem}" if problem else "failed"),
            f"    input:    {_describe_args(args, kwargs, arg_names)}",
            f"    expected{what}: {want}",
            f"    received{what}: {shown}"]


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
            where = _learner_line(error)
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


def _learner_line(error: Exception) -> str:
    """" (line N: code)" of the last frame of the traceback outside the minimem package and
    installed libraries (torch, numpy) — the learner's own line — or "" if there is none."""
    package = str(Path(__file__).resolve().parent.parent)

    def theirs(filename: str) -> bool:
        path = str(Path(filename).resolve())
        return not path.startswith(package) and "-packages" not in path

    frames = [f for f in traceback.extract_tb(error.__traceback__) if theirs(f.filename) and f.line]
    return f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""


def seeded_tensors(seed: int, *shapes: tuple[int, ...]) -> list[torch.Tensor]:
    """Fixed random normal tensors of the given shapes, the same on every machine."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=generator) for shape in shapes]
