"""SBML-qual: the reading entry point and the writer.

Reading is :func:`hmlm_sb.io.sbml.read_sbml` (one reader for core and qual; the qual
part is :mod:`hmlm_sb.io.sbml_qual_reader`, the rules :mod:`hmlm_sb.io.sbml_rules`).

Writing (:func:`write_sbml_qual`): SBML L3V1 with qual and groups (one group per
pathway). What SBML-qual has no place for (Netflux parameters, y0 / ymax / tau, original
ids that are not SIds, participant roles) goes into an ``<hmlm:data>`` annotation so
that reading the file back gives the same network.
"""
from __future__ import annotations

import json
from pathlib import Path

import libsbml

from hmlm_sb.io.annotations import add_cvterms, taxon_of
from hmlm_sb.io.sbml import read_sbml
from hmlm_sb.io.sbml_common import SIds as _SIds, check_libsbml as _check, data_node as _data_node, sbo_ok
from hmlm_sb.io.sbml_network import apply_reaction_data, apply_species_data, raise_levels_to_results
from hmlm_sb.io.sbml_qual_reader import add_qual
from hmlm_sb.io.sbml_rules import level_relation
from hmlm_sb.logic import And, Const, Expr, Literal, Not, Or, literals
from hmlm_sb.network import Network, Participant, Reaction, Species, Xref

# kept importable from here (other rooms and tests did)
__all__ = ["read_sbml_qual", "write_sbml_qual", "add_qual", "apply_reaction_data", "apply_species_data",
           "level_relation", "raise_levels_to_results", "libsbml_sbo_ok", "PLACEHOLDER_COMPARTMENT"]
libsbml_sbo_ok = sbo_ok


def read_sbml_qual(path: str | Path, *, strict: bool = False, model_id: str | None = None,
                   organism: str | None = None) -> Network:
    """An SBML-qual file as a Network (the SBML reader reads core and qual alike)."""
    net = read_sbml(path, strict=strict, model_id=model_id, organism=organism)
    if net.model.format != "sbml-qual":
        net.warnings.append("no qualitative species: read as SBML core")
    return net


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
    if sp.sbo and sbo_ok(sp.sbo):
        qs.setSBOTerm(sp.sbo)
    qs.appendAnnotation(_data_node(
        {"id": sp.id, "initial": repr(float(sp.initial)), "ymax": repr(float(sp.ymax)),
         "tau": repr(float(sp.tau)), "kind": sp.kind, "gene": sp.gene, "sbo": sp.sbo or "",
         "model": sp.model, "boundary": "true" if sp.boundary else "false"}, sp.notes))
    if sp.xrefs:
        qs.setMetaId(f"meta_{sid}")
        add_cvterms(qs, sp.xrefs)


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
    if pw.sbo and sbo_ok(pw.sbo):
        group.setSBOTerm(pw.sbo)
    for sid in pw.members:
        group.createMember().setIdRef(species_ids[sid])
    group.appendAnnotation(_data_node({"id": pw.id, "model": pw.model}))
    if pw.xrefs:
        group.setMetaId(f"meta_{gid}")
        add_cvterms(group, pw.xrefs)
