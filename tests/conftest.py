"""Shared test set-up: one torch thread, as in the notebooks and CI.

(No MPLBACKEND here: notebook kernels inherit the environment, and a forced Agg backend would
stop them from showing figures. Matplotlib picks a headless backend by itself.)
"""

import torch

torch.set_num_threads(1)
