"""The chapter 05 exercise checkers accept right answers, explain wrong ones and greet stubs."""

import pytest
import torch

from minimem.checks import _framework, ch05
from minimem.looped.card import address_bits

RELU = """
data   x = 0, y = 0, Z = 0
       y y                # y = 0
       Z x halt           # x - 0 <= 0: y stays 0
       x Z                # Z = -x
       Z y                # y = x
       Z Z halt           # Z = 0 again
"""


def relu_source():
    return RELU


def read_by_address(query, addresses, values, lam):
    return torch.softmax(lam * query @ addresses.T, dim=-1) @ values


def step_units(z, const, slope=4.0):
    """Two hidden units (rows of W1, entries of b1) and their output weights (+1, -1) whose
    difference is clamp(slope·(z·x + const) + 1/2, 0, 1)."""
    W = torch.stack([slope * z, slope * z])
    b = torch.tensor([slope * const + 0.5, slope * const - 0.5], dtype=torch.float64)
    return W, b, torch.tensor([1.0, -1.0], dtype=torch.float64)


def subtract_and_branch(slope=4.0, flag_le=True):
    rows, biases, outs = [], [], []

    def add(z, const, out, sign):
        W, b, w = step_units(z, const, slope)
        rows.append(W)
        biases.append(b)
        column = torch.zeros(9, 2, dtype=torch.float64)
        column[out] = sign * w
        outs.append(column)

    for i in range(8):
        z = torch.zeros(16, dtype=torch.float64)
        z[: i + 1] = -(2.0 ** torch.arange(i + 1))  # -a bits
        z[8: 9 + i] = 2.0 ** torch.arange(i + 1)  # +b bits
        add(z, 0.5 - 2 ** i, i, 1.0)  # [s >= 2^i]
        add(z, 0.5 + 2 ** i, i, 1.0)  # [s >= -2^i]
        add(z, 0.5, i, -1.0)  # -[s >= 0]
    weight = torch.tensor([2.0 ** j for j in range(7)] + [-128.0], dtype=torch.float64)
    z = torch.cat([weight, -weight])  # a - b
    add(z, 0.5 if flag_le else -0.5, 8, 1.0)
    return torch.cat(rows), torch.cat(biases), torch.cat(outs, dim=1), torch.zeros(9)


@pytest.fixture(autouse=True)
def fresh_hints():
    _framework.reset_hints()


@pytest.mark.parametrize("check, good", [
    (ch05.check_relu_program, relu_source),
    (ch05.check_read_by_address, read_by_address),
    (ch05.check_subtract_and_branch, subtract_and_branch),
])
def test_right_answers_pass(check, good, capsys):
    assert check(good)
    assert "All checks passed" in capsys.readouterr().out


def test_hints_are_registered_in_three_levels_without_code():
    for exercise in ("5.1", "5.2", "5.3"):
        hints = _framework._HINTS[exercise]
        assert len(hints) == 3
        assert not any("def " in h or "return " in h for h in hints)


def test_a_program_that_does_not_assemble_is_named(capsys):
    assert not ch05.check_relu_program(lambda: RELU.replace("Z Z halt", "Z W halt"))
    out = capsys.readouterr().out
    assert "the assembler says" in out and "unknown data cell 'W'" in out and "hint 1/3" in out


def test_a_program_without_the_cells_x_and_y_is_refused(capsys):
    assert not ch05.check_relu_program(lambda: RELU.replace("y", "out"))
    assert "no data cell named y" in capsys.readouterr().out


def test_the_first_wrong_input_is_named(capsys):
    copy = "data x = 0, y = 0, Z = 0\n y y\n x Z\n Z y\n Z Z"  # y = x, also for x < 0
    assert not ch05.check_relu_program(lambda: copy)
    out = capsys.readouterr().out
    assert "x = -128" in out and "overflow" in out  # -(-128) leaves the 8-bit range


def test_a_program_that_never_halts_is_named(capsys):
    loop = "data x = 0, y = 0, Z = 0\nagain: Z Z again"
    assert not ch05.check_relu_program(lambda: loop)
    assert f"did not halt within {ch05.RELU_STEPS} steps" in capsys.readouterr().out


def test_a_jump_the_card_cannot_hold_is_named(capsys):
    far = RELU.replace("Z Z halt", "Z Z 40")  # halts in subleq.run, but 40 is off the card
    assert not ch05.check_relu_program(lambda: far)
    out = capsys.readouterr().out
    assert "✔ relu_program · subleq.run, x = 1" in out and "jumps to 40" in out


def test_a_wrong_answer_on_negative_inputs_names_the_input(capsys):
    wrong = RELU.replace("Z x halt", "Z x")  # negative x fall through and are copied
    assert not ch05.check_relu_program(lambda: wrong)
    out = capsys.readouterr().out
    assert "x = -1" in out or "x = -127" in out or "x = -128" in out
    assert "✔ relu_program · subleq.run, x = 1" in out


def test_the_reference_head_is_refused(capsys):
    assert not ch05.check_read_by_address(ch05._read_reference)
    assert "library's own" in capsys.readouterr().out

    def calls_the_answer(*args):
        return ch05._read_reference(*args)

    assert not ch05.check_read_by_address(calls_the_answer)
    assert "switched off" in capsys.readouterr().out


def test_a_head_that_forgets_lam_or_overflows_fails(capsys):
    assert not ch05.check_read_by_address(
        lambda q, a, v, lam: torch.softmax(q @ a.T, dim=-1) @ v)
    assert "values differ in read" in capsys.readouterr().out

    def naive(q, a, v, lam):
        e = torch.exp(lam * q @ a.T).float()  # float32: exp(300) is inf
        return ((e / e.sum(-1, keepdim=True)) @ v.float()).double()

    result = ch05.check_read_by_address(naive)
    out = capsys.readouterr().out
    assert not result and "✘ read_by_address · a very sharp head" in out


def test_at_lam_20_the_reference_is_the_addressed_value():
    query, addresses, values, lam = ch05._read_case(1, 6, 13, 4, 8, 20.0)
    index = [int(((addresses == q).all(1)).nonzero()) for q in query]
    assert torch.allclose(ch05._read_reference(query, addresses, values, lam), values[index],
                          atol=1e-12, rtol=0)
    assert torch.equal(addresses, address_bits(torch.arange(1, 14), 4))


def test_a_flag_with_less_than_instead_of_at_most_names_the_flag(capsys):
    assert not ch05.check_subtract_and_branch(lambda: subtract_and_branch(flag_le=False))
    out = capsys.readouterr().out
    assert "the flag [b - a <= 0]" in out and "b - a = 0" in out


def test_steps_without_margin_pass_exact_bits_but_fail_with_noise(capsys):
    # thresholds on the integers themselves: exact at 0/1 inputs, no room for noise
    no_margin = lambda: subtract_and_branch(slope=1.0)  # noqa: E731  step width 1: no margin
    result = ch05.check_subtract_and_branch(no_margin)
    out = capsys.readouterr().out
    assert not result
    assert "✔ subtract_and_branch · exact bits" in out
    assert "✘ subtract_and_branch · bits off by" in out and "result bit" in out


def test_wrong_shapes_are_explained(capsys):
    def transposed():
        W1, b1, W2, b2 = subtract_and_branch()
        return W1.T, b1, W2, b2

    assert not ch05.check_subtract_and_branch(transposed)
    assert "W1 must have shape" in capsys.readouterr().out


@pytest.mark.parametrize("check", [ch05.check_relu_program, ch05.check_read_by_address,
                                   ch05.check_subtract_and_branch])
def test_a_stub_gets_the_friendly_message(check, capsys):
    def stub(*args):
        raise NotImplementedError("write it")

    assert not check(stub)
    assert "not implemented yet" in capsys.readouterr().out
