"""Every lesson and solutions notebook follows the course conventions (CONTRIBUTING.md)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_opening_and_closing(path):
    first, last = source(cells(path)[0]), source(cells(path)[-1])
    assert re.match(rf"# {path.name[:2]} · \S", first), "title '# NN · …' expected"
    for part in ("You will learn to", "Prerequisites", "Run time"):
        assert part in first, f"opening cell lacks '{part}'"
    for part in ("What to remember", "Reference", "Next"):
        assert part in last, f"closing cell lacks '{part}'"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_seeded_executed_path_free_and_asserted(path):
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    assert "training.setup(seed=" in source(code[0]), "first code cell must call training.setup(seed=…)"
    assert any(c.get("outputs") for c in code), "commit the notebook executed"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    assert not any("# NBVAL_" in source(c) for c in code), \
        "mark checked cells with the nbval-check-output tag, not a '# NBVAL_' comment"
    text = path.read_text()
    for machine_path in ("/work/", "/root/", "/tmp/", "/home/"):
        assert machine_path not in text, f"output contains a machine path ({machine_path}…)"
    if path.parent.name == "notebooks":
        assert any(re.search(r"^\s*assert ", source(c), re.M) for c in code), "assert the claim in a cell"
        explorers = [c for c in code if "viz.explorer(" in source(c)]
        assert all("nbval-ignore-output" in c["metadata"].get("tags", []) for c in explorers)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercises_state_difficulty_and_time(path):
    headers = [source(c) for c in cells(path) if source(c).startswith("## Exercise")]
    assert len(headers) >= 3
    for header in headers:
        assert "difficulty" in header and "minutes" in header, header.splitlines()[0]


# Solutions are one click away but not in the way (STYLE.md). On the website (myst-nb 1.x) a
# code cell tagged hide-input shows a collapsed source with a toggle and its output in full.
# myst-nb ignores the tags of markdown cells, so a worked answer is wrapped in <details>, which
# the book and JupyterLab both show collapsed (a MyST {dropdown} would be raw text in Lab).
# tools/exercises.py drops the tags from the exercise version; a worked answer becomes a box.
BEGIN = "### BEGIN SOLUTION"
DETAILS = re.compile(r"\A<details>\n<summary>[^\n]+</summary>\n\n.*\S\n\n</details>\Z", re.S)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_answer_code_is_collapsed_on_the_website(path):
    missing = [f"solutions/{path.name}, cell {index}: a code cell with a '{BEGIN}' block needs "
               f"the cell tag 'hide-input' (its source collapses on the website, its output "
               f"stays visible)" for index, cell in enumerate(cells(path))
               if cell["cell_type"] == "code" and BEGIN in source(cell)
               and "hide-input" not in cell["metadata"].get("tags", [])]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_worked_answers_are_collapsed(path):
    open_answers = [f"solutions/{path.name}, cell {index}: wrap the worked answer as "
                    "'<details>\\n<summary>Show the worked answer</summary>\\n\\n…\\n\\n</details>' "
                    "(myst-nb ignores tags on markdown cells; the blank lines let the text inside "
                    "render as Markdown)" for index, cell in enumerate(cells(path))
                    if cell["cell_type"] == "markdown"
                    and "solution" in cell["metadata"].get("tags", [])
                    and not DETAILS.match(source(cell).strip())]
    assert not open_answers, "\n".join(open_answers)
