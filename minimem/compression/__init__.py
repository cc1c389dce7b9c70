"""Chapter 07: compressing a context into a few vectors that a language model reads instead.

    gist.py    the gist-token attention mask (Mu, Li & Goodman 2023, arXiv:2304.08467)
    lora.py    a low-rank adapter on a frozen linear layer (Hu et al. 2021, arXiv:2106.09685)
    icae.py    ICAE-style memory slots: the frozen LM + LoRA + k memory tokens encode a context,
               the frozen LM decodes from the slots (Ge et al. 2024, arXiv:2307.06945)
    train.py   the committed training recipe (reconstruction + continuation), evaluate, save, load
    ccm.py     the compressed context memory's update and the bytes a key/value cache holds
               (Kim et al. 2024, arXiv:2312.03414)
    stream.py  that memory over a stream of chunks, compressed by a trained ICAE
    bench.py   python -m minimem.compression bench: every measurement of the chapter
    __main__.py  python -m minimem.compression train|eval|reconstruct|bench …

The language model they compress for is `minimem.lm` (`lm_char.pt`).
"""

from .ccm import kv_cache_bytes, update_memory
from .gist import gist_mask
from .icae import ICAE
from .lora import LoRALinear, add_lora, trainable_fraction
from .train import CompressionRecipe, evaluate, load, save

__all__ = ["CompressionRecipe", "ICAE", "LoRALinear", "add_lora", "evaluate", "gist_mask",
           "kv_cache_bytes", "load", "save", "trainable_fraction", "update_memory"]
