"""Maintainer tool: build the reading map of the field from one data file (`make reading-map`).

`book/reading_map.yml` places every paper of the seed collection (`../shared/papers/`) in a
taxonomy of memory mechanisms, with a summary in our own words and the chapter that teaches its
mechanism. This tool checks that file (each error names the entry) and writes

- `book/reading-map.md`: the hand-written part above the MARKER line is kept as it is; below
  it, the map figure, a table of the categories and, per category, its description and a
  table of its papers with links to the chapters;
- `book/figures/reading-map.svg`: the categories on one map, with their paper counts and the
  course chapters that teach them.

The output is deterministic (same data, same bytes), so `tests/test_reading_map.py` can check
that the committed page is up to date. Where the seed collection is present, the tool also
checks that every paper in it is placed exactly once.

    python tools/reading_map.py [--check]      (what `make reading-map` runs, without --check)
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections import Counter
from pathlib import Path


from reading_map_data import (COLLECTION, KINDS, ROOT, ReadingMapError, coverage_problems, load,
                              read_collection, validate)

PAGE = ROOT / "book" / "reading-map.md"
FIGURE = ROOT / "book" / "figures" / "reading-map.svg"
MARKER = ("<!-- Everything below is generated from book/reading_map.yml by tools/reading_map.py "
          "(make reading-map): edit the YAML, not this page. -->")
KIND_LABELS = {"mechanism": "memory mechanism", "application": "mechanisms applied outside text",
               "not_a_mechanism": "no memory mechanism"}


# --- the page ------------------------------------------------------------------------------

def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (no pipes, no Markdown or maths markup)."""
    text = " ".join(str(text).split())
    return re.sub(r"([\\|*_`\[\]<>$])", r"\\\1", text)


def _label(key: str) -> str:
    return "reading-map-" + key.replace("_", "-")


def chapter_link(data: dict, key: str, page_dir: Path, short: bool = False) -> str:
    """`[chapter 01](../notebooks/01_….ipynb)`, or `chapter 06 (in preparation)`."""
    chapter = data["chapters"][key]
    name = key if short else f"chapter {key}"
    if chapter.get("planned"):
        return f"{name} (in preparation)"
    target = os.path.relpath(ROOT / chapter["file"], page_dir).replace(os.sep, "/")
    return f"[{name}]({target})"


def counts(data: dict) -> Counter:
    return Counter(paper["category"] for paper in data["papers"])


def alt_text(data: dict) -> str:
    """The figure's alt text: every box of the map in words."""
    n = counts(data)
    parts = []
    for key, category in data["categories"].items():
        teaches = category.get("teaches") or []
        taught = (", taught in chapter" + ("s " if len(teaches) > 1 else " ") + ", ".join(teaches)
                  if teaches else "")
        parts.append(f"{category['title']}: {n[key]} paper{'s' if n[key] != 1 else ''}{taught}")
    return (f"Map of {len(data['papers'])} papers in {len(data['categories'])} categories of "
            "memory in neural networks. " + "; ".join(parts) + ".")


def render(data: dict, head: str, page_dir: Path = PAGE.parent,
           figure: Path = FIGURE) -> str:
    """The whole page: the kept hand-written `head`, the marker, then the generated map."""
    n = counts(data)
    chapters = data["chapters"]
    figure_ref = os.path.relpath(figure, page_dir).replace(os.sep, "/")
    mechanisms = sum(n[k] for k, c in data["categories"].items() if c["kind"] == "mechanism")
    out = [head.rstrip("\n"), "", MARKER, "",
           "## The field at a glance", "",
           f"The course teaches a few mechanisms; the field builds on them. The map below places "
           f"every paper of the course's seed collection ({len(data['papers'])} papers) in one of "
           f"{len(data['categories'])} categories, and says in one or two sentences what each "
           "paper stores, how it reads and writes it, and what that costs. "
           f"{mechanisms} papers propose or study a memory mechanism; the others apply one "
           "outside text, or use the word *memory* for something else (hardware memory, "
           "memorisation, the name of the LSTM), and are placed too, so that the map is complete.",
           "",
           "```{figure} " + figure_ref,
           f":alt: {alt_text(data)}",
           ":width: 100%",
           "",
           "The categories of the reading map, with the number of papers in each. Blue boxes are "
           "memory mechanisms, orange boxes the same mechanisms applied to vision, video, speech "
           "and agents, grey boxes papers without a memory mechanism. Circles mark the course "
           "chapters that teach a category's mechanism (dashed: in preparation).",
           "```", "",
           "| category | papers | taught in |", "| --- | --- | --- |"]
    for key, category in data["categories"].items():
        teaches = ", ".join(chapter_link(data, c, page_dir) for c in category.get("teaches") or [])
        name = re.sub(r"[`<>|]", "", " ".join(category["title"].split()))
        out.append(f"| {{ref}}`{name} <{_label(key)}>` | {n[key]} | "
                   f"{teaches or '—'} |")
    out += ["", "Links go to the paper on arXiv where the identifier was checked; otherwise "
            "search for the title. The data lives in `book/reading_map.yml`; `make reading-map` "
            "rebuilds this page and its figure."]
    for key, category in data["categories"].items():
        teaches = category.get("teaches") or []
        taught = ("Taught in " + ", ".join(chapter_link(data, c, page_dir) for c in teaches) + "."
                  if teaches else "No chapter of the course teaches this category yet.")
        out += ["", f"({_label(key)})=", f"## {category['title']}", "",
                " ".join(category["description"].split()), "",
                f"**{n[key]} paper{'s' if n[key] != 1 else ''}.** {taught}", "",
                "| paper | what it stores, how it reads and writes, what it costs | chapter |",
                "| --- | --- | --- |"]
        for paper in data["papers"]:
            if paper["category"] != key:
                continue
            title = _cell(paper["title"])
            if paper.get("link"):
                title = f"[{title}]({paper['link']})"
            chapter = (chapter_link(data, paper["chapter"], page_dir, short=True)
                       if paper.get("chapter") in chapters else "—")
            out.append(f"| {title} | {_cell(paper['summary'])} | {chapter} |")
    return "\n".join(out) + "\n"


def page_head(page: Path = PAGE) -> str:
    """The hand-written part of the page: everything above the marker line."""
    text = page.read_text(encoding="utf-8") if page.exists() else "# Reading map\n"
    return text.split(MARKER)[0].rstrip("\n") + "\n"


# --- the figure ----------------------------------------------------------------------------

def draw(data: dict, path: Path = FIGURE) -> Path:
    """The categories as boxes on one map, three to a row, in the data's order."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Ellipse, FancyBboxPatch, Patch

    n = counts(data)
    keys = list(data["categories"])
    cols = 3
    rows = math.ceil(len(keys) / cols)
    most = max(n.values())
    width, height, legend = 8.4, 1.45 * rows + 0.7, 0.7  # inches: legible at page width
    with matplotlib.rc_context({"svg.hashsalt": "minimem-reading-map", "font.size": 10,
                                "svg.fonttype": "path"}):
        fig = Figure(figsize=(width, height))
        ax = fig.add_axes((0.005, legend / height, 0.99, 1 - legend / height))
        ax.set_xlim(0, cols)
        ax.set_ylim(0, rows)
        ax.set_axis_off()
        x_inch = 0.99 * width / cols  # inches per data unit, to draw round circles
        y_inch = (height - legend) / rows
        for i, key in enumerate(keys):
            category = data["categories"][key]
            fill, edge = KINDS[category["kind"]]
            ink = "#8a5d00" if category["kind"] == "application" else edge  # darker orange text
            x, y = i % cols, rows - 1 - i // cols
            ax.add_patch(FancyBboxPatch((x + 0.04, y + 0.06), 0.92, 0.88,
                                        boxstyle="round,pad=0,rounding_size=0.04",
                                        facecolor=fill, edgecolor=edge, linewidth=1.5))
            lines = [""]
            for word in category["title"].split():  # wrap the title at about 24 characters
                if lines[-1] and len(lines[-1]) + len(word) > 24:
                    lines.append("")
                lines[-1] = (lines[-1] + " " + word).strip()
            ax.text(x + 0.07, y + 0.86, "\n".join(lines), ha="left", va="top", fontsize=10.5,
                    fontweight="bold", color="#1a1a1a", linespacing=1.15)
            label = f"{n[key]} paper" + ("s" if n[key] != 1 else "")
            ax.text(x + 0.07, y + 0.25, label, ha="left", va="baseline", fontsize=13,
                    fontweight="bold", color=ink)
            ax.add_patch(FancyBboxPatch((x + 0.07, y + 0.13), 0.86 * n[key] / most, 0.05,
                                        boxstyle="square,pad=0", facecolor=edge,
                                        edgecolor="none"))
            for j, chapter in enumerate(reversed(category.get("teaches") or [])):
                planned = data["chapters"][chapter].get("planned", False)
                radius = 0.13  # inches
                cx, cy = x + 0.88 - j * 2.3 * radius / x_inch, y + 0.33
                ax.add_patch(Ellipse((cx, cy), 2 * radius / x_inch, 2 * radius / y_inch,
                                     facecolor="white" if planned else "#1a1a1a",
                                     edgecolor="#1a1a1a", linewidth=1.4,
                                     linestyle=(0, (2.5, 1.5)) if planned else "-"))
                ax.text(cx, cy, chapter, ha="center", va="center", fontsize=8.5,
                        fontweight="bold", color="#1a1a1a" if planned else "white")
        handles = [Patch(facecolor=KINDS[k][0], edgecolor=KINDS[k][1], label=KIND_LABELS[k])
                   for k in KINDS]
        handles += [Line2D([], [], marker="o", linestyle="none", markersize=12,
                           markerfacecolor="#1a1a1a", markeredgecolor="#1a1a1a",
                           label="chapter that teaches it"),
                    Line2D([], [], marker="o", linestyle="none", markersize=12,
                           markerfacecolor="white", markeredgecolor="#1a1a1a",
                           label="chapter in preparation")]
        fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=3,
                   frameon=False, fontsize=9.5, handlelength=1.6, columnspacing=1.5)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
    return path


# --- command line --------------------------------------------------------------------------

def build(data: dict, page: Path = PAGE, figure: Path = FIGURE, head: str | None = None) -> str:
    """Write the page (keeping the head of the existing page, or `head`) and the figure."""
    text = render(data, page_head(page) if head is None else head, page.parent, figure)
    page.write_text(text, encoding="utf-8")
    draw(data, figure)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only check the data and that book/reading-map.md is up to date")
    args = parser.parse_args(argv)
    try:
        data = load()
        validate(data)
        if COLLECTION.is_dir():
            missing = coverage_problems(data, read_collection(COLLECTION))
            if missing:
                raise ReadingMapError("book/reading_map.yml against ../shared/papers:\n  "
                                      + "\n  ".join(missing))
        else:
            print(f"reading_map: {COLLECTION} not found; coverage of the collection not checked")
    except ReadingMapError as error:
        print(f"reading_map: {error}", file=sys.stderr)
        return 1
    if args.check:
        if render(data, page_head()) != PAGE.read_text(encoding="utf-8"):
            print("reading_map: book/reading-map.md is out of date; run `make reading-map`",
                  file=sys.stderr)
            return 1
        print("reading_map: book/reading-map.md is up to date")
        return 0
    build(data)
    n = counts(data)
    print(f"reading_map: {len(data['papers'])} papers -> {PAGE.relative_to(ROOT)}, "
          f"{FIGURE.relative_to(ROOT)}")
    for key, category in data["categories"].items():
        print(f"  {n[key]:3d}  {category['title']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
