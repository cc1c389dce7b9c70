"""Training speed of chapter 01's MemN2N (Sukhbaatar et al. 2015, https://arxiv.org/abs/1503.08895)
on real bAbI 1k tasks, with the paper's full recipe; prints a Markdown table.

    python tools/speed_ch01.py --tasks 1 2      (the shipped bAbI 1k; --babi-dir for another copy)

Each timed run trains a fresh 3-hop model (PE, adjacent tying, d = 20) for `--epochs` epochs
of the benchmark's recipe: one sixth of them linear start (as 20 of 120 in the paper's
schedule), the rest with the softmax; batch 32, summed loss, SGD, clip 40, random noise 0.1,
the nil word re-zeroed after each step, and the validation set (the last 10 % of the training
file) evaluated after every epoch, as `python -m minimem.memn2n bench` does. One torch thread.
Before the timed runs every implementation trains one untimed epoch (a warm-up: imports,
allocator, caches). The timed runs alternate between the implementations, `--repeats` times.

`--impl NAME=SPEC` (repeatable) names what to time: SPEC is a module (default
`new=minimem.memn2n`) or the path of a single-file module with the old interface, e.g.
`git show 89066c3:minimem/memn2n.py > /tmp/old_memn2n.py` (the module before the split) then
`--impl old=/tmp/old_memn2n.py`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import torch

from minimem.data import babi
from minimem.training import setup


def load_impl(spec: str):
    """A module from a dotted name or from the path of a .py file."""
    if spec.endswith(".py"):
        path = Path(spec)
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module  # dataclasses look their module up here
        module_spec.loader.exec_module(module)
        return module
    return importlib.import_module(spec)


def task_data(babi_dir: str, task: int):
    """(vocab size, memory size, train set, valid set) split as the paper check splits them."""
    train_ex = babi.load_task(babi_dir, task, "train")
    test_ex = babi.load_task(babi_dir, task, "test")
    everything = train_ex + test_ex
    vocab = babi.Vocab(everything)
    M = min(50, max(len(ex.story) for ex in everything))
    L = max(max([len(s) for s in ex.story] + [len(ex.question)]) for ex in everything)
    cut = len(train_ex) - len(train_ex) // 10
    return len(vocab), M, vocab.encode(train_ex[:cut], M, L), vocab.encode(train_ex[cut:], M, L)


def train_epochs(module, data, epochs: int, seed: int = 0) -> tuple[float, float]:
    """(wall-clock, CPU) seconds to train a fresh model for `epochs` epochs of the full recipe."""
    V, M, train_set, valid_set = data
    ls_epochs = max(1, round(epochs / 6)) if epochs > 1 else 0
    setup(seed, threads=1)
    model = module.MemN2N(V, 20, M, 3)
    if hasattr(module, "Recipe"):  # the package: a recipe dataclass
        recipe = module.Recipe(epochs=epochs - ls_epochs, ls_epochs=ls_epochs)
        optimizer = module.make_optimizer(model, recipe)  # the first one imports torch._dynamo
        start, cpu = time.perf_counter(), time.process_time()
        module.train(model, train_set, valid_set, recipe, optimizer=optimizer, seed=seed,
                     progress=False)
    else:  # the single-file module before the split: keyword arguments
        start, cpu = time.perf_counter(), time.process_time()
        module.train(model, train_set, valid_set, epochs=epochs - ls_epochs,
                     ls_epochs=ls_epochs, seed=seed, progress=False)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--babi-dir", default=None,
                        help="folder or .tar.gz of the bAbI v1.2 release (default: the copy "
                             "shipped with minimem)")
    parser.add_argument("--tasks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=6, help="epochs per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per implementation")
    parser.add_argument("--impl", action="append", metavar="NAME=SPEC",
                        help="implementation to time (default new=minimem.memn2n)")
    args = parser.parse_args()
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be at least 1")
    if args.babi_dir is not None and not Path(args.babi_dir).exists():
        parser.error(f"--babi-dir {args.babi_dir} does not exist")
    impls = {}
    for item in args.impl or ["new=minimem.memn2n"]:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            parser.error(f"--impl must look like NAME=SPEC, got {item!r}")
        impls[name] = load_impl(spec)
    torch.set_num_threads(1)
    rows = []
    for task in args.tasks:
        data = task_data(args.babi_dir, task)
        n_train = len(data[2][2])
        for module in impls.values():  # warm-up, untimed
            train_epochs(module, data, 1)
        wall, cpu = {name: [] for name in impls}, {name: [] for name in impls}
        for _ in range(args.repeats):  # alternate: old, new, old, new, ...
            for name, module in impls.items():
                seconds, cpu_seconds = train_epochs(module, data, args.epochs)
                wall[name].append(seconds / args.epochs)
                cpu[name].append(cpu_seconds / args.epochs)
        for name in impls:
            median = statistics.median(wall[name])
            rows.append(f"| {task} | {name} | {n_train} | {median:.3f} | {min(wall[name]):.3f} | "
                        f"{statistics.median(cpu[name]):.3f} | {1000 * median / n_train:.3f} |")
    print(f"Seconds per epoch ({args.epochs} epochs per run, median and best of {args.repeats} "
          f"alternating runs, one torch thread, torch {torch.__version__}; CPU = the process's "
          f"CPU time).\n")
    print("| task | implementation | training examples | s/epoch (median) | s/epoch (best) "
          "| CPU s/epoch (median) | ms per example (median) |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
