"""minimem.looped.subleq (the reference SUBLEQ machine) and minimem.looped.programs (the
assembler and the named programs): hand-worked runs, a plain-loop oracle on random programs,
every error message, and each named program against its Python reference."""

import itertools
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem.looped import subleq
from minimem.looped.programs import PROGRAMS, AssemblyError, assemble
from minimem.looped.subleq import SubleqOverflow, random_program, run, step, trace

LOOP = [(0, 0, 0)]  # memory[0] - memory[0] = 0 <= 0: jump to 0 forever


# --- run: hand-worked cases -------------------------------------------------------------

def test_branch_taken_when_the_result_is_negative_or_zero():
    assert run([(0, 1, -1), (0, 0, 0)], [3, 2]) == ([3, -1], -1, 1)  # 2 - 3 = -1 <= 0
    assert run([(0, 1, 7)], [5, 5]) == ([5, 0], 7, 1)  # exactly 0 also jumps


def test_branch_not_taken_when_the_result_is_positive():
    assert run([(0, 1, -1), (1, 1, -1)], [1, 5]) == ([1, 0], -1, 2)  # 4 > 0: next, then 4-4
    assert run([(0, 1, -1)], [1, 5], max_steps=1) == ([1, 4], 1, 1)


def test_halts_by_jump_by_falling_off_the_end_and_by_max_steps():
    assert run([(0, 0, -1), (1, 1, -1)], [0, 9]) == ([0, 9], -1, 1)  # jump to -1
    assert run([(1, 0, 5)], [0, -3]) == ([3, -3], 1, 1)  # 3 > 0: pc 1 is past the end
    assert run(LOOP, [4], max_steps=7) == ([0], 0, 7)  # still running: pc is in range
    assert run(LOOP, [4], max_steps=0) == ([4], 0, 0)
    assert run(LOOP, [4], pc=1) == ([4], 1, 0)  # halted before the first step
    assert run([], [1, 2]) == ([1, 2], 0, 0)


def test_steps_of_a_countdown():
    # N = 5 goes 4, 3, 2, 1, 0: five decrements and four jumps back.
    program, memory = [(1, 2, -1), (0, 0, 0)], [0, 1, 5]
    assert run(program, memory) == ([0, 1, 0], -1, 9)


def test_the_arguments_are_not_changed():
    program, memory = [(0, 1, -1)], [3, 2]
    new, _, _ = run(program, memory)
    assert memory == [3, 2] and program == [(0, 1, -1)] and new is not memory
    assert run(((0, 1, -1),), (3, 2)) == ([3, -1], -1, 1)  # tuples work too
    assert step(program, memory, 0) == ([3, -1], -1) and memory == [3, 2]


# --- trace and step ----------------------------------------------------------------------

def test_trace_records_every_state():
    states = trace([(1, 2, -1), (0, 0, 0)], [0, 1, 3])
    assert states == [([0, 1, 3], 0), ([0, 1, 2], 1), ([0, 1, 2], 0), ([0, 1, 1], 1),
                      ([0, 1, 1], 0), ([0, 1, 0], -1)]
    assert trace(LOOP, [4], max_steps=0) == [([4], 0)]
    assert len(trace(LOOP, [4], max_steps=3)) == 4


def test_step_refuses_a_halted_machine():
    with pytest.raises(ValueError, match=r"pc = 1 is not an instruction index \(the program "
                                         r"has 1 instructions\): the machine has halted"):
        step(LOOP, [0], 1)


def plain_subleq(program, memory, pc, max_steps):
    """An independent oracle: the rule written out once more, as plainly as possible."""
    memory, steps = list(memory), 0
    while steps < max_steps and 0 <= pc < len(program):
        a, b, c = program[pc]
        memory[b] = memory[b] - memory[a]
        if memory[b] < -128 or memory[b] > 127:
            return "overflow"
        pc = c if memory[b] <= 0 else pc + 1
        steps += 1
    return memory, pc, steps


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**9), n=st.integers(0, 8), size=st.integers(1, 8),
       max_steps=st.integers(0, 30), pc=st.integers(-1, 9))
def test_run_and_trace_agree_with_a_plain_oracle(seed, n, size, max_steps, pc):
    program, memory = random_program(random.Random(seed), n, size)
    expected = plain_subleq(program, memory, pc, max_steps)
    if expected == "overflow":
        with pytest.raises(SubleqOverflow):
            run(program, memory, pc, max_steps)
        with pytest.raises(SubleqOverflow):
            trace(program, memory, pc, max_steps)
        return
    memory_out, pc_out, steps = run(program, memory, pc, max_steps)
    assert (memory_out, pc_out, steps) == expected
    states = trace(program, memory, pc, max_steps)
    assert len(states) == steps + 1
    assert states[0] == (memory, pc) and states[-1] == (memory_out, pc_out)
    for (before, at), after in zip(states, states[1:]):
        assert step(program, before, at) == after


def test_random_program_ranges_and_seeding():
    program, memory = random_program(random.Random(0), 5, 4)
    assert (program, memory) == random_program(random.Random(0), 5, 4)
    many = [random_program(random.Random(seed), 3, 4) for seed in range(200)]
    a_b = {x for p, _ in many for a, b, _ in p for x in (a, b)}
    assert a_b == set(range(4)) and {c for p, _ in many for *_, c in p} == set(range(-1, 4))
    values = [v for _, m in many for v in m]
    assert min(values) >= -128 and max(values) <= 127 and len(set(values)) > 200
    assert random_program(random.Random(0), 0, 1)[0] == []


# --- overflow and bad arguments ----------------------------------------------------------

def test_overflow_names_the_step_the_instruction_and_the_arithmetic():
    # pc visits 0, 1, 2, 4, 5, 6 and then 3, the seventh step, which overflows.
    program = [(0, 0, 1), (0, 0, 2), (0, 0, 4), (1, 2, 0), (0, 0, 5), (0, 0, 6), (0, 0, 3)]
    message = ("step 7, program[3] = (1, 2, 0): memory[2] = 100 - (-50) = 150 leaves the "
               "8-bit range -128..127")
    with pytest.raises(SubleqOverflow, match=re.escape(message)):
        run(program, [0, -50, 100])
    with pytest.raises(SubleqOverflow, match=re.escape(message)):
        trace(program, [0, -50, 100])
    with pytest.raises(OverflowError, match=re.escape("memory[1] = -100 - 100 = -200")):
        run([(0, 1, -1)], [100, -100])
    assert run([(0, 1, -1)], [100, -28]) == ([100, -128], -1, 1)  # the edge itself is fine


BAD = [  # (program, memory, pc, max_steps, error, message)
    ("abc", [0], 0, 1, TypeError, r"program must be a list of \(a, b, c\) instructions, got str"),
    ([(0, 0)], [0], 0, 1, TypeError, r"program\[0\] must be an \(a, b, c\) triple of ints, got "
                                     r"\(0, 0\)"),
    ([(0, 0, 0), 5], [0], 0, 1, TypeError, r"program\[1\] must be an \(a, b, c\) triple"),
    ([(0, 0.0, 1)], [0], 0, 1, TypeError, r"program\[0\] = \(0, 0.0, 1\): b must be an int, "
                                          r"got float 0.0"),
    ([(True, 0, 1)], [0], 0, 1, TypeError, r"a must be an int, got bool True"),
    ([(0, 0, 1), (0, 0, 1), (0, 9, 1)], [0] * 8, 0, 1, ValueError,
     r"program\[2\] = \(0, 9, 1\): b = 9 is not a memory address \(memory has 8 cells, "
     r"addresses 0..7\)"),
    ([(-1, 0, 1)], [0], 0, 1, ValueError, r"a = -1 is not a memory address \(memory has 1 "
                                          r"cell, addresses 0..0\)"),
    ([(0, 0, 1)], [], 0, 1, ValueError, r"\(memory has 0 cells, no addresses\)"),
    ([], 7, 0, 1, TypeError, r"memory must be a list of ints, got int"),
    ([], [1, 2.5], 0, 1, TypeError, r"memory\[1\] must be an int, got float 2.5"),
    ([], [0, 128], 0, 1, ValueError, r"memory\[1\] = 128 is outside the 8-bit range -128..127"),
    ([], [-129], 0, 1, ValueError, r"memory\[0\] = -129 is outside the 8-bit range"),
    ([], [0], 0.0, 1, TypeError, r"pc must be an int, got float 0.0"),
    ([], [0], 0, None, TypeError, r"max_steps must be an int, got NoneType None"),
    ([], [0], 0, -1, ValueError, r"max_steps must be >= 0, got -1"),
]


@pytest.mark.parametrize("program, memory, pc, max_steps, error, message", BAD)
def test_bad_arguments_get_clear_errors(program, memory, pc, max_steps, error, message):
    for machine in (run, trace):
        with pytest.raises(error, match=message):
            machine(program, memory, pc, max_steps)


def test_random_program_checks_its_arguments():
    with pytest.raises(TypeError, match="rng must be a random.Random, got int"):
        random_program(0, 3, 3)
    with pytest.raises(ValueError, match="memory_size must be >= 1, got 0"):
        random_program(random.Random(0), 3, 0)
    with pytest.raises(TypeError, match="num_instructions must be an int, got float"):
        random_program(random.Random(0), 3.0, 3)


# --- the assembler -----------------------------------------------------------------------

COUNTDOWN = """
# countdown: decrement N until it is <= 0
data   Z = 0, ONE = 1, N = 5
loop:  ONE N halt     # N -= 1; if N <= 0 jump to halt
       Z Z loop       # unconditional jump (Z - Z = 0 <= 0)
"""


def test_assemble_the_docstring_example():
    out = assemble(COUNTDOWN)
    assert out.program == [(1, 2, -1), (0, 0, 0)] and out.memory == [0, 1, 5]
    assert out.data == {"Z": 0, "ONE": 1, "N": 2} and out.code == {"loop": 0}
    assert run(out.program, out.memory) == ([0, 1, 0], -1, 9)


def test_labels_addresses_and_omitted_jumps():
    out = assemble("""
        data A = 1
        start: A B            # c omitted: the next instruction, 1
               0 1 end        # integer addresses; a forward label
        data B = -2, C = 3    # a second data line continues the addresses
        again:
               B C 7          # an integer jump target
        end:                  # a label at the end names "one past the last"
    """)
    assert out.data == {"A": 0, "B": 1, "C": 2}
    assert out.code == {"start": 0, "again": 2, "end": 3}
    assert out.program == [(0, 1, 1), (0, 1, 3), (1, 2, 7)] and out.memory == [1, -2, 3]
    assert assemble("") == assemble("# nothing\n\n")


ASSEMBLY_ERRORS = [
    ("data X = 1\nX Y", r"line 2 \('X Y'\): unknown data cell 'Y' \(data cells: X\)"),
    ("data X = 1\nX X nowhere", r"line 2 \('X X nowhere'\): unknown code label 'nowhere'"),
    ("data X = 1\na: X X\na: X X", r"line 3: duplicate name 'a' \(already defined on line 2\)"),
    ("data X = 1, X = 2", r"line 1: duplicate name 'X'"),
    ("data X = 1\nX: X X", r"line 2: duplicate name 'X'"),
    ("data X = 200", r"line 1: X = 200 is outside the 8-bit range -128..127"),
    ("data X = -129", r"line 1: X = -129 is outside the 8-bit range"),
    ("data X", r"line 1: a data cell is declared as NAME = integer, got 'X'"),
    ("data X = 1.5", r"line 1: a data cell is declared as NAME = integer, got 'X = 1.5'"),
    ("data 1X = 3", r"line 1: '1X' is not a valid name"),
    ("data halt = 3", r"line 1: 'halt' is not a valid name"),
    ("data X = 1\nX", r"line 2 \('X'\): an instruction has 2 or 3 operands \(a b \[c\]\), "
                      r"got 1"),
    ("data X = 1\nX X X X", r"an instruction has 2 or 3 operands \(a b \[c\]\), got 4"),
    ("data X = 1\na: X X\nX a", r"line 3 \('X a'\): 'a' is a code label, but a and b must be "
                                r"data cells"),
    ("data X = 1\nhalt X", r"'halt' is a code label, but a and b must be data cells"),
    ("data X = 1\nX X X", r"'X' is a data cell, but c must be a code label, an integer or halt"),
    ("data X = 1\nX 1", r"line 2 \('X 1'\): address 1 is not a memory cell \(addresses are "
                        r"0..0\)"),
    ("0 0", r"address 0 is not a memory cell \(no data cells are declared\)"),
]


@pytest.mark.parametrize("source, message", ASSEMBLY_ERRORS)
def test_assembly_errors_name_the_line_and_the_problem(source, message):
    with pytest.raises(AssemblyError, match=message):
        assemble(source)


def test_assemble_wants_a_string():
    with pytest.raises(TypeError, match="source must be a str, got list"):
        assemble(["X X"])


# --- the named programs ------------------------------------------------------------------

def valid_inputs(program):
    """Every input tuple in the program's documented range, as keyword dicts."""
    grids = [range(low, high + 1) for low, high in program.ranges]
    combos = (dict(zip(program.inputs, values)) for values in itertools.product(*grids))
    return [inputs for inputs in combos if program.valid(**inputs)]


VALID = {name: valid_inputs(program) for name, program in PROGRAMS.items()}


def test_registry_order_sizes_and_metadata():
    assert list(PROGRAMS) == ["zero", "copy", "add", "negate", "countdown", "multiply",
                              "divide"]
    for name, program in PROGRAMS.items():
        instructions, cells = program.size
        assert program.name == name and instructions <= 16 and cells <= 16
        assert len(program.ranges) == len(program.inputs) and VALID[name]
        assert "Correct for" in program.description


def check(program, inputs):
    memory, pc, steps = run(*program.build(**inputs), max_steps=1000)
    assert not 0 <= pc < program.size[0], f"{program.name}{inputs} did not halt"
    assert program.result(memory) == program.reference(**inputs), (program.name, inputs)
    assert steps <= program.max_steps(**inputs) <= 1000
    return steps


@pytest.mark.parametrize("name", list(PROGRAMS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_named_program_computes_its_reference(name, data):
    index = data.draw(st.integers(0, len(VALID[name]) - 1))  # faster than sampled_from
    check(PROGRAMS[name], VALID[name][index])


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_named_program_at_the_edges_of_its_range(name):
    program = PROGRAMS[name]
    corners = itertools.product(*program.ranges)
    edges = [VALID[name][0], VALID[name][-1]] + [dict(zip(program.inputs, values))
                                                 for values in corners]
    for inputs in edges:
        if program.accepts(**inputs):
            check(program, inputs)


def test_step_counts_of_the_loops():
    countdown, multiply = PROGRAMS["countdown"], PROGRAMS["multiply"]
    assert [check(countdown, {"n": n}) for n in (-5, 0, 1, 2, 127)] == [1, 1, 3, 6, 381]
    assert check(multiply, {"x": 3, "y": 4}) == 15


def test_outside_the_documented_range_overflows():
    assert not PROGRAMS["copy"].accepts(x=-128)
    with pytest.raises(SubleqOverflow, match=re.escape("memory[2] = 0 - (-128) = 128")):
        run(*PROGRAMS["copy"].build(x=-128))
    assert not PROGRAMS["multiply"].accepts(x=20, y=10)
    with pytest.raises(SubleqOverflow):
        run(*PROGRAMS["multiply"].build(x=20, y=10), max_steps=1000)


def test_build_writes_the_inputs_and_checks_them():
    multiply = PROGRAMS["multiply"]
    program, memory = multiply.build(x=6, y=7)
    data = multiply.assembled.data
    assert memory[data["x"]] == 6 and memory[data["y"]] == 7
    assert program == multiply.assembled.program and program is not multiply.assembled.program
    assert multiply.build(x=0, y=0)[1] == multiply.assembled.memory  # build copies
    with pytest.raises(TypeError, match=r"multiply is missing input 'y' \(inputs: x, y\)"):
        multiply.build(x=1)
    with pytest.raises(TypeError, match=r"multiply got an unknown input 'z' \(inputs: x, y\)"):
        multiply.build(x=1, y=2, z=3)
    with pytest.raises(ValueError, match=r"multiply: input x = 300 is outside the 8-bit range"):
        multiply.build(x=300, y=1)
    with pytest.raises(TypeError, match=r"multiply: input y must be an int, got float 2.0"):
        multiply.build(x=1, y=2.0)


def test_module_constants():
    assert (subleq.VALUE_MIN, subleq.VALUE_MAX) == (-128, 127)
    assert issubclass(SubleqOverflow, OverflowError)
