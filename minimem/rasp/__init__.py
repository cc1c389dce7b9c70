"""RASP, the language of "Thinking Like Transformers" (Weiss, Goldberg & Yahav, 2021,
https://arxiv.org/abs/2106.06981).

Chapter 03 teaches it; chapter 04 compiles its programs into transformer weights. Names follow
DeepMind's tracr: build a program from `tokens` and `indices` with `Map`, `SequenceMap`,
`Select`, `Aggregate` and `SelectorWidth`, run it with `evaluate(program, tokens_list)`, and
ask `count_layers_heads(program)` what it costs. The element-wise half of the language lives in
`core`, the attention half (`Comparison`, selectors, `Aggregate`, `SelectorWidth`) in
`selectors`. The paper's programs live in `minimem.rasp.lib`; pictures in `minimem.rasp.draw`;
the speed benchmark runs as `python -m minimem.rasp bench`.
"""

from .analysis import Schedule, count_layers_heads, schedule, selector_signature, value_sets
from .core import (CATEGORICAL, NUMERICAL, Full, Map, Primitive, RASPExpr, SequenceMap, SOp,
                   categorical, indices, is_numerical, numerical, tokens, topological_order)
from .evaluate import (aggregate_matrix, evaluate, evaluate_all, evaluate_reference,
                       select_matrix, selector_width_matrix)
from .selectors import (Aggregate, Comparison, Select, Selector, SelectorAnd, SelectorNot,
                        SelectorOr, SelectorWidth)

__all__ = [
    "Aggregate", "CATEGORICAL", "Comparison", "Full", "Map", "NUMERICAL", "Primitive",
    "RASPExpr", "Schedule", "Select", "Selector", "SelectorAnd", "SelectorNot", "SelectorOr",
    "SelectorWidth", "SequenceMap", "SOp", "aggregate_matrix", "categorical",
    "count_layers_heads", "evaluate", "evaluate_all", "evaluate_reference", "indices",
    "is_numerical", "numerical", "schedule", "select_matrix", "selector_signature",
    "selector_width_matrix", "tokens", "topological_order", "value_sets",
]
