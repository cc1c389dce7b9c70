"""Build the website with Jupyter Book 1.x from the committed notebooks (`make book`).

Runs from the repository root so the table of contents can name notebooks/, exercises/ and
solutions/ directly. When tools/vendor_js.sh has put MathJax, require.js and the widget
embedder into book/_vendor, the site is pointed at those local copies (it then works
offline); otherwise the CDN defaults stay. Warnings are errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "book" / "_vendor"


def config_with_local_assets() -> Path:
    """book/_config.yml, plus the local asset paths when they were vendored."""
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    if (VENDOR / ".complete").exists():
        sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
        sphinx["html_static_path"] = ["book/_vendor"]  # copied into _static/
        sphinx["mathjax_path"] = "mathjax/tex-mml-chtml.js"  # relative to _static/
        sphinx["nb_ipywidgets_js"] = {
            "requirejs/require.js": {},
            "widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/"},
        }
    else:
        print("build_book: no book/_vendor; MathJax and widgets will load from CDNs")
    out = ROOT / "book" / "_build" / "_config.generated.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(config, sort_keys=False))
    return out


def main() -> int:
    config = config_with_local_assets()
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", ".", "--config", str(config.relative_to(ROOT)),
               "--toc", "book/_toc.yml", "--path-output", "book", "-W", "-n", "--keep-going"]
    print(" ".join(command))
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main())
