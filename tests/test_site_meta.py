"""The website's launch and repository links, the PDF, and the maintainer files.

- Every Colab, Binder and GitHub link of the built site names a file of this repository (the
  book is built from the root, so `notebooks/00_attention.ipynb`, never `book/notebooks/…`),
  and every notebook page has both launch buttons. Needs `make book`; skipped without it.
- The PDF of `make pdf` opens, has one bookmark per page of the table of contents, and more
  pages than chapters. Skipped until it is built.
- CITATION.cff, CHANGELOG.md, the version in one place, `python -m minimem --version` / `env`,
  the issue form and Binder's environment.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import yaml

import minimem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "book" / "_build" / "html"
PDF = ROOT / "book" / "_build" / "minimem.pdf"
CONFIG = yaml.safe_load((ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
ORG_REPO = urllib.parse.urlsplit(REPO_URL).path.strip("/")  # "minimem/minimem"
BRANCH = CONFIG["repository"]["branch"]
NOTEBOOK_DIRS = ("notebooks/", "exercises/", "solutions/")


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            pages.append(entry["file"])
            walk(entry.get("sections"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return pages


# ---------------------------------------------------------------- launch and repository links

def site_built_at() -> float:
    """When Sphinx last finished a build (it rewrites .buildinfo each time)."""
    return max((SITE / name).stat().st_mtime for name in (".buildinfo", "index.html")
               if (SITE / name).exists())


def built_site() -> Path:
    """The built site, if it was built with today's link settings and table of contents."""
    if not (SITE / "index.html").is_file():
        pytest.skip("no built website in book/_build/html: `make book` builds it, then this "
                    "test checks its launch and repository links")
    used = ROOT / "book" / "_build" / "_config.generated.yml"  # what tools/build_book.py used
    if used.is_file():
        used = yaml.safe_load(used.read_text(encoding="utf-8"))
        for key in ("repository", "html", "launch_buttons"):
            if used.get(key) != CONFIG.get(key):
                pytest.skip(f"the website was built with other `{key}` settings than "
                            "book/_config.yml has now: `make book` again")
    missing = [page for page in toc_pages() if not (SITE / f"{page}.html").is_file()]
    if missing:
        pytest.skip(f"pages of book/_toc.yml not built yet ({', '.join(missing)}): `make book`")
    return SITE


def page_links(site: Path) -> dict[str, list[str]]:
    """Every absolute http(s) link of every page of the table of contents, by page."""
    links = {}
    for page in toc_pages():
        text = (site / f"{page}.html").read_text(encoding="utf-8")
        hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]
        links[page] = [h for h in hrefs if h.startswith(("http://", "https://"))]
    return links


def repository_path(url: str) -> tuple[str, str | None] | None:
    """(kind, path in the repository or None) for a launch or repository link; None for links
    elsewhere (papers, other projects). A link of ours that names the wrong repository or
    branch fails here."""
    parts = urllib.parse.urlsplit(url)
    prefix = {"colab.research.google.com": f"/github/{ORG_REPO}/blob/{BRANCH}/",
              "mybinder.org": f"/v2/gh/{ORG_REPO}/{BRANCH}"}.get(parts.netloc)
    if parts.netloc == "colab.research.google.com":
        assert parts.path.startswith(prefix), f"Colab link to another repository/branch: {url}"
        return "colab", parts.path[len(prefix):]
    if parts.netloc == "mybinder.org":
        assert parts.path == prefix, f"Binder link to another repository/branch: {url}"
        urlpath = urllib.parse.parse_qs(parts.query)["urlpath"][0]
        return "binder", re.sub(r"^(lab/tree|tree)/", "", urlpath)
    if parts.netloc != "github.com" or not (parts.path + "/").startswith(f"/{ORG_REPO}/"):
        return None
    rest = parts.path[len(ORG_REPO) + 1:].strip("/")
    if rest == "":
        return "repository", None
    if rest == "issues/new":
        return "issues", None
    found = re.fullmatch(rf"(blob|edit|tree|raw)/{re.escape(BRANCH)}/(.+)", rest)
    assert found, f"a link into the repository of an unknown form: {url}"
    return found.group(1), found.group(2)


def in_repository(path: str) -> bool:
    """A file of the repository: present and not ignored by git (so it is on GitHub once
    committed)."""
    if not (ROOT / path).is_file():
        return False
    ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, capture_output=True)
    return ignored.returncode != 0  # 0 = ignored; 1 = not ignored; 128 = not a git checkout


def test_every_launch_and_source_link_names_a_repository_file():
    links = page_links(built_site())
    checked, wrong = 0, []
    for page, urls in links.items():
        for url in urls:
            found = repository_path(url)
            if found and found[1] is not None:
                checked += 1
                if not in_repository(found[1]):
                    wrong.append(f"{page}: {url} -> {found[1]}")
    assert checked, "no launch or source link found: are launch_buttons set in book/_config.yml?"
    assert not wrong, "links to files that are not in the repository:\n" + "\n".join(wrong)


def test_the_link_check_knows_a_wrong_path():
    """What `path_to_book: book` used to emit: recognised as ours, and refused."""
    url = f"https://colab.research.google.com/github/{ORG_REPO}/blob/{BRANCH}/book/notebooks/00_attention.ipynb"
    assert repository_path(url) == ("colab", "book/notebooks/00_attention.ipynb")
    assert not in_repository("book/notebooks/00_attention.ipynb")
    assert in_repository("notebooks/00_attention.ipynb")
    assert not in_repository("book/_build/html/index.html"), "an ignored file is not on GitHub"
    with pytest.raises(AssertionError):
        repository_path(f"https://mybinder.org/v2/gh/{ORG_REPO}/other-branch?urlpath=lab/tree/x")


def test_every_notebook_page_has_colab_and_binder():
    links = page_links(built_site())
    for page in (p for p in toc_pages() if p.startswith(NOTEBOOK_DIRS)):
        kinds = {found for found in map(repository_path, links[page]) if found}
        for kind in ("colab", "binder"):
            assert (kind, f"{page}.ipynb") in kinds, f"{page}: no {kind} button for {page}.ipynb"


def test_every_page_has_repository_and_issue_buttons():
    for page, urls in page_links(built_site()).items():
        kinds = {found[0] for found in map(repository_path, urls) if found}
        assert {"repository", "issues"} <= kinds, f"{page}: repository or issue button missing"


def test_download_links_exist_in_the_site():
    site = built_site()
    for page in toc_pages():
        text = (site / f"{page}.html").read_text(encoding="utf-8")
        for href in re.findall(r'href="([^"]*_sources/[^"]+)"', text):
            target = (site / page).parent / urllib.parse.unquote(html.unescape(href))
            assert target.resolve().is_file(), f"{page}: download link {href} is missing"


# ---------------------------------------------------------------- the PDF

def test_pdf_has_a_bookmark_per_page_and_every_chapter():
    pypdf = pytest.importorskip("pypdf", reason="pypdf comes with the book extra (make venv)")
    if not PDF.is_file():
        pytest.skip("no book/_build/minimem.pdf: `make book` then `make pdf` build it")
    if (SITE / "index.html").is_file() and site_built_at() > PDF.stat().st_mtime:
        pytest.skip("book/_build/minimem.pdf is older than the website: `make pdf` again")
    reader = pypdf.PdfReader(PDF)

    def flatten(outline, depth=0):
        for item in outline:
            if isinstance(item, list):
                yield from flatten(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)

    bookmarks = list(flatten(reader.outline))
    pages = toc_pages()
    assert len(bookmarks) == len(pages), "one bookmark per page of book/_toc.yml"
    starts = [page for _, _, page in bookmarks]
    assert starts == sorted(starts) and starts[0] == 0, "bookmarks in the order of the book"
    assert all(title.strip() for _, title, _ in bookmarks)
    titles = [title for _, title, _ in bookmarks]
    assert len(set(titles)) == len(titles), "every bookmark title is distinct"
    chapters = [p for p in pages if p.startswith("notebooks/")]
    assert len(reader.pages) > len(chapters)
    text = " ".join(titles)
    for chapter in chapters:
        assert chapter.split("/")[1][:2] in text, f"no bookmark for {chapter}"


# ---------------------------------------------------------------- version, citation, changelog

def test_version_is_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "minimem.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?(a|b|rc|dev)\d+)?", minimem.__version__)


CFF_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
            "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
            "references", "repository", "repository-artifact", "repository-code", "title",
            "type", "url", "version"}  # every top-level key CFF 1.2.0 allows


def test_citation_file():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert set(cff) <= CFF_KEYS, f"keys CFF 1.2.0 does not know: {set(cff) - CFF_KEYS}"
    for key in ("message", "title", "authors", "version", "date-released", "license",
                "repository-code"):
        assert cff.get(key), f"CITATION.cff has no {key}"
    assert str(cff["version"]) == minimem.__version__, "CITATION.cff's version is the package's"
    assert isinstance(cff["date-released"], datetime.date)
    for author in cff["authors"]:
        assert author.get("name") or author.get("family-names"), author
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["license"] == project["license"]["text"]
    assert cff["repository-code"] == REPO_URL


def test_changelog_has_this_version_and_unreleased():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(r"^## \[Unreleased\]", text, re.M)
    assert re.search(rf"^## \[{re.escape(minimem.__version__)}\] — \d{{4}}-\d\d-\d\d", text, re.M), \
        f"CHANGELOG.md has no section for version {minimem.__version__}"


# ---------------------------------------------------------------- python -m minimem

def run_minimem(*args: str, **env: str) -> str:
    done = subprocess.run([sys.executable, "-m", "minimem", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_version_command():
    assert run_minimem("--version") == f"minimem {minimem.__version__}\n"


def test_environment_report():
    out = run_minimem("env", MINIMEM_THREADS="1")
    report = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in out.splitlines())
    assert report["minimem"] == minimem.__version__
    for key in ("python", "platform", "torch", "numpy", "matplotlib", "ipywidgets", "CPUs",
                "threads the notebooks use", "device", "runs on"):
        assert report.get(key), f"the report has no {key}"
    assert report["threads the notebooks use"] == "1"
    assert report["device"].split()[0] in ("cpu", "cuda")
    assert str(ROOT) not in out, "the report names no local path"


@pytest.mark.parametrize("variable, where", [("COLAB_RELEASE_TAG", "Colab"),
                                             ("BINDER_REQUEST", "Binder"),
                                             (None, "local")])
def test_report_says_where_it_runs(monkeypatch, variable, where):
    from minimem import __main__ as cli

    for name in ("COLAB_RELEASE_TAG", "COLAB_GPU", "BINDER_LAUNCH_HOST", "BINDER_REQUEST",
                 "BINDER_REPO_URL", "JUPYTERHUB_SERVICE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    if variable:
        monkeypatch.setenv(variable, "1")
    assert cli.where_it_runs() == where


# ---------------------------------------------------------------- issue form, Binder

def test_issue_form_asks_for_chapter_place_and_report():
    form = yaml.safe_load((ROOT / ".github/ISSUE_TEMPLATE/bug.yml").read_text(encoding="utf-8"))
    assert form["name"] and form["description"]
    fields = {item["id"]: item for item in form["body"] if "id" in item}
    for name in ("chapter", "where", "environment"):
        assert fields[name]["validations"]["required"], f"{name} must be required"
    lessons = [p.split("/")[1][:2] for p in toc_pages() if p.startswith("notebooks/")]
    options = fields["chapter"]["attributes"]["options"]
    for number in lessons:
        assert any(o.startswith(f"{number} ·") for o in options), f"no chapter {number} option"
    places = " ".join(fields["where"]["attributes"]["options"])
    assert all(place in places for place in ("Local", "Colab", "Binder"))
    assert "python -m minimem env" in fields["environment"]["attributes"]["description"]
    config = yaml.safe_load((ROOT / ".github/ISSUE_TEMPLATE/config.yml").read_text(encoding="utf-8"))
    assert isinstance(config["blank_issues_enabled"], bool)
    for link in config.get("contact_links", []):
        found = repository_path(link["url"])
        assert found is None or found[1] is None or in_repository(found[1]), link["url"]


def conda_specs(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = {}
    for entry in env["dependencies"]:
        if isinstance(entry, str):
            name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry).groups()
            specs[name] = spec.replace(" ", "")
    return specs


def test_binder_environment():
    """Binder's environment: the runtime packages in the root environment's version ranges,
    an exact Python, no `-e .` (the repository is not there yet when conda runs), and a
    postBuild that installs minimem without touching the conda packages."""
    binder, root = conda_specs(ROOT / "binder/environment.yml"), conda_specs(ROOT / "environment.yml")
    env = yaml.safe_load((ROOT / "binder/environment.yml").read_text(encoding="utf-8"))
    assert not any(isinstance(entry, dict) for entry in env["dependencies"])
    assert re.fullmatch(r"=3\.(1[0-9])", binder.pop("python"))
    for name, spec in binder.items():
        assert root.get(name) == spec, f"binder's {name}{spec} differs from environment.yml"
    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in runtime["project"]["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group()
        assert {"torch": "pytorch"}.get(name, name) in binder, f"binder lacks {name}"
    post = ROOT / "binder/postBuild"
    assert "pip install --no-deps -e ." in post.read_text(encoding="utf-8")
    assert os.access(post, os.X_OK)
