"""bAbI-style question answering data for chapter 01 (End-to-End Memory Networks, Sukhbaatar et
al. 2015, https://arxiv.org/abs/1503.08895); the tasks are Weston et al. (2015),
https://arxiv.org/abs/1502.05698.

    format.py  Example, tokenize, read / write (the original v1.2 text format), task_file_name,
               load_task (finds the standard file names), TASK_NAMES
    world.py   generate(task_id, n, seed): stories from a small simulated world, GENERATED_TASKS
    vocab.py   Vocab: words <-> ids, examples -> padded LongTensors

`from minimem.data import babi` then `babi.read(...)`, `babi.generate(...)`, `babi.Vocab(...)`.
"""

from .format import TASK_NAMES, Example, load_task, read, task_file_name, tokenize, write
from .vocab import Vocab
from .world import (GENERATED_TASKS, LEAVE, PACE, PEOPLE, PLACES, TAKE, THEN, THINGS, WALK,
                    generate)

__all__ = ["Example", "tokenize", "read", "write", "task_file_name", "load_task", "TASK_NAMES",
           "generate", "GENERATED_TASKS", "Vocab", "PEOPLE", "PLACES", "THINGS", "WALK", "TAKE",
           "LEAVE", "THEN", "PACE"]
