"""Chapter 08 (in progress): how much text fits in a few input vectors (cramming).

    cram.py      cram, capacity, text_bits, exact_prefix, information_bound
    __main__.py  python -m minimem.cramming --text-file F --vectors K --json OUT
"""

from .cram import CramResult, capacity, cram, exact_prefix, information_bound, text_bits

__all__ = ["CramResult", "capacity", "cram", "exact_prefix", "information_bound", "text_bits"]
