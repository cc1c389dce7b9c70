"""Chapter 08: how much text fits in a few input vectors (cramming).

    cram.py      cram, capacity, text_bits, exact_prefix, information_bound
    bench.py     four kinds of text × 1, 2, 4, 8 vectors; capacity against cross-entropy
    __main__.py  python -m minimem.cramming --text-file F --vectors K --json OUT | bench
"""

from .cram import CramResult, capacity, cram, exact_prefix, information_bound, text_bits

__all__ = ["CramResult", "capacity", "cram", "exact_prefix", "information_bound", "text_bits"]
