"""End-to-End Memory Networks (Sukhbaatar, Szlam, Weston & Fergus, NeurIPS 2015,
https://arxiv.org/abs/1503.08895). Chapter 01.

    model.py       the mechanism: position_encoding, temporal_indices, memory_read, MemN2N
    train.py       the paper's recipe on minimem.training.fit (Recipe, train), evaluate,
                   bAbI examples -> tensors (encode_task), save_checkpoint / load_checkpoint
    experiment.py  the paper check (Table 1): run_once, best_run, benchmark, PAPER_TABLE1
    report.py      the paper check as a Markdown table
    __main__.py    python -m minimem.memn2n bench --tasks 1 2 3 6 11 --runs 3 --json F
"""

from .experiment import PAPER_TABLE1, RunConfig, benchmark, best_run, run_once, task_examples
from .model import MemN2N, memory_read, position_encoding, temporal_indices
from .report import format_report
from .train import (Data, Recipe, TaskData, check_data, encode_task, evaluate, load_checkpoint,
                    make_optimizer, save_checkpoint, train)

__all__ = ["MemN2N", "position_encoding", "temporal_indices", "memory_read", "Recipe", "train",
           "evaluate", "make_optimizer", "check_data", "Data", "TaskData", "encode_task",
           "save_checkpoint", "load_checkpoint", "RunConfig", "run_once", "benchmark",
           "task_examples", "best_run", "PAPER_TABLE1", "format_report"]
