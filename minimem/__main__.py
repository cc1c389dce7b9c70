"""The package's command line: its version, and the environment report a bug report asks for.

    python -m minimem --version     # minimem 0.1.0
    python -m minimem env           # versions, platform, CPUs, threads, device, where it runs

Each chapter has its own command line (`python -m minimem.<chapter> --help`).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from importlib import metadata

import minimem

PACKAGES = ("torch", "numpy", "matplotlib", "ipywidgets", "tqdm")


def where_it_runs() -> str:
    """Colab, Binder, another JupyterHub or a local machine, from the variables each sets."""
    if "COLAB_RELEASE_TAG" in os.environ or "COLAB_GPU" in os.environ:
        return "Colab"
    if any(name in os.environ for name in ("BINDER_LAUNCH_HOST", "BINDER_REQUEST", "BINDER_REPO_URL")):
        return "Binder"
    if "JUPYTERHUB_SERVICE_PREFIX" in os.environ:
        return "JupyterHub"
    return "local"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def torch_lines() -> list[tuple[str, str]]:
    """Thread counts and the device, as the notebooks will see them."""
    try:
        import torch
    except ImportError as error:
        return [("device", f"unknown (torch cannot be imported: {error})")]
    from minimem import training

    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
    lines = [("torch build", build), ("torch threads (default)", str(torch.get_num_threads()))]
    try:
        lines.append(("threads the notebooks use", str(training.set_threads())))
    except ValueError as error:  # a bad $MINIMEM_THREADS / $OMP_NUM_THREADS: report it
        lines.append(("threads the notebooks use", f"error: {error}"))
    device = training.default_device()
    name = f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""
    lines.append(("device", device.type + name))
    return lines


def report() -> list[tuple[str, str]]:
    """The environment report as (name, value) pairs; nothing in it names a local path."""
    lines = [("minimem", minimem.__version__),
             ("python", platform.python_version()),
             ("platform", platform.platform()),
             ("runs on", where_it_runs())]
    lines += [(name, package_version(name)) for name in PACKAGES]
    lines.append(("CPUs", str(os.cpu_count())))
    for variable in ("MINIMEM_THREADS", "OMP_NUM_THREADS"):
        lines.append((f"${variable}", os.environ.get(variable, "(not set)")))
    return lines + torch_lines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minimem",
        description="minimem, the library of the course 'Memory in Neural Networks'.")
    parser.add_argument("--version", action="version", version=f"minimem {minimem.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("env", help="print the environment report to paste into a bug report")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    pairs = report()
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
