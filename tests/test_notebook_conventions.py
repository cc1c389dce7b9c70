"""Every lesson and solutions notebook follows the course conventions (CONTRIBUTING.md)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_opening_and_closing(path):
    first, last = source(cells(path)[0]), source(cells(path)[-1])
    assert re.match(rf"# {path.name[:2]} · \S", first), "title '# NN · …' expected"
    for part in ("You will learn to", "Prerequisites", "Run time"):
        assert part in first, f"opening cell lacks '{part}'"
    for part in ("What to remember", "Reference", "Next"):
        assert part in last, f"closing cell lacks '{part}'"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_seeded_executed_path_free_and_asserted(path):
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    assert "training.setup(seed=" in source(code[0]), "first code cell must call training.setup(seed=…)"
    assert any(c.get("outputs") for c in code), "commit the notebook executed"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    assert not any("# NBVAL_" in source(c) for c in code), \
        "mark checked cells with the nbval-check-output tag, not a '# NBVAL_' comment"
    text = path.read_text()
    for machine_path in ("/work/", "/root/", "/tmp/", "/home/"):
        assert machine_path not in text, f"output contains a machine path ({machine_path}…)"
    if path.parent.name == "notebooks":
        assert any(re.search(r"^\s*assert ", source(c), re.M) for c in code), "assert the claim in a cell"
        explorers = [c for c in code if "viz.explorer(" in source(c)]
        assert all("nbval-ignore-output" in c["metadata"].get("tags", []) for c in explorers)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercises_state_difficulty_and_time(path):
    headers = [source(c) for c in cells(path) if source(c).startswith("## Exercise")]
    assert len(headers) >= 3
    for header in headers:
        assert "difficulty" in header and "minutes" in header, header.splitlines()[0]


# Solutions are one click away but not in the way (STYLE.md). On the website (myst-nb 1.x) a
# code cell tagged hide-input shows a collapsed source with a toggle and its output in full.
# myst-nb ignores the tags of markdown cells, so a worked answer is wrapped in <details>, which
# the book and JupyterLab both show collapsed (a MyST {dropdown} would be raw text in Lab).
# tools/exercises.py drops the tags from the exercise version; a worked answer becomes a box.
BEGIN = "### BEGIN SOLUTION"
DETAILS = re.compile(r"\A<details>\n<summary>[^\n]+</summary>\n\n.*\S\n\n</details>\Z", re.S)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_answer_code_is_collapsed_on_the_website(path):
    missing = [f"solutions/{path.name}, cell {index}: a code cell with a '{BEGIN}' block needs "
               f"the cell tag 'hide-input' (its source collapses on the website, its output "
               f"stays visible)" for index, cell in enumerate(cells(path))
               if cell["cell_type"] == "code" and BEGIN in source(cell)
               and "hide-input" not in cell["metadata"].get("tags", [])]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_worked_answers_are_collapsed(path):
    open_answers = [f"solutions/{path.name}, cell {index}: wrap the worked answer as "
                    "'<details>\\n<summary>Show the worked answer</summary>\\n\\n…\\n\\n</details>' "
                    "(myst-nb ignores tags on markdown cells; the blank lines let the text inside "
                    "render as Markdown)" for index, cell in enumerate(cells(path))
                    if cell["cell_type"] == "markdown"
                    and "solution" in cell["metadata"].get("tags", [])
                    and not DETAILS.match(source(cell).strip())]
    assert not open_answers, "\n".join(open_answers)


# The website as a book (issue 13): papers cited into the bibliography, glossary terms linked,
# every figure described for readers who cannot see it, and a set-up cell that installs the
# course on Colab. The same rules hold for every chapter, so a new chapter must follow them.
BOOK = ROOT / "book"
CODE_AND_MARKDOWN = LESSONS + SOLUTIONS
ARXIV_LINK = re.compile(r"\[[^\]]+\]\(https://arxiv\.org/abs/(\d{4}\.\d{4,5})\)( \{cite:p\}`([\w-]+)`)?")
CITE = re.compile(r"\{cite(?::[pt])?\}`([^`]+)`")
TERM = re.compile(r"\{term\}`(?:[^`<]*<([^>]+)>|([^`]+))`")


def bib_entries() -> dict[str, str]:
    """references.bib as {key: arXiv id}."""
    text = (BOOK / "references.bib").read_text(encoding="utf-8")
    entries = {}
    for key, body in re.findall(r"@\w+\{([\w-]+),(.*?)\n\}", text, re.S):
        eprint = re.search(r"eprint\s*=\s*\{([\d.]+)\}", body)
        entries[key] = eprint.group(1) if eprint else ""
    return entries


def glossary_terms() -> set[str]:
    """The terms of book/glossary.md's {glossary} directive (unindented lines inside it)."""
    body = re.search(r"```\{glossary\}\n(.*?)\n```", (BOOK / "glossary.md").read_text(), re.S).group(1)
    return {line.strip().lower() for line in body.splitlines() if line.strip() and not line[0].isspace()}


def test_every_bib_entry_has_an_arxiv_id():
    """The bibliography links each entry through its eprint (arXiv id) and archiveprefix."""
    text = (BOOK / "references.bib").read_text(encoding="utf-8")
    entries = bib_entries()
    assert len(entries) == text.count("\n@"), "one key per entry, no duplicates"
    for key, arxiv in entries.items():
        assert re.fullmatch(r"\d{4}\.\d{4,5}", arxiv), f"references.bib: {key} has no eprint (arXiv id)"
    assert text.count("archiveprefix = {arXiv}") == len(entries)


@pytest.mark.parametrize("path", CODE_AND_MARKDOWN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_papers_are_cited_into_the_bibliography(path):
    """Every arXiv link in a markdown cell is followed by {cite:p}`key` of that paper, and every
    cited key is in book/references.bib (the bibliography page lists it)."""
    entries, key_of = bib_entries(), {arxiv: key for key, arxiv in bib_entries().items()}
    problems = []
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        text = source(cell)
        where = f"{path.parent.name}/{path.name}, cell {index}"
        for link in ARXIV_LINK.finditer(text):
            arxiv, key = link.group(1), link.group(3)
            if arxiv not in key_of:
                problems.append(f"{where}: arXiv:{arxiv} is not in book/references.bib; add an entry")
            elif key != key_of[arxiv]:
                problems.append(f"{where}: follow the link to arXiv:{arxiv} with "
                                f"' {{cite:p}}`{key_of[arxiv]}`'")
        for keys in CITE.findall(text):
            problems += [f"{where}: cites {key!r}, which is not in book/references.bib"
                         for key in (k.strip() for k in keys.split(",")) if key not in entries]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_cites_its_papers_first_and_last(path):
    notebook = cells(path)
    for name, cell in (("opening", notebook[0]), ("closing", notebook[-1])):
        assert CITE.search(source(cell)), (f"notebooks/{path.name}: the {name} cell names the "
                                           f"chapter's papers; cite them with {{cite:p}}`key`")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_links_glossary_terms(path):
    terms, linked = glossary_terms(), []
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] == "markdown":
            linked += [(index, (target or text).strip().lower())
                       for target, text in TERM.findall(source(cell))]
    unknown = [f"notebooks/{path.name}, cell {index}: {{term}} {term!r} is not in book/glossary.md"
               for index, term in linked if term not in terms]
    assert not unknown, "\n".join(unknown)
    assert len(linked) >= 3, (f"notebooks/{path.name}: link at least 3 glossary terms with "
                              f"{{term}}`…` where the lesson introduces them (found {len(linked)})")


GENERIC_ALT = re.compile(r"^(a |the )?(plot|figure|image|chart|graph|output|heatmap)s?\.?$", re.I)


@pytest.mark.parametrize("path", CODE_AND_MARKDOWN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_figure_has_alt_text(path):
    """myst-nb writes the cell metadata mystnb.image.alt into the alt attribute of the cell's
    images: say what the figure shows (axes, what is plotted, what to notice), not 'a plot'."""
    problems = []
    for index, cell in enumerate(cells(path)):
        images = [o for o in cell.get("outputs", []) if any(k.startswith("image/") for k in o.get("data", {}))]
        if cell["cell_type"] != "code" or not images:
            continue
        alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
        where = f"{path.parent.name}/{path.name}, cell {index}"
        if not alt:
            problems.append(f"{where}: a figure without alt text; add cell metadata "
                            f'{{"mystnb": {{"image": {{"alt": "what the figure shows"}}}}}}')
        elif len(alt) < 60 or GENERIC_ALT.match(alt.strip()):
            problems.append(f"{where}: alt text {alt!r} is too thin; describe what the figure shows")
    assert not problems, "\n".join(problems)


def colab_install_line() -> str:
    """The one install line a set-up cell runs on Colab: the constraints' torch pin as a CPU
    build, and the course from its repository (book/_config.yml)."""
    import yaml

    torch_pin = next(line.strip() for line in (ROOT / "constraints.txt").read_text().splitlines()
                     if line.startswith("torch=="))
    repository = yaml.safe_load((BOOK / "_config.yml").read_text())["repository"]["url"]
    return (f"!pip install -q {torch_pin}+cpu --extra-index-url https://download.pytorch.org/whl/cpu "
            f"\"minimem @ git+{repository}\"")


EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("path", CODE_AND_MARKDOWN + EXERCISES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_code_cell_installs_the_course_on_colab_only(path):
    first = source(next(c for c in cells(path) if c["cell_type"] == "code"))
    lines = first.splitlines()
    where = f"{path.parent.name}/{path.name}, first code cell"
    assert not any(line.endswith("\\") for line in lines[:4]), \
        f"{where}: keep the install on one line (a '\\' continuation breaks the website's highlighting)"
    assert lines[:2] == ["import sys", 'if "google.colab" in sys.modules:  # on Colab only: install '
                         'the course (CPU build of torch)'], f"{where}: start with the Colab set-up lines"
    assert lines[2] == "    " + colab_install_line(), f"{where}: the install line should be " \
        f"{colab_install_line()!r}"
    assert lines[3] == "", f"{where}: a blank line after the Colab set-up, then the imports"
