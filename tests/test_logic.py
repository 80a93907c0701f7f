import pytest
from hypothesis import given, strategies as st

from hmlm_sb.logic import (And, Const, Literal, LogicSyntaxError, Not, Or, evaluate, format_expr,
                           literals, parse_expr, rename, species_in)


def test_precedence_not_and_or():
    expr = parse_expr("!A & B | C")
    assert expr == Or((And((Not(Literal("A")), Literal("B"))), Literal("C")))


def test_threshold_and_quoted_ids_round_trip():
    expr = parse_expr('"odd id-1" & CycD >= 2 | !(x.y & z:1)')
    assert species_in(expr) == ["odd id-1", "CycD", "x.y", "z:1"]
    assert parse_expr(format_expr(expr)) == expr
    assert format_expr(parse_expr("A>=2")) == "A >= 2"


def test_evaluate_multivalued():
    expr = parse_expr("A >= 2 & !B")
    assert evaluate(expr, {"A": 2, "B": 0})
    assert not evaluate(expr, {"A": 1, "B": 0})
    assert not evaluate(expr, {"A": 2, "B": 1})
    assert evaluate(Const(True), {})


def test_literal_polarity():
    pol = {lit.species: neg for lit, neg in literals(parse_expr("A & !(B | !C)"))}
    assert pol == {"A": False, "B": True, "C": False}


def test_rename():
    assert rename(parse_expr("A & !B"), {"A": "m/A"}) == parse_expr('"m/A" & !B')


@pytest.mark.parametrize("bad", ["", "A &", "(A", "A B", "A >= x", "A $ B"])
def test_syntax_errors(bad):
    with pytest.raises(LogicSyntaxError):
        parse_expr(bad)


ids = st.text(alphabet="ABCxyz_01 -/", min_size=1, max_size=6).filter(lambda s: s.strip() == s and s not in ("true", "false"))
exprs = st.recursive(
    st.builds(Literal, ids, st.integers(1, 3)),
    lambda sub: st.one_of(st.builds(Not, sub),
                          st.builds(lambda xs: And(tuple(xs)), st.lists(sub, min_size=2, max_size=3)),
                          st.builds(lambda xs: Or(tuple(xs)), st.lists(sub, min_size=2, max_size=3))),
    max_leaves=8)


@given(exprs)
def test_format_parse_preserves_truth(expr):
    again = parse_expr(format_expr(expr))
    names = species_in(expr)
    for bits in range(1 << min(len(names), 4)):
        levels = {n: (bits >> i) & 1 for i, n in enumerate(names[:4])}
        assert evaluate(again, levels) == evaluate(expr, levels)


def test_ids_starting_with_digits_are_ids():
    assert parse_expr("00A & 1b") == And((Literal("00A"), Literal("1b")))
    assert parse_expr("A >= 10") == Literal("A", 10)
