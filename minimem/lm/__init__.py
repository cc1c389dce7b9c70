"""Chapter 07: a tiny causal character language model that can read its own context.

    model.py     CharLM: the course's transformer over characters, with the previous-token shift
    train.py     LMRecipe, train, evaluate (plain / repeat / random-repeat bits per character),
                 save, load; RECIPE (the shipped model's) and TINY (seconds)
    __main__.py  python -m minimem.lm train|eval …

The data (Python's own documentation, a character tokenizer, repeat windows) is
`minimem.data.text`.
"""

from .model import CharLM
from .train import RECIPE, TINY, LMRecipe, build, evaluate, load, save, train

__all__ = ["CharLM", "LMRecipe", "RECIPE", "TINY", "build", "evaluate", "load", "save", "train"]
