"""Chapter 07 (in progress): compressing a context into a few vectors.

    gist.py   the gist-token attention mask (Mu, Li & Goodman 2023, arXiv:2304.08467)
    lora.py   a low-rank adapter on a frozen linear layer (Hu et al. 2021, arXiv:2106.09685),
              the trainable part of an ICAE-style encoder (Ge et al. 2024, arXiv:2307.06945)
    ccm.py    the compressed context memory's update and the bytes a key/value cache holds
              (Kim et al. 2024, arXiv:2312.03414)
"""

from .ccm import kv_cache_bytes, update_memory
from .gist import gist_mask
from .lora import LoRALinear, add_lora, trainable_fraction

__all__ = ["LoRALinear", "add_lora", "gist_mask", "kv_cache_bytes", "trainable_fraction",
           "update_memory"]
