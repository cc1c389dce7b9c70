"""Print the built website into one PDF with a table of contents (`make pdf`; run `make book` first).

Every page of book/_toc.yml, in its order, is printed by headless Chromium from a local server
(no TeX needed), then pypdf joins the pages into book/_build/minimem.pdf and adds one bookmark
per page, nested as in the table of contents (an exercise page under its lesson). On paper
nothing can be clicked open, so collapsed blocks (hints, solutions, hidden code) are printed
open: the server adds a small script to each page it sends; the files on disk are not changed.
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "book" / "_build" / "html"
OUT = ROOT / "book" / "_build" / "minimem.pdf"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--hide-scrollbars",
                  "--no-pdf-header-footer", "--virtual-time-budget=8000"]
# Sent just before </body> of every page: A4 paper, long code lines wrapped (not cut off at
# the margin), and every collapsed block opened.
PRINT_SNIPPET = """<style>@page { size: A4; margin: 14mm 12mm; }
main pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }</style>
<script>
window.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("main details").forEach(function (d) { d.open = true; });
});
</script>
"""


@dataclass
class Entry:
    """One page of the table of contents: its file (no suffix), depth, part and title."""
    file: str
    depth: int
    part: str = ""
    title: str = ""


def toc_entries(toc_path: Path = ROOT / "book" / "_toc.yml") -> list[Entry]:
    """The pages of _toc.yml in reading order; sections one level below their chapter."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    entries = [Entry(toc["root"], 0)]

    def walk(items, depth, part):
        for item in items or []:
            entries.append(Entry(item["file"], depth, part))
            walk(item.get("sections"), depth + 1, part)

    walk(toc.get("chapters"), 0, "")
    for part in toc.get("parts", []):
        walk(part.get("chapters"), 0, part.get("caption", ""))
    return entries


def set_titles(entries: list[Entry], site: Path) -> None:
    """Each bookmark's title: the page's title; a title seen before (a solutions page is
    titled like its exercise page) gets its part's caption: "… — Solutions"."""
    seen = set()
    for entry in entries:
        title = page_title(site / f"{entry.file}.html")
        if title in seen and entry.part:
            title = f"{title} — {entry.part}"
        seen.add(title)
        entry.title = title


def page_title(page: Path) -> str:
    """The page's <title> without the book's name after the dash."""
    found = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.S)
    title = html.unescape(found.group(1)).strip() if found else page.stem
    return re.split(r"\s+[—–-]\s+", title)[0].strip() or page.stem


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """The built site on a local port; HTML pages get PRINT_SNIPPET."""
    class PrintHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            page = (site / path.lstrip("/")).resolve()
            if path.endswith(".html") and page.is_file() and site.resolve() in page.parents:
                text = page.read_text(encoding="utf-8")
                at = text.rfind("</body>")
                body = (text[:at] + PRINT_SNIPPET + text[at:]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    handler = functools.partial(PrintHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit("pdf: Chromium not found (Debian: apt-get install chromium)")


def print_page(browser: str, url: str, out: Path, profile: str) -> None:
    command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={out}", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    if not out.is_file() or out.stat().st_size == 0:
        sys.exit(f"pdf: Chromium printed nothing for {url} (exit {done.returncode}):\n"
                 f"{done.stderr[-2000:]}")


def join(entries: list[Entry], pdfs: list[Path], out: Path, title: str, author: str) -> int:
    """Append the pages' PDFs, one bookmark per page (nested by depth); return the page count."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    parents: dict[int, object] = {}
    for entry, pdf in zip(entries, pdfs):
        first = len(writer.pages)
        writer.append(PdfReader(pdf), import_outline=False)
        parent = parents.get(entry.depth - 1) if entry.depth else None
        parents[entry.depth] = writer.add_outline_item(title=entry.title, page_number=first,
                                                       parent=parent)
    writer.add_metadata({"/Title": title, "/Author": author, "/Creator": "minimem tools/pdf.py"})
    writer.page_mode = "/UseOutlines"  # viewers open with the table of contents showing
    partial = out.with_name(out.name + ".partial")
    with open(partial, "wb") as handle:
        writer.write(handle)
    os.replace(partial, out)  # the PDF appears whole or not at all
    return len(writer.pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=SITE, help="the built website (html)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the PDF")
    args = parser.parse_args(argv)
    site, out = args.site.resolve(), args.out.resolve()
    if not (site / "index.html").is_file():
        sys.exit(f"pdf: no built website in {site}: run `make book` first")
    try:
        import pypdf  # noqa: F401
    except ImportError:
        sys.exit("pdf: pypdf is missing: install the book extra (`make venv`, or "
                 "pip install -e '.[book]')")
    entries = toc_entries()
    missing = [e.file for e in entries if not (site / f"{e.file}.html").is_file()]
    if missing:
        sys.exit(f"pdf: pages of book/_toc.yml missing from the site: {', '.join(missing)}; "
                 "run `make book` again")
    set_titles(entries, site)
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
    browser, start = find_chromium(), time.time()
    server, base = serve(site)
    try:
        with tempfile.TemporaryDirectory(prefix="minimem-pdf-") as tmp:
            pdfs = []
            for number, entry in enumerate(entries):
                pdf = Path(tmp) / f"{number:03d}.pdf"
                print_page(browser, f"{base}/{urllib.parse.quote(entry.file)}.html", pdf,
                           str(Path(tmp) / "profile"))
                pdfs.append(pdf)
            out.parent.mkdir(parents=True, exist_ok=True)
            pages = join(entries, pdfs, out, config.get("title", "minimem"),
                         config.get("author", ""))
    finally:
        server.shutdown()
    size = out.stat().st_size / 2**20
    shown = out.relative_to(ROOT) if ROOT in out.parents else out
    print(f"pdf: {len(entries)} pages of the site -> {pages} PDF pages, {size:.1f} MiB, "
          f"{len(entries)} bookmarks: {shown} ({time.time() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
