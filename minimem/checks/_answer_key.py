"""Switch the library's answer off while a learner's function is checked (every chapter).

An exercise asks for a function the library already has (the course's reference). Refusing
a submission that *is* the reference (`run_check(..., forbidden=...)`) is not enough: a
function that merely *calls* it would pass. `answer_key_off(fn, "Exercise 2.2", targets)`
returns `fn` wrapped so that, while it runs, each `(owner, name)` in `targets` (a module or
class and an attribute name) is replaced by a stub raising NotImplementedError with a
sentence saying why; the originals come back afterwards, whatever happens. A name in the
learner's own module (`fn.__globals__`) bound to one of the answers — `from minimem.x import f`
in a notebook — is switched off too.

For a class handed in (an nn.Module the checker then calls), the methods run after the class
is "called": wrap the whole probe that uses it, not the class.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Sequence
from unittest import mock


def _stub(exercise: str, label: str) -> Callable:
    def stub(*args, **kwargs):
        raise NotImplementedError(f"{exercise} asks you to write this yourself; {label} is the "
                                  "library's answer, so it is switched off during the check")
    return stub


def _label(owner: Any, name: str) -> str:
    return f"{getattr(owner, '__name__', owner)}.{name}".replace("minimem.", "")


def _is_answer(value: Any, answers: dict) -> bool:
    try:
        return value in answers
    except TypeError:  # unhashable globals (lists, dicts, arrays) are never answers
        return False


def answer_key_off(fn: Callable, exercise: str,
                   targets: Sequence[tuple[Any, str]]) -> Callable:
    """`fn`, run with every (owner, name) of `targets` switched off (see the module docstring).
    If `fn` is itself one of the targets, calling the wrapper raises the same explanation."""
    answers = {getattr(owner, name): _label(owner, name) for owner, name in targets}

    def run(*args, **kwargs):
        if fn in answers:  # the library function itself, handed in as the learner's
            return _stub(exercise, answers[fn])()
        with contextlib.ExitStack() as stack:
            for owner, name in targets:
                stack.enter_context(mock.patch.object(owner, name, _stub(exercise,
                                                                         _label(owner, name))))
            own = getattr(fn, "__globals__", {})
            for name, value in list(own.items()):
                if _is_answer(value, answers):  # imported into the learner's module
                    stack.enter_context(mock.patch.dict(own, {name: _stub(exercise,
                                                                          answers[value])}))
            return fn(*args, **kwargs)

    return run
