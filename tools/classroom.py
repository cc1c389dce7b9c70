"""Instructor tool: the course's exercises as an nbgrader course directory.

    python tools/classroom.py [--out build/classroom] [--chapters 00 01 …] [--force]
    python tools/classroom.py --table          (the per-chapter points table, as Markdown)

writes, for every chapter with a `solutions/NN_name.ipynb` (new chapters are picked up by
themselves), an nbgrader *source* notebook `source/NN_name/NN_name.ipynb`, plus
`nbgrader_config.py` and a short README. Nothing else is needed before `nbgrader
generate_assignment NN_name`: nbgrader creates its gradebook (`gradebook.db`) on first use and
adds students when it autogrades their submissions. `book/instructors.md` is the instructor's
guide.

How a solutions notebook becomes an nbgrader source notebook (tools/exercises.py's markers,
parsed by tools/exercises.py itself):

- a code cell holding `### BEGIN SOLUTION` blocks is split in two: the *answer cell* (nbgrader
  "solution" cell: the definitions, answers included) and, after it, a read-only *autograded
  test cell* that asserts the result of the checker calls which ended the solutions cell
  (`assert checks.check_causal_mask(causal_mask), …`). Its points are the exercise's
  difficulty, the filled dots of `difficulty ●●○` in the exercise's markdown heading;
- a markdown cell tagged `solution` (the worked answer to an open question) becomes a manually
  graded answer cell worth the open question's difficulty dots;
- every other cell (statements, the set-up cell, demonstrations) is read-only.

`generate_assignment` then stubs each answer exactly as `make exercises` does (the config
carries a copy of tools/exercises.py's stub rule, taken from that file when the course is
written), so a released notebook reads like the learner's `exercises/NN_name.ipynb`.

Nothing an instructor wrote is overwritten silently: an existing, non-empty course directory
is refused unless `--force`; with `--force` only the generated files are rewritten, and one
that changed since is first copied to `<out>/.backup/` (gradebook, submissions, releases and
feedback are never touched). Needs `nbformat`; running nbgrader needs the `classroom` extra.
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime
import inspect
import re
import shutil
import sys
from pathlib import Path

import nbformat

import exercises  # tools/exercises.py: the one parser of the solution markers
from minimem.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^##\s+Exercise\s+(\d+\.\d+)\b.*?\n\s*difficulty\s+([●○]+)", re.M)
TIME = re.compile(r"\*\*(?:Total )?[Tt]ime:\*\*\s*(about[^.]*?)\s*(?:\.|$)", re.S)
CHAPTER = re.compile(r"^\d\d_\w+$")


class ClassroomError(ValueError):
    """A solutions notebook that cannot be turned into an nbgrader source notebook."""


def chapters(solutions: Path, wanted: list[str] | None = None) -> list[Path]:
    """solutions/NN_name.ipynb of every chapter (or of the chapters named by number or name)."""
    found = [p for p in sorted(Path(solutions).glob("*.ipynb")) if CHAPTER.match(p.stem)]
    if not found:
        raise ClassroomError(f"no chapter notebooks (NN_name.ipynb) in {solutions}")
    if not wanted:
        return found
    chosen = [p for p in found if any(p.stem == w or p.stem[:2] == w.zfill(2) for w in wanted)]
    unknown = [w for w in wanted if not any(p.stem == w or p.stem[:2] == w.zfill(2) for p in found)]
    if unknown:
        raise ClassroomError(f"no chapter {', '.join(unknown)} in {solutions}; chapters: "
                             + ", ".join(p.stem for p in found))
    return chosen


def _is_check_call(node: ast.stmt) -> bool:
    call = node.value if isinstance(node, ast.Expr) else None
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "checks"
            and call.func.attr.startswith("check_"))


def split_checks(source: str, where: str) -> tuple[str, list[str]]:
    """Split a solutions code cell into (definitions, [checker calls]): the cell must end with
    one or more `checks.check_…(…)` statements, and only those are moved."""
    exercises.strip_cell_source(source, where)  # the markers must be well formed
    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        raise ClassroomError(f"{where}: not valid Python ({error})") from None
    first = next((i for i, node in enumerate(body) if _is_check_call(node)), None)
    if first is None:
        raise ClassroomError(f"{where}: an answer cell must end with the chapter's checker "
                             f"call (`checks.check_…(your_function)`), found none")
    if not all(_is_check_call(node) for node in body[first:]):
        raise ClassroomError(f"{where}: after the first checker call only checker calls may "
                             f"follow (they move to the autograded test cell)")
    lines = source.splitlines()
    definitions = "\n".join(lines[: body[first].lineno - 1]).rstrip()
    calls = [ast.get_source_segment(source, node) for node in body[first:]]
    return definitions, calls


def check_cell_source(exercise: str, points: int, calls: list[str]) -> str:
    """The read-only autograded cell: the checkers print their report, the assert scores it."""
    plural = "s" if points != 1 else ""
    head = (f"# Exercise {exercise} · autograded, {points} point{plural}: "
            f"the checker runs your code.")
    whose = "checkers'" if len(calls) > 1 else "checker's"
    why = f"Exercise {exercise} is not solved yet: the {whose} lines above say what differs."
    if len(calls) == 1:
        return f"{head}\nassert {calls[0]}, (\n    {why!r})"
    listed = ",\n           ".join(calls)
    return f"{head}\nresults = [{listed}]\nassert all(results), (\n    {why!r})"


def _nbgrader(cell, grade_id: str, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _clean(cell) -> nbformat.NotebookNode:
    """A copy of a solutions cell without run results and without the website's hiding tags
    (what tools/exercises.py drops too)."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("execution", None)
    tags = [t for t in cell.metadata.get("tags", [])
            if t not in exercises.HIDING_TAGS and t != "solution"]
    cell.metadata.pop("tags", None)
    if tags:
        cell.metadata["tags"] = tags
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def make_source(solution: nbformat.NotebookNode, name: str) -> tuple[nbformat.NotebookNode, list]:
    """The nbgrader source notebook of one solutions notebook, and its graded parts:
    [(exercise id, kind "autograded" | "manual", points)]."""
    nb = copy.deepcopy(solution)
    nb.metadata.pop("widgets", None)
    nb.metadata[exercises.METADATA_KEY] = {"generated_from": name}
    cells, graded, exercise, points, used = [], [], None, None, set()
    for index, original in enumerate(solution.cells):
        where, cell = f"{name}, cell {index}", _clean(original)
        heading = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            exercise, points = heading.group(1), heading.group(2).count("●")
        answer = "solution" in original.metadata.get("tags", [])
        is_code_answer = cell.cell_type == "code" and exercises.BEGIN in cell.source
        if (answer or is_code_answer) and exercise is None:
            raise ClassroomError(f"{where}: an answer before any '## Exercise N.k' heading "
                                 f"with its 'difficulty ●●○' line")
        if (answer or is_code_answer) and exercise in used:
            raise ClassroomError(f"{where}: exercise {exercise} has a second answer cell; give "
                                 f"each exercise one answer cell (or its own heading)")
        gid = f"exercise_{exercise.replace('.', '_')}" if exercise else ""
        if is_code_answer:
            used.add(exercise)
            cell.source, calls = split_checks(cell.source, where)
            test = nbformat.v4.new_code_cell(check_cell_source(exercise, points, calls))
            test["id"] = f"{gid}_check"  # not a random one: the same files on every run
            cells += [_nbgrader(cell, gid, solution=True),
                      _nbgrader(test, f"{gid}_check", grade=True, locked=True, points=points)]
            graded.append((exercise, "autograded", points))
        elif answer:
            used.add(exercise)
            if cell.cell_type != "markdown":
                raise ClassroomError(f"{where}: only markdown cells may be tagged 'solution'")
            cells.append(_nbgrader(cell, f"{gid}_answer", solution=True, grade=True,
                                   points=points))
            graded.append((exercise, "manual", points))
        else:
            cells.append(_nbgrader(cell, f"readonly_{index:02d}", locked=True))
    nb.cells = cells
    return nb, graded


def chapter_time(solution: nbformat.NotebookNode) -> str:
    """The time estimate in the opening cell ('about 60 minutes (plus 20 for the bonus)')."""
    found = TIME.search(solution.cells[0].source) if solution.cells else None
    return " ".join(found.group(1).split()) if found else "not stated"


def points_table(solutions: Path, wanted: list[str] | None = None) -> str:
    """The Markdown table of points per chapter (book/instructors.md holds a copy)."""
    rows = ["| chapter | autograded (points per exercise) | manually graded | total | time |",
            "| --- | --- | --- | --- | --- |"]
    for path in chapters(solutions, wanted):
        solution = nbformat.read(path, as_version=4)
        _, graded = make_source(solution, f"solutions/{path.name}")
        auto = [(e, p) for e, kind, p in graded if kind == "autograded"]
        manual = [(e, p) for e, kind, p in graded if kind == "manual"]
        total = sum(p for _, _, p in graded)
        rows.append(f"| `{path.stem}` | {_points(auto)} | {_points(manual)} | {total} | "
                    f"{chapter_time(solution)} |")
    return "\n".join(rows)


def _points(items: list[tuple[str, int]]) -> str:
    """'0.1: 2 + 0.2: 1 = **3**', or 'none'."""
    if not items:
        return "none"
    return " + ".join(f"{e}: {p}" for e, p in items) + f" = **{sum(p for _, p in items)}**"


def config_text() -> str:
    """nbgrader_config.py: the course's stubs (a copy of tools/exercises.py's rule) and limits."""
    stub_rule = "\n\n".join(inspect.getsource(f) for f in (
        exercises.ExerciseError, exercises._stub, exercises.strip_cell_source))
    return f'''"""nbgrader configuration of the minimem course (written by tools/classroom.py).

Regenerate it (python tools/classroom.py --force) rather than editing the stub rule: the rule
below is a copy of tools/exercises.py's, so that released notebooks carry the same stubs as the
learner's exercises/ notebooks (`raise NotImplementedError("<what to write>")`).
"""
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme,
                                    ClearOutput, ClearSolutions, ComputeChecksums,
                                    IncludeHeaderFooter, InstantiateTests, LockCells, SaveCells)

c = get_config()  # noqa: F821 (given by nbgrader)
c.CourseDirectory.course_id = "minimem"

BEGIN, END = {exercises.BEGIN!r}, {exercises.END!r}
DEFAULT_HINT = {exercises.DEFAULT_HINT!r}


{stub_rule}

class CourseStubs(ClearSolutions):
    """nbgrader's ClearSolutions with the course's stubs for `### BEGIN SOLUTION task: …`."""

    def _replace_solution_region(self, cell, language):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            return super()._replace_solution_region(cell, language)
        grade_id = cell.metadata.get("nbgrader", {{}}).get("grade_id", "?")
        cell.source = strip_cell_source(cell.source, f"cell {{grade_id}}")
        return True


c.ClearSolutions.text_stub = {exercises.ANSWER_BOX!r}  # an open question's answer box
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, CourseStubs, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme,
    ComputeChecksums, CheckCellMetadata,
]  # nbgrader 0.9's list, with CourseStubs in place of ClearSolutions

# A cell may run this long while autograding (the slowest cell of a chapter takes seconds).
c.Execute.timeout = 300
# nbgrader gives 0 to a test cell that writes anything to stderr: a Python warning raised by
# a learner's (correct) code must not cost the exercise, so warnings are dropped before grading.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\\w+Warning: "
'''


README = """# minimem — nbgrader course directory

Generated by `python tools/classroom.py` from the repository's `solutions/` notebooks: one
assignment per chapter in `source/`. The guide is the course book's page *For instructors*
(`book/instructors.md`). In short, from this directory:

    nbgrader generate_assignment 00_attention     # -> release/00_attention/ (answers removed)
    # copy each learner's notebook to submitted/<learner>/00_attention/00_attention.ipynb
    nbgrader autograde 00_attention               # -> autograded/, scores in gradebook.db
    nbgrader generate_feedback 00_attention       # -> feedback/<learner>/00_attention/*.html

Points (exercise: points; open questions are graded by hand):

{table}
"""


def plan(solutions: Path, wanted: list[str] | None = None) -> dict[str, str]:
    """{relative path: text} of everything the course directory gets, computed before any
    write, so a bad solutions notebook stops the run with no file changed."""
    files = {"nbgrader_config.py": config_text(),
             "README.md": README.format(table=points_table(solutions, wanted))}
    for path in chapters(solutions, wanted):
        name = f"{Path(solutions).name}/{path.name}"
        try:
            solution = nbformat.read(path, as_version=4)
        except Exception as error:
            raise ClassroomError(f"{name} is not a readable notebook ({error})") from None
        try:
            source, _ = make_source(solution, name)
        except exercises.ExerciseError as error:
            raise ClassroomError(str(error)) from None
        files[f"source/{path.stem}/{path.name}"] = nbformat.writes(source) + "\n"
    return files


def write_course(out: Path, solutions: Path, wanted: list[str] | None = None,
                 force: bool = False) -> list[str]:
    """Write the course directory; one message per file. Raises ClassroomError when `out`
    already holds files and `force` is not given."""
    out = Path(out)
    files = plan(Path(solutions), wanted)
    if out.exists() and any(out.iterdir()) and not force:
        raise ClassroomError(f"{out} already exists and is not empty: nothing was written. "
                             f"Rerun with --force to regenerate the course files (what "
                             f"changed is kept in {out / '.backup'}; the gradebook, "
                             f"submissions and feedback are never touched)")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    messages = []
    for relative, text in files.items():
        target = out / relative
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            messages.append(f"up to date: {target}")
            continue
        saved = None
        if current is not None:
            saved = out / ".backup" / stamp / relative
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, saved)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
        messages.append(f"wrote: {target}" + (f" (the previous one: {saved})" if saved else ""))
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/classroom.py",
                                     description="Write the exercises as an nbgrader course.")
    parser.add_argument("--out", type=Path, default=Path("build/classroom"),
                        help="the course directory (default: build/classroom)")
    parser.add_argument("--chapters", nargs="+", metavar="NN",
                        help="only these chapters (numbers such as 00 or names); default: all")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--force", action="store_true",
                        help="regenerate the course files in an existing course directory")
    parser.add_argument("--table", action="store_true",
                        help="print the per-chapter points table (Markdown) and stop")
    args = parser.parse_args(argv)
    try:
        if args.table:
            print(points_table(args.solutions, args.chapters))
            return 0
        messages = write_course(args.out, args.solutions, args.chapters, args.force)
    except ClassroomError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(messages))
    print(f"next: cd {args.out} && nbgrader generate_assignment <chapter>  "
          f"(see book/instructors.md)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
