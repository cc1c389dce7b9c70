"""Classroom mode (tools/classroom.py): the exercises as an nbgrader course, and nbgrader's
round trip on it for real — release, three submissions (the solutions, the untouched release,
one exercise wrong), autograde, feedback."""

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import classroom  # tools/classroom.py, the instructor tool
import exercises  # tools/exercises.py

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = classroom.chapters(ROOT / "solutions")
STUDENTS = ("solutions", "untouched", "one_wrong")
# The wrong answer per chapter: (grade id of the answer cell, answer text, wrong text). A
# chapter not listed gets its last autograded answer replaced by `return None`.
WRONG = {"00": ("exercise_0_2", ".tril()", ".triu()")}
# In chapter 00's one-wrong submission a right answer also raises a Python warning: it must keep
# its points (nbgrader scores any stderr output as a failure unless the config drops it).
WARNS = ("00", "exercise_0_1", "def attention(q, k, v, mask=None):\n",
         "    __import__('warnings').warn('a warning from the learner\\'s code')\n")


# ---------------------------------------------------------------- the source notebooks

def source_notebook(path: Path):
    return classroom.make_source(nbformat.read(path, as_version=4), f"solutions/{path.name}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_answer_cell_is_followed_by_its_autograded_check(path):
    nb, graded = source_notebook(path)
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    auto = [e for e, kind, _ in graded if kind == "autograded"]
    assert auto, f"{path.name}: no autograded exercise"
    for index, (cell, m) in enumerate(zip(nb.cells, meta)):
        if m["solution"] and cell.cell_type == "code":
            assert exercises.BEGIN in cell.source and "checks.check_" not in cell.source
            test, t = nb.cells[index + 1], meta[index + 1]
            assert t == {**t, "grade": True, "locked": True, "solution": False}
            assert t["grade_id"] == m["grade_id"] + "_check" and t["points"] >= 1
            assert test.source.splitlines()[1].startswith(("assert checks.check_", "results = ["))
        elif not m["solution"] and not m["grade"]:
            assert m["locked"], "instructions and demonstrations are read-only"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert not any("solution" in c.metadata.get("tags", []) or "hide-input" in
                   c.metadata.get("tags", []) for c in nb.cells)


def test_points_come_from_the_difficulty_dots():
    nb, graded = source_notebook(ROOT / "solutions" / "00_attention.ipynb")
    assert graded == [("0.1", "autograded", 2), ("0.2", "autograded", 1),
                      ("0.3", "autograded", 2), ("0.4", "manual", 2)]
    test = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "exercise_0_3_check")
    assert "checks.check_split_heads(split_heads)" in test.source
    assert "checks.check_merge_heads(merge_heads)" in test.source


def test_an_answer_cell_without_its_checker_is_refused():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    with pytest.raises(classroom.ClassroomError, match="checker call"):
        classroom.split_checks(source, "cell 3")
    with pytest.raises(classroom.ClassroomError, match="only checker calls"):
        classroom.split_checks(source + "checks.check_f(f)\nprint(1)\n", "cell 3")
    assert classroom.split_checks(source + "\n\nchecks.check_f(f)\n", "cell 3") == (
        source.rstrip(), ["checks.check_f(f)"])


def test_new_chapters_are_picked_up_from_solutions(tmp_path):
    shutil.copy(ROOT / "solutions" / "00_attention.ipynb", tmp_path / "00_attention.ipynb")
    shutil.copy(ROOT / "solutions" / "00_attention.ipynb", tmp_path / "07_new_chapter.ipynb")
    assert [p.stem for p in classroom.chapters(tmp_path)] == ["00_attention", "07_new_chapter"]
    assert [p.stem for p in classroom.chapters(tmp_path, ["7"])] == ["07_new_chapter"]
    with pytest.raises(classroom.ClassroomError, match="no chapter 09"):
        classroom.chapters(tmp_path, ["09"])


def test_an_existing_course_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "course"
    assert classroom.main(["--out", str(out), "--chapters", "00"]) == 0
    notebook = out / "source" / "00_attention" / "00_attention.ipynb"
    edited = notebook.read_text().replace("Exercise 0.2", "Exercise 0.2 (edited)")
    notebook.write_text(edited)
    (out / "gradebook.db").write_text("the instructor's grades")
    assert classroom.main(["--out", str(out), "--chapters", "00"]) == 2  # refused
    assert notebook.read_text() == edited
    assert classroom.main(["--out", str(out), "--chapters", "00", "--force"]) == 0
    assert "(edited)" not in notebook.read_text()
    kept = list((out / ".backup").rglob("00_attention.ipynb"))
    assert len(kept) == 1 and kept[0].read_text() == edited  # the edit is kept, not lost
    assert classroom.main(["--out", str(out), "--chapters", "00", "--force"]) == 0
    assert len(list((out / ".backup").rglob("*.ipynb"))) == 1  # same files: nothing replaced
    assert (out / "gradebook.db").read_text() == "the instructor's grades"


def test_the_instructors_page_has_the_current_points_table():
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    assert classroom.points_table(ROOT / "solutions") in page, (
        "book/instructors.md: paste the output of `python tools/classroom.py --table`")


# ---------------------------------------------------------------- nbgrader, for real

def nbgrader(course: Path, *args: str) -> str:
    env = dict(os.environ, MINIMEM_PROGRESS="0",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout + run.stderr


def unmarked(source: str) -> str:
    """A cell's source without the solution marker lines: what the learner wrote."""
    return "\n".join(line for line in source.splitlines()
                     if not line.strip().startswith((exercises.BEGIN, exercises.END)))


def answers(source_nb) -> dict[str, str]:
    """grade id -> what a learner who wrote the solution has in that answer cell."""
    return {c.metadata["nbgrader"]["grade_id"]: unmarked(c.source) for c in source_nb.cells
            if c.metadata["nbgrader"]["solution"]}


def wrong_answer(chapter: str, source_nb) -> tuple[str, str]:
    """(grade id, wrong answer source) of the exercise got wrong."""
    filled = answers(source_nb)
    if chapter[:2] in WRONG:
        grade_id, right, wrong = WRONG[chapter[:2]]
        assert right in filled[grade_id]
        source = filled[grade_id].replace(right, wrong)
    else:  # the last autograded answer's first block becomes `return None`
        grade_id = [c.metadata["nbgrader"]["grade_id"] for c in source_nb.cells
                    if c.metadata["nbgrader"]["solution"] and c.cell_type == "code"][-1]
        cell = next(c for c in source_nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
        block = re.compile(rf"^([ \t]*){re.escape(exercises.BEGIN)}.*?^[ \t]*"
                           rf"{re.escape(exercises.END)}[^\n]*$", re.M | re.S)
        source = unmarked(block.sub(lambda m: f"{m.group(1)}return None  # a wrong answer",
                                    cell.source, count=1))
    return grade_id, source


def submission(release_nb, filled: dict[str, str]):
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if grade_id in filled:
            cell.source = filled[grade_id]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The whole course through nbgrader: one generate_assignment, one autograde and one
    generate_feedback, each for every chapter (and the three students)."""
    try:
        from nbgrader.api import Gradebook
    except ImportError:  # not a skip: CI must run the round trip
        pytest.fail("nbgrader is missing: pip install -e '.[classroom]' (make installs it)")

    out = tmp_path_factory.mktemp("classroom") / "course"
    solutions = shutil.copytree(ROOT / "solutions", out.parent / "solutions")  # held still
    assert classroom.main(["--out", str(out), "--solutions", str(solutions)]) == 0
    wrong = {}
    nbgrader(out, "generate_assignment", "*")  # every chapter (one nbgrader start, not six)
    for path in CHAPTERS:
        release = nbformat.read(out / "release" / path.stem / path.name, as_version=4)
        source = nbformat.read(out / "source" / path.stem / path.name, as_version=4)
        grade_id, bad = wrong[path.stem] = wrong_answer(path.stem, source)
        filled = answers(source)
        wrong_cells = {**filled, grade_id: bad}
        if path.stem[:2] == WARNS[0]:
            _, warned, line, warning = WARNS
            assert line in wrong_cells[warned]
            wrong_cells[warned] = wrong_cells[warned].replace(line, line + warning)
        for student, cells in [("solutions", filled), ("untouched", {}),
                               ("one_wrong", wrong_cells)]:
            folder = out / "submitted" / student / path.stem
            folder.mkdir(parents=True)
            nbformat.write(submission(release, cells), folder / path.name)
    nbgrader(out, "autograde", "*")
    nbgrader(out, "generate_feedback", "*")
    scores = {}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "minimem") as gradebook:
        for path in CHAPTERS:
            for student in STUDENTS:
                sub = gradebook.find_submission_notebook(path.stem, path.stem, student)
                scores[path.stem, student] = {
                    g.name: (g.auto_score, g.max_score, g.cell_type) for g in sub.grades}
    return out, scores, wrong, solutions


def autograded(scores: dict) -> tuple[float, float]:
    cells = [(got, most) for got, most, kind in scores.values() if kind == "code"]
    return sum(got for got, _ in cells), sum(most for _, most in cells)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_release_has_no_answers_and_reads_like_the_exercise(course, path):
    out, _, _, solutions = course
    release = nbformat.read(out / "release" / path.stem / path.name, as_version=4)
    solution = nbformat.read(solutions / path.name, as_version=4)
    # the learner's exercises/NN notebook, as `make exercises` writes it (test_exercises.py
    # checks that the committed one is exactly this)
    exercise = exercises.make_exercise(solution, f"solutions/{path.name}")
    text = nbformat.writes(release)
    answer_lines = {line.strip() for cell in solution.cells if cell.cell_type == "code"
                    for line in _inside_markers(cell.source)}
    leaked = [line for line in answer_lines if line and any(
        line == l.strip() for c in release.cells for l in c.source.splitlines())]
    assert not leaked and exercises.BEGIN not in text and "Worked answer" not in text
    # Same cells as the learner's exercise notebook, except that each answer cell's checker
    # calls moved to the autograded cell after it: same instruction text, same stubs.
    tests = [c for c in release.cells if c.metadata["nbgrader"].get("grade")
             and c.cell_type == "code"]
    kept = [c for c in release.cells if c not in tests]
    assert len(kept) == len(exercise.cells)
    for mine, theirs in zip(kept, exercise.cells):
        assert mine.cell_type == theirs.cell_type
        if mine.metadata["nbgrader"]["solution"] and mine.cell_type == "code":
            stubs, calls = classroom.split_checks(theirs.source, path.name)
            assert mine.source == stubs
            test = release.cells[release.cells.index(mine) + 1]
            assert all(call in test.source for call in calls)
        else:
            assert mine.source == theirs.source


def _inside_markers(source: str):
    inside = False
    for line in source.splitlines():
        if line.strip().startswith(exercises.BEGIN):
            inside = True
        elif line.strip().startswith(exercises.END):
            inside = False
        elif inside:
            yield line


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_autograde_scores_the_three_submissions(course, path):
    _, scores, wrong, _ = course
    got, most = autograded(scores[path.stem, "solutions"])
    assert got == most > 0, scores[path.stem, "solutions"]  # full marks
    assert autograded(scores[path.stem, "untouched"])[0] == 0, scores[path.stem, "untouched"]
    one_wrong = scores[path.stem, "one_wrong"]
    grade_id = wrong[path.stem][0]
    assert one_wrong[f"{grade_id}_check"][0] == 0
    if path.stem[:2] == WARNS[0]:  # a warning is not a failure
        assert one_wrong[f"{WARNS[1]}_check"][0] == one_wrong[f"{WARNS[1]}_check"][1] > 0
    assert autograded(one_wrong)[0] == most - one_wrong[f"{grade_id}_check"][1] > 0  # partial
    manual = [most for _, most, kind in scores[path.stem, "solutions"].values()
              if kind == "markdown"]
    untouched = [got for got, _, kind in scores[path.stem, "untouched"].values()
                 if kind == "markdown"]
    assert untouched == [0] * len(manual)  # an empty answer box scores 0 without a grader


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_feedback_shows_the_checkers_message(course, path):
    """The checker's report reaches the learner whole: the ✘ line (with what was expected and
    received) comes before any traceback, and the failed assert says where to look."""
    out, _, wrong, _ = course
    page = (out / "feedback" / "one_wrong" / path.stem / f"{path.stem}.html").read_text(
        encoding="utf-8")
    page = html.unescape(re.sub(r"<[^>]+>", "", page))
    grade_id, _ = wrong[path.stem]
    message = re.search(r"^✘ .*$", page, re.M)  # one exercise is wrong: its checker's line
    assert message, "no ✘ line of the checker in the feedback"
    traceback = "Traceback (most recent call last)"
    assert page.find(traceback) > message.end()  # nothing before it failed, nothing hides it
    details = page[message.end(): page.index(traceback, message.end())]
    assert "expected" in details and "received" in details
    exercise = grade_id.removeprefix("exercise_").replace("_", ".")
    assert f"AssertionError: Exercise {exercise} is not solved yet" in page[message.end():]
