"""bAbI-style question answering data for chapter 01 (End-to-End Memory Networks, Sukhbaatar et
al. 2015, https://arxiv.org/abs/1503.08895); the tasks are Weston et al. (2015),
https://arxiv.org/abs/1502.05698.

    format.py  Example, tokenize, read / parse / write (the original v1.2 text format),
               task_file_name, TASK_NAMES, load_task (the shipped bAbI 1k archive by default:
               `babi.load_task(3, "test")`; or a folder / .tar.gz of the release)
    world.py   generate(task_id, n, seed): stories from a small simulated world, GENERATED_TASKS
    vocab.py   Vocab: words <-> ids, examples -> padded LongTensors

`from minimem.data import babi` then `babi.read(...)`, `babi.generate(...)`, `babi.Vocab(...)`.
"""

from .format import (SHIPPED_ARCHIVE, TASK_NAMES, Example, load_task, parse, read, task_file_name,
                     tokenize, write)
from .vocab import Vocab
from .world import (GENERATED_TASKS, LEAVE, PACE, PEOPLE, PLACES, TAKE, THEN, THINGS, WALK,
                    generate)

__all__ = ["Example", "tokenize", "read", "parse", "write", "SHIPPED_ARCHIVE", "task_file_name", "load_task", "TASK_NAMES",
           "generate", "GENERATED_TASKS", "Vocab", "PEOPLE", "PLACES", "THINGS", "WALK", "TAKE",
           "LEAVE", "THEN", "PACE"]
