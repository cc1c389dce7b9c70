"""Shared test set-up: one torch thread, as in the notebooks and CI.

(No MPLBACKEND here: notebook kernels inherit the environment, and a forced Agg backend would
stop them from showing figures. Matplotlib picks a headless backend by itself.)
"""

import torch

torch.set_num_threads(1)

import sys
from pathlib import Path

# The maintainer tools (tools/exercises.py, ...) are tested too, though learners never import them.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
