"""A small simulated world that writes bAbI-like stories (tasks in GENERATED_TASKS), answering
every question from the simulated state and recording which statements support the answer.
Chapter 01 (End-to-End Memory Networks, Sukhbaatar et al. 2015, https://arxiv.org/abs/1503.08895)
trains and tests on it when the original bAbI files (Weston et al. 2015,
https://arxiv.org/abs/1502.05698) are not at hand.

People walk between rooms, pick up, put down and hand over objects. The same task and seed
always give the same examples (a seeded `random.Random`).
"""

from __future__ import annotations

import random

from .format import Example

GENERATED_TASKS = (1, 2, 3, 5, 6, 8, 11)
MAX_EXAMPLES = 1_000_000  # per call of `generate` (bAbI's largest release has 10 000 per task)

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
        return _ASK[task](self)

    def _known(self) -> list[str]:
        # questions about people ask about someone who moved since the last question (fresh news)
        return sorted(set(self.recent)) or [p for p in self.people if p in self.where]

    def ask_where_person(self) -> tuple[list[str], str, list[int]] | None:  # tasks 1 and 11
        known = self._known()
        if not known:
            return None
        person = self.rng.choice(known)
        support = [self.moved[person]]
        if self.story[support[0]][0] != person:  # "after that she ...": cite who "she" is
            support.insert(0, support[0] - 1)
        return f"where is {person} now".split(), self.where[person], support

    def ask_yes_no(self) -> tuple[list[str], str, list[int]] | None:  # task 6
        known = self._known()
        if not known:
            return None
        rng = self.rng  # about the latest mover: the yes/no test needs fresh news
        person = self.recent[-1] if self.recent else rng.choice(known)
        others = [p for p in PLACES if p != self.where[person]]
        room = self.where[person] if rng.random() < 0.5 else rng.choice(others)
        answer = "yes" if room == self.where[person] else "no"
        return f"is {person} in the {room}".split(), answer, [self.moved[person]]

    def ask_where_thing(self) -> tuple[list[str], str, list[int]] | None:  # task 2
        if not self.last_event:
            return None
        thing = self.rng.choice(sorted(self.last_event))
        if thing in self.holder:  # where its holder is now
            room, moved = self.where[self.holder[thing]], self.moved[self.holder[thing]]
        else:  # where it was left
            room, moved = self.lying[thing], self.left_at[thing]
        return f"where is the {thing} now".split(), room, sorted({self.last_event[thing], moved})

    def ask_where_before(self) -> tuple[list[str], str, list[int]] | None:  # task 3
        if not self.trip:
            return None
        thing = self.rng.choice(sorted(self.trip))
        before, came, got, left = self.trip[thing]
        now = self.story[left][-1]
        return (f"where was the {thing} before the {now}".split(), before,
                sorted({came, got, left}))

    def ask_handover(self) -> tuple[list[str], str, list[int]] | None:  # task 5
        if not self.handovers:  # who gave, who received, what was given
            return None
        idx, giver, thing, receiver = self.rng.choice(self.handovers)
        kind = self.rng.choice(["giver", "receiver", "thing"])
        if kind == "thing":  # the latest hand-over from giver to receiver
            idx, _, thing, _ = [h for h in self.handovers if h[1:4:2] == (giver, receiver)][-1]
            return f"what did {giver} hand to {receiver}".split(), thing, [idx]
        idx, giver, _, receiver = [h for h in self.handovers if h[2] == thing][-1]
        if kind == "giver":
            return f"who handed over the {thing}".split(), giver, [idx]
        return f"who received the {thing}".split(), receiver, [idx]

    def ask_carrying(self) -> tuple[list[str], str, list[int]] | None:  # task 8
        people = sorted({p for p, _ in self.touched})
        if not people:
            return None
        person = self.rng.choice(people)
        events = sorted((i, t, has) for (p, t), (i, has) in self.touched.items() if p == person)
        held = [t for _, t, has in events if has]
        return (f"what is {person} carrying".split(), ",".join(held) or "nothing",
                [i for i, _, _ in events])


# which question each generated task asks
_ASK = {1: _World.ask_where_person, 11: _World.ask_where_person, 6: _World.ask_yes_no,
        2: _World.ask_where_thing, 3: _World.ask_where_before, 5: _World.ask_handover,
        8: _World.ask_carrying}


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
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_EXAMPLES:
        raise ValueError(f"n must be an int in 1..{MAX_EXAMPLES}, got {n!r}")
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
