"""SUBLEQ, the one-instruction computer that chapter 05's looped transformer executes.

Chapter 05 explains it. Giannou, Rajput, Sohn, Lee, Lee & Papailiopoulos (2023), "Looped
Transformers as Programmable Computers" (ICML), https://arxiv.org/abs/2301.13196, show that
a transformer with fixed weights, applied in a loop, can run programs written with a single
instruction, SUBLEQ ("SUBtract and branch if Less than or EQual to zero"). This file is the
plain-Python reference machine: the transformer machine (`minimem.looped.machine`) must agree
with it exactly, step by step.

A program is a list of instructions `(a, b, c)`; the memory is a list of integers. One step
executes the instruction at the program counter `pc`:

    memory[b] = memory[b] - memory[a]
    pc = c  if memory[b] <= 0  else  pc + 1

The machine halts when `pc` is not an instruction index (checked before every step: a jump
to -1 is the usual "halt", and running past the last instruction halts too), or after
`max_steps` steps. Steps are numbered from 1: `trace(...)[k]` is the state after step k.

Numbers are 8-bit two's complement integers, VALUE_MIN..VALUE_MAX = -128..127 (the paper
stores each number as an N-bit binary vector; this course takes N = 8 so that the
transformer's cards stay small). A subtraction whose result leaves that range raises
`SubleqOverflow` instead of silently wrapping around, so a program run outside the inputs
it was written for fails loudly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from numbers import Integral

VALUE_MIN = -128  # smallest 8-bit two's complement integer, -2**7
VALUE_MAX = 127  # largest 8-bit two's complement integer, 2**7 - 1

Instruction = tuple[int, int, int]


class SubleqOverflow(OverflowError):
    """A subtraction left the 8-bit range VALUE_MIN..VALUE_MAX."""


def _is_int(value: object) -> bool:
    """True for ints (and NumPy integers), False for bools, floats and everything else."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def _addresses(size: int) -> str:
    """How the valid memory addresses read in an error message."""
    cells = f"memory has {size} cell{'s' if size != 1 else ''}"
    return f"{cells}, addresses 0..{size - 1}" if size else f"{cells}, no addresses"


def _check_memory(memory: object) -> list[int]:
    """The memory as a fresh list of ints, each within VALUE_MIN..VALUE_MAX."""
    if isinstance(memory, (str, bytes)) or not isinstance(memory, Sequence):
        raise TypeError(f"memory must be a list of ints, got {type(memory).__name__}")
    for i, value in enumerate(memory):
        if not _is_int(value):
            raise TypeError(f"memory[{i}] must be an int, got {type(value).__name__} {value!r}")
        if not VALUE_MIN <= value <= VALUE_MAX:
            raise ValueError(f"memory[{i}] = {value} is outside the 8-bit range "
                             f"{VALUE_MIN}..{VALUE_MAX}")
    return [int(value) for value in memory]


def _check_program(program: object, size: int) -> list[Instruction]:
    """The program as a list of (a, b, c) int triples whose a and b address the memory."""
    if isinstance(program, (str, bytes)) or not isinstance(program, Sequence):
        raise TypeError(f"program must be a list of (a, b, c) instructions, "
                        f"got {type(program).__name__}")
    checked = []
    for i, instruction in enumerate(program):
        if not isinstance(instruction, (tuple, list)) or len(instruction) != 3:
            raise TypeError(f"program[{i}] must be an (a, b, c) triple of ints, "
                            f"got {instruction!r}")
        for field, value in zip("abc", instruction):
            if not _is_int(value):
                raise TypeError(f"program[{i}] = {tuple(instruction)!r}: {field} must be an "
                                f"int, got {type(value).__name__} {value!r}")
        a, b, c = (int(value) for value in instruction)
        for field, address in (("a", a), ("b", b)):
            if not 0 <= address < size:
                raise ValueError(f"program[{i}] = {(a, b, c)}: {field} = {address} is not a "
                                 f"memory address ({_addresses(size)})")
        checked.append((a, b, c))
    return checked


def check(program: object, memory: object, pc: object,
          max_steps: object) -> tuple[list[Instruction], list[int]]:
    """Validate every argument of run/trace up front; return clean copies of program, memory."""
    memory = _check_memory(memory)
    program = _check_program(program, len(memory))
    if not _is_int(pc):
        raise TypeError(f"pc must be an int, got {type(pc).__name__} {pc!r}")
    if not _is_int(max_steps):
        raise TypeError(f"max_steps must be an int, got {type(max_steps).__name__} "
                        f"{max_steps!r}")
    if max_steps < 0:
        raise ValueError(f"max_steps must be >= 0, got {max_steps}")
    return program, memory


def _execute(program: Sequence[Instruction], memory: list[int], pc: int,
             number: int | None = None) -> int:
    """The SUBLEQ rule, written once: execute instruction `pc` on `memory` IN PLACE and
    return the next pc. `number` (the step's number) only goes into the overflow message."""
    a, b, c = program[pc]
    result = memory[b] - memory[a]
    if not VALUE_MIN <= result <= VALUE_MAX:
        subtrahend = f"({memory[a]})" if memory[a] < 0 else f"{memory[a]}"
        where = f"step {number}, " if number is not None else ""
        raise SubleqOverflow(
            f"{where}program[{pc}] = {(a, b, c)}: memory[{b}] = {memory[b]} - {subtrahend} "
            f"= {result} leaves the 8-bit range {VALUE_MIN}..{VALUE_MAX}")
    memory[b] = result
    return c if result <= 0 else pc + 1


def halted(program: Sequence[Instruction], pc: int) -> bool:
    """True when `pc` is not an instruction index: the machine has stopped."""
    return not 0 <= pc < len(program)


def step(program: Sequence[Instruction], memory: Sequence[int],
         pc: int) -> tuple[list[int], int]:
    """One SUBLEQ step: the (memory, pc) after executing instruction `pc`.

    Returns a new memory list (the argument is not changed). Raises ValueError if the
    machine has already halted, SubleqOverflow if the result leaves the 8-bit range.
    """
    program, memory = check(program, memory, pc, 0)
    if halted(program, pc):
        raise ValueError(f"pc = {pc} is not an instruction index (the program has "
                         f"{len(program)} instructions): the machine has halted")
    pc = _execute(program, memory, pc)
    return memory, pc


def run(program: Sequence[Instruction], memory: Sequence[int], pc: int = 0,
        max_steps: int = 100) -> tuple[list[int], int, int]:
    """Run the SUBLEQ machine until it halts or has taken `max_steps` steps.

    Returns `(memory, pc, steps)`: the final memory (a new list; the argument is not
    changed), the final program counter and the number of steps executed. Whether the
    machine halted or ran out of steps: `not 0 <= pc < len(program)`.
    """
    program, memory = check(program, memory, pc, max_steps)
    steps = 0
    while steps < max_steps and not halted(program, pc):
        steps += 1
        pc = _execute(program, memory, pc, steps)
    return memory, int(pc), steps


def trace(program: Sequence[Instruction], memory: Sequence[int], pc: int = 0,
          max_steps: int = 100) -> list[tuple[list[int], int]]:
    """Every state of a run: `(memory, pc)` before the first step and after each step.

    Same arguments, checks and semantics as `run`; `len(trace(...)) == steps + 1` and
    the last state is run's `(memory, pc)`.
    """
    program, memory = check(program, memory, pc, max_steps)
    pc = int(pc)
    states = [(list(memory), pc)]
    while len(states) <= max_steps and not halted(program, pc):
        pc = _execute(program, memory, pc, len(states))
        states.append((list(memory), pc))
    return states


def random_program(rng: random.Random, num_instructions: int,
                   memory_size: int) -> tuple[list[Instruction], list[int]]:
    """A random valid (program, memory) pair, for benchmarks and property tests.

    a and b are uniform memory addresses, c is uniform in -1..num_instructions (both ends
    halt), and memory values are uniform in VALUE_MIN..VALUE_MAX. Random programs often
    overflow: run them inside `try: ... except SubleqOverflow`.
    """
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
    for name, value, low in (("num_instructions", num_instructions, 0),
                             ("memory_size", memory_size, 1)):
        if not _is_int(value):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")
    program = [(rng.randrange(memory_size), rng.randrange(memory_size),
                rng.randrange(-1, num_instructions + 1)) for _ in range(num_instructions)]
    memory = [rng.randint(VALUE_MIN, VALUE_MAX) for _ in range(memory_size)]
    return program, memory
