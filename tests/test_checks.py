"""The exercise checker framework: what it prints and returns for right, wrong, stub, crash."""

import numpy as np
import pytest
import torch

from minimem import attention
from minimem.checks import ch00 as checks
from minimem.checks import differences, hint, register_hints, reset_hints, run_check


def square(x):
    return x * x


GROUPS = {"small": [((torch.tensor([1.0, 2.0]),), {})], "negative": [((torch.tensor([-3.0]),), {})]}


def test_a_correct_function_passes_with_one_line_per_group(capsys):
    result = run_check("square", lambda x: x ** 2, square, GROUPS, arg_names=("x",))
    out = capsys.readouterr().out.splitlines()
    assert result and result.passed
    assert out == ["✔ square · small: 1/1 cases match", "✔ square · negative: 1/1 cases match",
                   "All checks passed for square."]


def test_a_wrong_function_shows_input_expected_received_and_hint(capsys):
    result = run_check("square", lambda x: x * x.abs(), square, GROUPS, arg_names=("x",),
                       hint="multiply x by itself")
    out = capsys.readouterr().out
    assert not result
    assert "✘ square · negative: case 1 of 1 differs — values differ" in out
    assert "input:    x=tensor(1,)" in out and "expected:" in out and "received:" in out
    assert out.count("hint:     multiply x by itself") == 1
    assert "✔ square · small: 1/1 cases match" in out  # right on positives, wrong on negatives


def test_a_stub_gets_a_friendly_line_not_a_traceback(capsys):
    def stub(x):
        raise NotImplementedError("Exercise 9.9: square it.")

    result = run_check("square", stub, square, GROUPS)
    out = capsys.readouterr().out
    assert not result
    assert out.strip() == "… square: not implemented yet — Exercise 9.9: square it."


def test_a_crashing_function_is_reported_not_raised(capsys):
    def broken(x):
        return x.view(7, 7)

    result = run_check("square", broken, square, GROUPS)
    out = capsys.readouterr().out
    assert not result and "failed" in out and "raised RuntimeError" in out


def test_inputs_are_copied_so_in_place_edits_do_not_leak():
    def in_place(x):
        x.mul_(x)
        return x

    assert run_check("square", in_place, square, GROUPS, verbose=False)


def test_passing_a_result_instead_of_a_function_is_a_clear_error():
    with pytest.raises(TypeError, match="pass your function itself"):
        run_check("square", 4, square, GROUPS)


def test_a_missing_return_or_an_uncomparable_value_is_a_cross_line_not_a_traceback(capsys):
    def forgot_return(x):
        x * x

    result = run_check("square", forgot_return, square, GROUPS, hint="Multiply x by itself.")
    out = capsys.readouterr().out
    assert not result and "✘" in out and "is a `return` missing?" in out and "hint:" in out

    def crashing_compare(expected, received):
        raise TypeError("unhashable")

    result = run_check("square", square, square, GROUPS, compare=crashing_compare)
    assert not result and "could not be compared" in capsys.readouterr().out


@pytest.mark.parametrize("expected, received, fragment", [
    (torch.ones(2, 3), torch.ones(3, 2), "shape: expected (2, 3), received (3, 2)"),
    (torch.ones(2), [1.0, 1.0], "expected a torch.Tensor"),
    (torch.ones(2, dtype=torch.bool), torch.ones(2), "dtype"),
    ((1, 2), (1,), "length: expected 2 items"),
    ((torch.ones(1), 2), (torch.ones(1), 3), "value in item 1 differs"),
    (0.5, 0.7, "expected 0.5, received 0.7"),
    (np.zeros(2), np.ones(2), "values differ"),
])
def test_differences_explains_mismatches(expected, received, fragment):
    assert fragment in differences(expected, received)


def test_differences_accepts_matches():
    assert differences(torch.ones(3), torch.ones(3) + 1e-7) is None
    assert differences([1, "a"], (1, "a")) is None
    assert differences(torch.tensor([float("nan")]), torch.tensor([float("nan")])) is None


def test_chapter_00_checkers_accept_a_correct_answer_and_reject_a_bug(capsys):
    assert checks.check_scaled_dot_product_attention(
        lambda q, k, v, mask=None: attention.scaled_dot_product_attention(q, k, v, mask))
    assert checks.check_causal_mask(lambda n: torch.ones(n, n, dtype=torch.bool).tril())
    assert checks.check_split_heads(lambda x, h: x.view(*x.shape[:2], h, -1).transpose(1, 2))
    assert checks.check_merge_heads(lambda x: x.transpose(1, 2).flatten(2))
    assert not checks.check_causal_mask(lambda n: torch.ones(n, n, dtype=torch.bool).triu())
    assert not checks.check_split_heads(lambda x, h: x.view(x.shape[0], h, x.shape[1], -1))


@pytest.fixture
def square_hints():
    register_hints("9.9", ["a nudge", "a guide", "a strong hint"])
    yield
    reset_hints()


def test_hints_grow_from_a_nudge_to_a_strong_hint_on_request(square_hints, capsys):
    for _ in range(4):
        hint("9.9")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("hint 1/3 (nudge): a nudge") and "checks.hint('9.9')" in out[0]
    assert out[1].startswith("hint 2/3 (guide): a guide")
    assert out[2] == out[3] == "hint 3/3 (strong hint): a strong hint"
    with pytest.raises(ValueError, match="no hints for exercise '0.0'"):
        hint("0.0")


def test_a_stub_says_what_to_write_and_a_wrong_answer_gets_the_next_hint(square_hints, capsys):
    def stub(x):
        raise NotImplementedError("Write square(x), x times itself.")

    assert not run_check("square", stub, square, GROUPS, exercise="9.9")
    out = capsys.readouterr().out
    assert "not implemented yet — Write square(x), x times itself." in out
    assert "a nudge" not in out and "checks.hint('9.9')" in out  # what to do, not the hint
    assert not run_check("square", lambda x: x * x.abs(), square, GROUPS, exercise="9.9")
    assert "hint 1/3 (nudge): a nudge" in capsys.readouterr().out
    assert not run_check("square", lambda x: x * x.abs(), square, GROUPS, exercise="9.9")
    assert "hint 2/3 (guide): a guide" in capsys.readouterr().out
    assert run_check("square", lambda x: x * x, square, GROUPS, exercise="9.9")
    assert "hint" not in capsys.readouterr().out


def test_a_submission_that_is_the_reference_fails(capsys):
    assert not run_check("square", square, square, GROUPS, forbidden=(square,))
    assert "this is the library's own" in capsys.readouterr().out
    assert not checks.check_causal_mask(attention.causal_mask)
    assert not checks.check_scaled_dot_product_attention(attention.scaled_dot_product_attention)
    assert run_check("square", lambda x: x * x, square, GROUPS, forbidden=(square,))


def test_mismatches_name_the_output(capsys):
    def pair(x):
        return x, x * 2

    assert not run_check("pair", lambda x: (x, x * 3), pair, GROUPS,
                         output_names=("same", "double"))
    out = capsys.readouterr().out
    assert "values differ in double" in out and "item 1" not in out
    assert "expected double: tensor(2,)" in out and "received double:" in out
    assert "value in weights differs" in differences((1, 2), (1, 3), names=("output", "weights"))
    assert not checks.check_scaled_dot_product_attention(
        lambda q, k, v, mask=None: (attention.scaled_dot_product_attention(q, k, v, mask)[0],
                                    torch.zeros(1)))
    assert "shape in weights" in capsys.readouterr().out


def test_answer_key_off_also_reaches_an_answer_imported_under_the_learners_own_name():
    import types

    from minimem.checks._answer_key import answer_key_off

    library = types.SimpleNamespace(solve=lambda x: x + 1)
    notebook = {"mine": library.solve, "rows": [1, 2]}  # `from library import solve as mine`
    exec("def learner(x):\n    return mine(x)\n", notebook)
    wrapped = answer_key_off(notebook["learner"], "Exercise 9.9", [(library, "solve")])
    with pytest.raises(NotImplementedError, match="Exercise 9.9 asks you to write this"):
        wrapped(1)
    assert notebook["mine"](1) == 2  # restored afterwards
