"""Tiny helpers to write a notebook from Python (used by maintainers to draft notebooks).

    from tools.nbbuild import md, code, save
    save("notebooks/00_x.ipynb", [md("# Title"), code("print(1)", tags=["nbval-ignore-output"])])

The committed .ipynb files are the source of truth once written; this only saves typing.
"""

from __future__ import annotations

import textwrap

import nbformat


def md(text: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip("\n"))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def code(text: str, tags: list[str] | None = None, check: bool = False) -> nbformat.NotebookNode:
    """A code cell; check=True tags it `nbval-check-output` (output compared exactly)."""
    cell = nbformat.v4.new_code_cell(textwrap.dedent(text).strip("\n"))
    tags = list(tags or []) + (["nbval-check-output"] if check else [])
    if tags:
        cell.metadata["tags"] = tags
    return cell


def save(path: str, cells: list) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable, readable cell ids
        cell.id = f"cell-{i:02d}"
    nbformat.write(nb, path)
