"""The exercise generator, and the committed exercise notebooks it produces."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import exercises as course  # tools/exercises.py, the maintainer tool

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def solution_notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def write(folder: Path, name: str, nb) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def answer_lines(source: str) -> list[str]:
    """The non-blank lines between the solution markers of one cell."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip().startswith(course.BEGIN):
            inside = True
        elif line.strip().startswith(course.END):
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def test_committed_exercises_are_what_the_generator_makes(tmp_path):
    assert SOLUTIONS, "no solution notebooks found"
    messages = course.generate(ROOT / "solutions", ROOT / "exercises", check=True)
    stale = [m for m in messages if not m.startswith("up to date")]
    assert not stale, stale
    assert sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb")) == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_no_answer_leaks_into_the_exercise(solution):
    sol = nbformat.read(solution, as_version=4)
    exercise = (ROOT / "exercises" / solution.name).read_text()
    ex = nbformat.reads(exercise, as_version=4)
    answers = [line for cell in sol.cells if cell.cell_type == "code" for line in answer_lines(cell.source)]
    assert answers, f"{solution.name} has no marked answers"
    exercise_code = "\n".join(c.source for c in ex.cells if c.cell_type == "code")
    leaked = [line for line in answers if line in exercise_code.splitlines() or f"    {line}" in exercise_code.splitlines()]
    assert not leaked, f"answer lines visible in the exercise: {leaked}"
    assert course.BEGIN not in exercise and course.END not in exercise
    for sol_cell, ex_cell in zip(sol.cells, ex.cells):
        if "solution" in sol_cell.metadata.get("tags", []):
            assert ex_cell.source == course.ANSWER_BOX
    assert all(not c.get("outputs") for c in ex.cells if c.cell_type == "code")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_every_stub_gives_the_friendly_message(solution):
    """Run the exercise as a learner would, before writing anything: no cell may crash."""
    nb = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "exercises")}}).execute()
    checked = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "raise NotImplementedError" not in cell.source:
            continue
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "not implemented yet" in text, f"cell without the friendly message:\n{cell.source}"
        assert not any(o.output_type == "error" for o in cell.outputs)
        checked += 1
    assert checked >= 3


def test_stub_forms_and_markdown_answers(tmp_path):
    nb = solution_notebook(
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION hint: Double it.\n    return 2 * x\n    ### END SOLUTION\n\ncheck(f)"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION stub: y = ...\ny = 3\n### END SOLUTION\nprint(y)"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nz = 1\n### END SOLUTION"),
        nbformat.v4.new_markdown_cell("The answer is ultramarine.", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION task: Write g.\ng = 1\n### END SOLUTION"),
    )
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="ok")]
    write(tmp_path / "solutions", "01_x.ipynb", nb)
    assert course.generate(tmp_path / "solutions", tmp_path / "exercises") == [f"wrote: {tmp_path / 'exercises' / '01_x.ipynb'}"]
    ex = nbformat.read(tmp_path / "exercises" / "01_x.ipynb", as_version=4)
    assert ex.cells[0].source == "def f(x):\n    raise NotImplementedError('Double it.')\n\ncheck(f)"
    assert ex.cells[0].outputs == []
    assert ex.cells[1].source == "y = ...\nprint(y)"
    assert ex.cells[2].source == f"raise NotImplementedError({course.DEFAULT_HINT!r})"
    assert ex.cells[3].source == course.ANSWER_BOX and "ultramarine" not in json.dumps(ex)
    assert ex.cells[4].source == "raise NotImplementedError('Write g.')"


def test_the_tags_that_collapse_answers_on_the_website_stay_in_the_solutions(tmp_path):
    nb = solution_notebook(
        nbformat.v4.new_code_cell("### BEGIN SOLUTION task: Write x.\nx = 1\n### END SOLUTION",
                                  metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\ny = 2\n### END SOLUTION\nprint(y)",
                                  metadata={"tags": ["nbval-check-output", "hide-input"]}),
        nbformat.v4.new_code_cell("draw()  # a helper the exercise hides too",
                                  metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_markdown_cell("<details>\n<summary>Show the worked answer</summary>\n\n"
                                      "Blue.\n\n</details>", metadata={"tags": ["solution"]}),
    )
    write(tmp_path / "solutions", "01_t.ipynb", nb)
    course.generate(tmp_path / "solutions", tmp_path / "exercises")
    ex = nbformat.read(tmp_path / "exercises" / "01_t.ipynb", as_version=4)
    assert "tags" not in ex.cells[0].metadata  # the learner sees the stub
    assert ex.cells[1].metadata.tags == ["nbval-check-output"]
    assert ex.cells[2].metadata.tags == ["hide-input"]  # no answer in it: left as it is
    assert ex.cells[3].source == course.ANSWER_BOX and "details" not in ex.cells[3].source
    assert nbformat.read(tmp_path / "solutions" / "01_t.ipynb", as_version=4) == nb  # untouched


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_no_exercise_hides_a_stub(solution):
    ex = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    hidden = [index for index, cell in enumerate(ex.cells)
              if "NotImplementedError" in cell.source
              and set(cell.metadata.get("tags", [])) & set(course.HIDING_TAGS)]
    assert not hidden, f"exercises/{solution.name}: stubs hidden in cells {hidden}"


def test_an_edited_exercise_is_kept_unless_forced(tmp_path):
    nb = solution_notebook(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nz = 1\n### END SOLUTION"))
    write(tmp_path / "solutions", "02_y.ipynb", nb)
    course.generate(tmp_path / "solutions", tmp_path / "exercises")
    target = tmp_path / "exercises" / "02_y.ipynb"
    mine = nbformat.read(target, as_version=4)
    mine.cells[0].source = "z = 1  # my own answer"
    nbformat.write(mine, target)
    # the solutions change, so the generator would like to rewrite the file
    nb.cells.append(nbformat.v4.new_markdown_cell("A new note."))
    write(tmp_path / "solutions", "02_y.ipynb", nb)
    messages = course.generate(tmp_path / "solutions", tmp_path / "exercises")
    assert messages[0].startswith("kept:") and "02_y.ipynb" in messages[0] and "--force" in messages[0]
    assert "my own answer" in target.read_text()
    assert course.main(["--solutions", str(tmp_path / "solutions"),
                        "--exercises", str(tmp_path / "exercises")]) == 1
    assert course.generate(tmp_path / "solutions", tmp_path / "exercises", force=True)[0].startswith("wrote:")
    assert "my own answer" not in target.read_text() and "A new note." in target.read_text()


def test_forcing_over_edits_or_outputs_backs_the_learners_file_up(tmp_path):
    nb = solution_notebook(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nz = 1\n### END SOLUTION"))
    write(tmp_path / "solutions", "02_y.ipynb", nb)
    course.generate(tmp_path / "solutions", tmp_path / "exercises")
    target = tmp_path / "exercises" / "02_y.ipynb"
    ran = nbformat.read(target, as_version=4)  # sources untouched, but run: outputs are theirs
    ran.cells[0].outputs = [nbformat.v4.new_output("stream", text="my run")]
    ran.metadata["kernelspec"] = {"name": "my-kernel", "display_name": "mine"}
    nbformat.write(ran, target)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new note."))
    write(tmp_path / "solutions", "02_y.ipynb", nb)
    message = course.generate(tmp_path / "solutions", tmp_path / "exercises")[0]
    assert message.startswith("wrote:") and "your previous version" in message
    saved = list((tmp_path / "exercises" / ".backup").iterdir())
    assert len(saved) == 1 and "my run" in saved[0].read_text() and "my-kernel" in saved[0].read_text()
    assert "A new note." in target.read_text()


def test_a_bad_solutions_notebook_stops_the_run_before_any_write(tmp_path):
    good = solution_notebook(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nz = 1\n### END SOLUTION"))
    write(tmp_path / "solutions", "01_a.ipynb", good)
    course.generate(tmp_path / "solutions", tmp_path / "exercises")
    before = (tmp_path / "exercises" / "01_a.ipynb").read_text()
    good.cells.append(nbformat.v4.new_markdown_cell("Changed."))
    write(tmp_path / "solutions", "01_a.ipynb", good)  # would be rewritten...
    (tmp_path / "solutions" / "02_b.ipynb").write_text("{ not json")  # ...but this one is bad
    with pytest.raises(course.ExerciseError, match="02_b.ipynb is not a readable notebook"):
        course.generate(tmp_path / "solutions", tmp_path / "exercises")
    assert (tmp_path / "exercises" / "01_a.ipynb").read_text() == before
    assert sorted(p.name for p in (tmp_path / "exercises").iterdir()) == ["01_a.ipynb"]


def test_an_unchanged_exercise_is_regenerated_and_check_mode_writes_nothing(tmp_path):
    nb = solution_notebook(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nz = 1\n### END SOLUTION"))
    write(tmp_path / "solutions", "03_z.ipynb", nb)
    course.generate(tmp_path / "solutions", tmp_path / "exercises")
    nb.cells.append(nbformat.v4.new_markdown_cell("More."))
    write(tmp_path / "solutions", "03_z.ipynb", nb)
    assert course.generate(tmp_path / "solutions", tmp_path / "exercises", check=True)[0].startswith("out of date")
    assert "More." not in (tmp_path / "exercises" / "03_z.ipynb").read_text()
    assert course.generate(tmp_path / "solutions", tmp_path / "exercises")[0].startswith("wrote:")
    assert course.generate(tmp_path / "solutions", tmp_path / "exercises")[0].startswith("up to date")


@pytest.mark.parametrize("source, fragment", [
    ("### BEGIN SOLUTION\nx = 1\n", "line 1: '### BEGIN SOLUTION' has no matching '### END SOLUTION'"),
    ("x = 1\n### END SOLUTION\n", "line 2: '### END SOLUTION' without a '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "line 2: '### BEGIN SOLUTION' inside the block opened on line 1"),
    ("### BEGIN SOLUTION please\n### END SOLUTION", "expected nothing, 'task: …', 'hint: …' or 'stub: …'"),
])
def test_malformed_markers_name_notebook_cell_and_line(tmp_path, source, fragment):
    nb = solution_notebook(nbformat.v4.new_markdown_cell("intro"), nbformat.v4.new_code_cell(source))
    write(tmp_path / "solutions", "04_bad.ipynb", nb)
    with pytest.raises(course.ExerciseError) as error:
        course.generate(tmp_path / "solutions", tmp_path / "exercises")
    assert "solutions/04_bad.ipynb, cell 1" in str(error.value) and fragment in str(error.value)
    assert not (tmp_path / "exercises" / "04_bad.ipynb").exists()
    assert course.main(["--solutions", str(tmp_path / "solutions"),
                        "--exercises", str(tmp_path / "exercises")]) == 2


def test_no_solutions_is_an_error(tmp_path):
    with pytest.raises(course.ExerciseError, match="no solution notebooks"):
        course.generate(tmp_path, tmp_path / "exercises")


def test_a_non_notebook_in_the_way_is_never_overwritten(tmp_path):
    write(tmp_path / "solutions", "05_w.ipynb", solution_notebook(nbformat.v4.new_code_cell("### BEGIN SOLUTION\n### END SOLUTION")))
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "05_w.ipynb").write_text("my notes, not a notebook")
    assert course.generate(tmp_path / "solutions", tmp_path / "exercises")[0].startswith("kept:")
    assert (tmp_path / "exercises" / "05_w.ipynb").read_text() == "my notes, not a notebook"
