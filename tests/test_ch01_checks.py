"""Chapter 01's checkers teach: hints in steps (never the code), named outputs, stubs that say
what to write, and no passing by handing back (or calling) the library's answer."""

import ast
import json
import re
from pathlib import Path

import pytest
import torch

from minimem import memn2n
from minimem.checks import ch01 as checks
from minimem.checks import next_hint, reset_hints
from minimem.checks._framework import _HINTS

ROOT = Path(__file__).resolve().parent.parent
SOLUTION, EXERCISE = (ROOT / folder / "01_memory_networks.ipynb" for folder in ("solutions", "exercises"))
BEGIN = "### BEGIN SOLUTION"


@pytest.fixture(autouse=True)
def fresh_hints():
    reset_hints()
    yield
    reset_hints()


def code_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "code"]


def answer_lines() -> list[str]:
    """The code between the solution markers of solutions/01, comments stripped."""
    lines, inside = [], False
    for cell in code_cells(SOLUTION):
        for line in cell.splitlines():
            if line.strip().startswith(BEGIN):
                inside = True
            elif line.strip().startswith("### END SOLUTION"):
                inside = False
            elif inside and line.split("#")[0].strip():
                lines.append(line.split("#")[0].strip())
    return lines


# Correct answers, written the way a learner would (not by calling the library's answer).
def position_encoding(L, d):
    j = torch.arange(1, L + 1).float().unsqueeze(1)  # (L, 1)
    k = torch.arange(1, d + 1).float().unsqueeze(0)  # (1, d)
    return (1 - j / L) - (k / d) * (1 - 2 * j / L)


def memory_hop(u, memories_in, memories_out):
    p = torch.softmax((memories_in * u[:, None]).sum(-1), dim=1)  # (B, M)
    return u + (p[:, :, None] * memories_out).sum(1)


def time_index(filled):
    n = filled.sum(1, keepdim=True)
    return torch.where(filled, n - 1 - torch.arange(filled.shape[1]), 0).long()


def memn2n_forward(stories, queries, words, times):
    l = memn2n.position_encoding(stories.shape[-1], words[0].shape[1])  # allowed: answer 1.1
    filled = (stories > 0).any(-1)
    t = memn2n.temporal_indices(filled)[0]  # allowed: answer 1.3
    u = (words[0][queries] * l).sum(-2)
    for k in range(len(words) - 1):
        m = (words[k][stories] * l).sum(-2) + times[k][t]
        c = (words[k + 1][stories] * l).sum(-2) + times[k + 1][t]
        p = torch.softmax((m * u[:, None]).sum(-1).masked_fill(~filled, float("-inf")), -1)
        u = u + (p[:, :, None] * c).sum(1)
    return u @ words[-1].T


CHECKS = {"1.1": (checks.check_position_encoding, position_encoding),
          "1.2": (checks.check_memory_hop, memory_hop),
          "1.3": (checks.check_time_index, time_index),
          "1.4": (checks.check_memn2n_forward, memn2n_forward)}


def test_every_exercise_has_three_hints_from_a_nudge_to_a_strong_hint():
    assert {"1.1", "1.2", "1.3", "1.4"} <= set(_HINTS)
    for exercise in CHECKS:
        assert len(_HINTS[exercise]) == 3, exercise
        levels = [next_hint(exercise) for _ in range(3)]
        assert [h.split(":")[0] for h in levels] == [
            "hint 1/3 (nudge)", "hint 2/3 (guide)", "hint 3/3 (strong hint)"]


@pytest.mark.parametrize("exercise", sorted(CHECKS))
def test_no_hint_contains_answer_code(exercise):
    code_like = re.compile(r"\[:, None\]|\[None, :\]|\.T\b|@|einsum\(|arange\(|\w\(\w.*[,)]|"
                           r"\bfor \w+ in\b")
    for text in _HINTS[exercise]:
        assert not code_like.search(text), f"{exercise}: code-like hint: {text}"
        leaked = [line for line in answer_lines() if len(line) > 12 and line in text]
        assert not leaked, f"{exercise}: a hint holds answer lines {leaked}"


@pytest.mark.parametrize("exercise", sorted(CHECKS))
def test_correct_answers_pass(exercise, capsys):
    check, answer = CHECKS[exercise]
    assert check(answer)
    assert "hint" not in capsys.readouterr().out


WRONG = {
    "1.1": lambda L, d: ((1 - torch.arange(L)[:, None] / L)  # j and k counted from 0
                         - torch.arange(d)[None, :] / d * (1 - 2 * torch.arange(L)[:, None] / L)),
    "1.2": lambda u, m, c: memory_hop(u, m, c) - u,  # the residual u forgotten
    "1.3": lambda filled: time_index(filled.flip(1)).flip(1),  # counted forwards
    "1.4": lambda s, q, w, t: memn2n_forward(s, q, w, t) * 2,
}
NAMES = {"1.1": "encoding", "1.2": "next state", "1.3": "time index", "1.4": "logits"}


@pytest.mark.parametrize("exercise", sorted(CHECKS))
def test_a_wrong_answer_names_the_output_and_shows_the_first_hint(exercise, capsys):
    check, _ = CHECKS[exercise]
    assert not check(WRONG[exercise])
    out = capsys.readouterr().out
    assert f"differ in {NAMES[exercise]}" in out and "item 0" not in out
    assert f"hint 1/3 (nudge): {_HINTS[exercise][0]}" in out
    assert _HINTS[exercise][1] not in out
    assert not check(WRONG[exercise])
    assert f"hint 2/3 (guide): {_HINTS[exercise][1]}" in capsys.readouterr().out


def test_the_time_index_must_be_a_long_tensor(capsys):
    assert not checks.check_time_index(lambda filled: time_index(filled).float())
    assert "expected torch.int64" in capsys.readouterr().out


def _calls_the_model(stories, queries, words, times):
    V, d = words[0].shape
    model = memn2n.MemN2N(V, d, times[0].shape[0], len(words) - 1).eval()
    with torch.no_grad():
        for param, value in zip(list(model.words) + list(model.times), list(words) + list(times)):
            param.copy_(value)
    return model(stories, queries)


@pytest.mark.parametrize("submission", [checks._forward_reference, memn2n.MemN2N,
                                        memn2n.MemN2N.forward, _calls_the_model])
def test_the_library_model_is_not_an_answer_to_1_4(submission, capsys):
    assert not checks.check_memn2n_forward(submission)
    out = capsys.readouterr().out
    assert "this is the library's own" in out or "switched off during the check" in out
    assert "All checks passed" not in out
    assert checks.check_memn2n_forward(memn2n_forward)  # the model is switched back on after
    assert memn2n.MemN2N(5, 4, 3, 1)(torch.ones(1, 2, 3, dtype=torch.long),
                                      torch.ones(1, 3, dtype=torch.long)).shape == (1, 5)


@pytest.mark.parametrize("check, submission", [
    (checks.check_position_encoding, memn2n.position_encoding),
    (checks.check_position_encoding, lambda L, d: memn2n.position_encoding(L, d)),
    (checks.check_memory_hop, lambda u, m, c: u + memn2n.memory_read(u, m, c)[0]),
    (checks.check_time_index, lambda filled: memn2n.temporal_indices(filled)[0]),
])
def test_the_earlier_exercises_refuse_their_answer_key_too(check, submission, capsys):
    assert not check(submission)
    assert "All checks passed" not in capsys.readouterr().out


def _tasks() -> list[str]:
    tasks = []
    for cell in code_cells(SOLUTION):
        for line in cell.splitlines():
            if line.strip().startswith(BEGIN):
                spec = line.strip()[len(BEGIN):].strip()
                assert spec.startswith("task: "), f"use 'task:', not {spec!r}"
                tasks.append(spec[len("task: "):])
    return tasks


def test_each_stub_says_the_task_and_the_checker_shows_it_not_a_hint(capsys):
    tasks = _tasks()
    assert len(tasks) == 4 and all(t.startswith(f"Exercise 1.{i}:") for i, t in enumerate(tasks, 1))
    stubs = [ast.literal_eval(m) for cell in code_cells(EXERCISE)
             for m in re.findall(r"raise NotImplementedError\((.*)\)", cell)]
    assert stubs == tasks
    for (exercise, (check, _)), task in zip(sorted(CHECKS.items()), tasks):
        def stub(*args, message=task):
            raise NotImplementedError(message)

        assert not check(stub)
        out = capsys.readouterr().out
        assert f"not implemented yet — {task}" in out and f"checks.hint('{exercise}')" in out
        assert not any(h in out for h in _HINTS[exercise])
