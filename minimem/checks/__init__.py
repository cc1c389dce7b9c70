"""Exercise checkers: `check_<thing>(your_function)` compares your function with the library's
reference on fixed cases and prints what matched (framework: `minimem.checks._framework`).

Each chapter's checkers live in their own module and are re-exported here.
"""

from minimem.checks._framework import CheckResult, differences, run_check, seeded_tensors
from minimem.checks.ch00_attention import (
    check_causal_mask,
    check_merge_heads,
    check_scaled_dot_product_attention,
    check_split_heads,
)

__all__ = [
    "CheckResult", "differences", "run_check", "seeded_tensors",
    "check_scaled_dot_product_attention", "check_causal_mask", "check_split_heads",
    "check_merge_heads",
]
