"""Shared test set-up: one torch thread and a headless matplotlib backend, as in CI."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

torch.set_num_threads(1)
