"""Boolean / multi-valued logic rules of a reaction, as a small expression tree.

Text form (what the graph stores on a Reaction node)::

    A & !B            AND, NOT
    A | (B & C)       OR, parentheses
    CycD >= 2         threshold on a multi-valued species (default threshold 1)
    "odd id-1"        ids with characters outside [A-Za-z0-9_.:] are double-quoted
    true / false      constants

Precedence: ``!`` binds tightest, then ``&``, then ``|``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Mapping, Union

_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.:]+$")


@dataclass(frozen=True)
class Literal:
    species: str
    threshold: int = 1


@dataclass(frozen=True)
class Not:
    term: "Expr"


@dataclass(frozen=True)
class And:
    terms: tuple["Expr", ...]


@dataclass(frozen=True)
class Or:
    terms: tuple["Expr", ...]


@dataclass(frozen=True)
class Const:
    value: bool


Expr = Union[Literal, Not, And, Or, Const]


class LogicSyntaxError(ValueError):
    pass


def format_expr(expr: Expr) -> str:
    """Canonical text of an expression; ``parse_expr(format_expr(e)) == e``."""
    return _fmt(expr, parent=0)


def _fmt_id(species: str) -> str:
    if _PLAIN_ID.match(species) and species not in ("true", "false"):
        return species
    return '"' + species.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fmt(expr: Expr, parent: int) -> str:
    # parent precedence: 0 top / or, 1 and, 2 not
    if isinstance(expr, Const):
        return "true" if expr.value else "false"
    if isinstance(expr, Literal):
        text = _fmt_id(expr.species)
        return text if expr.threshold == 1 else f"{text} >= {expr.threshold}"
    if isinstance(expr, Not):
        inner = _fmt(expr.term, 2)
        return "!" + inner
    if isinstance(expr, And):
        text = " & ".join(_fmt(t, 1) for t in expr.terms)
        return f"({text})" if parent > 1 else text
    if isinstance(expr, Or):
        text = " | ".join(_fmt(t, 0) for t in expr.terms)
        return f"({text})" if parent > 0 else text
    raise TypeError(f"not a logic expression: {expr!r}")


_TOKEN = re.compile(
    r'\s*(?:(?P<op>>=|[!&|()])|(?P<num>\d+(?![A-Za-z0-9_.:]))|(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<id>[A-Za-z0-9_.:]+))'
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise LogicSyntaxError(f"unexpected character {text[pos:pos + 1]!r} at {pos} in {text!r}")
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "quoted":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
            kind = "id"
        out.append((kind, value))
    return out


def parse_expr(text: str) -> Expr:
    toks = _tokens(text)
    if not toks:
        raise LogicSyntaxError("empty rule")
    parser = _Parser(toks, text)
    expr = parser.or_expr()
    if parser.pos != len(toks):
        raise LogicSyntaxError(f"unexpected {toks[parser.pos][1]!r} in {text!r}")
    return expr


class _Parser:
    def __init__(self, toks: list[tuple[str, str]], text: str):
        self.toks, self.pos, self.text = toks, 0, text

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise LogicSyntaxError(f"expected {value or 'a term'} in {self.text!r}")
        self.pos += 1
        return tok

    def or_expr(self) -> Expr:
        terms = [self.and_expr()]
        while self.peek() == ("op", "|"):
            self.take("|")
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def and_expr(self) -> Expr:
        terms = [self.not_expr()]
        while self.peek() == ("op", "&"):
            self.take("&")
            terms.append(self.not_expr())
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def not_expr(self) -> Expr:
        if self.peek() == ("op", "!"):
            self.take("!")
            return Not(self.not_expr())
        return self.atom()

    def atom(self) -> Expr:
        tok = self.peek()
        if tok == ("op", "("):
            self.take("(")
            expr = self.or_expr()
            self.take(")")
            return expr
        kind, value = self.take()
        if kind not in ("id", "num"):
            raise LogicSyntaxError(f"unexpected {value!r} in {self.text!r}")
        if value in ("true", "false"):
            return Const(value == "true")
        threshold = 1
        if self.peek() == ("op", ">="):
            self.take(">=")
            k, num = self.take()
            if k != "num":
                raise LogicSyntaxError(f"threshold must be an integer in {self.text!r}")
            threshold = int(num)
        return Literal(value, threshold)


def literals(expr: Expr, negated: bool = False) -> Iterator[tuple[Literal, bool]]:
    """Each literal with whether it sits under an odd number of NOTs."""
    if isinstance(expr, Literal):
        yield expr, negated
    elif isinstance(expr, Not):
        yield from literals(expr.term, not negated)
    elif isinstance(expr, (And, Or)):
        for term in expr.terms:
            yield from literals(term, negated)


def species_in(expr: Expr) -> list[str]:
    seen: dict[str, None] = {}
    for lit, _ in literals(expr):
        seen.setdefault(lit.species, None)
    return list(seen)


def evaluate(expr: Expr, levels: Mapping[str, int]) -> bool:
    """Truth of the rule for integer species levels (missing species are at level 0)."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Literal):
        return levels.get(expr.species, 0) >= expr.threshold
    if isinstance(expr, Not):
        return not evaluate(expr.term, levels)
    if isinstance(expr, And):
        return all(evaluate(t, levels) for t in expr.terms)
    if isinstance(expr, Or):
        return any(evaluate(t, levels) for t in expr.terms)
    raise TypeError(f"not a logic expression: {expr!r}")


def rename(expr: Expr, mapping: Mapping[str, str]) -> Expr:
    """The same rule with species ids replaced (ids absent from ``mapping`` are kept)."""
    if isinstance(expr, Literal):
        return Literal(mapping.get(expr.species, expr.species), expr.threshold)
    if isinstance(expr, Not):
        return Not(rename(expr.term, mapping))
    if isinstance(expr, And):
        return And(tuple(rename(t, mapping) for t in expr.terms))
    if isinstance(expr, Or):
        return Or(tuple(rename(t, mapping) for t in expr.terms))
    return expr


# ---- normal forms ---------------------------------------------------------------------------
Conjunction = list[tuple[str, bool]]  # (species, negated): one AND of literals


def dnf(expr: Expr, negated: bool = False) -> list[Conjunction]:
    """Disjunctive normal form: a list of conjunctions of (species, negated) literals.

    Negations are pushed to literals by De Morgan (exact for the product / probabilistic
    sum algebra of Netflux); distributing AND over OR is an approximation there, unused
    by Netflux sheets (their OR rules are already a disjunction of ANDs)."""
    if isinstance(expr, Const):
        return [[]] if expr.value != negated else []
    if isinstance(expr, Literal):
        return [[(expr.species, negated)]]
    if isinstance(expr, Not):
        return dnf(expr.term, not negated)
    is_and = isinstance(expr, And) != negated  # De Morgan swaps AND and OR under NOT
    parts = [dnf(t, negated) for t in expr.terms]
    if not is_and:
        return [conj for part in parts for conj in part]
    out: list[Conjunction] = [[]]
    for part in parts:
        out = [a + b for a in out for b in part]
    return out
