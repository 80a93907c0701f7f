"""SBML-qual function terms (MathML) to logic rules, for both SBML readers.

One converter, :class:`RuleBuilder`, over a small view of a MathML node; two views: the
libsbml AST (:class:`LibsbmlMath`) and an ElementTree element (:class:`ElementMath`,
the streaming reader). Relations on levels are rewritten with ``>=`` thresholds, the only
comparison :mod:`hmlm_sb.logic` keeps (``A == 1`` with max level 1 is ``A``, ``A == 0``
is ``!A``, ``A == 1`` with max level 2 is ``A >= 1 & !A >= 2``).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Protocol

from hmlm_sb.errors import InputError
from hmlm_sb.logic import And, Const, Expr, Literal, Not, Or

RELATIONS = ("eq", "neq", "geq", "gt", "leq", "lt")
FLIP = {"eq": "eq", "neq": "neq", "geq": "leq", "leq": "geq", "gt": "lt", "lt": "gt"}


class MathView(Protocol):
    """What the converter asks of a MathML node."""

    def op(self, node: Any) -> str | None:
        """``and or not xor true false name minus`` or a relation; None for anything else."""

    def args(self, node: Any) -> list[Any]: ...

    def name(self, node: Any) -> str: ...

    def integer(self, node: Any) -> int | None:
        """The node's value if it is a number with an integer value."""

    def describe(self, node: Any) -> str: ...


class RuleBuilder:
    """A function term's MathML as a logic expression.

    ``max_levels``: species id -> max level (what a rule may name); ``thresholds``:
    input id -> threshold level (an input id may stand for its level in a relation)."""

    def __init__(self, view: MathView, max_levels: Mapping[str, int], thresholds: Mapping[str, int],
                 fail: Callable[[str], InputError]):
        self.view, self.max_levels, self.thresholds, self.fail = view, max_levels, thresholds, fail

    def convert(self, node: Any) -> Expr:
        view = self.view
        op = view.op(node)
        if op in ("and", "or"):
            return flat(And if op == "and" else Or, [self.convert(a) for a in view.args(node)])
        if op == "not":
            args = view.args(node)
            if len(args) != 1:
                raise self.fail("<not> needs one argument")
            return negate(self.convert(args[0]))
        if op == "xor":
            return xor([self.convert(a) for a in view.args(node)])
        if op in ("true", "false"):
            return Const(op == "true")
        if op == "name":
            return Literal(self._species(view.name(node)), 1)
        if op in RELATIONS:
            return self._relation(op, view.args(node))
        raise self.fail(f"unsupported MathML in function term: {view.describe(node)}")

    def _species(self, sid: str) -> str:
        if sid not in self.max_levels:
            raise self.fail(f"function term refers to unknown species {sid!r}")
        return sid

    def _relation(self, op: str, args: list[Any]) -> Expr:
        view = self.view
        if len(args) != 2:
            raise self.fail(f"<{op}> needs two arguments")
        left, right = args
        if view.op(left) != "name" or view.name(left) in self.thresholds:
            left, right, op = right, left, FLIP[op]
        if view.op(left) != "name":
            raise self.fail(f"<{op}> compares no species")
        species = self._species(view.name(left))
        return level_relation(species, op, self._level(right), self.max_levels[species])

    def _level(self, node: Any) -> int:
        view = self.view
        op = view.op(node)
        if op == "name" and view.name(node) in self.thresholds:
            return self.thresholds[view.name(node)]
        value = view.integer(node)
        if value is not None:
            return value
        if op == "minus" and len(view.args(node)) == 1:
            return -self._level(view.args(node)[0])
        raise self.fail(f"level must be an integer or an input id, not {view.describe(node)}")


# ---- the two views -------------------------------------------------------------------------------

class LibsbmlMath:
    """A libsbml ASTNode."""

    def __init__(self):
        import libsbml as L

        self.ops = {L.AST_LOGICAL_AND: "and", L.AST_LOGICAL_OR: "or", L.AST_LOGICAL_NOT: "not",
                    L.AST_LOGICAL_XOR: "xor", L.AST_CONSTANT_TRUE: "true", L.AST_CONSTANT_FALSE: "false",
                    L.AST_NAME: "name", L.AST_MINUS: "minus", L.AST_RELATIONAL_EQ: "eq",
                    L.AST_RELATIONAL_NEQ: "neq", L.AST_RELATIONAL_GEQ: "geq", L.AST_RELATIONAL_GT: "gt",
                    L.AST_RELATIONAL_LEQ: "leq", L.AST_RELATIONAL_LT: "lt"}
        self.integer_type = L.AST_INTEGER
        self.real_types = {L.AST_REAL, L.AST_REAL_E, L.AST_RATIONAL}
        self.formula = L.formulaToL3String

    def op(self, node) -> str | None:
        return self.ops.get(node.getType())

    def args(self, node) -> list:
        return [node.getChild(i) for i in range(node.getNumChildren())]

    def name(self, node) -> str:
        return node.getName().strip()

    def integer(self, node) -> int | None:
        t = node.getType()
        if t == self.integer_type:
            return int(node.getValue())
        if t in self.real_types:
            return _integral(node.getValue())
        return None

    def describe(self, node) -> str:
        return repr(self.formula(node))


class ElementMath:
    """An ElementTree MathML element (namespaced tags)."""

    _APPLY_OPS = {"and", "or", "not", "xor", "minus", *RELATIONS}

    def op(self, el) -> str | None:
        tag = _local(el.tag)
        if tag == "ci":
            return "name"
        if tag in ("true", "false"):
            return tag
        if tag == "apply" and len(el):
            head = _local(el[0].tag)
            return head if head in self._APPLY_OPS else None
        return None

    def args(self, el) -> list:
        return list(el)[1:] if _local(el.tag) == "apply" else []

    def name(self, el) -> str:
        return (el.text or "").strip()

    def integer(self, el) -> int | None:
        if _local(el.tag) != "cn":
            return None
        try:
            return _integral(float((el.text or "").strip()))
        except ValueError:
            return None

    def describe(self, el) -> str:
        tag = _local(el.tag)
        if tag == "apply" and len(el):
            return f"<{_local(el[0].tag)}>"
        text = (el.text or "").strip()
        return f"<{tag}>{text[:40]}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _integral(value: float) -> int | None:
    return int(value) if math.isfinite(value) and value == int(value) else None


# ---- logic helpers ---------------------------------------------------------------------------------

def level_relation(species: str, op: str, k: int, max_level: int) -> Expr:
    """``species op k`` as >= literals, given the species' maximum level."""
    if op == "gt":
        return level_relation(species, "geq", k + 1, max_level)
    if op == "lt":
        return negate(level_relation(species, "geq", k, max_level))
    if op == "leq":
        return negate(level_relation(species, "geq", k + 1, max_level))
    if op == "neq":
        return negate(level_relation(species, "eq", k, max_level))
    if op == "geq":
        if k <= 0:
            return Const(True)
        return Const(False) if k > max_level else Literal(species, k)
    # eq
    if k < 0 or k > max_level:
        return Const(False)
    at_least = level_relation(species, "geq", k, max_level)
    above = level_relation(species, "geq", k + 1, max_level)
    if isinstance(above, Const):
        return at_least
    if isinstance(at_least, Const):
        return negate(above)
    return And((at_least, Not(above)))


def negate(expr: Expr) -> Expr:
    if isinstance(expr, Const):
        return Const(not expr.value)
    if isinstance(expr, Not):
        return expr.term
    return Not(expr)


def flat(kind, terms: list[Expr]) -> Expr:
    out: list[Expr] = []
    for term in terms:
        out.extend(term.terms if isinstance(term, kind) else (term,))
    if not out:
        return Const(kind is And)
    return out[0] if len(out) == 1 else kind(tuple(out))


def xor(terms: list[Expr]) -> Expr:
    if not terms:
        return Const(False)
    acc = terms[0]
    for term in terms[1:]:
        acc = flat(Or, [flat(And, [acc, negate(term)]), flat(And, [negate(acc), term])])
    return acc
