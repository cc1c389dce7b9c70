"""Benchmark (`make bench`): execute every lesson and solution notebook in a fresh kernel,
time each, and write the table to benchmarks/notebooks.md. Targets: each lesson <= 60 s on
2 CPU cores (chapter 00 <= 20 s); `--with-test` also times the whole `make test` command.

Notebooks are executed from a copy; the committed files are not touched.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LIMIT_S = {"notebooks/00_attention.ipynb": 20.0}
DEFAULT_LIMIT_S = 60.0


def run_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-test", action="store_true", help="also time `make test`")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "notebooks.md")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all)")
    args = parser.parse_args()
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
        (ROOT / "solutions").glob("*.ipynb"))
    rows, over = [], []
    for path in paths:
        name = str(path.resolve().relative_to(ROOT))
        seconds = run_notebook(path.resolve())
        limit = LIMIT_S.get(name, DEFAULT_LIMIT_S)
        ok = seconds <= limit
        if not ok:
            over.append(name)
        rows.append(f"| `{name}` | {seconds:.1f} | {limit:.0f} | {'yes' if ok else 'NO'} |")
        print(rows[-1], flush=True)
    total = sum(float(r.split("|")[2]) for r in rows)
    lines = [
        "# Notebook run times",
        "",
        f"Measured {datetime.date.today()} by `make bench` on {os.cpu_count()} CPU cores "
        f"({platform.machine()}, Python {platform.python_version()}), each notebook in a fresh "
        f"kernel, MINIMEM_THREADS={os.environ.get('MINIMEM_THREADS', '1 (default)')}.",
        "",
        "| notebook | seconds | target (s) | within target |",
        "| --- | ---: | ---: | --- |",
        *rows,
        f"| **total** | **{total:.1f}** | | |",
    ]
    if args.with_test:
        start = time.perf_counter()
        code = subprocess.call(["make", "test"], cwd=ROOT)
        lines += ["", f"`make test` (venv already set up): {time.perf_counter() - start:.0f} s, "
                      f"exit code {code}."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    if over:
        print("over target:", ", ".join(over))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
