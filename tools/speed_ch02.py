"""Speed of chapter 02 (Pointer Networks): training, decoding, metrics and `eval-hull` end to end.

Times the current `minimem.pointer` package, one torch thread, and prints a Markdown table.
With `--old`, also times an older single-file version side by side (runs alternate old, new,
old, new, ...; the table shows medians), e.g. the one before the package split:

    git show 89066c3:minimem/pointer.py > /tmp/old_pointer.py
    git show 89066c3:minimem/data/geometry.py > /tmp/old_geometry.py
    python tools/speed_ch02.py --old /tmp/old_pointer.py --old-geometry /tmp/old_geometry.py

The old code gets the shipped weights converted back to its own format, and (with
`--old-geometry`) its own geometry module, so its metrics are timed as they were.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minimem import pointer as P  # noqa: E402
from minimem.data import geometry  # noqa: E402
from minimem.training import fit  # noqa: E402


def load_module(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_old(pointer_path: str, geometry_path: str | None):
    """The old pointer module, bound to the old geometry module if one is given."""
    import minimem.data as data

    old_geometry = load_module("old_geometry", geometry_path) if geometry_path else geometry
    saved, data.geometry = data.geometry, old_geometry  # what `from minimem.data import geometry` finds
    try:
        return load_module("old_pointer", pointer_path), old_geometry
    finally:
        data.geometry = saved


def old_checkpoint_file(folder: str) -> str:
    """The shipped weights in the old pickled format (keys W1/W2/v at the top level)."""
    model, ckpt = P.load_hull_checkpoint()
    state = {k.replace("attention.", ""): v for k, v in model.state_dict().items()}
    arch = {k: ckpt.config[k] for k in ("input_dim", "hidden", "mask", "bidirectional")}
    path = os.path.join(folder, "old_pointer_hull.pt")
    torch.save({"model": arch, "state_dict": state, "train_config": ckpt.extra["recipe"],
                "metrics": ckpt.metrics, "train_wall_s": ckpt.extra["train_wall_s"]}, path)
    return path


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def train_steps(module, new: bool, steps: int):
    """`steps` steps of the hull recipe (batch 128, n in 5..10), data generation included."""
    def run():
        torch.manual_seed(0)
        model, rng = module.PointerNet(2, 128, mask="cycle"), np.random.default_rng(0)
        batch = lambda step: module.hull_batch(128, int(rng.choice(range(5, 11))), rng)
        if new:
            fit(model, batch, P.pointer_loss, steps=steps, lr=2e-3, clip_grad_norm=2.0,
                lr_at=P.decay_schedule(2e-3, steps, 0.5), progress=False)
        else:
            module.train_pointer(model, batch, steps=steps, lr=2e-3, decay_from=0.5, progress=False)
    return run


def cases(old, old_geometry, old_model, args) -> list[tuple[str, str, float, object, object]]:
    """(name, unit, amount, old run or None, new run): the rate is amount / seconds."""
    new_model, _ = P.load_hull_checkpoint()
    rows = [("training, hull recipe", "steps/s", args.train_steps,
             old and train_steps(old, False, args.train_steps), train_steps(P, True, args.train_steps))]
    rng = np.random.default_rng(0)
    rows.append(("hull targets, batch 128, n = 10", "batches/s", 20,
                 old and (lambda: [old.hull_batch(128, 10, rng) for _ in range(20)]),
                 lambda: [P.hull_batch(128, 10, rng) for _ in range(20)]))
    for n in (5, 10, 20, 50):
        pts = [p for p, _ in P.eval_set(n, args.count)]
        rows.append((f"greedy decoding, n = {n}", "examples/s", len(pts),
                     old and (lambda pts=pts: old.predict_hulls(old_model, pts)),
                     lambda pts=pts: P.predict_hulls(new_model, pts)))
    for n in (5, 10):
        pts = [p for p, _ in P.eval_set(n, args.beam_count)]
        rows.append((f"beam search (4), n = {n}", "examples/s", len(pts),
                     old and (lambda pts=pts: old.predict_hulls(old_model, pts, beam=4)),
                     lambda pts=pts: P.predict_hulls(new_model, pts, beam=4)))
    examples = geometry.read_examples(args.file)
    points, truth = [p for p, _ in examples], [s for _, s in examples]
    preds = P.predict_hulls(new_model, points)
    rows.append((f"area coverage + validity, {len(points)} answers", "answers/s", len(points),
                 old and (lambda: old_geometry.area_coverage(points, preds, truth)),
                 lambda: geometry.area_coverage(points, preds, truth)))
    rows.append((f"reading {Path(args.file).name} ({len(points)} lines)", "lines/s", len(points),
                 old and (lambda: old_geometry.read_examples(args.file)),
                 lambda: geometry.read_examples(args.file)))
    return rows


def command_seconds(argv: list[str]) -> float:
    env = {**os.environ, "MINIMEM_THREADS": "1", "MINIMEM_PROGRESS": "0"}
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    if sys.argv[1:2] == ["_old-cli"]:  # run the old command line (a subprocess of this tool)
        old, _ = load_old(sys.argv[2], sys.argv[3] if sys.argv[3] != "-" else None)
        old.main(sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", help="an older minimem/pointer.py to compare with")
    parser.add_argument("--old-geometry", help="the geometry.py that goes with --old")
    parser.add_argument("--file", nargs="+", default=None,
                        help="hull files for eval-hull (default: made here, n = 5 and 10, 10 000 each)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per measurement")
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--beam-count", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix="speed_ch02_")
    if args.file is None:
        args.file = []
        for n in (5, 10):
            path = os.path.join(tmp, f"hull_n{n}.txt")
            geometry.write_examples(path, geometry.make_hull_examples(10_000, n, seed=n))
            args.file.append(path)
    old = old_geometry = old_model = None
    if args.old:
        old, old_geometry = load_old(args.old, args.old_geometry)
        old_ckpt = old_checkpoint_file(tmp)
        old_model = old.load_hull_checkpoint(old_ckpt)
    files, args.file = args.file, args.file[0]
    table = []
    for name, unit, amount, old_run, new_run in cases(old, old_geometry, old_model, args):
        old_s, new_s = [], []
        for run in (old_run, new_run):  # warm up: first calls pay for one-off set-up
            if run:
                run()
        for _ in range(args.rounds):
            if old_run:
                old_s.append(seconds(old_run))
            new_s.append(seconds(new_run))
        table.append((name, unit, amount / statistics.median(old_s) if old_s else None,
                      amount / statistics.median(new_s)))
    python = str(Path(sys.executable))
    for path in files:
        new_cmd = [python, "-m", "minimem.pointer", "eval-hull", "--file", path]
        old_cmd = old and [python, __file__, "_old-cli", args.old, args.old_geometry or "-",
                           "eval-hull", "--file", path, "--checkpoint", old_ckpt]
        old_s, new_s = [], []
        for _ in range(args.rounds):
            if old_cmd:
                old_s.append(command_seconds(old_cmd))
            new_s.append(command_seconds(new_cmd))
        table.append((f"`eval-hull --file {Path(path).name}`, process start to exit", "s",
                      statistics.median(old_s) if old_s else None, statistics.median(new_s)))
    floor = statistics.median(command_seconds([python, "-c", "import torch"]) for _ in range(args.rounds))
    table.append(("`python -c 'import torch'` (the floor of any command)", "s", None, floor))
    print(f"One torch thread, medians of {args.rounds} alternating runs.\n")
    print("| measurement | unit | old | new | new vs old |\n| --- | --- | --- | --- | --- |")
    for name, unit, o, n in table:
        ratio = "" if o is None else (f"{n / o:.2f}×" if unit != "s" else f"{o / n:.2f}× faster")
        print(f"| {name} | {unit} | {'' if o is None else f'{o:,.1f}'} | {n:,.1f} | {ratio} |")


if __name__ == "__main__":
    main()
