"""The website check (tools/check_site.py): axe-core's report is read right, allow-listed
findings are the only ones excused, and — where Chromium and axe-core are installed — a page
with a known accessibility fault fails the audit (the audit really runs, offline)."""

import importlib.util
import json
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_site", ROOT / "tools" / "check_site.py")
check_site = importlib.util.module_from_spec(spec)
sys.modules["check_site"] = check_site
spec.loader.exec_module(check_site)


def dom_with(violations) -> str:
    payload = json.dumps(violations).replace("<", "\\u003c")
    return f'<html><body><p>page</p><script type="application/json" id="axe-results">{payload}</script></body></html>'


def violation(rule, impact, html, mode="light"):
    return {"id": rule, "impact": impact, "help": f"help for {rule}", "mode": mode,
            "nodes": [{"target": "main img", "html": html, "impact": impact}]}


def test_serious_and_critical_fail_with_rule_page_and_element():
    dom = dom_with([violation("image-alt", "critical", '<img src="figure.png">'),
                    violation("color-contrast", "serious", "<p>grey</p>", mode="dark"),
                    violation("region", "moderate", "<div>")])
    problems, allowed = check_site.axe_problems("notebooks/00_attention", dom)
    assert len(problems) == 2 and not allowed
    assert problems[0].startswith("notebooks/00_attention (light theme): axe critical image-alt")
    assert "main img" in problems[0] and '<img src="figure.png">' in problems[0]
    assert "(dark theme)" in problems[1] and "color-contrast" in problems[1]


def test_only_the_allow_listed_element_is_excused(monkeypatch):
    rule, piece, why = "label-content-name-mismatch", "theirs", "the theme's template, not ours (a test entry)"
    monkeypatch.setattr(check_site, "AXE_ALLOWED", [(rule, piece, why)])
    dom = dom_with([violation(rule, "serious", f'<button class="{piece}">'),
                    violation(rule, "serious", '<button class="ours">')])
    problems, allowed = check_site.axe_problems("book/intro", dom)
    assert len(allowed) == 1 and why in allowed[0]
    assert len(problems) == 1 and "ours" in problems[0]


def test_every_allowance_says_why():
    for rule, piece, why in check_site.AXE_ALLOWED:
        assert rule and piece and len(why) > 40, rule  # a reason a reviewer can check


def test_a_page_where_axe_did_not_report_is_a_problem():
    problems, _ = check_site.axe_problems("book/intro", "<html><body></body></html>")
    assert problems == ["book/intro: axe-core did not report (page too slow, or a script error)"]
    error = '<script type="application/json" id="axe-error">"TypeError: boom"</script>'
    assert "TypeError: boom" in check_site.axe_problems("book/intro", error)[0][0]


needs_axe = pytest.mark.skipif(not check_site.AXE.exists(),
                               reason="axe-core is not installed (`npm ci` puts it in node_modules/)")


@needs_axe
def test_the_server_adds_axe_to_pages_asked_for_with_axe(tmp_path):
    (tmp_path / "page.html").write_text("<html><body><p>hello</p></body></html>")
    server, base = check_site.serve(tmp_path)
    try:
        plain = urllib.request.urlopen(f"{base}/page.html").read().decode()
        audited = urllib.request.urlopen(f"{base}/page.html?axe").read().decode()
        script = urllib.request.urlopen(f"{base}{check_site.AXE_URL}").read()
    finally:
        server.shutdown()
    assert check_site.AXE_URL not in plain and (tmp_path / "page.html").read_text() == plain
    assert audited.index("<p>hello</p>") < audited.index(check_site.AXE_URL) < audited.index("</body>")
    assert script == check_site.AXE.read_bytes()


@needs_axe
@pytest.mark.skipif(not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")),
                    reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_axe_finds_a_picture_without_alt_text_in_a_real_browser(tmp_path):
    (tmp_path / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    (tmp_path / "page.html").write_text('<html lang="en"><head><title>t</title></head><body><main>'
                                        '<h1>t</h1><img src="dot.svg"><img src="dot.svg" alt="A dot">'
                                        '</main></body></html>')
    server, base = check_site.serve(tmp_path)
    try:
        with tempfile.TemporaryDirectory() as profile:
            dom = check_site.chromium(check_site.find_chromium(), profile, "--window-size=800,600",
                                      "--virtual-time-budget=10000", "--dump-dom",
                                      f"{base}/page.html?axe")
    finally:
        server.shutdown()
    problems, _ = check_site.axe_problems("page", dom)
    image_alt = [p for p in problems if " image-alt " in p]
    assert len(image_alt) == 2, problems  # the bare <img>, once in the light and once in the dark theme
    assert all('<img src="dot.svg">' in p for p in image_alt)


def test_figures_need_real_alt_text_and_markers_stay_hidden():
    assert check_site.content_problems('<img alt="Two heatmaps of …" src="../_images/a.png" />') == []
    for bad in ('<img src="a.png">', '<img alt="" src="a.png">', '<img alt="../_images/a.png" src="../_images/a.png" />'):
        assert check_site.content_problems(bad)[0].startswith("figure without alt text"), bad
    assert check_site.content_problems('<pre><span># NBVAL_CHECK_OUTPUT</span></pre>')
    assert not check_site.content_problems('<div class="cell tag_nbval-check-output">x</div>')
