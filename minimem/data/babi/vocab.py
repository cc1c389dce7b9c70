"""Word ids for bAbI examples: a `Vocab` that turns `Example`s into the padded LongTensors a
memory network reads (chapter 01, End-to-End Memory Networks, Sukhbaatar et al. 2015,
https://arxiv.org/abs/1503.08895).

Dimension names: N examples, M memory slots (sentences), L words per sentence.
"""

from __future__ import annotations

import operator
from typing import Iterable, Sequence

import torch

from .format import Example


class Vocab:
    """Word <-> id map (0 is the padding word) and the encoder to padded LongTensors."""

    def __init__(self, examples: Iterable[Example]):
        words = set()
        for ex in examples:
            words.update(w for s in ex.story for w in s)
            words.update(ex.question)
            words.add(ex.answer)
        self.words = ["<nil>"] + sorted(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def from_words(cls, words: Sequence[str]) -> "Vocab":
        """Rebuild a vocabulary from its `words` list (padding word first), e.g. from a checkpoint."""
        if not words or words[0] != "<nil>":
            raise ValueError("words must start with the padding word '<nil>'")
        vocab = cls([])
        vocab.words, vocab.index = list(words), {w: i for i, w in enumerate(words)}
        return vocab

    def __len__(self) -> int:
        return len(self.words)

    def id(self, word: str) -> int:
        if word not in self.index:
            raise ValueError(f"word {word!r} is not in the vocabulary (build it from all splits)")
        return self.index[word]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The words of `ids`, padding (0) left out."""
        try:
            ids = [operator.index(i) for i in ids]  # ints (Python, NumPy or 0-dim torch)
        except TypeError as err:
            raise TypeError(f"ids must be integer word ids ({err})") from None
        bad = [i for i in ids if not 0 <= i < len(self.words)]
        if bad:
            raise ValueError(f"ids must be word ids in 0..{len(self.words) - 1}, got {bad[0]}")
        return [self.words[i] for i in ids if i != 0]

    def encode(self, examples: Sequence[Example], memory_size: int = 50,
               sentence_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """stories (N, M, L), queries (N, L), answers (N,) as LongTensors, 0 = padding.

        A story keeps its most recent `memory_size` statements, oldest first in slot 0; shorter
        stories leave empty slots at the end. L defaults to the longest sentence or question.
        """
        if memory_size < 1:
            raise ValueError(f"memory_size must be >= 1, got {memory_size}")
        if not examples:
            raise ValueError("examples is empty")
        longest = max(max([len(s) for s in ex.story] + [len(ex.question)]) for ex in examples)
        L = sentence_len or longest
        if L < longest:
            raise ValueError(f"sentence_len={L} is shorter than the longest sentence ({longest})")
        stories = torch.zeros(len(examples), memory_size, L, dtype=torch.long)  # (N, M, L)
        queries = torch.zeros(len(examples), L, dtype=torch.long)  # (N, L)
        answers = torch.zeros(len(examples), dtype=torch.long)  # (N,)
        for n, ex in enumerate(examples):
            for m, sentence in enumerate(ex.story[-memory_size:]):
                stories[n, m, : len(sentence)] = torch.tensor([self.id(w) for w in sentence])
            queries[n, : len(ex.question)] = torch.tensor([self.id(w) for w in ex.question])
            answers[n] = self.id(ex.answer)
        return stories, queries, answers
