"""Training and scoring recipes for chapter 06's memory models, on `training.fit`.

Three models share one backbone shape (`minimem.transformer`, pre-LN, not causal):
"rmt" (the Recurrent Memory Transformer, `model.py`), "no-memory" (the same segment by segment
with 0 memory tokens: it cannot see other segments) and "full" (one window over the whole
input: the upper bound, at quadratic cost). The tasks are `minimem.data.sequences.memory_task`.
The recipe (AdamW, 100 warm-up steps, batch 64, gradient clipping at 1, a curriculum that
grows the number of segments) is the one that worked in CPU prototypes
(Bulatov et al. 2022, https://arxiv.org/abs/2207.06881, also train with a curriculum).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from minimem import checkpoints
from minimem.data.sequences import IGNORE, SEQ_VOCAB, memory_task
from minimem.training import History, fit
from minimem.transformer import Transformer, TransformerConfig

from .model import RecurrentMemoryTransformer, RMTOutput

KINDS = ("rmt", "no-memory", "full")


@dataclass
class RMTRecipe:
    """Everything that fixes a training run. curriculum: (segments, steps) stages in order."""

    task: str = "copy"
    kind: str = "rmt"
    segment_len: int = 16
    num_mem_tokens: int = 8
    curriculum: tuple[tuple[int, int], ...] = ((2, 500), (3, 1000))
    batch_size: int = 64
    lr: float = 1e-3
    warmup: int = 100
    clip: float = 1.0
    d_model: int = 64
    num_heads: int = 4
    num_layers: int = 2
    d_ff: int = 256
    bptt_segments: int | None = None
    max_segments: int = 16  # the longest input the "full" model's positions cover
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        self.curriculum = tuple(tuple(stage) for stage in self.curriculum)

    @property
    def steps(self) -> int:
        return sum(steps for _, steps in self.curriculum)

    def segments_at(self, step: int) -> int:
        """The number of segments of the curriculum stage that holds `step` (1-based)."""
        for segments, steps in self.curriculum:
            if step <= steps:
                return segments
            step -= steps
        return self.curriculum[-1][0]


class FullAttention(nn.Module):
    """The upper-bound baseline: the backbone over the whole input at once (cost ~ T²)."""

    def __init__(self, backbone: Transformer):
        super().__init__()
        self.backbone = backbone

    def forward(self, idx: torch.Tensor) -> RMTOutput:
        out = self.backbone(idx)
        return RMTOutput(out.logits, [], [out.attentions])


def build(recipe: RMTRecipe) -> nn.Module:
    """The recipe's model, freshly initialised (seeded by recipe.seed)."""
    torch.manual_seed(recipe.seed)
    m = recipe.num_mem_tokens if recipe.kind == "rmt" else 0
    window = recipe.segment_len * (recipe.max_segments if recipe.kind == "full" else 1) + 2 * m
    config = TransformerConfig(vocab_size=len(SEQ_VOCAB), d_model=recipe.d_model,
                               num_heads=recipe.num_heads, num_layers=recipe.num_layers,
                               d_ff=recipe.d_ff, causal=False, max_len=window)
    backbone = Transformer(config)
    if recipe.kind == "full":
        return FullAttention(backbone)
    return RecurrentMemoryTransformer(backbone, m, recipe.segment_len, recipe.bptt_segments)


def batch(recipe: RMTRecipe, num_segments: int, size: int,
          rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    inputs, targets = memory_task(recipe.task, size, num_segments, recipe.segment_len, rng)
    return torch.from_numpy(inputs), torch.from_numpy(targets)


def loss_fn(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy on the scored positions only."""
    inputs, targets = data
    logits = model(inputs).logits  # (B, T, V)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)


def train(recipe: RMTRecipe, progress: bool | None = None) -> tuple[nn.Module, History]:
    """Train the recipe's model for recipe.steps steps; the batches are seeded. The seconds
    spent go to `history.evals["seconds"]`."""
    start = time.perf_counter()
    model = build(recipe)
    rng = np.random.default_rng(recipe.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr)

    def next_batch(step: int):
        return batch(recipe, recipe.segments_at(step), recipe.batch_size, rng)

    history = fit(model, next_batch, loss_fn, steps=recipe.steps, optimizer=optimizer,
                  lr_at=lambda step: recipe.lr * min(1.0, step / recipe.warmup),
                  clip_grad_norm=recipe.clip, progress=progress,
                  desc=f"{recipe.kind} {recipe.task}")
    history.log_eval(recipe.steps, {"seconds": time.perf_counter() - start})
    return model, history


@torch.no_grad()
def accuracy(model: nn.Module, recipe: RMTRecipe, num_segments: int, count: int = 500,
             seed: int = 1234) -> dict:
    """Accuracy on `count` fresh examples with `num_segments` segments: exact match per
    sequence for copy, reverse and passkey; per query for retrieval."""
    model.eval()
    inputs, targets = batch(recipe, num_segments, count, np.random.default_rng(seed))
    right = (model(inputs).logits.argmax(-1) == targets) | (targets == IGNORE)  # (B, T)
    if recipe.task == "retrieval":
        asked = targets != IGNORE
        correct, total = int((right & asked).sum()), int(asked.sum())
    else:
        correct, total = int(right.all(dim=1).sum()), count
    return {"accuracy": correct / total, "count": total}


def save(path: str, model: nn.Module, recipe: RMTRecipe, history: History) -> None:
    """The course's checkpoint format: weights, the recipe that rebuilds the model, and the
    final loss and training time."""
    config = asdict(recipe) | {"curriculum": [list(stage) for stage in recipe.curriculum]}
    checkpoints.save(path, model, config, {"loss": round(history.last("loss"), 5),
                                           "seconds": round(history.last("seconds"), 1)})


def load(path) -> tuple[nn.Module, RMTRecipe]:
    """A saved model (eval mode) and its recipe."""
    ckpt = checkpoints.load(path)
    if ckpt.kind not in ("RecurrentMemoryTransformer", "FullAttention"):
        raise ValueError(f"{path} holds a {ckpt.kind}, not a chapter-06 model")
    recipe = RMTRecipe(**ckpt.config)
    model = build(recipe)
    model.load_state_dict(ckpt.state_dict)
    return model.eval(), recipe


# The committed recipes (what `python -m minimem.rmt train` runs), one per task.
RECIPES: dict[str, RMTRecipe] = {
    "copy": RMTRecipe(task="copy", curriculum=((2, 500), (3, 2500))),
    "reverse": RMTRecipe(task="reverse", curriculum=((2, 500), (3, 2500))),
    "retrieval": RMTRecipe(task="retrieval", curriculum=((2, 3000), (3, 1500), (4, 1500))),
    "passkey": RMTRecipe(task="passkey", curriculum=((2, 1000), (4, 1000), (8, 1500))),
}

# The lesson's live model: a 2-layer, d = 32 backbone with 2 memory tokens that learns the
# passkey over 2 segments of 8 in about 10 s on one CPU thread.
TINY = RMTRecipe(task="passkey", segment_len=8, num_mem_tokens=2, curriculum=((2, 600),),
                 lr=3e-3, warmup=30, d_model=32, num_heads=2, num_layers=2, d_ff=64)
