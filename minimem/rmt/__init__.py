"""Chapter 06: the Recurrent Memory Transformer (Bulatov, Kuratov & Burtsev 2022,
https://arxiv.org/abs/2207.06881).

    model.py     RecurrentMemoryTransformer: a backbone Transformer, segment by segment, with memory
    train.py     RMTRecipe, train, accuracy; the baselines (no memory, full attention)
    __main__.py  python -m minimem.rmt eval|train …
"""

from .model import RecurrentMemoryTransformer, RMTOutput
from .train import KINDS, RECIPES, TINY, FullAttention, RMTRecipe, accuracy, build, load, train

__all__ = ["FullAttention", "KINDS", "RECIPES", "RMTOutput", "RMTRecipe",
           "RecurrentMemoryTransformer", "TINY", "accuracy", "build", "load", "train"]
