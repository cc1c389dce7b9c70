"""Maintainer tool: generate the learner's exercise notebooks from the solutions.

`solutions/NN_name.ipynb` is the single hand-edited source. In its code cells the answer sits
between nbgrader-style marker lines:

    ### BEGIN SOLUTION                      -> raise NotImplementedError("Write this part.")
    ### BEGIN SOLUTION task: Write f(x).     -> raise NotImplementedError("Write f(x).")
    ### BEGIN SOLUTION hint: Use a softmax.  -> raise NotImplementedError("Use a softmax.")
    ### BEGIN SOLUTION stub: mask = ...      -> mask = ...
    ...answer lines...
    ### END SOLUTION

(the stub keeps the BEGIN line's indentation). Prefer `task:`: a stub's first message should
say *what* to write; hints belong to the checker (`minimem.checks.register_hints`), which
shows them after a wrong answer or on request. `hint:` is kept for older notebooks. A
markdown cell tagged `solution` (a worked answer to an open question) becomes an empty answer
box. Outputs are cleared.

On the website a solution is one click away but not in the way: in `solutions/`, each code
cell holding an answer block carries the myst-nb tag `hide-input` (collapsed source, the
checker's output visible), and each worked answer is wrapped in `<details>` (collapsed in the
book and in JupyterLab alike); a test (`tests/test_notebook_conventions.py`) insists on both.
The generator drops those hiding tags from the exercise version, so learners see their stubs.

The generator records a hash of what it wrote in the notebook's metadata. When the exercise
file on disk no longer matches that hash, a learner has edited it, and it is left alone
unless `force=True` (`--force`).

    python tools/exercises.py [--force] [--check]      (what `make exercises` runs)

A maintainer's tool, not part of the learner's `minimem` package: it needs `nbformat`, which
the `test` extra installs.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import shutil
import sys
from pathlib import Path

import nbformat

from minimem.files import atomic_write

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
DEFAULT_HINT = "Exercise: replace this line with your code."
ANSWER_BOX = "**Your answer:** *write it here.*"
METADATA_KEY = "minimem"
HIDING_TAGS = ("hide-input", "hide-cell", "remove-input", "remove-cell")  # solutions/ only


class ExerciseError(ValueError):
    """A solutions notebook whose markers cannot be turned into an exercise."""


def _stub(spec: str, where: str) -> str:
    if spec.startswith("stub:"):
        return spec[len("stub:"):].strip() or "..."
    for word in ("task:", "hint:"):
        if spec.startswith(word):
            return f"raise NotImplementedError({spec[len(word):].strip()!r})"
    if spec:
        raise ExerciseError(f"{where}: after '{BEGIN}' expected nothing, 'task: …', 'hint: …' "
                            f"or 'stub: …', got {spec!r}")
    return f"raise NotImplementedError({DEFAULT_HINT!r})"


def strip_cell_source(source: str, where: str) -> str:
    """Replace each marked answer block of one code cell's source by its stub."""
    out: list[str] = []
    begin_line = None
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if text.startswith(BEGIN):
            if begin_line is not None:
                raise ExerciseError(f"{where}, line {number}: '{BEGIN}' inside the block "
                                    f"opened on line {begin_line} (missing '{END}')")
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + _stub(text[len(BEGIN):].strip(), f"{where}, line {number}"))
        elif text.startswith(END):
            if begin_line is None:
                raise ExerciseError(f"{where}, line {number}: '{END}' without a '{BEGIN}'")
            begin_line = None
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise ExerciseError(f"{where}, line {begin_line}: '{BEGIN}' has no matching '{END}'")
    return "\n".join(out)


def sources_hash(nb: nbformat.NotebookNode) -> str:
    """A hash of every cell's type and source: what a learner changes when they edit."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        digest.update(cell.cell_type.encode() + b"\0" + cell.source.encode() + b"\0")
    return digest.hexdigest()


def make_exercise(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The exercise version of a solutions notebook: answers stubbed, outputs cleared."""
    nb = copy.deepcopy(solution)
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            if BEGIN in cell.source:
                _drop_tags(cell, HIDING_TAGS)  # a learner must see the stub they fill in
            cell.source = strip_cell_source(cell.source, where)
            cell.outputs, cell.execution_count = [], None
        elif "solution" in cell.metadata.get("tags", []):
            cell.source = ANSWER_BOX
            cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != "solution"]
        elif BEGIN in cell.source:
            raise ExerciseError(f"{where}: solution markers in a {cell.cell_type} cell; tag "
                                f"the markdown cell 'solution' instead")
    nb.metadata[METADATA_KEY] = {"generated_from": name, "sources_sha256": sources_hash(nb)}
    return nb


def _drop_tags(cell: nbformat.NotebookNode, tags: tuple[str, ...]) -> None:
    """Remove `tags` from a cell's metadata (and the tag list itself when nothing is left)."""
    kept = [t for t in cell.metadata.get("tags", []) if t not in tags]
    if kept:
        cell.metadata["tags"] = kept
    else:
        cell.metadata.pop("tags", None)


def learner_edited(path: Path) -> bool:
    """True when an existing exercise file's sources differ from what the generator wrote."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return True  # unreadable or not a notebook: it is not ours to overwrite
    recorded = nb.metadata.get(METADATA_KEY, {}).get("sources_sha256")
    return recorded != sources_hash(nb)


def backup(path: Path) -> Path:
    """Copy a learner's file (their edits, outputs, kernel choice) before it is replaced."""
    folder = path.parent / ".backup"
    folder.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    counter = 1
    while target.exists():
        target, counter = folder / f"{path.stem}-{stamp}-{counter}{path.suffix}", counter + 1
    shutil.copy2(path, target)
    return target


def plan(solutions: Path, exercises: Path) -> list[tuple[Path, str]]:
    """(target, text) for every exercise, all computed before anything is written, so a bad
    solutions notebook stops the run with no file changed."""
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise ExerciseError(f"no solution notebooks (*.ipynb) found in {solutions}")
    planned = []
    for source in sources:
        name = f"{solutions.name}/{source.name}"
        try:
            solution = nbformat.read(source, as_version=4)
        except Exception as error:
            raise ExerciseError(f"{name} is not a readable notebook ({error})") from None
        planned.append((exercises / source.name,
                        nbformat.writes(make_exercise(solution, name)) + "\n"))
    return planned


def generate(solutions: Path, exercises: Path, force: bool = False,
             check: bool = False) -> list[str]:
    """Write exercises/NAME.ipynb for each solutions/NAME.ipynb. Returns one message per file.

    With check=True nothing is written; a message starting with "out of date" names each
    exercise that differs from what would be generated. Raises ExerciseError on bad markers
    (before writing anything). A file whose sources a learner edited is kept unless `force`;
    a file replaced while holding a learner's work (edits, outputs) is first copied to
    `exercises/.backup/`. Every write is atomic.
    """
    messages = []
    for target, text in plan(Path(solutions), Path(exercises)):
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            messages.append(f"up to date: {target}")
        elif check:
            messages.append(f"out of date: {target} (run `make exercises`)")
        elif current is not None and learner_edited(target) and not force:
            messages.append(f"kept: {target} was edited since it was generated; "
                            f"rerun with --force to overwrite it")
        else:
            saved = backup(target) if current is not None and _holds_work(target) else None
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, text)
            messages.append(f"wrote: {target}" + (f" (your previous version: {saved})"
                                                   if saved else ""))
    return messages


def _holds_work(path: Path) -> bool:
    """Edited sources, or outputs / an execution count a learner produced by running it."""
    if learner_edited(path):
        return True
    nb = nbformat.read(path, as_version=4)
    return any(c.get("outputs") or c.get("execution_count") for c in nb.cells
               if c.cell_type == "code")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/exercises.py",
                                     description="Generate exercises/ from solutions/.")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--exercises", type=Path, default=Path("exercises"))
    parser.add_argument("--force", action="store_true", help="overwrite exercises a learner edited")
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args(argv)
    try:
        messages = generate(args.solutions, args.exercises, args.force, args.check)
    except ExerciseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(messages))
    return 1 if any(m.startswith(("out of date", "kept")) for m in messages) else 0


if __name__ == "__main__":
    raise SystemExit(main())
