"""The chapter 03 exercise checkers accept the library's programs and explain wrong ones."""

import pytest

from minimem.checks import ch03
from minimem.rasp import (Aggregate, Comparison, Select, SelectorWidth, indices, lib, numerical,
                          tokens)


@pytest.mark.parametrize("check, good", [
    (ch03.check_length, lib.make_length),
    (ch03.check_reverse, lib.make_reverse),
    (ch03.check_hist, lib.make_hist),
    (ch03.check_sort, lib.make_sort),
    (ch03.check_dyck1, lambda: lib.make_dyck("()")),
])
def test_reference_programs_pass(check, good, capsys):
    assert check(good)
    assert "All checks passed" in capsys.readouterr().out


def test_a_correct_but_wasteful_program_fails_on_cost(capsys):
    def length_in_two_layers():
        n = SelectorWidth(Select(tokens, tokens, Comparison.TRUE))
        return numerical(Aggregate(Select(indices, indices, Comparison.TRUE), numerical(n)))

    assert not ch03.check_length(length_in_two_layers)
    out = capsys.readouterr().out
    assert "20/20 cases match" in out and "needs 2 layer(s)" in out


def test_wrong_outputs_and_unstable_sorts_are_explained(capsys):
    assert not ch03.check_hist(lambda: SelectorWidth(Select(tokens, tokens, Comparison.LEQ)))
    assert "position" in capsys.readouterr().out
    assert not ch03.check_sort(lib.make_sort_unique)  # repeated keys collide
    assert "expected" in capsys.readouterr().out


def test_stubs_and_non_programs_get_friendly_messages(capsys):
    def stub():
        raise NotImplementedError("write make_reverse")

    assert not ch03.check_reverse(stub)
    assert "not implemented yet — write make_reverse" in capsys.readouterr().out
    assert not ch03.check_reverse(lambda: None)
    assert "must return a RASP s-op" in capsys.readouterr().out
    with pytest.raises(TypeError, match="pass your function itself"):
        ch03.check_length(lib.make_length())
