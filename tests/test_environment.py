"""pyproject.toml and environment.yml must describe the same packages."""

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PYPI = {"pytorch": "torch"}
NOT_PACKAGES = {"python", "pip"}


def split(requirement: str) -> tuple[str, str]:
    requirement = requirement.split(";")[0]  # drop environment markers
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def pyproject_packages() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return dict(split(r) for r in requirements)


def conda_packages() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for entry in env["dependencies"]:
        if isinstance(entry, str):
            name, spec = split(entry)
            if name not in NOT_PACKAGES:
                found[CONDA_TO_PYPI.get(name, name)] = spec
    return found


def test_same_packages_and_versions():
    assert conda_packages() == pyproject_packages()


def test_same_python_and_installs_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{project['requires-python']}" in env["dependencies"]
    pip_entries = [e for e in env["dependencies"] if isinstance(e, dict)]
    assert pip_entries and "-e ." in pip_entries[0]["pip"]


def test_setup_path_pins_the_cpu_torch():
    pins = (ROOT / "constraints.txt").read_text().split()
    assert "torch==2.13.0" in pins
    assert "-c constraints.txt" in (ROOT / "Makefile").read_text()
