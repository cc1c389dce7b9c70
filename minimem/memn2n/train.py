"""Training an End-to-End Memory Network the paper's way (Sukhbaatar et al. 2015,
https://arxiv.org/abs/1503.08895, Section 4.2) as a recipe on `minimem.training.fit`; evaluation;
bAbI examples -> tensors; checkpoints. Chapter 01.

The recipe: SGD on the cross-entropy *summed* over each batch of 32, gradient norm clipped at
40, the nil (padding) word re-zeroed after every step; "linear start" (no softmax in the memory
layers) for the first epochs at a lower learning rate, then the softmax at lr 0.01, halved
every 25 epochs; random empty memories (noise 0.1) inserted into the time indices.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from minimem import checkpoints, validate
from minimem.data import babi
from minimem.training import History, fit

from .model import MemN2N

Data = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # stories (N,M,L), queries (N,L), answers (N,)


@dataclass(frozen=True)
class Recipe:
    """The paper's training recipe (Section 4.2); every default is the paper's."""

    epochs: int = 100  # epochs with the softmax, after linear start
    ls_epochs: int = 20  # linear-start epochs (no softmax in the memory layers)
    lr: float = 0.01  # learning rate after linear start ...
    anneal_every: int = 25  # ... halved every this many epochs
    ls_lr: float = 0.005  # learning rate during linear start
    batch_size: int = 32
    clip: float = 40.0  # gradient norm clip
    noise: float = 0.1  # random noise: probability of an empty memory after each sentence

    def __post_init__(self) -> None:
        for name in ("epochs", "ls_epochs"):
            validate.integer(name, getattr(self, name), 0)
        if self.epochs + self.ls_epochs < 1:
            raise ValueError(f"epochs + ls_epochs must be at least 1, got {self.epochs} + "
                             f"{self.ls_epochs}")
        validate.integer("anneal_every", self.anneal_every, 1)
        validate.integer("batch_size", self.batch_size, 1)
        for name in ("lr", "ls_lr", "clip"):
            validate.number(name, getattr(self, name), 0, strict_low=True)
        validate.number("noise", self.noise, 0, 1)

    def lr_at_epoch(self, epoch: int) -> float:
        """The learning rate of epoch `epoch` (0-based, linear-start epochs first)."""
        if epoch < self.ls_epochs:
            return self.ls_lr
        return self.lr * 0.5 ** ((epoch - self.ls_epochs) // self.anneal_every)


def make_optimizer(model: MemN2N, recipe: Recipe = Recipe()) -> torch.optim.Optimizer:
    """Plain SGD, as in the paper. (The first optimiser built in a process imports
    torch._dynamo, about 2 s: build it before starting a clock.)"""
    return torch.optim.SGD(model.parameters(), lr=recipe.lr)


def check_data(name: str, data: Data, model: MemN2N) -> None:
    """Check a data set once, before training: (stories, queries, answers) with equal first
    dims, and word ids the model knows."""
    if not isinstance(data, (tuple, list)) or len(data) != 3 \
            or not all(isinstance(x, torch.Tensor) for x in data):
        raise TypeError(f"{name} must be a tuple (stories, queries, answers) of tensors, "
                        f"got {type(data).__name__}")
    if len({len(x) for x in data}) != 1:
        raise ValueError(f"{name}'s stories, queries and answers must have the same number of "
                         f"examples, got {[len(x) for x in data]}")
    stories, queries, answers = data
    if len(answers) == 0:
        raise ValueError(f"{name} holds no examples")
    model.check_inputs(stories, queries)
    if answers.dtype != torch.long or answers.dim() != 1 \
            or answers.min() < 0 or answers.max() >= model.vocab_size:
        raise ValueError(f"{name}[2] (answers) must be a 1-dim LongTensor of word ids in "
                         f"0..{model.vocab_size - 1}")


def train(model: MemN2N, train_set: Data, valid_set: Data | None = None,
          recipe: Recipe = Recipe(), *, optimizer: torch.optim.Optimizer | None = None,
          seed: int = 0, progress: bool | None = None) -> History:
    """Train `model` with `recipe` (default: the paper's) and return `fit`'s History: the loss
    of every step (summed over the batch, as optimised) and, with `valid_set`, "valid_acc" and
    "valid_loss" after every epoch. `seed` fixes the order of the examples; the random noise
    comes from torch's global generator (seed it with `minimem.training.setup`)."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a memn2n.Recipe, got {type(recipe).__name__}")
    check_data("train_set", train_set, model)
    if valid_set is not None:
        check_data("valid_set", valid_set, model)
    N = len(train_set[2])
    per_epoch = math.ceil(N / recipe.batch_size)  # steps per epoch
    linear_steps = recipe.ls_epochs * per_epoch
    order = torch.Generator().manual_seed(seed)
    batches: list[torch.Tensor] = []

    def make_batch(step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, bool]:
        if (step - 1) % per_epoch == 0:  # a new epoch: a new order of the examples
            batches[:] = torch.randperm(N, generator=order).split(recipe.batch_size)
        idx = batches[(step - 1) % per_epoch]
        return (*(x[idx] for x in train_set), step > linear_steps)  # softmax after linear start

    def loss_fn(model: MemN2N, batch) -> torch.Tensor:
        stories, queries, answers, softmax = batch
        logits = model(stories, queries, softmax=softmax, noise=recipe.noise, check=False)
        return F.cross_entropy(logits, answers, reduction="sum")  # summed, not averaged

    def valid_metrics(model: MemN2N) -> dict[str, float]:
        acc, loss = evaluate(model, valid_set)
        return {"valid_acc": acc, "valid_loss": loss}

    return fit(model, make_batch, loss_fn, steps=(recipe.ls_epochs + recipe.epochs) * per_epoch,
               lr=recipe.lr, optimizer=optimizer or make_optimizer(model, recipe),
               lr_at=lambda step: recipe.lr_at_epoch((step - 1) // per_epoch),
               clip_grad_norm=recipe.clip, after_step=lambda step: model.zero_nil(),
               eval_fn=valid_metrics if valid_set is not None else None, eval_every=per_epoch,
               progress=progress, desc="MemN2N")


@torch.no_grad()
def evaluate(model: MemN2N, data: Data, batch_size: int = 256) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of `model` on `data`, in eval mode."""
    validate.integer("batch_size", batch_size, 1)
    check_data("data", data, model)
    model.eval()
    hits, loss = 0, 0.0
    for i in range(0, len(data[2]), batch_size):
        s, q, a = (x[i: i + batch_size] for x in data)
        logits = model(s, q, check=False)  # (b, V), checked above
        hits += (logits.argmax(-1) == a).sum().item()
        loss += F.cross_entropy(logits, a, reduction="sum").item()
    return hits / len(data[2]), loss / len(data[2])


# ------------------------------------------------------------------------------ data -> tensors
@dataclass
class TaskData:
    """One bAbI task as tensors: a vocabulary over all splits, and the three splits."""

    vocab: babi.Vocab
    memory_size: int  # M, slots per story
    sentence_len: int  # L, words per sentence (padded)
    train: Data
    valid: Data
    test: Data


def encode_task(train_examples: list[babi.Example], test_examples: list[babi.Example],
                max_memory: int = 50, valid_fraction: float = 0.1) -> TaskData:
    """The paper's set-up: memory min(`max_memory`, longest story), L the longest sentence or
    question, the last `valid_fraction` of the training examples held out for validation."""
    if not train_examples or not test_examples:
        raise ValueError("train_examples and test_examples must not be empty")
    validate.integer("max_memory", max_memory, 1)
    validate.number("valid_fraction", valid_fraction, 0, 1, strict_low=True)
    everything = list(train_examples) + list(test_examples)
    vocab = babi.Vocab(everything)
    M = min(max_memory, max(len(ex.story) for ex in everything))
    L = max(max([len(s) for s in ex.story] + [len(ex.question)]) for ex in everything)
    cut = len(train_examples) - int(len(train_examples) * valid_fraction + 1e-9)  # 1000 -> 900
    if not 0 < cut < len(train_examples):
        raise ValueError(f"valid_fraction={valid_fraction} of {len(train_examples)} training "
                         f"examples leaves no training or no validation example")
    train_set, valid_set, test_set = (vocab.encode(part, M, L) for part in (
        train_examples[:cut], train_examples[cut:], test_examples))
    return TaskData(vocab, M, L, train_set, valid_set, test_set)


# ------------------------------------------------------------------------------ checkpoints
def save_checkpoint(path: str | os.PathLike, model: MemN2N, vocab: babi.Vocab, sentence_len: int,
                    metrics: dict | None = None, **extra) -> Path:
    """Write `model` in the course's checkpoint format, with what `load_checkpoint` needs to
    encode new examples for it: the vocabulary's words and the sentence length."""
    return checkpoints.save(path, model, model.config, metrics, words=list(vocab.words),
                            sentence_len=sentence_len, **extra)


def load_checkpoint(path: str | os.PathLike) -> tuple[MemN2N, babi.Vocab, int]:
    """(model in eval mode, vocab, sentence_len) from a file written by `save_checkpoint`
    (e.g. by `python -m minimem.memn2n bench --save F`)."""
    ckpt = checkpoints.load(path, kind="MemN2N")
    model = MemN2N(**ckpt.config)
    model.load_state_dict(ckpt.state_dict)
    return model.eval(), babi.Vocab.from_words(ckpt.extra["words"]), ckpt.extra["sentence_len"]
