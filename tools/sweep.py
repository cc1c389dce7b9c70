"""Bad-input sweep: what does minimem do with input a careless or hostile user gives it?

Each case (tools/sweep_cases.py) runs in its own Python process with a memory and a time
limit, and its outcome is sorted into one of six classes:

    clear      a ValueError/TypeError/OSError raised by minimem whose message names the
               argument (or, for a command line: a non-zero exit with a one-line message)
    foreign    the right kind of error, but raised inside Python, torch or NumPy (or without
               naming the argument), so the message speaks their language, not ours
    unhelpful  another kind of error (IndexError, RuntimeError, ...), or a command-line traceback
    silent     no error at all: the bad input was accepted
    hang       still running when the time limit ran out
    crash      the process died (a signal such as a segfault, or the memory limit)

    python tools/sweep.py [--root DIR] [--json OUT] [--jobs 2] [--only SUBSTRING]

`--root` runs the cases against another checkout (e.g. an old commit in a git worktree) to
compare before and after. The cases run against a temporary copy of `ROOT/minimem`, so a
command that writes into its own package (as `train-hull` once did) cannot damage the
checkout. Prints a Markdown table of the counts and every case not "clear".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sweep_cases

CLASSES = ("clear", "foreign", "unhelpful", "silent", "hang", "crash")
CLEAR_TYPES = {"ValueError", "TypeError", "OSError", "KeyError"}  # and their subclasses
MEMORY = 6 * 2**30  # bytes of address space per case (torch alone reserves ~2 GB)
RUNNER = r"""
import json, resource, sys, traceback
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
try:
    exec(compile(sys.argv[1], "<case>", "exec"), {{}})
    print("\nSWEEP" + json.dumps({{"raised": False}}))
except BaseException as error:
    frames = traceback.extract_tb(error.__traceback__)
    print("\nSWEEP" + json.dumps({{
        "raised": True, "type": type(error).__name__, "message": str(error)[:400],
        "bases": [c.__name__ for c in type(error).__mro__],
        "where": frames[-1].filename if frames else ""}}))
"""


def run_case(case: sweep_cases.Case, root: Path, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "MINIMEM_PROGRESS": "0",
           "MINIMEM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory() as work:
        if case.cli:
            command = [sys.executable, *case.code.split()]
        else:
            command = [sys.executable, "-c", RUNNER.format(memory=MEMORY), case.code]
        try:
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"class": "hang", "detail": f"still running after {timeout:.0f} s"}
    return classify(case, done)


def classify(case: sweep_cases.Case, done: subprocess.CompletedProcess) -> dict:
    if done.returncode < 0:
        return {"class": "crash", "detail": f"killed by signal {-done.returncode}"}
    if case.cli:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        if done.returncode == 0:
            return {"class": "silent", "detail": "exit 0"}
        if "Traceback" in done.stderr:
            return {"class": "unhelpful", "detail": f"traceback: {last[:200]}"}
        named = case.names.lower() in done.stderr.lower()
        return {"class": "clear" if named else "foreign", "detail": last[:200]}
    marker = done.stdout.rfind("SWEEP")
    if marker < 0:  # the runner never reported: killed by the memory limit or similar
        return {"class": "crash", "detail": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    report = json.loads(done.stdout[marker + 5:])
    if not report["raised"]:
        return {"class": "silent", "detail": "returned normally"}
    detail = f"{report['type']}: {report['message'][:200]}"
    if report["type"] == "MemoryError":
        return {"class": "crash", "detail": detail}
    if not CLEAR_TYPES & set(report["bases"]):
        return {"class": "unhelpful", "detail": detail}
    ours = f"{os.sep}minimem{os.sep}" in report["where"]
    named = case.names.lower() in report["message"].lower()
    return {"class": "clear" if ours and named else "foreign", "detail": detail}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--json", type=Path, help="also write every outcome here")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--only", default="", help="run the cases whose id contains this")
    args = parser.parse_args(argv)
    if args.json and not args.json.parent.is_dir():
        parser.error(f"--json: folder {args.json.parent} does not exist")
    cases = [c for c in sweep_cases.CASES if args.only in c.id]
    with tempfile.TemporaryDirectory() as copy:
        shutil.copytree(args.root / "minimem", Path(copy) / "minimem",
                        ignore=shutil.ignore_patterns("__pycache__"))
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda c: run_case(c, Path(copy), args.timeout), cases))
    counts = Counter(o["class"] for o in outcomes)
    print(f"{len(cases)} cases against {args.root}\n")
    print("| " + " | ".join(CLASSES) + " |\n|" + " ---: |" * len(CLASSES))
    print("| " + " | ".join(str(counts[c]) for c in CLASSES) + " |\n")
    for case, outcome in zip(cases, outcomes):
        if outcome["class"] != "clear":
            print(f"- {outcome['class']}: `{case.id}` — {outcome['detail']}")
    if args.json:
        args.json.write_text(json.dumps({c.id: o for c, o in zip(cases, outcomes)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
