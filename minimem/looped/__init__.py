"""Chapter 05: looped transformers as programmable computers (Giannou et al. 2023,
"Looped Transformers as Programmable Computers", https://arxiv.org/abs/2301.13196).

    subleq.run(program, memory, pc=0, max_steps=100) -> (memory, pc, steps)   the reference
    LoopedTransformer(N, M).run(program, memory, pc=0, max_steps=100)       the same, by a
                                                                             transformer in a loop
    programs.assemble(source), programs.PROGRAMS                             programs to run

`card.py` lays out the punch card, `blocks.py` writes the weights of one loop iteration,
`machine.py` runs the loop, `bench.py` checks it all (`python -m minimem.looped bench`).
"""

from . import subleq
from .card import CardLayout
from .machine import LoopedTransformer, build_transformer
from .programs import PROGRAMS, assemble

__all__ = ["CardLayout", "LoopedTransformer", "PROGRAMS", "assemble", "build_transformer",
           "subleq"]
