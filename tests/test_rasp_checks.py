"""The chapter 03 exercise checkers accept the library's programs and explain wrong ones."""

import pytest

from minimem.checks import ch03
from minimem.checks import reset_hints
from minimem.checks import ch00  # noqa: F401  (registers the chapter 00 hints)
from minimem.rasp import (Aggregate, Comparison, Select, SelectorWidth, SequenceMap, indices,
                          lib, tokens)


def first():
    return Aggregate(Select(indices, indices, lambda key, query: key == 0), tokens)


def rotate():
    n = SelectorWidth(Select(tokens, tokens, Comparison.TRUE))
    target = SequenceMap(lambda i, length: (i + 1) % length, indices, n)
    return Aggregate(Select(indices, target, Comparison.EQ), tokens)


def later_same():
    return SelectorWidth(Select(tokens, tokens, Comparison.EQ)
                         & Select(indices, indices, Comparison.GT))


def sort(vals, keys):
    return lib.make_sort(vals, keys)


@pytest.mark.parametrize("check, good", [
    (ch03.check_first, first),
    (ch03.check_rotate, rotate),
    (ch03.check_later_same, later_same),
    (ch03.check_sort, sort),
    (ch03.check_dyck1, lambda: lib.make_dyck("()")),
])
def test_reference_programs_pass(check, good, capsys):
    assert check(good)
    assert "All checks passed" in capsys.readouterr().out


def test_a_correct_but_wasteful_program_fails_on_cost(capsys):
    def first_in_two_layers():
        n = SelectorWidth(Select(tokens, tokens, Comparison.TRUE))
        return Aggregate(Select(indices, n * 0, Comparison.EQ), tokens)

    assert not ch03.check_first(first_in_two_layers)
    out = capsys.readouterr().out
    assert "20/20 cases match" in out and "needs 2 layer(s)" in out


def test_wrong_outputs_and_unstable_sorts_are_explained(capsys):
    earlier_same = (Select(tokens, tokens, Comparison.EQ)
                    & Select(indices, indices, Comparison.LT))  # the wrong direction
    assert not ch03.check_later_same(lambda: SelectorWidth(earlier_same))
    out = capsys.readouterr().out
    assert "position" in out and "hint 1/3 (nudge)" in out
    reset_hints()
    assert not ch03.check_sort(lib.make_sort_unique)  # repeated keys collide
    assert "expected" in capsys.readouterr().out


def test_stubs_and_non_programs_get_friendly_messages(capsys):
    def stub():
        raise NotImplementedError("write make_rotate")

    assert not ch03.check_rotate(stub)
    out = capsys.readouterr().out
    assert "not implemented yet — write make_rotate (stuck? run checks.hint('3.2'))" in out
    assert not ch03.check_rotate(lambda: None)
    assert "must return a RASP s-op" in capsys.readouterr().out
    with pytest.raises(TypeError, match="pass your function itself"):
        ch03.check_first(first())
    reset_hints()


def test_the_library_reference_itself_does_not_pass(capsys):
    assert not ch03.check_sort(lib.make_sort)
    assert "this is the library's own `minimem.rasp.lib.make_sort`" in capsys.readouterr().out


def test_every_exercise_has_three_hints_without_answer_code():
    from minimem.checks import _framework
    for exercise in ["3.1", "3.2", "3.3", "3.4", "3.5", "0.1", "0.2", "0.3"]:
        hints = _framework._HINTS[exercise]
        assert len(hints) == 3
        assert not any("return " in h or "def " in h for h in hints)
