"""A tiny SUBLEQ assembler and the named programs that chapter 05's looped transformer runs.

Chapter 05 explains it; the machine is `minimem.looped.subleq` (Giannou et al. 2023,
"Looped Transformers as Programmable Computers", https://arxiv.org/abs/2301.13196).
Writing `(a, b, c)` triples by hand is error-prone, so programs are written in a small
assembly language and turned into `(program, memory)` by `assemble`:

    # countdown: decrement N until it is <= 0
    data   Z = 0, ONE = 1, N = 5
    loop:  ONE N halt     # N -= 1; if N <= 0 jump to halt
           Z Z loop       # unconditional jump (Z - Z = 0 <= 0)

- `#` starts a comment; blank lines are ignored.
- `data NAME = value, NAME = value, ...` declares memory cells with their initial values
  (-128..127); addresses are given in declaration order from 0, over all `data` lines.
- An instruction is `[label:] a b [c]`, meaning `b -= a; if b <= 0 jump to c`. `a` and `b`
  are data names or integer addresses; `c` is a code label, an integer, or `halt` (= -1).
  Without `c` the machine goes on to the next instruction whatever the result.
- A label on a line of its own names the next instruction (at the end: "one past the last",
  which halts). Names are letters, digits and `_`; `data` and `halt` are reserved, and a
  name is either a data cell or a code label, never both.

Errors name the line and the problem. The named programs at the bottom (`PROGRAMS`) each
state the inputs for which they are correct; the transformer's cards are sized for programs
of at most 16 instructions and 16 memory cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from minimem.looped.subleq import VALUE_MAX, VALUE_MIN, Instruction

HALT = -1
_NAME = re.compile(r"[A-Za-z_]\w*")
_INT = re.compile(r"-?\d+")
_RESERVED = ("data", "halt")


class AssemblyError(ValueError):
    """The assembly source is wrong; the message names the line and the problem."""


@dataclass(frozen=True)
class Assembled:
    """An assembled program: instructions, initial memory and the addresses of the names."""

    program: list[Instruction]
    memory: list[int]
    data: dict[str, int]  # data name -> memory address
    code: dict[str, int]  # code label -> instruction index


def _name(text: str, number: int, defined: dict[str, int]) -> str:
    """Check a new name (data cell or code label) and record the line defining it."""
    if not _NAME.fullmatch(text) or text in _RESERVED:
        raise AssemblyError(f"line {number}: {text!r} is not a valid name (letters, digits "
                            f"and _, not starting with a digit, not {' or '.join(_RESERVED)})")
    if text in defined:
        raise AssemblyError(f"line {number}: duplicate name {text!r} (already defined on "
                            f"line {defined[text]})")
    defined[text] = number
    return text


def _declare(text: str, number: int, data: dict[str, int], memory: list[int],
             defined: dict[str, int]) -> None:
    """Parse the `NAME = value, ...` of a data line into `data` and `memory`."""
    for entry in text.split(","):
        name, equals, value = (part.strip() for part in entry.partition("="))
        if not equals or not _INT.fullmatch(value):
            raise AssemblyError(f"line {number}: a data cell is declared as NAME = integer, "
                                f"got {entry.strip()!r}")
        if not VALUE_MIN <= int(value) <= VALUE_MAX:
            raise AssemblyError(f"line {number}: {name} = {value} is outside the 8-bit range "
                                f"{VALUE_MIN}..{VALUE_MAX}")
        data[_name(name, number, defined)] = len(memory)
        memory.append(int(value))


def _address(word: str, where: str, data: dict[str, int], size: int) -> int:
    """Resolve operand a or b: a data name or an integer address."""
    if _INT.fullmatch(word):
        if not 0 <= int(word) < size:
            cells = f"addresses are 0..{size - 1}" if size else "no data cells are declared"
            raise AssemblyError(f"{where}: address {word} is not a memory cell ({cells})")
        return int(word)
    if word not in data:
        raise AssemblyError(f"{where}: unknown data cell {word!r} (data cells: "
                            f"{', '.join(data) or 'none'})")
    return data[word]


def _target(word: str | None, index: int, where: str, code: dict[str, int]) -> int:
    """Resolve operand c: a code label, an integer, `halt`, or omitted (next instruction)."""
    if word is None:
        return index + 1
    if word == "halt":
        return HALT
    if _INT.fullmatch(word):
        return int(word)
    if word not in code:
        raise AssemblyError(f"{where}: unknown code label {word!r} (labels: "
                            f"{', '.join(code) or 'none'}, or halt)")
    return code[word]


def assemble(source: str) -> Assembled:
    """Turn assembly source (syntax in the module docstring) into program and memory."""
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    data: dict[str, int] = {}
    code: dict[str, int] = {}
    memory: list[int] = []
    defined: dict[str, int] = {}  # every name -> the line defining it
    lines: list[tuple[int, str, list[str]]] = []  # (line number, text, operands)
    for number, raw in enumerate(source.splitlines(), start=1):
        text = raw.split("#", 1)[0].strip()
        words = text.split()
        if words and words[0] == "data":
            _declare(text[len("data"):], number, data, memory, defined)
            continue
        label, colon, rest = text.rpartition(":") if ":" in text else ("", "", text)
        if colon:
            code[_name(label.strip(), number, defined)] = len(lines)
        if rest.split():
            lines.append((number, text, rest.split()))
    program = [_instruction(index, *line, data, code, len(memory))
               for index, line in enumerate(lines)]
    return Assembled(program, memory, data, code)


def _instruction(index: int, number: int, text: str, words: list[str],
                 data: dict[str, int], code: dict[str, int], size: int) -> Instruction:
    """Resolve one instruction's operands, now that every name is known."""
    where = f"line {number} ({text!r})"
    if len(words) not in (2, 3):
        raise AssemblyError(f"{where}: an instruction has 2 or 3 operands (a b [c]), "
                            f"got {len(words)}")
    for word in words[:2]:
        if word in code or word == "halt":
            raise AssemblyError(f"{where}: {word!r} is a code label, but a and b must be "
                                f"data cells")
    for word in words[2:]:
        if word in data:
            raise AssemblyError(f"{where}: {word!r} is a data cell, but c must be a code "
                                f"label, an integer or halt")
    a, b = (_address(word, where, data, size) for word in words[:2])
    return a, b, _target(words[2] if len(words) == 3 else None, index, where, code)


@dataclass(frozen=True)
class NamedProgram:
    """A SUBLEQ program in assembly, with its inputs, output and the Python it computes.

    `ranges` gives each input's valid range and `valid(...)` any joint condition (e.g.
    that x + y fits in 8 bits); inside them the program halts within `max_steps(...)`
    steps (never more than 400) with `reference(**inputs)` in the `output` cell.
    """

    name: str
    source: str
    inputs: tuple[str, ...]
    output: str
    description: str
    reference: Callable[..., int]
    ranges: tuple[tuple[int, int], ...]  # (low, high) of each input, inclusive
    step_bound: Callable[..., int]  # an upper bound on the steps, given the inputs
    valid: Callable[..., bool] = lambda **inputs: True  # joint condition on the inputs
    assembled: Assembled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "assembled", assemble(self.source))
        for cell in (*self.inputs, self.output):
            if cell not in self.assembled.data:
                raise ValueError(f"{self.name}: {cell!r} is not a data cell of the source")

    def _values(self, inputs: dict[str, object]) -> dict[str, int]:
        """Check that `inputs` names exactly this program's inputs, with 8-bit ints."""
        expected = ", ".join(self.inputs) or "none"
        for name in inputs:
            if name not in self.inputs:
                raise TypeError(f"{self.name} got an unknown input {name!r} (inputs: "
                                f"{expected})")
        for name in self.inputs:
            if name not in inputs:
                raise TypeError(f"{self.name} is missing input {name!r} (inputs: {expected})")
            value = inputs[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{self.name}: input {name} must be an int, got "
                                f"{type(value).__name__} {value!r}")
            if not VALUE_MIN <= value <= VALUE_MAX:
                raise ValueError(f"{self.name}: input {name} = {value} is outside the 8-bit "
                                 f"range {VALUE_MIN}..{VALUE_MAX}")
        return {name: int(inputs[name]) for name in self.inputs}  # type: ignore[arg-type]

    def build(self, **inputs: int) -> tuple[list[Instruction], list[int]]:
        """The `(program, memory)` to run, with the inputs written into their cells.

        Only the 8-bit range is enforced: outside `ranges`/`valid` the program may overflow
        or give a wrong answer, which is worth seeing once.
        """
        memory = list(self.assembled.memory)
        for name, value in self._values(inputs).items():
            memory[self.assembled.data[name]] = value
        return list(self.assembled.program), memory

    def result(self, memory: list[int]) -> int:
        """The value of the output cell in a final memory."""
        return memory[self.assembled.data[self.output]]

    def accepts(self, **inputs: int) -> bool:
        """True when the inputs lie in the documented range (where the program is correct)."""
        values = self._values(inputs)
        return all(low <= values[name] <= high
                   for name, (low, high) in zip(self.inputs, self.ranges)) and \
            self.valid(**values)

    def max_steps(self, **inputs: int) -> int:
        """An upper bound on the steps the program takes on these (valid) inputs."""
        return self.step_bound(**self._values(inputs))

    @property
    def size(self) -> tuple[int, int]:
        """(instructions, memory cells)."""
        return len(self.assembled.program), len(self.assembled.memory)


# The named programs. Upper-case cells are constants or scratch; lower-case cells are the
# inputs and outputs. Each description states where the program is correct (no overflow).
_ALL = (-128, 127)
_NO_MIN = (-127, 127)  # x = -128 cannot be negated in 8 bits: -(-128) = 128

PROGRAMS: dict[str, NamedProgram] = {p.name: p for p in (
    NamedProgram("zero", """
        data   x = 0
               x x halt           # x -= x leaves 0 (<= 0): jump to halt
        """, ("x",), "x", "x -> 0, in place. Correct for x in -128..127; 1 step.",
        lambda x: 0, (_ALL,), lambda x: 1),
    NamedProgram("copy", """
        data   x = 0, y = 0, Z = 0
               y y                # y = 0
               x Z                # Z = -x
               Z y                # y = 0 - (-x) = x
               Z Z                # Z = 0 again
        """, ("x",), "y", "y = x. Correct for x in -127..127 (Z holds -x); 4 steps.",
        lambda x: x, (_NO_MIN,), lambda x: 4),
    NamedProgram("add", """
        data   x = 0, y = 0, Z = 0
               x Z                # Z = -x
               Z y                # y = y - (-x) = x + y
               Z Z                # Z = 0 again
        """, ("x", "y"), "y", "y = x + y, in place. Correct for x in -127..127 with x + y "
        "in -128..127; 3 steps.", lambda x, y: x + y, (_NO_MIN, _ALL), lambda x, y: 3,
        lambda x, y: VALUE_MIN <= x + y <= VALUE_MAX),
    NamedProgram("negate", """
        data   x = 0, y = 0
               y y                # y = 0
               x y                # y = 0 - x
        """, ("x",), "y", "y = -x. Correct for x in -127..127; 2 steps.",
        lambda x: -x, (_NO_MIN,), lambda x: 2),
    NamedProgram("countdown", """
        data   n = 0, count = 0, ONE = 1, MINUS_ONE = -1, Z = 0
               Z n halt           # n - 0: stop at once if n <= 0
        loop:  MINUS_ONE count    # count += 1
               ONE n halt         # n -= 1; stop when n <= 0
               Z Z loop           # unconditional jump (Z - Z = 0 <= 0)
        """, ("n",), "count", "count = the number of times the loop ran = max(n, 0); n "
        "itself ends at min(n, 0). Correct for n in -128..127; 3n steps (1 if n <= 0).",
        lambda n: max(n, 0), (_ALL,), lambda n: max(3 * n, 1)),
    NamedProgram("multiply", """
        data   x = 0, y = 0, p = 0, X_NEG = 0, ONE = 1, Z = 0
               p p                # p = 0
               X_NEG X_NEG        # X_NEG = 0
               x X_NEG            # X_NEG = -x
               Z y halt           # y <= 0: the product is 0
        loop:  X_NEG p            # p += x
               ONE y halt         # y -= 1; stop when y <= 0
               Z Z loop
        """, ("x", "y"), "p", "p = x * y by adding x to p, y times (y counts down to 0). Correct "
        "for x in -127..127, y in 0..127 with x * y in -128..127; 3y + 3 steps (4 if y = 0).",
        lambda x, y: x * y, (_NO_MIN, (0, 127)), lambda x, y: 3 * max(y, 0) + 4,
        lambda x, y: VALUE_MIN <= x * y <= VALUE_MAX),
    NamedProgram("divide", """
        data   x = 0, y = 0, q = 0, T = 0, MINUS_ONE = -1, Z = 0
               q q                # q = 0
        loop:  y x done           # x -= y; leave the loop when x <= 0
               MINUS_ONE q        # q += 1: y fitted once more, with room to spare
               Z Z loop
        done:  T T                # T = 0
               x T exact          # T = -x; T <= 0 means x hit exactly 0
               Z Z halt           # x < 0: the last y did not fit, q is final
        exact: MINUS_ONE q        # x = 0: the last y fitted exactly
        """, ("x", "y"), "q", "q = x // y (integer division) by subtracting y from x until "
        "x <= 0. Correct for x in 0..127, y in 1..127; at most 3(x // y) + 5 steps.",
        lambda x, y: x // y, ((0, 127), (1, 127)), lambda x, y: 3 * (x // max(y, 1)) + 5),
)}
