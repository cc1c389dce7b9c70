"""bAbI-style question answering data: a reader and writer for the original text format, a small
world simulator that generates stories of the same shape, and a `Vocab` that turns examples into
the padded tensors a memory network reads. Chapter 01 (End-to-End Memory Networks) uses it.

The bAbI tasks (Weston et al., 2015, "Towards AI-complete question answering") are short stories
followed by questions. In the v1.2 files every line is ``ID text``; IDs restart at 1 where a new
story begins, and a question line is ``ID question?<TAB>answer<TAB>supporting IDs``. Each question
becomes one `Example` whose story is every statement of its story before the question.

Nothing is downloaded: `load_task` reads files the learner already has, `generate` simulates a
small world (people walk between rooms, pick up, put down and hand over objects) and answers every
question from the simulated state, recording which statements support the answer.

Dimension names: N examples, M memory slots (sentences), L words per sentence.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import torch

TASK_NAMES = {
    1: "single-supporting-fact", 2: "two-supporting-facts", 3: "three-supporting-facts",
    4: "two-arg-relations", 5: "three-arg-relations", 6: "yes-no-questions", 7: "counting",
    8: "lists-sets", 9: "simple-negation", 10: "indefinite-knowledge", 11: "basic-coreference",
    12: "conjunction", 13: "compound-coreference", 14: "time-reasoning", 15: "basic-deduction",
    16: "basic-induction", 17: "positional-reasoning", 18: "size-reasoning", 19: "path-finding",
    20: "agents-motivations",
}
GENERATED_TASKS = (1, 2, 3, 5, 6, 8, 11)


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


def tokenize(text: str) -> list[str]:
    """Lower-case words of a sentence, punctuation dropped ("Ana ran." -> ["ana", "ran"])."""
    return re.findall(r"[a-z0-9]+", text.lower())


# ------------------------------------------------------------------------------ reading / writing
def read(path: str | Path) -> list[Example]:
    """Parse a bAbI v1.2 file into examples; malformed input raises ValueError naming file:line."""
    path = Path(path)
    raw = path.read_bytes()
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
            if "?" in fields[0]:
                raise ValueError(f"{where}: a question line needs 3 tab-separated fields "
                                 f"(question, answer, supporting IDs), got 1")
            words = tokenize(fields[0])
            if not words:
                raise ValueError(f"{where}: expected a statement after the ID, got {rest!r}")
            index_of_id[line_id] = len(statements)
            statements.append(words)
            continue
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
        examples.append(Example(story=[list(s) for s in statements], question=tokenize(question),
                                answer=answer.lower(),
                                supporting=[index_of_id[int(s)] for s in support]))
    if not examples:
        raise ValueError(f"{path}:{len(lines)}: the file has no question lines")
    return examples


def write(examples: Sequence[Example], path: str | Path) -> None:
    """Write examples in the bAbI v1.2 format, so that `read(path)` gives them back.

    Consecutive examples whose stories extend one another share one story in the file, as in the
    original data; otherwise a new story (IDs from 1) begins.
    """
    out: list[str] = []
    story: list[list[str]] = []  # statements written so far in the current story
    ids: list[int] = []  # their line IDs
    next_id = 1
    for i, ex in enumerate(examples):
        if not isinstance(ex, Example):
            raise TypeError(f"examples[{i}] must be an Example, got {type(ex).__name__}")
        if not ex.question or not ex.answer or any(not s for s in ex.story):
            raise ValueError(f"examples[{i}] has an empty question, answer or story sentence")
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
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def task_file_name(task_id: int, split: str = "train") -> str:
    """The standard bAbI file name, e.g. task 1 -> 'qa1_single-supporting-fact_train.txt'."""
    if task_id not in TASK_NAMES:
        raise ValueError(f"task_id must be an int in 1..20, got {task_id!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return f"qa{task_id}_{TASK_NAMES[task_id]}_{split}.txt"


def load_task(folder: str | Path, task_id: int, split: str = "train",
              size: str = "1k") -> list[Example]:
    """Read one task of the bAbI v1.2 release from `folder`.

    `folder` may be the release's top folder (holding `en/` and `en-10k/`), or the `en/` or
    `en-10k/` folder itself. size is "1k" (folder `en`) or "10k" (folder `en-10k`).
    """
    sub = {"1k": "en", "10k": "en-10k"}.get(size)
    if sub is None:
        raise ValueError(f"size must be '1k' or '10k', got {size!r}")
    name = task_file_name(task_id, split)
    folder = Path(folder)
    candidates = [folder / sub / name, folder / "tasks_1-20_v1-2" / sub / name]
    if folder.name == sub:
        candidates.insert(0, folder / name)
    for candidate in candidates:
        if candidate.is_file():
            return read(candidate)
    looked = "\n  ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"bAbI task {task_id} ({split}, {size}) not found; looked for:\n  "
                            f"{looked}")


# ------------------------------------------------------------------------------ world simulation
PEOPLE = {"ana": "she", "dara": "she", "boris": "he", "chen": "he"}
PLACES = ["attic", "cellar", "garage", "library", "studio", "porch"]
THINGS = ["lamp", "key", "cup", "ball"]
WALK = ["walked to the", "ran to the", "headed to the", "strolled into the"]
TAKE = ["lifted the", "collected the", "picked up the"]
LEAVE = ["set down the", "left behind the", "put down the"]
THEN = ["after that", "next", "later"]
# statements between questions and how many questions each story has, per task
PACE = {1: (2, 2, 5), 2: (2, 6, 5), 3: (3, 8, 5), 5: (2, 4, 5), 6: (2, 3, 5), 8: (2, 4, 5),
        11: (2, 2, 5)}


class _World:
    """The simulated state plus a log of who did what, so questions can cite their support."""

    def __init__(self, rng: random.Random, objects: bool, places: list[str] = PLACES):
        self.rng, self.places = rng, places
        self.people = sorted(PEOPLE)
        self.things = list(THINGS) if objects else []
        self.story: list[list[str]] = []
        self.where: dict[str, str] = {}  # person -> room
        self.moved: dict[str, int] = {}  # person -> statement index of their last move
        self.lying = {t: rng.choice(places) for t in self.things}  # thing -> room, when free
        self.holder: dict[str, str] = {}  # thing -> person carrying it
        self.got: dict[str, int] = {}  # thing -> index of the take/hand-over its holder got it by
        self.last_event: dict[str, int] = {}  # thing -> index of its last take/leave/hand-over
        self.left_at: dict[str, int] = {}  # thing -> the leaver's last move when it was left
        # thing -> (room before, move into it, acquisition, move out) of its last carried trip
        self.trip: dict[str, tuple[str, int, int, int]] = {}
        self.touched: dict[tuple[str, str], tuple[int, bool]] = {}  # (person, thing) -> (idx, has)
        self.handovers: list[tuple[int, str, str, str]] = []  # (idx, giver, thing, receiver)
        self.recent: list[str] = []  # people who moved since the last question

    def say(self, words: str) -> int:
        self.story.append(words.split())
        return len(self.story) - 1

    def move(self, person: str, pronoun: bool = False) -> None:
        room = self.rng.choice([p for p in self.places if p != self.where.get(person)])
        subject = f"{self.rng.choice(THEN)} {PEOPLE[person]}" if pronoun else person
        idx = self.say(f"{subject} {self.rng.choice(WALK)} {room}")
        for thing, who in self.holder.items():
            if who == person:
                self.trip[thing] = (self.where[person], self.moved[person], self.got[thing], idx)
        self.where[person], self.moved[person] = room, idx
        self.recent.append(person)

    def take(self, person: str, thing: str) -> None:
        idx = self.say(f"{person} {self.rng.choice(TAKE)} {thing}")
        self.holder[thing], self.got[thing], self.last_event[thing] = person, idx, idx
        self.touched[person, thing] = (idx, True)

    def leave(self, person: str, thing: str) -> None:
        idx = self.say(f"{person} {self.rng.choice(LEAVE)} {thing}")
        del self.holder[thing]
        self.lying[thing], self.left_at[thing] = self.where[person], self.moved[person]
        self.last_event[thing] = idx
        self.touched[person, thing] = (idx, False)

    def give(self, person: str, thing: str, other: str) -> None:
        idx = self.say(f"{person} handed the {thing} to {other}")
        self.holder[thing], self.got[thing], self.last_event[thing] = other, idx, idx
        self.touched[person, thing] = (idx, False)
        self.touched[other, thing] = (idx, True)
        self.handovers.append((idx, person, thing, other))

    def step(self, task: int) -> None:
        """One random statement: mostly walking, with object handling where the task has objects."""
        rng = self.rng
        person = rng.choice(self.people)
        if person not in self.where or not self.things or rng.random() < 0.65:
            # task 11: a move may refer back to the person the previous statement named
            named = self.story[-1][0] if self.story else None
            pronoun = task == 11 and named in self.where and (person == named or rng.random() < 0.5)
            self.move(named if pronoun else person, pronoun)
            return
        room = self.where[person]
        carried = [t for t in self.things if self.holder.get(t) == person]
        free_here = [t for t in self.things if t not in self.holder and self.lying[t] == room]
        company = [p for p in self.people if p != person and self.where.get(p) == room]
        options = [("take", t) for t in free_here] + [("leave", t) for t in carried]
        if task in (5, 6, 8):  # hand-overs (tasks 2 and 3 keep to take and leave, as in bAbI)
            options += [("give", t) for t in carried if company]
        if not options:
            self.move(person)
            return
        gives = [o for o in options if o[0] == "give"]
        kind, thing = rng.choice(gives if task == 5 and gives and rng.random() < 0.7 else options)
        if kind == "take":
            self.take(person, thing)
        elif kind == "leave":
            self.leave(person, thing)
        else:
            self.give(person, thing, rng.choice(company))

    def question(self, task: int) -> tuple[list[str], str, list[int]] | None:
        """A question about the current state, or None if this task has nothing to ask yet."""
        rng = self.rng
        # questions about people ask about someone who moved since the last question (fresh news)
        known = sorted(set(self.recent)) or [p for p in self.people if p in self.where]
        if task in (1, 11) and known:
            person = rng.choice(known)
            support = [self.moved[person]]
            if self.story[support[0]][0] != person:  # "after that she ...": cite who "she" is
                support.insert(0, support[0] - 1)
            return f"where is {person} now".split(), self.where[person], support
        if task == 6 and known:  # about the latest mover: the yes/no test needs fresh news
            person = self.recent[-1] if self.recent else rng.choice(known)
            others = [p for p in PLACES if p != self.where[person]]
            room = self.where[person] if rng.random() < 0.5 else rng.choice(others)
            answer = "yes" if room == self.where[person] else "no"
            return f"is {person} in the {room}".split(), answer, [self.moved[person]]
        if task == 2 and self.last_event:
            thing = rng.choice(sorted(self.last_event))
            if thing in self.holder:  # where its holder is now
                room, moved = self.where[self.holder[thing]], self.moved[self.holder[thing]]
            else:  # where it was left
                room, moved = self.lying[thing], self.left_at[thing]
            return (f"where is the {thing} now".split(), room,
                    sorted({self.last_event[thing], moved}))
        if task == 3 and self.trip:
            thing = rng.choice(sorted(self.trip))
            before, came, got, left = self.trip[thing]
            now = self.story[left][-1]
            return (f"where was the {thing} before the {now}".split(), before,
                    sorted({came, got, left}))
        if task == 5 and self.handovers:  # who gave, who received, what was given
            idx, giver, thing, receiver = rng.choice(self.handovers)
            kind = rng.choice(["giver", "receiver", "thing"])
            if kind == "thing":  # the latest hand-over from giver to receiver
                idx, _, thing, _ = [h for h in self.handovers if h[1:4:2] == (giver, receiver)][-1]
                return f"what did {giver} hand to {receiver}".split(), thing, [idx]
            idx, giver, _, receiver = [h for h in self.handovers if h[2] == thing][-1]
            if kind == "giver":
                return f"who handed over the {thing}".split(), giver, [idx]
            return f"who received the {thing}".split(), receiver, [idx]
        if task == 8:
            people = sorted({p for p, _ in self.touched})
            if people:
                person = rng.choice(people)
                events = sorted((i, t, has) for (p, t), (i, has) in self.touched.items()
                                if p == person)
                held = [t for _, t, has in events if has]
                return (f"what is {person} carrying".split(), ",".join(held) or "nothing",
                        [i for i, _, _ in events])
        return None


def generate(task_id: int, n: int, seed: int = 0) -> list[Example]:
    """`n` examples of a bAbI-like task from a simulated world (tasks in GENERATED_TASKS).

    1: where is a person (one supporting fact); 2: where is an object (two: who has it, where
    they are); 3: where was an object before its current room (three); 5: who handed over or
    received an object, or what one person handed to another (word order decides who gave and
    who received); 6: yes/no questions about a person's room; 8: what a person is carrying (a
    comma-separated list, or "nothing");
    11: where is a person, when moves may refer back with "she"/"he" (basic coreference).
    Each story asks five questions, a few statements apart; answers come from the simulation.
    Questions about a person concern someone who moved since the previous question (task 6: the
    latest mover), so that, as in bAbI, they are mostly about recent events.
    """
    if task_id not in GENERATED_TASKS:
        raise ValueError(f"task_id must be one of {GENERATED_TASKS}, got {task_id!r}")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    rng = random.Random(f"babi-{task_id}-{seed}")
    low, high, per_story = PACE[task_id]
    examples: list[Example] = []
    while len(examples) < n:
        # task 5 happens in three rooms, so that people meet and hand things over more often
        world = _World(rng, objects=task_id in (2, 3, 5, 6, 8),
                       places=PLACES[:3] if task_id == 5 else PLACES)
        for _ in range(per_story):
            for _ in range(rng.randint(low, high)):
                world.step(task_id)
            asked = world.question(task_id)
            while asked is None:  # keep the world going until there is something to ask
                world.step(task_id)
                asked = world.question(task_id)
            question, answer, support = asked
            world.recent = []
            examples.append(Example([list(s) for s in world.story], question, answer, support))
            if len(examples) == n:
                break
    return examples


# ------------------------------------------------------------------------------ tensors
class Vocab:
    """Word <-> id map (0 is the padding word) and the encoder to padded LongTensors."""

    def __init__(self, examples: Iterable[Example]):
        words = set()
        for ex in examples:
            words.update(w for s in ex.story for w in s)
            words.update(ex.question)
            words.add(ex.answer)
        self.words = ["<nil>"] + sorted(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def from_words(cls, words: Sequence[str]) -> "Vocab":
        """Rebuild a vocabulary from its `words` list (padding word first), e.g. from a checkpoint."""
        if not words or words[0] != "<nil>":
            raise ValueError("words must start with the padding word '<nil>'")
        vocab = cls([])
        vocab.words, vocab.index = list(words), {w: i for i, w in enumerate(words)}
        return vocab

    def __len__(self) -> int:
        return len(self.words)

    def id(self, word: str) -> int:
        if word not in self.index:
            raise ValueError(f"word {word!r} is not in the vocabulary (build it from all splits)")
        return self.index[word]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.words[i] for i in ids if i != 0]

    def encode(self, examples: Sequence[Example], memory_size: int = 50,
               sentence_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """stories (N, M, L), queries (N, L), answers (N,) as LongTensors, 0 = padding.

        A story keeps its most recent `memory_size` statements, oldest first in slot 0; shorter
        stories leave empty slots at the end. L defaults to the longest sentence or question.
        """
        if memory_size < 1:
            raise ValueError(f"memory_size must be >= 1, got {memory_size}")
        if not examples:
            raise ValueError("examples is empty")
        longest = max(max([len(s) for s in ex.story] + [len(ex.question)]) for ex in examples)
        L = sentence_len or longest
        if L < longest:
            raise ValueError(f"sentence_len={L} is shorter than the longest sentence ({longest})")
        stories = torch.zeros(len(examples), memory_size, L, dtype=torch.long)  # (N, M, L)
        queries = torch.zeros(len(examples), L, dtype=torch.long)  # (N, L)
        answers = torch.zeros(len(examples), dtype=torch.long)  # (N,)
        for n, ex in enumerate(examples):
            for m, sentence in enumerate(ex.story[-memory_size:]):
                stories[n, m, : len(sentence)] = torch.tensor([self.id(w) for w in sentence])
            queries[n, : len(ex.question)] = torch.tensor([self.id(w) for w in ex.question])
            answers[n] = self.id(ex.answer)
        return stories, queries, answers
