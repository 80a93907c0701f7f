"""SBML-qual through libsbml: qualitative species and transitions.

A transition becomes ``Reaction(kind="qual")`` with ``input`` participants (sign from
``qual:sign``: positive +1, negative -1, dual / unknown 0; threshold from
``qual:thresholdLevel``) and ``output`` participants. Each function term becomes
``(result_level, rule)`` (:mod:`hmlm_sb.io.sbml_rules`).
"""
from __future__ import annotations

from pathlib import Path

import libsbml

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import xrefs_of
from hmlm_sb.io.sbml_common import hmlm_data, hmlm_notes, notes_text, sbo_of
from hmlm_sb.io.sbml_network import (Renames, add_qual_species, add_transition, apply_reaction_data,
                                     apply_species_data, raise_levels_to_results)
from hmlm_sb.io.sbml_rules import LibsbmlMath, RuleBuilder
from hmlm_sb.network import Network, Participant, Reaction, Species

_SIGN_IN = {libsbml.INPUT_SIGN_POSITIVE: 1, libsbml.INPUT_SIGN_NEGATIVE: -1}


def add_qual(model, net: Network, mid: str, path: Path, renames: Renames) -> bool:
    """Add the qual part of a libsbml model to ``net``; False when there is none.

    Original ids kept in our annotations are recorded in ``renames`` (kind -> sid -> id).
    """
    plugin = model.getPlugin("qual")
    if plugin is None or (plugin.getNumQualitativeSpecies() == 0 and plugin.getNumTransitions() == 0):
        return False
    qual_ids: set[str] = set()
    for qs in plugin.getListOfQualitativeSpecies():
        add_qual_species(net, _qual_species(qs, mid, renames["species"]), qual_ids, path)
    max_levels = {sid: sp.max_level for sid, sp in net.species.items()}
    view = LibsbmlMath()
    for i, tr in enumerate(plugin.getListOfTransitions()):
        rxn = _transition(tr, i, max_levels, mid, path, view)
        data = hmlm_data(tr)
        if data:
            refs = list(tr.getListOfInputs()) + list(tr.getListOfOutputs())
            apply_reaction_data(rxn, data, hmlm_notes(tr), [hmlm_data(ref) for ref in refs])
            if "id" in data:
                renames["reactions"][rxn.id] = data["id"]
        add_transition(net, rxn, path)
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
        apply_species_data(sp, data, hmlm_notes(qs), renames)
    return sp


def _transition(tr, index: int, max_levels: dict[str, int], mid: str, path: Path, view: LibsbmlMath) -> Reaction:
    tid = tr.getId() or f"tr{index + 1}"
    parts: list[Participant] = []
    thresholds: dict[str, int] = {}
    for inp in tr.getListOfInputs():
        sign = _SIGN_IN.get(inp.getSign(), 0)
        threshold = inp.getThresholdLevel() if inp.isSetThresholdLevel() else None
        parts.append(Participant(inp.getQualitativeSpecies(), "input", sign, threshold=threshold, sbo=sbo_of(inp)))
        if inp.isSetId() and threshold is not None:
            thresholds[inp.getId()] = threshold
    for out in tr.getListOfOutputs():
        parts.append(Participant(out.getQualitativeSpecies(), "output", 0, sbo=sbo_of(out)))
    rxn = Reaction(id=tid, kind="qual", participants=parts, name=tr.getName(), sbo=sbo_of(tr),
                   notes=notes_text(tr), model=mid)
    rules = RuleBuilder(view, max_levels, thresholds,
                        lambda message: InputError(message, file=str(path), element=f"transition {tid}"))
    for term in tr.getListOfFunctionTerms():
        if term.isSetMath():
            rxn.function_terms.append((term.getResultLevel(), rules.convert(term.getMath())))
    default = tr.getListOfFunctionTerms().getDefaultTerm()
    if default is not None and default.isSetResultLevel():
        rxn.default_level = default.getResultLevel()
    return rxn
