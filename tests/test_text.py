"""Chapter 07's text corpus (Python's own documentation), character tokenizer and windows."""

import math

import numpy as np
import pytest

from minimem.data import text

T = 64


def test_the_vocabulary_is_newline_and_printable_ascii():
    assert text.VOCAB_SIZE == len(text.VOCAB) == 96 and len(set(text.VOCAB)) == 96
    assert text.VOCAB[0] == "\n" and text.VOCAB[1:] == "".join(map(chr, range(32, 127)))
    assert math.isclose(math.log2(text.VOCAB_SIZE), 6.585, abs_tol=1e-3)


@pytest.mark.parametrize("sample", ["", "def f(x):\n    return x  # ~`|{}\\",
                                    *text.plain_english()])
def test_encode_decode_round_trip(sample):
    ids = text.encode(sample)
    assert all(0 <= i < 96 for i in ids) and text.decode(ids) == sample
    assert text.decode(np.array(ids)) == sample


def test_encode_names_the_first_character_outside_the_vocabulary():
    with pytest.raises(ValueError, match=r"'é' \(U\+00E9\) at position 3 is not in the vocab"):
        text.encode("café au lait")
    with pytest.raises(ValueError, match=r"'\\t' \(U\+0009\) at position 3"):
        text.encode("caf\tete")
    with pytest.raises(TypeError, match="text must be a str"):
        text.encode(b"bytes")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 96\), got 96"):
        text.decode([1, 96])


def test_normalise_maps_any_text_into_the_vocabulary():
    assert text.normalise("a\tb\r\n\u201cqu\u00e9\u201d \u2014 \u2026 \u4e2d") == \
        'a   b\n"que" -- ... ?'
    assert text.encode(text.normalise("\u00fcber\u2019s \u03c0")) == text.encode("uber's ?")


def test_the_corpus_is_one_to_two_megabytes_of_documentation():
    docs = text.documents()
    total = sum(len(t) for _, t in docs)
    assert 1_000_000 < total < 2_000_000, total
    assert docs[0][0].startswith("pydoc_data.topics[")
    assert any(name.startswith("argparse.") for name, _ in docs)
    assert all(len(t) >= text.MIN_DOC_CHARS for _, t in docs)
    assert len({t for _, t in docs}) == len(docs)  # no duplicate documents
    assert len(text.fingerprint()) == 16


def test_the_split_is_deterministic_disjoint_and_about_90_5_5():
    names = [name for name, _ in text.documents()]
    assert len(set(names)) == len(names)
    parts = {s: {n for n in names if text.split_of(n) == s} for s in text.SPLITS}
    assert set().union(*parts.values()) == set(names)
    assert sum(len(p) for p in parts.values()) == len(names)  # every document in one part
    assert text.split_of("pydoc_data.topics['if']") == text.split_of("pydoc_data.topics['if']")
    sizes = {s: len(text.corpus(s)) for s in text.SPLITS}
    total = sum(sizes.values())
    assert 0.85 < sizes["train"] / total < 0.95, sizes
    assert sizes["validation"] > 30_000 and sizes["test"] > 30_000, sizes
    for name, body in text.documents()[:50]:
        assert (body in text.corpus(text.split_of(name))) is True
    assert text.decode(text.corpus_ids("validation")) == text.corpus("validation")
    with pytest.raises(ValueError, match="split must be one of"):
        text.corpus("dev")


def test_plain_english_is_outside_the_training_domain():
    paragraphs = text.plain_english()
    assert len(paragraphs) >= 5 and all(20 < len(p) < 128 for p in paragraphs)
    for p in paragraphs:
        assert text.normalise(p) == p and p not in text.corpus("train")


def runs(scored_row):
    """The [start, end) runs of True in a boolean row."""
    padded = np.concatenate([[False], scored_row, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))


def test_random_repeats_are_really_repeats():
    w = text.random_repeat_windows(20, T, np.random.default_rng(0))
    assert w.inputs.shape == w.targets.shape == w.scored.shape == (20, T)
    assert np.array_equal(w.inputs[:, 1:], w.targets[:, :-1])
    assert np.array_equal(w.predictable, w.scored)  # nothing else is predictable
    for inputs, targets, scored, _ in zip(*w):
        window, marks = np.r_[inputs[:1], targets], np.r_[False, scored]  # T + 1 characters
        found = runs(marks)
        assert found
        for a, b in found:  # the copy is window[a - 1 : b]; its first character is unscored
            copy = window[a - 1:b]
            assert any(np.array_equal(copy, window[a - 1 - P:b - P])
                       for P in range(max(16, len(copy)), 49) if a - 1 - P >= 0)


def test_natural_repeats_copy_an_earlier_passage_of_real_text():
    ids = text.corpus_ids("validation")
    w = text.natural_repeat_windows(ids, 30, T, np.random.default_rng(1))
    assert w.predictable.all()  # text: every character is learnable
    for inputs, targets, scored, _ in zip(*w):
        (a, b), = runs(scored)  # exactly one scored run per window
        copy = targets[a - 1:b]  # the repeated passage: 20 .. T/2 characters
        assert 20 <= len(copy) <= (T + 1) // 2
        window = np.r_[inputs[:1], targets]  # all T + 1 characters
        earlier = [i for i in range(0, a - len(copy) + 1)
                   if np.array_equal(window[i:i + len(copy)], copy)]
        assert earlier, text.decode(window)


def test_plain_and_mixed_windows():
    ids = text.corpus_ids("validation")
    rng = np.random.default_rng(2)
    plain = text.plain_windows(ids, 5, T, rng)
    assert plain.scored.all() and plain.predictable.all()
    assert text.decode(np.r_[plain.inputs[0], plain.targets[0][-1:]]) in text.corpus("validation")
    only_random = text.mixed_windows(ids, 8, T, 1.0, 0.0, rng)
    assert (only_random.scored.sum(1) < T).all()
    assert np.array_equal(only_random.predictable, only_random.scored)
    only_plain = text.mixed_windows(ids, 8, T, 0.0, 0.0, rng)
    assert only_plain.scored.all() and only_plain.inputs.shape == (8, T)
    with pytest.raises(ValueError, match="random_frac and natural_frac"):
        text.mixed_windows(ids, 8, T, 0.8, 0.5, rng)
    with pytest.raises(ValueError, match="needs T \\+ 1"):
        text.plain_windows(ids[:10], 2, T, rng)


def test_windows_are_seeded():
    ids = text.corpus_ids("validation")
    a = text.mixed_windows(ids, 6, T, 0.3, 0.3, np.random.default_rng(5))
    b = text.mixed_windows(ids, 6, T, 0.3, 0.3, np.random.default_rng(5))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))



def test_the_corpus_does_not_depend_on_what_was_imported_before():
    """typing_extensions (imported by torch) replaces a function of `typing`; the corpus must
    come out the same with or without it."""
    import subprocess
    import sys

    code = "from minimem.data import text; print(text.fingerprint())"
    prints = [subprocess.run([sys.executable, "-c", first + code], capture_output=True,
                             text=True, check=True).stdout
              for first in ("", "import torch; ")]
    assert prints[0] == prints[1]


def test_the_corpus_is_the_same_inside_a_jupyter_kernel(monkeypatch):
    """A kernel replaces pdb.Pdb (IPython's debugger) and builtins.input (ipykernel's prompt);
    the lessons must read the same corpus as the command line."""
    import builtins
    import pdb

    before = text.documents()
    kernel_pdb = type("Pdb", (pdb.Pdb,), {"__module__": "IPython.core.debugger"})
    monkeypatch.setattr(pdb, "Pdb", kernel_pdb)

    def kernel_input(prompt=""):
        """Forward raw_input to frontends (a stand-in with a docstring of its own)."""

    kernel_input.__module__ = "ipykernel.kernelbase"
    monkeypatch.setattr(builtins, "input", kernel_input)
    assert text.documents.__wrapped__() == before
