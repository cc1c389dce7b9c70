"""Check the built website as a reader's browser sees it (`make check-site`, run by .ci/run).

For every page in book/_toc.yml:
1. every local asset the HTML names (images, scripts, stylesheets) exists in the build;
2. headless Chromium loads the page from a local server, and the rendered DOM shows the
   page's title, the book navigation, its figures (lessons), rendered maths where the page
   has any and, where MathJax/widgets were vendored, no request left for a CDN; no figure
   lacks alt text and no testing marker (`# NBVAL_…`) is visible;
3. axe-core (npm, `npm ci` puts it in node_modules/; nothing comes from a CDN) audits the same
   rendered page for accessibility: the local server adds axe and a few lines that run it once
   the page (and MathJax) has settled and write the result into the DOM that Chromium dumps.
   Violations of impact `serious` or `critical` fail the check, printed with rule id, page and
   element, except rules allow-listed in AXE_ALLOWED (each with the reason it is outside our
   control).
A screenshot of each chapter page is saved in book/_build/screenshots/.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import json
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
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__axe__/axe.min.js"  # served from node_modules by the check's own server
AXE_FAIL = ("serious", "critical")
# Findings that come from the theme or a vendored library and that our configuration cannot
# fix: (axe rule id, a piece of the offending element's HTML, why it is not fixed here). Only
# an element matching both is excused; anything else under the same rule fails. Empty: what
# axe found in the theme's, myst-nb's and the widget embedder's markup (unnamed sidebar
# toggles, search and code-toggle labels that differ from their visible text, the colour-mode
# icons, unnamed explorer sliders, the explorer's redrawn figure) is fixed by the small script
# in book/_config.yml (sphinx.config.html_js_files).
AXE_ALLOWED: list[tuple[str, str, str]] = []
# Runs in the page once it (and MathJax, when the page has maths) has settled: audits it in the
# light theme, switches the theme to dark (pydata-sphinx-theme reads html[data-theme]; CSS
# transitions are switched off so the switch is immediate) and audits again. The result goes into a <script type="application/json" id="axe-results">
# that --dump-dom prints.
AXE_RUNNER = """<script src="%s"></script>
<script>
(function () {
  function report(id, value) {
    var out = document.createElement("script");
    out.type = "application/json"; out.id = id;
    out.textContent = JSON.stringify(value).replace(/</g, "\\\\u003c");
    document.body.appendChild(out);
  }
  function audit(mode) {
    return axe.run(document, {resultTypes: ["violations"]}).then(function (result) {
      return result.violations.map(function (v) {
        return {id: v.id, impact: v.impact, help: v.help, mode: mode, nodes: v.nodes.map(
          function (n) { return {target: [].concat(n.target).join(" "),
                                 html: n.html.slice(0, 160), impact: n.impact}; })};
      });
    });
  }
  function wait(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }
  window.addEventListener("load", function () {
    var mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    var light, still = document.createElement("style");
    // No transitions: a theme switch must finish at once, or axe sees colours half-way
    // between the themes on a busy machine.
    still.textContent = "*, *::before, *::after { transition: none !important; }";
    document.head.appendChild(still);
    Promise.resolve(mj).catch(function () {}).then(function () { return wait(500); })
      .then(function () { document.documentElement.dataset.theme = "light"; return wait(100); })
      .then(function () { return audit("light"); })
      .then(function (found) { light = found; document.documentElement.dataset.theme = "dark";
                               return wait(300); })
      .then(function () { return audit("dark"); })
      .then(function (dark) { report("axe-results", light.concat(dark)); },
            function (error) { report("axe-error", String(error)); });
  });
})();
</script>
""" % AXE_URL


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

        def do_GET(self):
            """The site as built, plus axe-core: under AXE_URL, and in any page asked for with
            `?axe` (the runner goes just before </body>; the files on disk are not changed)."""
            url = urllib.parse.urlsplit(self.path)
            if url.path == AXE_URL:
                return self._send(AXE.read_bytes(), "text/javascript")
            if url.query == "axe" and url.path.endswith(".html"):
                page = site / urllib.parse.unquote(url.path).lstrip("/")
                if page.is_file() and site.resolve() in page.resolve().parents:
                    text = page.read_text(encoding="utf-8")
                    at = text.rfind("</body>")
                    return self._send((text[:at] + AXE_RUNNER + text[at:]).encode(), "text/html")
            return super().do_GET()

        def _send(self, body: bytes, kind: str):
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def chromium(browser: str, profile: str, *args: str) -> str:
    result = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=120)
    return result.stdout


def content_problems(source: str) -> list[str]:
    """What our own content can get wrong on a page: a figure whose alt text is missing or is
    just its file name (myst-nb's default when a cell has no mystnb.image.alt), and testing
    markers (`# NBVAL_…`) left where a reader sees them."""
    problems = []
    for tag in re.findall(r"<img\b[^>]*>", source):
        alt = re.search(r'\balt="([^"]*)"', tag)
        src = re.search(r'\bsrc="([^"]*)"', tag)
        if not alt or not alt.group(1).strip() or (src and alt.group(1) == src.group(1)):
            problems.append(f"figure without alt text: {tag[:120]}")
    text = re.sub(r"<[^>]+>", "", source)
    if re.search(r"#\s*NBVAL", text, re.I):
        problems.append("a testing marker (# NBVAL_…) is visible on the page")
    return problems


def axe_problems(doc: str, dom: str) -> tuple[list[str], list[str]]:
    """(problems, allowed): one line per serious/critical axe violation on a rendered page —
    rule id, page, element — split into failures and allow-listed rules."""
    found = re.search(r'<script type="application/json" id="axe-(results|error)">(.*?)</script>',
                      dom, re.S)
    if not found:
        return [f"{doc}: axe-core did not report (page too slow, or a script error)"], []
    if found.group(1) == "error":
        return [f"{doc}: axe-core failed: {json.loads(found.group(2))}"], []
    problems, allowed = [], []
    for rule in json.loads(found.group(2)):
        for node in rule["nodes"]:
            if (node.get("impact") or rule["impact"]) not in AXE_FAIL:
                continue
            line = (f"{doc} ({rule['mode']} theme): axe {rule['impact']} {rule['id']} "
                    f"({rule['help']}) at "
                    f"{node['target']}: {node['html']}")
            reason = next((why for rule_id, piece, why in AXE_ALLOWED
                           if rule_id == rule["id"] and piece in node["html"]), None)
            if reason:
                allowed.append(f"{line} -- allowed: {reason}")
            else:
                problems.append(line)
    return problems, allowed


def main(site_arg: str = "book/_build/html") -> int:
    site = (ROOT / site_arg).resolve() if not Path(site_arg).is_absolute() else Path(site_arg)
    if not (site / "index.html").exists():
        sys.exit(f"check_site: no built site at {site_arg} (run `make book` first)")
    vendored = (site / "_static" / "mathjax").exists()
    browser = find_chromium()
    if not AXE.exists():
        sys.exit("check_site: axe-core not found in node_modules/ (run `npm ci`; needs node and npm)")
    shots = site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    server, base = serve(site)
    problems, allowed = [], []
    try:
        with tempfile.TemporaryDirectory() as profile:
            for doc in toc_pages():
                page = site / f"{doc}.html"
                if not page.exists():
                    problems.append(f"{doc}: page missing from the build")
                    continue
                problems += [f"{doc}: missing asset {ref}" for ref in missing_assets(site, page)]
                source = page.read_text(encoding="utf-8")
                problems += [f"{doc}: {problem}" for problem in content_problems(source)]
                if vendored and re.search(r'src="https?://[^"]*(mathjax|require|html-manager)', source):
                    problems.append(f"{doc}: loads MathJax/widgets from a CDN despite local copies")
                # A desktop window, set every time: Chromium keeps the last size in the
                # profile, and the sidebar (audited too) is only shown on wide windows.
                dom = chromium(browser, profile, "--window-size=1280,1000",
                               "--virtual-time-budget=10000", "--dump-dom", f"{base}/{doc}.html?axe")
                found, excused = axe_problems(doc, dom)
                problems += found
                allowed += excused
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
    for line in allowed:
        print(line)
    for problem in problems:
        print("problem:", problem)
    print(f"check_site: {len(toc_pages())} pages (each audited by axe-core), {len(problems)} "
          f"problems, {len(allowed)} allow-listed accessibility findings"
          + ("" if vendored else " (MathJax/widgets from CDNs: not vendored)"))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
