"""A text corpus that needs no download, a character tokenizer, and language-model windows.

Chapter 07 (compressing the context) trains a tiny character language model on Python's own
documentation, which every Python installation carries: the reference-manual topics that
`help()` shows (`pydoc_data.topics`) and the long docstrings (≥ 200 characters) of a fixed,
sorted list of standard-library modules (`MODULES`). Together ≈ 1.2 MB of English prose about
programming, interleaved with code. The text is © the Python Software Foundation, under the
PSF licence (https://docs.python.org/3/license.html); it is read from the running Python,
never copied into this repository, so the exact corpus follows the Python version (record
`fingerprint()` beside anything trained on it).

Documents are normalised (`normalise`: tabs to spaces, typographic quotes and dashes to ASCII,
accents dropped, anything else outside the vocabulary to "?") and split by a hash of their
name — 90 % train, 5 % validation, 5 % test — so the split is deterministic and a document
lies wholly in one part.

The tokenizer's vocabulary (`VOCAB`) is "\\n" plus the 95 printable ASCII characters: V = 96,
so a model that guesses uniformly pays log2(96) ≈ 6.58 bits per character.

Windows (arrays of T + 1 characters cut into inputs and next-character targets), for the LM:
    plain_windows           text from the corpus
    random_repeat_windows   random strings of 16–48 characters, each followed by itself again:
                            only copying can predict the second copy
    natural_repeat_windows  text in which a passage (20–100 characters, at most half the window)
                            is repeated later in the window
Each returns `Windows(inputs (B, T), targets (B, T), scored (B, T), predictable (B, T))`:
`scored` marks the targets a metric counts — every target for plain text; for repeats, the
characters of the repeated copy after its first one (the first cannot be known to start a
repeat). `predictable` marks the targets a training loss should count: every character of
text, but only the scored ones of random repeats (nothing predicts a random character; in
prototypes here, training on those targets too kept a model from ever learning to copy).

Shapes: B windows, T positions per window.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import unicodedata
import warnings
from typing import NamedTuple

import numpy as np

VOCAB = "\n" + "".join(chr(c) for c in range(32, 127))  # newline + printable ASCII
VOCAB_SIZE = len(VOCAB)  # 96
_INDEX = {ch: i for i, ch in enumerate(VOCAB)}
SPLITS = ("train", "validation", "test")

MODULES = tuple(sorted("""
    _pydecimal argparse ast asyncio.base_events asyncio.events asyncio.futures asyncio.locks
    asyncio.queues asyncio.streams asyncio.tasks base64 bdb binascii bisect builtins calendar
    cmath cmd codecs collections collections.abc concurrent.futures._base configparser
    contextlib copy csv dataclasses datetime difflib dis doctest email.message email.utils enum
    fileinput fnmatch fractions ftplib functools getopt gettext glob gzip hashlib heapq hmac
    html.parser http.client http.cookiejar http.server imaplib inspect io ipaddress itertools
    json json.decoder json.encoder locale logging logging.handlers lzma mailbox math mimetypes
    multiprocessing.connection multiprocessing.managers multiprocessing.pool
    multiprocessing.process numbers operator optparse os pathlib pdb pickle pickletools pkgutil
    platform plistlib poplib posixpath pprint pydoc queue quopri random re reprlib sched
    secrets select selectors shelve shlex shutil smtplib socket socketserver sqlite3 ssl
    statistics string struct subprocess sys tarfile tempfile textwrap threading time timeit
    token tokenize trace traceback types typing unittest.case unittest.mock urllib.parse
    urllib.request uuid warnings wave weakref xml.dom.minidom xml.etree.ElementTree
    xmlrpc.client zipfile zipimport zlib""".split()))
MIN_DOC_CHARS = 200
# Objects other packages replace at run time, left out always so that the corpus does not
# depend on what was imported or where it runs: typing_extensions (which torch imports) swaps
# in its own typing._collect_parameters; a Jupyter kernel (IPython, ipykernel) replaces
# pdb.Pdb with its debugger and builtins.input with its own prompt.
PATCHED = frozenset({"typing._collect_parameters", "pdb.Pdb", "builtins.input"})
_ASCII_FOR = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
              "\u2014": "--", "\u2026": "...", "\u00a0": " ", "\u00df": "ss", "\u00b0": " deg"}


def normalise(text: str) -> str:
    """Map any text into the vocabulary: tabs to spaces, "\\r\\n" to "\\n", typographic
    punctuation to ASCII, accents dropped (é → e), anything else outside `VOCAB` to "?"."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = "".join(_ASCII_FOR.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(ch if ch in _INDEX else "?" for ch in text)


def encode(text: str) -> list[int]:
    """Character ids of `text`; every character must be in `VOCAB` (see `normalise`)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    try:
        return [_INDEX[ch] for ch in text]
    except KeyError:
        pos = next(i for i, ch in enumerate(text) if ch not in _INDEX)
        raise ValueError(f"character {text[pos]!r} (U+{ord(text[pos]):04X}) at position {pos} "
                         f"is not in the vocabulary (newline and printable ASCII); map the "
                         f"text first with minimem.data.text.normalise") from None


def decode(ids) -> str:
    """The text of a sequence of character ids (a list, NumPy array or 1-D tensor)."""
    ids = [int(i) for i in ids]
    bad = [i for i in ids if not 0 <= i < VOCAB_SIZE]
    if bad:
        raise ValueError(f"ids must lie in [0, {VOCAB_SIZE}), got {bad[0]}")
    return "".join(VOCAB[i] for i in ids)


def _module_docs(name: str) -> list[tuple[str, str]]:
    """(name, docstring) for a module and the classes, functions and methods it defines;
    none if this Python lacks the module (e.g. built without ssl or sqlite3: the fingerprint
    then differs)."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return []
    found = [(name, module)]
    for attr, obj in sorted(vars(module).items()):
        if (inspect.isclass(obj) or inspect.isroutine(obj)) and \
                getattr(obj, "__module__", None) == name and f"{name}.{attr}" not in PATCHED:
            found.append((f"{name}.{attr}", obj))
            if inspect.isclass(obj):
                found += [(f"{name}.{attr}.{k}", v) for k, v in sorted(vars(obj).items())
                          if inspect.isroutine(v)]
    docs = [(label, getattr(obj, "__doc__", None)) for label, obj in found]
    return [(label, inspect.cleandoc(doc)) for label, doc in docs if isinstance(doc, str)]


@functools.lru_cache(maxsize=1)
def documents() -> tuple[tuple[str, str], ...]:
    """Every (name, normalised text) document of the corpus, in a fixed order: the
    `pydoc_data` topics by key, then each module's docstrings; exact duplicates dropped."""
    from pydoc_data.topics import topics
    raw = [(f"pydoc_data.topics[{key!r}]", topics[key]) for key in sorted(topics)]
    with warnings.catch_warnings():  # deprecated aliases (typing.io …) warn when touched
        warnings.simplefilter("ignore")
        for name in MODULES:
            raw += _module_docs(name)
    seen, docs = set(), []
    for label, text in raw:
        text = normalise(text).strip()
        if len(text) >= MIN_DOC_CHARS and text not in seen:
            seen.add(text)
            docs.append((label, text))
    return tuple(docs)


def split_of(name: str) -> str:
    """The part a document belongs to, from a hash of its name: 90/5/5 train/validation/test."""
    bucket = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 90 else "validation" if bucket < 95 else "test"


@functools.lru_cache(maxsize=3)
def corpus(split: str = "train") -> str:
    """The documents of one split, joined by blank lines."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return "\n\n".join(text for name, text in documents() if split_of(name) == split)


@functools.lru_cache(maxsize=3)
def corpus_ids(split: str = "train") -> np.ndarray:
    """`corpus(split)` encoded, as a read-only int64 array."""
    ids = np.array(encode(corpus(split)), dtype=np.int64)
    ids.flags.writeable = False
    return ids


def fingerprint() -> str:
    """A short hash of the whole corpus: equal fingerprints mean equal text."""
    joined = "\0".join(f"{name}\0{text}" for name, text in documents())
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def plain_english() -> list[str]:
    """Short paragraphs of everyday English (each under 128 characters, one context), written
    for this course: text outside the training domain (no code, no Python), for
    out-of-domain tests."""
    return [
        "The bakery on the corner opens at six. By seven a queue waits for bread, and the smell "
        "drifts down the street.",
        "My grandmother kept a garden behind her house. Every spring she planted beans, "
        "tomatoes and a row of sunflowers.",
        "The train was late again, so we sat on the bench and watched two pigeons argue over a "
        "crust of bread.",
        "After the storm the river rose over its banks. The farmers moved their sheep up to the "
        "hill before dark.",
        "She learned to play the violin at forty. At first the neighbours shut their windows; a "
        "year later they listened.",
        "On Sunday mornings the market fills the square with crates of apples, cheese, old books "
        "and a man selling kites.",
        "The lighthouse keeper wrote a letter every winter to his brother, who lived far inland "
        "and had never seen the sea.",
        "We walked along the cliffs until the fog came in, then followed the sound of the bells "
        "back to the village.",
    ]


class Windows(NamedTuple):
    """inputs (B, T) and targets (B, T) int64 (targets = inputs shifted by one); scored and
    predictable (B, T) bool: the targets a metric counts, and those a loss should count."""

    inputs: np.ndarray
    targets: np.ndarray
    scored: np.ndarray
    predictable: np.ndarray


def _windows(rows: list[np.ndarray], marks: list[np.ndarray], text: bool) -> Windows:
    w, m = np.stack(rows), np.stack(marks)[:, 1:]  # (B, T + 1), (B, T)
    return Windows(w[:, :-1].copy(), w[:, 1:].copy(), m.copy(), np.ones_like(m) if text else m)


def _random_repeat_row(T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    row, mark = [], []
    while len(row) < T + 1:
        s = list(rng.integers(0, VOCAB_SIZE, size=int(rng.integers(16, 49))))
        row += s + s
        mark += [False] * (len(s) + 1) + [True] * (len(s) - 1)
    return np.array(row[:T + 1], dtype=np.int64), np.array(mark[:T + 1])


def _natural_repeat_row(ids: np.ndarray, T: int,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    P = int(rng.integers(20, min(100, (T + 1) // 2) + 1))  # the passage's length
    start = int(rng.integers(0, len(ids) - (T + 1 - P) + 1))
    text = ids[start:start + T + 1 - P]  # T + 1 - P characters of real text
    i = int(rng.integers(0, T + 1 - 2 * P + 1))  # the passage: text[i : i + P]
    j = int(rng.integers(i + P, T + 1 - P + 1))  # its copy is inserted before text[j]
    row = np.concatenate([text[:j], text[i:i + P], text[j:]])  # (T + 1,)
    mark = np.zeros(T + 1, dtype=bool)
    mark[j + 1:j + P] = True
    return row, mark


def _check(ids: np.ndarray, count: int, T: int) -> None:
    if not isinstance(count, int) or count < 1 or not isinstance(T, int) or T < 2:
        raise ValueError(f"count must be an int >= 1 and T an int >= 2, got {count!r}, {T!r}")
    if len(ids) < T + 1:
        raise ValueError(f"the text has {len(ids)} characters; a window needs T + 1 = {T + 1}")


def plain_windows(ids: np.ndarray, count: int, T: int, rng: np.random.Generator) -> Windows:
    """`count` windows of consecutive text from `ids` (e.g. `corpus_ids("train")`)."""
    _check(ids, count, T)
    starts = rng.integers(0, len(ids) - T, size=count)
    rows = [ids[s:s + T + 1] for s in starts]
    return _windows(rows, [np.ones(T + 1, dtype=bool)] * count, text=True)


def random_repeat_windows(count: int, T: int, rng: np.random.Generator) -> Windows:
    """`count` windows of random strings (16–48 uniform characters), each said twice."""
    _check(np.zeros(T + 1), count, T)
    rows, marks = zip(*(_random_repeat_row(T, rng) for _ in range(count)))
    return _windows(list(rows), list(marks), text=False)


def natural_repeat_windows(ids: np.ndarray, count: int, T: int,
                           rng: np.random.Generator) -> Windows:
    """`count` windows of text from `ids` in which a passage of the window is repeated."""
    _check(ids, count, T)
    if T < 40:
        raise ValueError(f"natural repeats need T >= 40 (two passages of 20), got {T}")
    rows, marks = zip(*(_natural_repeat_row(ids, T, rng) for _ in range(count)))
    return _windows(list(rows), list(marks), text=True)


def mixed_windows(ids: np.ndarray, count: int, T: int, random_frac: float,
                  natural_frac: float, rng: np.random.Generator) -> Windows:
    """A training batch: each window is a random repeat with probability `random_frac`, a
    natural repeat with probability `natural_frac`, and plain text otherwise."""
    if not (0 <= random_frac and 0 <= natural_frac and random_frac + natural_frac <= 1):
        raise ValueError(f"random_frac and natural_frac must be >= 0 with a sum <= 1, got "
                         f"{random_frac!r} and {natural_frac!r}")
    kinds = rng.choice(3, size=count, p=[random_frac, natural_frac,
                                         max(0.0, 1 - random_frac - natural_frac)])
    makers = (lambda n: random_repeat_windows(n, T, rng),
              lambda n: natural_repeat_windows(ids, n, T, rng),
              lambda n: plain_windows(ids, n, T, rng))
    parts = [make(int(n)) for make, n in zip(makers, np.bincount(kinds, minlength=3)) if n]
    return Windows(*(np.concatenate(arrays) for arrays in zip(*parts)))
