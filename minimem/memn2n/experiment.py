"""The chapter-01 paper check: MemN2N on bAbI 1k beside Table 1 of Sukhbaatar et al. (2015),
https://arxiv.org/abs/1503.08895 ("PE LS RN" column). Run it with `python -m minimem.memn2n bench`.

Each run trains the paper's configuration (3 hops, adjacent tying, d = 20, memory
min(50, longest story)) with the paper's recipe (`train.Recipe`) on 90 % of the training
examples and reports its test error; per task the best of several seeds is chosen by
validation accuracy (then validation loss), as the paper reports its best runs.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

from minimem.data import babi
from minimem.training import setup

from .model import MemN2N
from .train import Recipe, encode_task, evaluate, make_optimizer, save_checkpoint, train

# Sukhbaatar et al. (2015), Table 1, bAbI 1k, "PE LS RN" column: test error % per task (mean 13.9).
PAPER_TABLE1 = {1: 0.0, 2: 8.3, 3: 40.3, 4: 2.8, 5: 13.1, 6: 7.6, 7: 17.3, 8: 10.0, 9: 13.2,
                10: 15.1, 11: 0.9, 12: 0.2, 13: 0.4, 14: 1.7, 15: 0.0, 16: 1.3, 17: 51.0,
                18: 11.1, 19: 82.8, 20: 0.0}


@dataclass(frozen=True)
class RunConfig:
    """One run of the paper check: the model's shape and the training recipe."""

    hops: int = 3
    embed_dim: int = 20
    position_encoding: bool = True  # False: bag of words
    max_memory: int = 50  # memory size = min(max_memory, longest story)
    valid_fraction: float = 0.1  # the last 10 % of the training examples
    recipe: Recipe = field(default_factory=Recipe)


def run_once(train_examples: list[babi.Example], test_examples: list[babi.Example], seed: int,
             config: RunConfig = RunConfig()) -> dict:
    """Train one model (one torch thread) and report its test error %, validation accuracy
    and loss, and the seconds spent training and testing. The result's "checkpoint" holds what
    `save_checkpoint` needs to write the trained model."""
    setup(seed, threads=1)
    data = encode_task(train_examples, test_examples, config.max_memory, config.valid_fraction)
    model = MemN2N(len(data.vocab), config.embed_dim, data.memory_size, config.hops,
                   position_encoding=config.position_encoding)
    optimizer = make_optimizer(model, config.recipe)  # imports torch._dynamo once: off the clock
    start = time.perf_counter()
    history = train(model, data.train, data.valid, config.recipe, optimizer=optimizer, seed=seed,
                    progress=False)
    test_acc, _ = evaluate(model, data.test)
    return {"seed": seed, "test_error": round(100 * (1 - test_acc), 2),
            "valid_acc": history.last("valid_acc"), "valid_loss": history.last("valid_loss"),
            "seconds": round(time.perf_counter() - start, 1),
            "checkpoint": {"config": model.config, "state": model.state_dict(),
                           "words": data.vocab.words, "sentence_len": data.sentence_len}}


def _run_job(job: tuple) -> dict:
    train_examples, test_examples, seed, config = job
    return run_once(train_examples, test_examples, seed, config)


def task_examples(task: int, babi_dir: str | None = None, size: str = "1k") -> tuple[list, list]:
    """(train, test) examples of a task: the bAbI files in `babi_dir`, or generated
    (`babi.generate(task, 1000, seed=0)` for training, seed=1 for testing, like bAbI 1k)."""
    if babi_dir:
        return babi.load_task(babi_dir, task, "train", size), babi.load_task(babi_dir, task, "test", size)
    return babi.generate(task, 1000, seed=0), babi.generate(task, 1000, seed=1)


def benchmark(tasks: list[int], *, runs: int = 3, babi_dir: str | None = None, size: str = "1k",
              jobs: int = 1, config: RunConfig = RunConfig(), save: str | None = None) -> dict:
    """Best-of-`runs` test error % per task (best by validation accuracy, then loss), beside
    the paper's. Without `babi_dir` the tasks are generated. `jobs` runs in parallel
    processes, one thread each. `save` (one task only) writes the best run's model for
    `load_checkpoint`."""
    if save and len(tasks) != 1:
        raise ValueError(f"save needs exactly one task, got tasks={tasks}")
    start = time.perf_counter()
    data = {task: task_examples(task, babi_dir, size) for task in tasks}
    job_list = [(*data[t], seed, config) for t in tasks for seed in range(runs)]
    if jobs > 1:  # each run in its own process, one thread each
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_run_job, job_list))
    else:
        results = [_run_job(job) for job in job_list]
    settings = {"runs": runs, **{k: v for k, v in asdict(config).items() if k != "recipe"},
                **asdict(config.recipe), "threads_per_run": 1, "jobs": jobs}
    report = {"source": f"bAbI {size} from {babi_dir}" if babi_dir else "generated (minimem)",
              "settings": settings, "tasks": {}}
    for i, task in enumerate(tasks):
        task_runs = results[i * runs:(i + 1) * runs]
        best = max(task_runs, key=lambda r: (r["valid_acc"], -r["valid_loss"]))
        if save:
            _save_best(save, best, task)
        for r in task_runs:
            del r["checkpoint"]
        report["tasks"][str(task)] = {
            "paper_error": PAPER_TABLE1[task], "best_error": best["test_error"],
            "best_seed": best["seed"], "run_errors": [r["test_error"] for r in task_runs],
            "seconds": round(sum(r["seconds"] for r in task_runs), 1), "runs": task_runs}
    report["wall_seconds"] = round(time.perf_counter() - start, 1)
    return report


def _save_best(path: str, best: dict, task: int) -> None:
    saved = best["checkpoint"]
    model = MemN2N(**saved["config"])
    model.load_state_dict(saved["state"])
    metrics = {k: best[k] for k in ("test_error", "valid_acc", "valid_loss", "seed")}
    save_checkpoint(path, model, babi.Vocab.from_words(saved["words"]), saved["sentence_len"],
                    metrics, task=task)
