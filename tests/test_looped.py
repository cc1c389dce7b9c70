"""The looped transformer (chapter 05) against the reference SUBLEQ machine."""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minimem.looped import PROGRAMS, CardLayout, LoopedTransformer, subleq
from minimem.looped.bench import named_inputs, predicted_lam, random_batch, agreements
from minimem.looped.card import address_bits, bits_to_value, value_bits

MACHINE = LoopedTransformer(8, 8)


@st.composite
def programs(draw, N: int = 8, M: int = 8):
    n, m = draw(st.integers(1, N)), draw(st.integers(1, M))
    program = draw(st.lists(st.tuples(st.integers(0, m - 1), st.integers(0, m - 1),
                                      st.integers(-1, n)), min_size=n, max_size=n))
    memory = draw(st.lists(st.integers(subleq.VALUE_MIN, subleq.VALUE_MAX), min_size=m,
                           max_size=m))
    return program, memory, draw(st.integers(0, n - 1)), draw(st.integers(0, 24))


@settings(max_examples=150, deadline=None)
@given(programs())
def test_agrees_with_the_reference_machine(case):
    program, memory, pc, max_steps = case
    try:
        want = subleq.run(program, memory, pc, max_steps)
    except subleq.SubleqOverflow:
        return  # the transformer wraps around where the reference refuses; not compared
    assert MACHINE.run(program, memory, pc, max_steps) == want


def test_agrees_on_a_seeded_batch_in_float64_too():
    batch = random_batch(random.Random(3), 200, 8, 8, 24)
    for dtype in (torch.float32, torch.float64):
        agree, steps = agreements(LoopedTransformer(8, 8, dtype=dtype), batch)
        assert agree == 200 and steps > 1000


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_named_programs_compute_their_reference(name):
    prog = PROGRAMS[name]
    machine = LoopedTransformer(*prog.size)
    for inputs in named_inputs(name, random.Random(0), samples=4)[::64] or []:
        program, memory = prog.build(**inputs)
        got = machine.run(program, memory, max_steps=prog.max_steps(**inputs))
        assert got == subleq.run(program, memory, max_steps=prog.max_steps(**inputs))
        assert prog.result(got[0]) == prog.reference(**inputs)


def test_multiply_step_by_step_matches_the_trace_and_the_card_stays_clean():
    prog = PROGRAMS["multiply"]
    program, memory = prog.build(x=-9, y=5)
    machine = LoopedTransformer(*prog.size)
    cards = machine.cards(program, memory, max_steps=100)
    trace = subleq.trace(program, memory, max_steps=100)
    assert len(cards) == len(trace) == 19
    layout = machine.layout
    for card, (mem, pc) in zip(cards, trace):
        got_mem, got_pc = layout.decode(card[None])
        assert got_mem[0, : len(mem)].tolist() == mem and int(got_pc) == pc
        assert torch.allclose(card, card.round(), atol=1e-5)  # only 0 and ±1 on the card
        for name in ("a", "b", "c", "next", "mem_a", "mem_b", "result", "flag", "sel",
                     "sel_result"):
            assert card[:, layout.rows[name]].abs().max() < 1e-5, name


def test_layer_by_layer_the_scratchpad_fetches_reads_and_writes():
    machine = LoopedTransformer(2, 3)
    layout, r = machine.layout, machine.layout.rows
    card = machine.encode([(0, 2, 1), (1, 1, -1)], [5, 9, 3])
    states = machine.model(inputs_embeds=card).hidden_states
    scratch = [s[0, 0] for s in states]
    assert torch.equal(scratch[1][r["a"]], address_bits(torch.tensor(1), layout.bits))
    assert torch.equal(scratch[1][r["c"]], address_bits(torch.tensor(layout.memory_size + 2),
                                                        layout.bits))
    assert bits_to_value(scratch[2][r["result"]]) == 3 - 5 and scratch[2][layout.row("flag")] == 1
    memories, pc = layout.decode(states[3])
    assert memories.tolist() == [[5, 9, -2]] and pc.tolist() == [1]


def test_card_codes_round_trip():
    values = torch.arange(-128, 128)
    assert torch.equal(bits_to_value(value_bits(values)), values)
    layout = CardLayout(5, 4)
    card = layout.encode(torch.tensor([[[0, 1, -1]] * 5]), torch.tensor([[-128, 127, 0, -7]]),
                         torch.tensor([4]))
    memories, pcs = layout.decode(card)
    assert memories.tolist() == [[-128, 127, 0, -7]] and pcs.tolist() == [4]
    assert card.shape == (1, layout.num_columns, layout.d_model)
    assert -1 in layout.jump_range and 5 in layout.jump_range


def test_a_blunt_softmax_breaks_the_machine():
    batch = random_batch(random.Random(5), 200, 8, 8, 16)
    assert agreements(LoopedTransformer(8, 8, lam=1.0), batch)[0] < 150
    assert agreements(LoopedTransformer(8, 8, lam=predicted_lam(8, 8)), batch)[0] == 200


def test_size_and_interface():
    assert (MACHINE.num_layers, MACHINE.num_heads) == (3, 2)
    assert MACHINE.d_model == MACHINE.layout.d_model and MACHINE.num_params > 0
    assert MACHINE.run([], [1, 2]) == ([1, 2], 0, 0)


@pytest.mark.parametrize("args, match", [
    (([(0, 0, 0)] * 9, [0]), "up to 8 instructions"),
    (([(0, 0, 0)], [0] * 9), "8 memory cells"),
    (([(0, 0, 40)], [0]), r"jump target c = 40 cannot be written"),
    (([(0, 3, 0)], [0]), "b = 3 is not a memory address"),
    (([(0, 0, 0)], [300]), "outside the 8-bit range"),
])
def test_bad_programs_get_clear_errors(args, match):
    with pytest.raises(ValueError, match=match):
        MACHINE.run(*args)


@pytest.mark.parametrize("kwargs, match", [
    ({"lam": 0}, "lam"), ({"lam": "big"}, "lam"), ({"dtype": torch.int64}, "dtype")])
def test_bad_machines_get_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LoopedTransformer(4, 4, **kwargs)
    with pytest.raises(ValueError, match="memory_size"):
        LoopedTransformer(4, 0)
