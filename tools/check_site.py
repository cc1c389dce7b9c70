"""Check the built website as a reader's browser sees it (`make check-site`, run by .ci/run).

For every page in book/_toc.yml:
1. every local asset the HTML names (images, scripts, stylesheets) exists in the build;
2. headless Chromium loads the page from a local server, and the rendered DOM shows the
   page's title, the book navigation, its figures (lessons), rendered maths where the page
   has any and, where MathJax/widgets were vendored, no request left for a CDN.
A screenshot of each chapter page is saved in book/_build/screenshots/.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--hide-scrollbars"]


class Assets(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.title_h1 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("img", "script") and attrs.get("src"):
            self.refs.append(attrs["src"])
        if tag == "link" and attrs.get("rel") in ("stylesheet", "preload") and attrs.get("href"):
            self.refs.append(attrs["href"])


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return pages


def missing_assets(site: Path, page: Path) -> list[str]:
    parser = Assets()
    parser.feed(page.read_text(encoding="utf-8"))
    missing = []
    for ref in parser.refs:
        if "://" in ref or ref.startswith(("data:", "//")):
            continue
        target = (page.parent / urllib.parse.unquote(ref.split("?")[0].split("#")[0])).resolve()
        if not target.exists() or site.resolve() not in target.parents:
            missing.append(ref)
    return missing


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit("check_site: Chromium not found (Debian: apt-get install chromium)")


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def chromium(browser: str, profile: str, *args: str) -> str:
    result = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=120)
    return result.stdout


def main(site_arg: str = "book/_build/html") -> int:
    site = (ROOT / site_arg).resolve() if not Path(site_arg).is_absolute() else Path(site_arg)
    if not (site / "index.html").exists():
        sys.exit(f"check_site: no built site at {site_arg} (run `make book` first)")
    vendored = (site / "_static" / "mathjax").exists()
    browser = find_chromium()
    shots = site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    server, base = serve(site)
    problems = []
    try:
        with tempfile.TemporaryDirectory() as profile:
            for doc in toc_pages():
                page = site / f"{doc}.html"
                if not page.exists():
                    problems.append(f"{doc}: page missing from the build")
                    continue
                problems += [f"{doc}: missing asset {ref}" for ref in missing_assets(site, page)]
                source = page.read_text(encoding="utf-8")
                if vendored and re.search(r'src="https?://[^"]*(mathjax|require|html-manager)', source):
                    problems.append(f"{doc}: loads MathJax/widgets from a CDN despite local copies")
                dom = chromium(browser, profile, "--virtual-time-budget=8000", "--dump-dom",
                               f"{base}/{doc}.html")
                title = re.search(r"<h1[^>]*>(.*?)</h1>", source, re.S)
                if not title or re.sub(r"<[^>]+>|¶|#", "", title.group(1)).strip()[:20] not in dom:
                    problems.append(f"{doc}: title not shown in the browser")
                if 'bd-sidebar-primary' not in dom or 'bd-links' not in dom:
                    problems.append(f"{doc}: navigation sidebar not rendered")
                if doc.startswith("notebooks/") and "<img" not in dom:
                    problems.append(f"{doc}: no figures rendered")
                if vendored and ("$$" in source or "\\(" in source) and "mjx-container" not in dom:
                    problems.append(f"{doc}: maths not rendered by MathJax")
                if doc.startswith("notebooks/"):
                    chromium(browser, profile, "--window-size=1280,2400", "--virtual-time-budget=8000",
                             f"--screenshot={shots / (Path(doc).name + '.png')}", f"{base}/{doc}.html")
                print(f"checked {doc}")
    finally:
        server.shutdown()
    for problem in problems:
        print("problem:", problem)
    print(f"check_site: {len(toc_pages())} pages, {len(problems)} problems"
          + ("" if vendored else " (MathJax/widgets from CDNs: not vendored)"))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
