"""The reading map's data: load `book/reading_map.yml`, check it, compare it with the seed
collection (`../shared/papers/`). Used by `tools/reading_map.py` (which writes the page and
the figure) and by `tests/test_reading_map.py`; every error names the entry it is about.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "book" / "reading_map.yml"
COLLECTION = ROOT.parent / "shared" / "papers"
MAX_SENTENCES = 2
PAPER_KEYS = {"title", "category", "summary", "chapter", "link"}
KINDS = {  # category kind -> (fill, edge) from the Okabe-Ito colour-blind-safe palette
    "mechanism": ("#cfe3f1", "#0072B2"),
    "application": ("#fbe7bd", "#E69F00"),
    "not_a_mechanism": ("#e6e6e6", "#6b6b6b"),
}

class ReadingMapError(ValueError):
    """The reading-map data is inconsistent; the message lists every problem found."""


# --- reading -------------------------------------------------------------------------------

def load(path: Path = DATA) -> dict:
    """The parsed YAML data file."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ReadingMapError(f"{path}: expected a mapping with chapters, categories and papers")
    return data


def read_collection(folder: Path = COLLECTION) -> list[tuple[str, str]]:
    """(title, abstract) for every paper of the seed collection, in file order.

    Each `*.txt` file holds a title line followed by an abstract line, paper after paper. A
    file saved from the web page starts with a few lines of page text and glues the first title
    to the word "Subscribe"; everything up to and including that word is dropped.
    """
    papers = []
    for path in sorted(Path(folder).glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if line]
        start = next((i for i, line in enumerate(lines) if line.startswith("Subscribe")), None)
        if start is not None:
            lines = [lines[start][len("Subscribe"):].strip()] + lines[start + 1:]
        if len(lines) % 2:
            raise ReadingMapError(f"{path.name}: {len(lines)} lines after the page header; "
                                  "expected title and abstract lines in pairs")
        papers += [(lines[i], lines[i + 1]) for i in range(0, len(lines), 2)]
    return papers


def sentences(text: str) -> list[str]:
    """Split a summary into sentences (a full stop, ! or ? followed by a space and a capital)."""
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", text.strip()) if s]


# --- checking ------------------------------------------------------------------------------

def toc_files(root: Path = ROOT) -> set[str]:
    """Every file named in book/_toc.yml (without suffix, relative to the repository root)."""
    toc = yaml.safe_load((root / "book" / "_toc.yml").read_text(encoding="utf-8"))
    files = {toc["root"]}

    def walk(entries):
        for entry in entries or []:
            files.add(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def problems(data: dict, root: Path = ROOT) -> list[str]:
    """Every inconsistency in the data, one line each, naming the entry."""
    found = []
    chapters = data.get("chapters") or {}
    categories = data.get("categories") or {}
    papers = data.get("papers") or []
    if not chapters or not categories or not papers:
        return ["the data needs non-empty `chapters`, `categories` and `papers` sections"]
    in_toc = toc_files(root)
    for key, chapter in chapters.items():
        where = f"chapter {key!r}"
        if not isinstance(chapter, dict) or not chapter.get("title"):
            found.append(f"{where}: needs a title")
            continue
        file, planned = chapter.get("file"), chapter.get("planned", False)
        if planned and file:
            found.append(f"{where}: give a file or `planned: true`, not both")
        elif planned is not True and not file:
            found.append(f"{where}: needs a file (the chapter's notebook) or `planned: true`")
        elif file and not (root / file).is_file():
            found.append(f"{where}: file {file} does not exist (if the chapter is not written "
                         "yet, drop the file and mark it `planned: true`)")
        elif file and str(Path(file).with_suffix("")) not in in_toc:
            found.append(f"{where}: {file} is not in book/_toc.yml, so the link cannot resolve")
    for key, category in categories.items():
        where = f"category {key!r}"
        if not isinstance(category, dict):
            found.append(f"{where}: expected a mapping with title, kind, description, teaches")
            continue
        for field in ("title", "description"):
            if not str(category.get(field) or "").strip():
                found.append(f"{where}: needs a {field}")
        if category.get("kind") not in KINDS:
            found.append(f"{where}: kind must be one of {sorted(KINDS)}, "
                         f"got {category.get('kind')!r}")
        for chapter in category.get("teaches") or []:
            if chapter not in chapters:
                found.append(f"{where}: teaches unknown chapter {chapter!r}")
    seen = Counter()
    for number, paper in enumerate(papers, 1):
        if not isinstance(paper, dict):
            found.append(f"paper #{number}: expected a mapping, got {paper!r}")
            continue
        title = str(paper.get("title") or "").strip()
        where = f"paper #{number} {title!r}" if title else f"paper #{number}"
        if not title:
            found.append(f"{where}: needs a title (exactly as in the collection)")
        seen[title] += 1
        unknown = set(paper) - PAPER_KEYS
        if unknown:
            found.append(f"{where}: unknown field(s) {sorted(unknown)}; "
                         f"allowed: {sorted(PAPER_KEYS)}")
        if paper.get("category") not in categories:
            found.append(f"{where}: category {paper.get('category')!r} is not one of "
                         f"{list(categories)}")
        summary = str(paper.get("summary") or "").strip()
        if not summary:
            found.append(f"{where}: needs a summary (what it stores, how it reads and writes, "
                         "what it costs)")
        elif len(sentences(summary)) > MAX_SENTENCES:
            found.append(f"{where}: summary has {len(sentences(summary))} sentences; "
                         f"at most {MAX_SENTENCES}")
        chapter = paper.get("chapter")
        if chapter is not None and chapter not in chapters:
            found.append(f"{where}: chapter {chapter!r} is not one of {list(chapters)} "
                         "(quote it: \"01\")")
        link = paper.get("link")
        if link is not None and not re.fullmatch(r"https://(arxiv\.org/abs/\S+|doi\.org/\S+)",
                                                 str(link)):
            found.append(f"{where}: link {link!r} should be https://arxiv.org/abs/… or "
                         "https://doi.org/…")
    found += [f"title {title!r} appears {n} times; place each paper once"
              for title, n in seen.items() if n > 1 and title]
    return found


def coverage_problems(data: dict, collection: list[tuple[str, str]]) -> list[str]:
    """Papers of the collection not placed exactly once, and placed titles not in it."""
    wanted = Counter(title for title, _ in collection)
    placed = Counter(str(p.get("title", "")).strip() for p in data.get("papers") or [])
    found = [f"not placed: {title!r}" for title in wanted if title not in placed]
    found += [f"placed {placed[t]} times, in the collection {wanted[t]} times: {t!r}"
              for t in wanted if t in placed and placed[t] != wanted[t]]
    found += [f"not in the collection (check the spelling): {title!r}"
              for title in placed if title not in wanted]
    return found


def validate(data: dict, root: Path = ROOT) -> None:
    """Raise ReadingMapError listing every problem, or return quietly."""
    found = problems(data, root)
    if found:
        raise ReadingMapError("book/reading_map.yml:\n  " + "\n  ".join(found))
