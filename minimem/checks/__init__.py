"""Exercise checkers: `check_<thing>(your_function)` compares your function with the library's
reference on fixed cases and prints what matched (framework: `minimem.checks._framework`).

One module per chapter, reached one way in every notebook:

    from minimem.checks import ch01 as checks
    checks.check_memory_hop(memory_hop)
"""

from minimem.checks._framework import CheckResult, differences, run_check, seeded_tensors

__all__ = ["CheckResult", "differences", "run_check", "seeded_tensors"]
