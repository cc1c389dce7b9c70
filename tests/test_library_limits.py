"""The library stays readable in one sitting (DESIGN.md, CONTRIBUTING.md): no file over 300
lines, no function over 50 unless a `# long:` comment on its first line says why, argparse
only in `__main__.py`, and the maintainer tools outside the learner's package."""

import ast
from pathlib import Path

import pytest

import minimem

PACKAGE = Path(minimem.__file__).parent
FILES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_file_limits(path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= 300, f"{path.name} has {len(lines)} lines: split it"
    uses_argparse = "import argparse" in text
    assert not uses_argparse or path.name == "__main__.py", \
        f"{path.name} imports argparse: command lines live in __main__.py"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            reason = "# long:" in lines[node.lineno - 1]
            assert length <= 50 or reason, f"{path.name}: {node.name} has {length} lines"


def test_no_maintainer_tool_in_the_package():
    """The exercise generator needs nbformat, a maintainer's dependency: it lives in tools/."""
    for path in FILES:
        assert "import nbformat" not in path.read_text(encoding="utf-8"), path.name
