"""Chapter 04: compiling RASP programs into transformer weights, a readable tracr in PyTorch.

Lindner et al. (2023), "Tracr: Compiled Transformers as a Laboratory for Interpretability",
https://arxiv.org/abs/2301.05062, compile programs of Weiss et al. (2021), "Thinking Like
Transformers", https://arxiv.org/abs/2106.06981, into transformers. `compile_rasp(program,
vocab, max_seq_len)` does the same into a `minimem.transformer.Transformer`; the passes live
one per file (see `compiled.py`). `python -m minimem.compiler bench` checks and sizes every
program of `minimem.rasp.lib` (see `bench.py`).
"""

from .compiled import COLDNESS, CompiledModel, compile_rasp
from .graph import CompileError

__all__ = ["COLDNESS", "CompileError", "CompiledModel", "compile_rasp"]
