"""The bAbI text format: `Example`, a reader and a writer for the original v1.2 files, and the
standard task file names. Chapter 01 (End-to-End Memory Networks, Sukhbaatar et al. 2015,
https://arxiv.org/abs/1503.08895) reads its data through it.

The bAbI tasks (Weston et al., 2015, "Towards AI-complete question answering",
https://arxiv.org/abs/1502.05698) are short stories followed by questions. In the v1.2 files
every line is ``ID text``; IDs restart at 1 where a new story begins, and a question line is
``ID question?<TAB>answer<TAB>supporting IDs``. Each question becomes one `Example` whose story
is every statement of its story before the question. Nothing is downloaded: the English 1k
release ships with the package (`SHIPPED_ARCHIVE`, CC BY 3.0, see README.md beside it) and
`load_task` reads it straight from the compressed archive; a folder or another copy of the
release's .tar.gz works too.
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from minimem.files import atomic_write

TASK_NAMES = {
    1: "single-supporting-fact", 2: "two-supporting-facts", 3: "three-supporting-facts",
    4: "two-arg-relations", 5: "three-arg-relations", 6: "yes-no-questions", 7: "counting",
    8: "lists-sets", 9: "simple-negation", 10: "indefinite-knowledge", 11: "basic-coreference",
    12: "conjunction", 13: "compound-coreference", 14: "time-reasoning", 15: "basic-deduction",
    16: "basic-induction", 17: "positional-reasoning", 18: "size-reasoning", 19: "path-finding",
    20: "agents-motivations",
}


@dataclass
class Example:
    """One question with its story.

    story: the statements before the question, each a list of lower-case words;
    question: the question's words; answer: the answer as written in the file (a comma-separated
    list for list answers, e.g. "key,cup"); supporting: 0-based indices into `story` of the
    statements that support the answer.
    """

    story: list[list[str]]
    question: list[str]
    answer: str
    supporting: list[int]


_WORD = re.compile(r"[^\W_]+")  # what `tokenize` keeps: runs of letters and digits, any script


def tokenize(text: str) -> list[str]:
    """Lower-case words of a sentence, punctuation dropped ("Ana ran." -> ["ana", "ran"]);
    letters outside ASCII are kept ("Zoë" -> ["zoë"])."""
    return _WORD.findall(text.lower())


# ------------------------------------------------------------------------------ reading / writing
def read(path: str | Path) -> list[Example]:
    """Parse a bAbI v1.2 file into examples; malformed input raises ValueError naming file:line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no bAbI file at {path}")
    return parse(path.read_bytes(), str(path))


def parse(raw: bytes, path: str = "<bytes>") -> list[Example]:
    """Parse the bytes of a bAbI v1.2 file (`read` without the file); `path` names the source
    in error messages."""
    lines = raw.split(b"\n")
    if not raw.strip():
        raise ValueError(f"{path}: the file is empty (expected lines 'ID text')")
    examples: list[Example] = []
    statements: list[list[str]] = []  # statements of the current story
    index_of_id: dict[int, int] = {}  # line ID -> index into `statements`
    prev_id = 0
    for number, line_bytes in enumerate(lines, start=1):
        where = f"{path}:{number}"
        try:
            line = line_bytes.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as err:
            raise ValueError(f"{where}: not valid UTF-8 ({err.reason})") from None
        if not line.strip():
            continue
        head, _, rest = line.partition(" ")
        if not head.isdigit():
            raise ValueError(f"{where}: expected a line starting with a number ID, got {line!r}")
        line_id = int(head)
        if line_id == 1:
            statements, index_of_id = [], {}
        elif line_id != prev_id + 1:
            raise ValueError(f"{where}: line ID {line_id} should be 1 (new story) or {prev_id + 1}")
        prev_id = line_id
        fields = rest.split("\t")
        if len(fields) == 1:  # a statement
            index_of_id[line_id] = len(statements)
            statements.append(_statement(where, rest))
        else:
            examples.append(_question(where, fields, statements, index_of_id))
    if not examples:
        raise ValueError(f"{path}:{len(lines)}: the file has no question lines")
    return examples


def _statement(where: str, text: str) -> list[str]:
    """The words of a statement line (after its ID)."""
    if "?" in text:
        raise ValueError(f"{where}: a question line needs 3 tab-separated fields "
                         f"(question, answer, supporting IDs), got 1")
    words = tokenize(text)
    if not words:
        raise ValueError(f"{where}: expected a statement after the ID, got {text!r}")
    return words


def _question(where: str, fields: list[str], statements: list[list[str]],
              index_of_id: dict[int, int]) -> Example:
    """The Example of a question line's tab-separated fields, given its story so far."""
    if len(fields) != 3:
        raise ValueError(f"{where}: a question line needs 3 tab-separated fields "
                         f"(question, answer, supporting IDs), got {len(fields)}")
    question, answer, support = fields[0], fields[1].strip(), fields[2].split()
    if "?" not in question or not tokenize(question):
        raise ValueError(f"{where}: expected a question ending in '?', got {question!r}")
    if not answer or not all(tokenize(a) for a in answer.split(",")):
        raise ValueError(f"{where}: the answer field is empty or malformed: {fields[1]!r}")
    if not support or not all(s.isdigit() for s in support):
        raise ValueError(f"{where}: expected space-separated supporting IDs, got {fields[2]!r}")
    missing = [s for s in support if int(s) not in index_of_id]
    if missing:
        raise ValueError(f"{where}: supporting ID(s) {' '.join(missing)} are not earlier "
                         f"statements of this story")
    return Example(story=[list(s) for s in statements], question=tokenize(question),
                   answer=answer.lower(), supporting=[index_of_id[int(s)] for s in support])


def write(examples: Sequence[Example], path: str | Path) -> None:
    """Write examples in the bAbI v1.2 format, so that `read(path)` gives them back.

    Consecutive examples whose stories extend one another share one story in the file, as in the
    original data; otherwise a new story (IDs from 1) begins.
    """
    if not examples:
        raise ValueError("examples is empty: nothing to write")
    out: list[str] = []
    story: list[list[str]] = []  # statements written so far in the current story
    ids: list[int] = []  # their line IDs
    next_id = 1
    for i, ex in enumerate(examples):
        if not isinstance(ex, Example):
            raise TypeError(f"examples[{i}] must be an Example, got {type(ex).__name__}")
        if not ex.question or not ex.answer or any(not s for s in ex.story):
            raise ValueError(f"examples[{i}] has an empty question, answer or story sentence")
        odd = [w for words in ex.story + [ex.question] for w in words if tokenize(w) != [w]]
        if odd or not all(tokenize(a) == [a] for a in ex.answer.split(",")):
            raise ValueError(f"examples[{i}] holds the word {(odd or [ex.answer])[0]!r}; the bAbI "
                             f"format holds words of lower-case letters and digits (answers "
                             f"may list several, comma-separated)")
        if ex.story[: len(story)] != story or not story and next_id > 1:
            story, ids, next_id = [], [], 1  # start a new story
        for sentence in ex.story[len(story):]:
            out.append(f"{next_id} {' '.join(sentence).capitalize()}.")
            story.append(sentence)
            ids.append(next_id)
            next_id += 1
        if any(not 0 <= s < len(ex.story) for s in ex.supporting) or not ex.supporting:
            raise ValueError(f"examples[{i}].supporting must be indices into its story "
                             f"(0..{len(ex.story) - 1}), got {ex.supporting}")
        support = " ".join(str(ids[s]) for s in ex.supporting)
        out.append(f"{next_id} {' '.join(ex.question).capitalize()}?\t{ex.answer}\t{support}")
        next_id += 1
    atomic_write(path, "\n".join(out) + "\n")


def task_file_name(task_id: int, split: str = "train") -> str:
    """The standard bAbI file name, e.g. task 1 -> 'qa1_single-supporting-fact_train.txt'."""
    if task_id not in TASK_NAMES:
        raise ValueError(f"task_id must be an int in 1..20, got {task_id!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return f"qa{task_id}_{TASK_NAMES[task_id]}_{split}.txt"


# The English 1k part of the bAbI v1.2 release (Weston et al. 2015, CC BY 3.0), shipped with
# the package and read without unpacking it. sha256 216fe56c...3899f (see README.md beside it).
SHIPPED_ARCHIVE = Path(__file__).with_name("babi-tasks-v1-2-en-1k.tar.gz")


def load_task(folder: str | Path | int | None = None, task_id: int | None = None,
              split: str = "train", size: str = "1k") -> list[Example]:
    """Read one task of the bAbI v1.2 release.

    `folder` says where the release is:
    - None: the copy shipped with the package (English, 1k only): `load_task(None, 3, "test")`,
      or shorter, with the task id first, `load_task(3, "test")`;
    - a folder: the release's top folder (holding `en/` and `en-10k/`), its parent (holding
      `tasks_1-20_v1-2/`), or the `en/` or `en-10k/` folder itself;
    - a .tar.gz / .tgz file of the release (read in place, never unpacked).
    size is "1k" (folder `en`) or "10k" (folder `en-10k`).
    """
    if isinstance(folder, int) and not isinstance(folder, bool):  # load_task(3, "test", ...)
        if task_id is not None and not isinstance(task_id, str):
            raise TypeError(f"load_task(task_id, split, size) got a second task id {task_id!r}")
        if task_id is not None:  # the arguments after the id shift left: (split, size)
            split, size = task_id, split if split in ("1k", "10k") else size
        folder, task_id = None, folder
    sub = {"1k": "en", "10k": "en-10k"}.get(size)
    if sub is None:
        raise ValueError(f"size must be '1k' or '10k', got {size!r}")
    name = task_file_name(task_id, split)
    folder = SHIPPED_ARCHIVE if folder is None else Path(folder)
    if folder.is_file():
        return _load_from_archive(folder, sub, name, task_id, split, size)
    candidates = [folder / sub / name, folder / "tasks_1-20_v1-2" / sub / name]
    if folder.name == sub:
        candidates.insert(0, folder / name)
    for candidate in candidates:
        if candidate.is_file():
            return read(candidate)
    looked = "\n  ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"bAbI task {task_id} ({split}, {size}) not found; looked for:\n  "
                            f"{looked}")


def _load_from_archive(archive: Path, sub: str, name: str, task_id: int, split: str,
                       size: str) -> list[Example]:
    """The task file `sub/name` read from a .tar.gz of the release, at any folder depth."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                parts = member.name.split("/")
                if member.isfile() and parts[-1] == name and (len(parts) < 2 or parts[-2] == sub):
                    return parse(tar.extractfile(member).read(), f"{archive}:{member.name}")
    except tarfile.TarError as err:
        raise ValueError(f"{archive} is not a readable tar archive ({err})") from None
    raise FileNotFoundError(f"bAbI task {task_id} ({split}, {size}) not found in {archive}; "
                            f"expected a member .../{sub}/{name}")
