"""Exercise checkers: `check_<thing>(your_function)` compares your function with the library's
reference on fixed cases and prints what matched (framework: `minimem.checks._framework`).

One module per chapter, reached one way in every notebook:

    from minimem.checks import ch01 as checks
    checks.check_memory_hop(memory_hop)

Chapters that register hints (`register_hints`) also offer `checks.hint("0.1")`: a nudge
first, then a guide, then a strong hint — never the answer code.
"""

from minimem.checks._framework import (CheckResult, differences, hint, next_hint,
                                       register_hints, reset_hints, run_check, seeded_tensors)

__all__ = ["CheckResult", "differences", "hint", "next_hint", "register_hints", "reset_hints",
           "run_check", "seeded_tensors"]
