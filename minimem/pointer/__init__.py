"""Pointer Networks (chapter 02): attention that *selects* an input position.

Vinyals, Fortunato & Jaitly (2015), "Pointer Networks", https://arxiv.org/abs/1506.03134.

- `model`: the additive attention of eq. 3, the shared LSTM encoder/decoder, `PointerNet` and
  the fixed-vocabulary baseline `Seq2SeqAttention`;
- `decode`: the one step-mask rule (`allowed`, mask modes "none"/"permutation"/"cycle"),
  `greedy` decoding, `beam_search`, and `pointer_weights` for plots;
- `train`: batches as tensors, `pointer_loss`, `train_sorter` and `train_hull` on
  `minimem.training.fit`;
- `evaluate`: `load_hull_checkpoint`, `predict_hulls`, `evaluate_hull`, `eval_set`,
  `sort_accuracy`; `report`: the benchmark and its Markdown;
- the command line: `python -m minimem.pointer train-hull|eval-hull|make-hull-data|bench`.
"""

from minimem.pointer.decode import (MaskMode, allowed, beam_search, greedy, pointer_weights,
                                    teacher_forcing_mask)
from minimem.pointer.evaluate import (eval_set, evaluate_hull, load_hull_checkpoint,
                                      predict_hulls, sort_accuracy)
from minimem.pointer.model import (AdditiveAttention, EncoderDecoder, Memory, PointerNet,
                                   Seq2SeqAttention, centre_inputs)
from minimem.pointer.train import (HullRecipe, decay_schedule, hull_batch, pad_targets,
                                   pointer_loss, sort_batch, train_hull, train_sorter)

__all__ = [
    "AdditiveAttention", "EncoderDecoder", "HullRecipe", "MaskMode", "Memory", "PointerNet",
    "Seq2SeqAttention", "allowed", "beam_search", "centre_inputs", "decay_schedule", "eval_set",
    "evaluate_hull", "greedy", "hull_batch", "load_hull_checkpoint", "pad_targets",
    "pointer_loss", "pointer_weights", "predict_hulls", "sort_accuracy", "sort_batch",
    "teacher_forcing_mask", "train_hull", "train_sorter",
]
