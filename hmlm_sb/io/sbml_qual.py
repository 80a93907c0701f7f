"""SBML-qual: qualitative species and transitions, read and written.

Reading: a transition becomes ``Reaction(kind="qual")`` with ``input`` participants
(sign from ``qual:sign``: positive +1, negative -1, dual / unknown 0; threshold from
``qual:thresholdLevel``) and ``output`` participants. Each function term becomes
``(result_level, rule)``; relations on levels are rewritten with ``>=`` thresholds, the
only comparison :mod:`hmlm_sb.logic` keeps (``A == 1`` with max level 1 is ``A``,
``A == 0`` is ``!A``, ``A == 1`` with max level 2 is ``A >= 1 & !A >= 2``).

Writing (:func:`write_sbml_qual`): SBML L3V1 with qual and groups (one group per
pathway). What SBML-qual has no place for (Netflux parameters, y0 / ymax / tau, original
ids that are not SIds, participant roles) goes into an ``<hmlm:data>`` annotation so
that reading the file back gives the same network.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import libsbml

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import add_cvterms, taxon_of, xrefs_of
from hmlm_sb.io.sbml import HMLM_NS, SIds as _SIds, check_libsbml as _check, data_node as _data_node, hmlm_data, notes_text, read_sbml, sbo_of
from hmlm_sb.logic import And, Const, Expr, Literal, Not, Or, literals
from hmlm_sb.network import Network, Participant, Reaction, Species

_SIGN_IN = {libsbml.INPUT_SIGN_POSITIVE: 1, libsbml.INPUT_SIGN_NEGATIVE: -1}


def read_sbml_qual(path: str | Path, *, strict: bool = False, model_id: str | None = None,
                   organism: str | None = None) -> Network:
    """An SBML-qual file as a Network (the SBML reader reads core and qual alike)."""
    net = read_sbml(path, strict=strict, model_id=model_id, organism=organism)
    if net.model.format != "sbml-qual":
        net.warnings.append("no qualitative species: read as SBML core")
    return net


# ---- reading ------------------------------------------------------------------------------------------

def add_qual(model, net: Network, mid: str, path: Path, renames: dict[str, dict[str, str]]) -> bool:
    """Add the qual part of a libsbml model to ``net``; False when there is none.

    Original ids kept in our annotations are recorded in ``renames`` (kind -> sid -> id).
    """
    plugin = model.getPlugin("qual")
    if plugin is None or (plugin.getNumQualitativeSpecies() == 0 and plugin.getNumTransitions() == 0):
        return False
    for qs in plugin.getListOfQualitativeSpecies():
        sid = qs.getId()
        if sid in net.species:
            net.warnings.append(f"qualitative species {sid!r} has the id of a core species: skipped")
            continue
        net.species[sid] = _qual_species(qs, mid, renames["species"])
    max_levels = {sid: sp.max_level for sid, sp in net.species.items()}
    for i, tr in enumerate(plugin.getListOfTransitions()):
        rxn = _transition(tr, i, max_levels, mid, path)
        data = hmlm_data(tr)
        if data:
            refs = list(tr.getListOfInputs()) + list(tr.getListOfOutputs())
            apply_reaction_data(rxn, data, _data_notes(tr), [hmlm_data(ref) for ref in refs])
            if "id" in data:
                renames["reactions"][rxn.id] = data["id"]
        if rxn.id in net.reactions:
            raise InputError("duplicate transition id", file=str(path), element=f"transition {rxn.id}")
        net.reactions[rxn.id] = rxn
    raise_levels_to_results(net)
    return True


def _qual_species(qs, mid: str, renames: dict[str, str]) -> Species:
    sid = qs.getId()
    max_level = qs.getMaxLevel() if qs.isSetMaxLevel() else 1
    initial = float(qs.getInitialLevel()) if qs.isSetInitialLevel() else 0.0
    sp = Species(id=sid, name=qs.getName(), compartment=qs.getCompartment() or None, initial=initial,
                 max_level=max_level, constant=qs.getConstant(), sbo=sbo_of(qs), notes=notes_text(qs),
                 model=mid, xrefs=xrefs_of(qs))
    data = hmlm_data(qs)
    if data:
        apply_species_data(sp, data, _data_notes(qs), renames)
    return sp


def apply_species_data(sp: Species, data: dict[str, str], notes: str, renames: dict[str, str]) -> None:
    """Restore what our writer kept in a species' ``<hmlm:data>`` annotation."""
    for key in ("initial", "ymax", "tau"):
        if key in data:
            setattr(sp, key, float(data[key]))
    for key in ("kind", "gene", "sbo", "model"):
        if key in data:
            setattr(sp, key, data[key])
    sp.boundary = data.get("boundary") == "true"
    sp.notes = notes or sp.notes
    if data.get("id") and data["id"] != sp.id:
        renames[sp.id] = data["id"]


def _transition(tr, index: int, max_levels: dict[str, int], mid: str, path: Path) -> Reaction:
    tid = tr.getId() or f"tr{index + 1}"
    parts: list[Participant] = []
    thresholds: dict[str, tuple[str, int]] = {}
    for inp in tr.getListOfInputs():
        sign = _SIGN_IN.get(inp.getSign(), 0)
        threshold = inp.getThresholdLevel() if inp.isSetThresholdLevel() else None
        parts.append(Participant(inp.getQualitativeSpecies(), "input", sign, threshold=threshold, sbo=sbo_of(inp)))
        if inp.isSetId() and threshold is not None:
            thresholds[inp.getId()] = (inp.getQualitativeSpecies(), threshold)
    for out in tr.getListOfOutputs():
        parts.append(Participant(out.getQualitativeSpecies(), "output", 0, sbo=sbo_of(out)))
    rxn = Reaction(id=tid, kind="qual", participants=parts, name=tr.getName(), sbo=sbo_of(tr),
                   notes=notes_text(tr), model=mid)
    converter = _MathToExpr(max_levels, thresholds, path, tid)
    for term in tr.getListOfFunctionTerms():
        if term.isSetMath():
            rxn.function_terms.append((term.getResultLevel(), converter.convert(term.getMath())))
    default = tr.getListOfFunctionTerms().getDefaultTerm()
    if default is not None and default.isSetResultLevel():
        rxn.default_level = default.getResultLevel()
    return rxn


def apply_reaction_data(rxn: Reaction, data: dict[str, str], notes: str,
                        participant_data: list[dict[str, str] | None]) -> None:
    """Restore what our writer kept in a transition's and its inputs'/outputs' annotations."""
    rxn.kind = data.get("kind", rxn.kind)
    if "params" in data:
        rxn.params = {k: float(v) for k, v in json.loads(data["params"]).items()}
    if "references" in data:
        rxn.references = list(json.loads(data["references"]))
    for key in ("module", "sbo", "model", "kinetic_law"):
        if key in data:
            setattr(rxn, key, data[key])
    rxn.reversible = data.get("reversible") == "true"
    rxn.notes = notes or rxn.notes
    for part, pdata in zip(rxn.participants, participant_data):
        if pdata:
            part.role = pdata.get("role", part.role)
            part.sign = int(pdata.get("sign", part.sign))
            part.stoichiometry = float(pdata.get("stoichiometry", part.stoichiometry))
            part.sbo = pdata.get("sbo", part.sbo)


def _data_notes(sbase) -> str:
    ann = sbase.getAnnotation() if sbase.isSetAnnotation() else None
    if ann is None:
        return ""
    for i in range(ann.getNumChildren()):
        child = ann.getChild(i)
        if child.getURI() == HMLM_NS:
            for j in range(child.getNumChildren()):
                note = child.getChild(j)
                if note.getName() == "notes":
                    return "".join(note.getChild(k).getCharacters() for k in range(note.getNumChildren()))
    return ""


def raise_levels_to_results(net: Network) -> None:
    """A species whose max level is unset but is assigned higher levels gets those levels."""
    for rxn in net.reactions.values():
        top = max([lvl for lvl, _ in rxn.function_terms] + [rxn.default_level])
        for tgt in rxn.targets():
            sp = net.species.get(tgt.species)
            if sp is not None and top > sp.max_level:
                sp.max_level = top


class _MathToExpr:
    """SBML-qual MathML (libsbml AST) to a logic expression with >= thresholds."""

    def __init__(self, max_levels: dict[str, int], thresholds: dict[str, tuple[str, int]],
                 path: Path, tid: str):
        self.max_levels, self.thresholds, self.path, self.tid = max_levels, thresholds, path, tid

    def fail(self, message: str) -> InputError:
        return InputError(message, file=str(self.path), element=f"transition {self.tid}")

    def convert(self, node) -> Expr:
        L = libsbml

        t = node.getType()
        kids = [node.getChild(i) for i in range(node.getNumChildren())]
        if t == L.AST_LOGICAL_AND:
            return _flat(And, [self.convert(k) for k in kids])
        if t == L.AST_LOGICAL_OR:
            return _flat(Or, [self.convert(k) for k in kids])
        if t == L.AST_LOGICAL_NOT:
            if len(kids) != 1:
                raise self.fail("<not> needs one argument")
            return _negate(self.convert(kids[0]))
        if t == L.AST_LOGICAL_XOR:
            return _xor([self.convert(k) for k in kids])
        if t in (L.AST_CONSTANT_TRUE, L.AST_CONSTANT_FALSE):
            return Const(t == L.AST_CONSTANT_TRUE)
        if t == L.AST_NAME:
            species = node.getName().strip()
            self._known(species)
            return Literal(species, 1)
        if t in _RELATIONS:
            return self.relation(_RELATIONS[t], kids)
        raise self.fail(f"unsupported MathML in function term: {L.formulaToL3String(node)!r}")

    def _known(self, species: str) -> None:
        if species not in self.max_levels:
            raise self.fail(f"function term refers to unknown species {species!r}")

    def relation(self, op: str, kids) -> Expr:
        L = libsbml

        if len(kids) != 2:
            raise self.fail(f"<{op}> needs two arguments")
        left, right = kids
        if left.getType() != L.AST_NAME or left.getName().strip() in self.thresholds:
            left, right, op = right, left, _FLIP[op]
        if left.getType() != L.AST_NAME:
            raise self.fail(f"<{op}> compares no species")
        species = left.getName().strip()
        self._known(species)
        return level_relation(species, op, self.value(right), self.max_levels[species])

    def value(self, node) -> int:
        L = libsbml

        t = node.getType()
        if t == L.AST_INTEGER:
            return int(node.getValue())
        if t in (L.AST_REAL, L.AST_REAL_E, L.AST_RATIONAL):
            value = node.getValue()
            if math.isfinite(value) and value == int(value):
                return int(value)
        if t == L.AST_NAME and node.getName().strip() in self.thresholds:
            return self.thresholds[node.getName().strip()][1]
        if t == L.AST_MINUS and node.getNumChildren() == 1:
            return -self.value(node.getChild(0))
        raise self.fail(f"level must be an integer or an input id, not {L.formulaToL3String(node)!r}")


def _relations():
    L = libsbml

    return {L.AST_RELATIONAL_EQ: "eq", L.AST_RELATIONAL_NEQ: "neq", L.AST_RELATIONAL_GEQ: "geq",
            L.AST_RELATIONAL_GT: "gt", L.AST_RELATIONAL_LEQ: "leq", L.AST_RELATIONAL_LT: "lt"}


_RELATIONS = _relations()
_FLIP = {"eq": "eq", "neq": "neq", "geq": "leq", "leq": "geq", "gt": "lt", "lt": "gt"}


def level_relation(species: str, op: str, k: int, max_level: int) -> Expr:
    """``species op k`` as >= literals, given the species' maximum level."""
    if op == "gt":
        return level_relation(species, "geq", k + 1, max_level)
    if op == "lt":
        return _negate(level_relation(species, "geq", k, max_level))
    if op == "leq":
        return _negate(level_relation(species, "geq", k + 1, max_level))
    if op == "neq":
        return _negate(level_relation(species, "eq", k, max_level))
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
        return _negate(above)
    return And((at_least, Not(above)))


def _negate(expr: Expr) -> Expr:
    if isinstance(expr, Const):
        return Const(not expr.value)
    if isinstance(expr, Not):
        return expr.term
    return Not(expr)


def _flat(kind, terms: list[Expr]) -> Expr:
    flat: list[Expr] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, kind) else (term,))
    if not flat:
        return Const(kind is And)
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _xor(terms: list[Expr]) -> Expr:
    if not terms:
        return Const(False)
    acc = terms[0]
    for term in terms[1:]:
        acc = _flat(Or, [_flat(And, [acc, _negate(term)]), _flat(And, [_negate(acc), term])])
    return acc


# ---- writing -----------------------------------------------------------------------------------------------

PLACEHOLDER_COMPARTMENT = "default_compartment"


def write_sbml_qual(network: Network, path: str | Path) -> Path:
    """Write ``network`` as SBML L3V1 qual + groups; returns the path written."""
    ns = libsbml.SBMLNamespaces(3, 1, "qual", 1)
    ns.addPackageNamespace("groups", 1)
    doc = libsbml.SBMLDocument(ns)
    doc.setPackageRequired("qual", True)
    doc.setPackageRequired("groups", False)
    model = doc.createModel()
    ids = _SIds()
    _write_model_info(model, network, ids)
    comp_ids = _write_compartments(model, network, ids)
    qual = model.getPlugin("qual")
    species_ids = {sid: ids.make(sid) for sid in network.species}
    for sid, sp in network.species.items():
        _write_species(qual, sp, species_ids[sid], comp_ids)
    for rxn in network.reactions.values():
        _write_transition(qual, rxn, ids, species_ids)
    groups = model.getPlugin("groups")
    for pw in network.pathways.values():
        _write_group(groups, pw, ids, species_ids)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not libsbml.writeSBMLToFile(doc, str(path)):
        raise OSError(f"libsbml could not write {path}")
    return path


def _write_model_info(model, network: Network, ids: _SIds) -> None:
    if len(network.models) == 1:
        info = network.model
        model.setId(ids.make(info.id))
        if info.name:
            model.setName(info.name)
        model.setMetaId("meta_model")
        model.appendAnnotation(_data_node({"id": info.id, "name": info.name, "citation": info.citation,
                                           "organism": info.organism, "format": info.format}))
        xrefs = list(info.xrefs)
        if info.organism.startswith("taxonomy:") and not taxon_of(xrefs):
            from hmlm_sb.network import Xref

            xrefs.append(Xref(info.organism, "hasTaxon"))
        add_cvterms(model, xrefs)
    else:
        name = network.cell.name if network.cell else "network"
        model.setId(ids.make(name))
        model.appendAnnotation(_data_node({"models": " ".join(m.id for m in network.models)}))


def _write_compartments(model, network: Network, ids: _SIds) -> dict[str | None, str]:
    comp_ids: dict[str | None, str] = {}
    for cid, comp in network.compartments.items():
        c = model.createCompartment()
        comp_ids[cid] = ids.make(cid)
        c.setId(comp_ids[cid])
        c.setConstant(True)
        if comp.name:
            c.setName(comp.name)
        if comp.size is not None:
            c.setSize(comp.size)
        if cid != comp_ids[cid]:
            c.appendAnnotation(_data_node({"id": cid}))
        if comp.xrefs:
            c.setMetaId(f"meta_{comp_ids[cid]}")
            add_cvterms(c, comp.xrefs)
    if any(sp.compartment not in comp_ids for sp in network.species.values()):
        c = model.createCompartment()
        comp_ids[None] = ids.make(PLACEHOLDER_COMPARTMENT)
        c.setId(comp_ids[None])
        c.setConstant(True)
        c.appendAnnotation(_data_node({"placeholder": "true"}))
    return comp_ids


def _write_species(qual, sp: Species, sid: str, comp_ids: dict[str | None, str]) -> None:
    qs = qual.createQualitativeSpecies()
    qs.setId(sid)
    if sp.name:
        qs.setName(sp.name)
    qs.setCompartment(comp_ids.get(sp.compartment, comp_ids.get(None, "")))
    qs.setConstant(bool(sp.constant))
    qs.setMaxLevel(int(sp.max_level))
    if float(sp.initial).is_integer() and 0 <= sp.initial <= sp.max_level:
        qs.setInitialLevel(int(sp.initial))
    if sp.sbo and libsbml_sbo_ok(sp.sbo):
        qs.setSBOTerm(sp.sbo)
    qs.appendAnnotation(_data_node(
        {"id": sp.id, "initial": repr(float(sp.initial)), "ymax": repr(float(sp.ymax)),
         "tau": repr(float(sp.tau)), "kind": sp.kind, "gene": sp.gene, "sbo": sp.sbo or "",
         "model": sp.model, "boundary": "true" if sp.boundary else "false"}, sp.notes))
    if sp.xrefs:
        qs.setMetaId(f"meta_{sid}")
        add_cvterms(qs, sp.xrefs)


def libsbml_sbo_ok(sbo: str) -> bool:
    return bool(re.match(r"^SBO:\d{7}$", sbo))


def _write_transition(qual, rxn: Reaction, ids: _SIds, species_ids: dict[str, str]) -> None:
    tr = qual.createTransition()
    tid = ids.make(rxn.id)
    tr.setId(tid)
    if rxn.name:
        tr.setName(rxn.name)
    rule_signs = _rule_signs(rxn)
    for k, part in enumerate(rxn.sources()):
        inp = tr.createInput()
        inp.setId(ids.make(f"{tid}_in{k}"))
        inp.setQualitativeSpecies(species_ids[part.species])
        inp.setTransitionEffect(libsbml.INPUT_TRANSITION_EFFECT_NONE)
        inp.setSign(_sign_out(part.sign, rule_signs.get(part.species)))
        if part.threshold is not None:
            inp.setThresholdLevel(int(part.threshold))
        inp.appendAnnotation(_participant_data(part))
    for k, part in enumerate(rxn.targets()):
        out = tr.createOutput()
        out.setId(ids.make(f"{tid}_out{k}"))
        out.setQualitativeSpecies(species_ids[part.species])
        out.setTransitionEffect(libsbml.OUTPUT_TRANSITION_EFFECT_ASSIGNMENT_LEVEL)
        out.appendAnnotation(_participant_data(part))
    default = tr.createDefaultTerm()
    default.setResultLevel(int(rxn.default_level))
    for level, expr in rxn.function_terms:
        term = tr.createFunctionTerm()
        term.setResultLevel(int(level))
        math = libsbml.readMathMLFromString(
            f'<math xmlns="http://www.w3.org/1998/Math/MathML">{_mathml(expr, species_ids)}</math>')
        _check(term.setMath(math), f"the rule of {rxn.id}")
    tr.appendAnnotation(_data_node(
        {"id": rxn.id, "kind": rxn.kind, "params": json.dumps(rxn.params) if rxn.params else "",
         "module": rxn.module, "sbo": rxn.sbo or "", "model": rxn.model,
         "reversible": "true" if rxn.reversible else "false", "kinetic_law": rxn.kinetic_law or "",
         "references": json.dumps(rxn.references) if rxn.references else ""}, rxn.notes))


def _participant_data(part: Participant):
    return _data_node({"role": part.role, "sign": str(int(part.sign)),
                       "stoichiometry": repr(float(part.stoichiometry)), "sbo": part.sbo or ""})


def _rule_signs(rxn: Reaction) -> dict[str, int]:
    signs: dict[str, int] = {}
    for _, expr in rxn.function_terms:
        for lit, negated in literals(expr):
            sign = -1 if negated else 1
            signs[lit.species] = sign if signs.get(lit.species, sign) == sign else 0
    return signs


def _sign_out(sign: int, rule_sign: int | None) -> int:
    if sign > 0:
        return libsbml.INPUT_SIGN_POSITIVE
    if sign < 0:
        return libsbml.INPUT_SIGN_NEGATIVE
    return libsbml.INPUT_SIGN_DUAL if rule_sign == 0 else libsbml.INPUT_SIGN_UNKNOWN


def _mathml(expr: Expr, species_ids: dict[str, str]) -> str:
    if isinstance(expr, Const):
        return "<true/>" if expr.value else "<false/>"
    if isinstance(expr, Literal):
        return (f"<apply><geq/><ci>{species_ids[expr.species]}</ci>"
                f'<cn type="integer">{int(expr.threshold)}</cn></apply>')
    if isinstance(expr, Not):
        return f"<apply><not/>{_mathml(expr.term, species_ids)}</apply>"
    if isinstance(expr, (And, Or)):
        if len(expr.terms) == 1:
            return _mathml(expr.terms[0], species_ids)
        op = "and" if isinstance(expr, And) else "or"
        return f"<apply><{op}/>{''.join(_mathml(t, species_ids) for t in expr.terms)}</apply>"
    raise TypeError(f"not a logic expression: {expr!r}")


def _write_group(groups, pw, ids: _SIds, species_ids: dict[str, str]) -> None:
    group = groups.createGroup()
    gid = ids.make(pw.id)
    group.setId(gid)
    group.setKind(libsbml.GROUP_KIND_COLLECTION)
    if pw.name:
        group.setName(pw.name)
    if pw.sbo and libsbml_sbo_ok(pw.sbo):
        group.setSBOTerm(pw.sbo)
    for sid in pw.members:
        group.createMember().setIdRef(species_ids[sid])
    group.appendAnnotation(_data_node({"id": pw.id, "model": pw.model}))
    if pw.xrefs:
        group.setMetaId(f"meta_{gid}")
        add_cvterms(group, pw.xrefs)
