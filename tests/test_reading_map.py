"""The reading map of the field (book/reading_map.yml -> book/reading-map.md, tools/reading_map.py).

Every entry has a known category, a summary of at most two sentences and a chapter that exists
(or is marked planned); no title appears twice; the committed page is what the generator makes
of the data; the figure is deterministic. Where the seed collection (`../shared/papers/`) is
present, as in CI, every paper in it is placed exactly once and no summary borrows a phrase
from its abstract; a learner's clone without the collection skips those two tests only.
"""

from __future__ import annotations

import copy
import re

import pytest

import reading_map
import reading_map_data as data

DATA = data.load()
HAVE_COLLECTION = data.COLLECTION.is_dir()
NO_COLLECTION = (f"the seed collection {data.COLLECTION} is absent (a learner's clone); "
                 "this check needs it")


def test_the_data_is_valid():
    assert data.problems(DATA) == []


def test_every_entry_has_a_known_category_and_a_short_summary():
    for paper in DATA["papers"]:
        assert paper["category"] in DATA["categories"], paper["title"]
        summary = paper["summary"].strip()
        assert summary, paper["title"]
        assert len(data.sentences(summary)) <= 2, paper["title"]


def test_every_chapter_link_resolves_or_is_marked_planned():
    root = data.ROOT
    in_toc = data.toc_files(root)
    used = {p["chapter"] for p in DATA["papers"] if p.get("chapter") is not None}
    used |= {c for cat in DATA["categories"].values() for c in cat.get("teaches") or []}
    assert used <= set(DATA["chapters"])
    for key in sorted(used):
        chapter = DATA["chapters"][key]
        if chapter.get("planned"):
            assert "file" not in chapter, key
            continue
        assert (root / chapter["file"]).is_file(), key
        assert chapter["file"].rsplit(".", 1)[0] in in_toc, key
        link = reading_map.chapter_link(DATA, key, root / "book")
        target = re.fullmatch(r"\[chapter \d+\]\((.+)\)", link).group(1)
        assert (root / "book" / target).resolve() == (root / chapter["file"]).resolve()


def test_no_title_appears_twice():
    titles = [p["title"] for p in DATA["papers"]]
    assert len(titles) == len(set(titles))


def test_problems_name_the_entry():
    bad = copy.deepcopy(DATA)
    bad["papers"][0]["category"] = "telepathy"
    bad["papers"][1]["summary"] = "One. Two. Three."
    bad["papers"][2]["chapter"] = "99"
    bad["papers"].append(copy.deepcopy(bad["papers"][3]))
    bad["chapters"]["06"] = {"title": "Recurrent Memory Transformer"}  # neither file nor planned
    found = "\n".join(data.problems(bad))
    for paper in bad["papers"][:4]:
        assert repr(paper["title"]) in found
    assert "'telepathy'" in found and "3 sentences" in found and "'99'" in found
    assert "appears 2 times" in found and "chapter '06'" in found
    with pytest.raises(data.ReadingMapError, match="telepathy"):
        data.validate(bad)


def test_committed_page_is_up_to_date(tmp_path):
    page = tmp_path / "reading-map.md"
    committed = reading_map.PAGE.read_text(encoding="utf-8")
    text = reading_map.render(DATA, reading_map.page_head(), reading_map.PAGE.parent,
                              reading_map.FIGURE)
    page.write_text(text, encoding="utf-8")
    assert page.read_text(encoding="utf-8") == committed, \
        "book/reading-map.md is out of date: run `make reading-map`"
    assert committed.startswith("# Reading map")
    assert "| if you want to… | read |" in reading_map.page_head()  # the hand-written paths
    assert reading_map.FIGURE.is_file()
    assert ":alt: Map of" in committed


def test_figure_is_deterministic(tmp_path):
    first = reading_map.draw(DATA, tmp_path / "a.svg").read_bytes()
    second = reading_map.draw(DATA, tmp_path / "b.svg").read_bytes()
    assert first == second
    assert b"<dc:date>" not in first and first.lstrip().startswith(b"<?xml")


def test_read_collection_handles_the_saved_page(tmp_path):
    (tmp_path / "000_x.txt").write_text(
        "Get trending papers in your email inbox once a day!\nGet trending papers!\n"
        "SubscribeFirst Title\nFirst abstract.\nSecond Title\nSecond abstract.\n",
        encoding="utf-8")
    assert data.read_collection(tmp_path) == [("First Title", "First abstract."),
                                                     ("Second Title", "Second abstract.")]
    (tmp_path / "001_y.txt").write_text("Lonely title\n", encoding="utf-8")
    with pytest.raises(data.ReadingMapError, match="in pairs"):
        data.read_collection(tmp_path)


@pytest.mark.skipif(not HAVE_COLLECTION, reason=NO_COLLECTION)
def test_every_paper_of_the_collection_is_placed_exactly_once():
    collection = data.read_collection(data.COLLECTION)
    assert len(collection) > 100
    assert data.coverage_problems(DATA, collection) == []


@pytest.mark.skipif(not HAVE_COLLECTION, reason=NO_COLLECTION)
def test_summaries_are_in_our_own_words():
    """No summary shares a run of six words with its paper's abstract."""
    abstracts = dict(data.read_collection(data.COLLECTION))

    def runs(text, n=6):
        words = re.findall(r"[a-z0-9]+", text.lower())
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

    copied = {p["title"]: sorted(" ".join(r) for r in runs(p["summary"])
                                 & runs(abstracts[p["title"]]))
              for p in DATA["papers"]}
    assert {t: r for t, r in copied.items() if r} == {}
