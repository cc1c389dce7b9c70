"""One-off diagnostic for chapter 01 (benchmarks/ch01_babi_real.md): does the paper's position
encoding with J = the sentence's own length (Sukhbaatar et al. 2015, Section 4.1) instead of
the padded length L rescue bAbI task 16? It swaps `MemN2N.embed` for a version that weights
each sentence by the encoding of its own length, then trains like `memn2n bench`.

    python tools/babi_pe_experiment.py TASK[,TASK…] RUNS      e.g.  16 2

Prints one line per run: task, seed, test error %, training error %, seconds. Not part of the
library: the shipped model keeps J = L (see the benchmark for why this was not adopted).
"""

from __future__ import annotations

import sys

import torch

from minimem.memn2n import experiment
from minimem.memn2n import model as memn2n_model


def encodings(L: int, d: int) -> torch.Tensor:
    """(L + 1, L, d): entry [J] is the paper's l_kj for a sentence of J words (rows >= J zero)."""
    table = torch.zeros(L + 1, L, d)
    for J in range(1, L + 1):
        j = torch.arange(1, J + 1, dtype=torch.float32)[:, None]  # (J, 1)
        k = torch.arange(1, d + 1, dtype=torch.float32)[None, :]  # (1, d)
        table[J, :J] = (1 - j / J) - (k / d) * (1 - 2 * j / J)
    return table


def embed_by_sentence_length(self, table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """MemN2N.embed with J = each sentence's number of words (ids (..., L) -> (..., w))."""
    L, (_, w) = ids.shape[-1], table.shape
    bags = ids.reshape(-1, L)  # (N, L)
    if not self.use_position:
        return table[bags].sum(1).reshape(*ids.shape[:-1], w)
    weights = encodings(L, self.embed_dim).repeat(1, 1, w // self.embed_dim)  # (L+1, L, w)
    lengths = (bags > 0).sum(-1)  # (N,) words per sentence
    return (table[bags] * weights[lengths]).sum(1).reshape(*ids.shape[:-1], w)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    memn2n_model.MemN2N.embed = embed_by_sentence_length
    for task in (int(t) for t in argv[0].split(",")):
        train, test = experiment.task_examples(task)
        for seed in range(int(argv[1])):
            r = experiment.run_once(train, test, seed)
            print(task, seed, r["test_error"], r["train_error"], r["seconds"], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
