"""SBML core through libsbml: the model's provenance, compartments, species, reactions.

Reactions become ``Reaction(kind="sbml")``: reactants (sign +1), products, modifiers
(sign from the SBO term: inhibitor family -1, stimulator / catalyst / activator family
+1, else 0 unknown). The kinetic law is kept as an SBML L3 formula string.
"""
from __future__ import annotations

import math
from pathlib import Path

import libsbml

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import xrefs_of
from hmlm_sb.io.sbml_common import hmlm_data, notes_text, sbo_of
from hmlm_sb.io.sbml_network import SPECIES_KIND_SBO, Renames, model_info, modifier_sign
from hmlm_sb.network import Compartment, ModelInfo, Network, Participant, Reaction, Species


def read_model_info(doc, model, path: Path, model_id: str | None, sha256: str) -> ModelInfo:
    return model_info(given_id=model_id, file_id=model.getId(), name=model.getName(), data=hmlm_data(model) or {},
                      xrefs=xrefs_of(model), path=path, sha256=sha256, level=doc.getLevel(),
                      version=doc.getVersion())


def read_compartments(model, net: Network, renames: Renames) -> list[str]:
    """Adds the compartments; returns the ids of placeholders our writer invented."""
    placeholders = []
    for comp in model.getListOfCompartments():
        data = hmlm_data(comp) or {}
        if data.get("placeholder") == "true":
            placeholders.append(comp.getId())
        elif data.get("id"):
            renames["compartments"][comp.getId()] = data["id"]
        size = comp.getSize() if comp.isSetSize() else None
        net.compartments[comp.getId()] = Compartment(
            comp.getId(), comp.getName(), None if size is None or math.isnan(size) else size, xrefs_of(comp))
    return placeholders


def read_species(model, net: Network, mid: str) -> None:
    get_species = model.getSpecies
    for i in range(model.getNumSpecies()):
        sp = get_species(i)
        sbo = sbo_of(sp)
        if sp.isSetInitialAmount():
            initial = sp.getInitialAmount()
        elif sp.isSetInitialConcentration():
            initial = sp.getInitialConcentration()
        else:
            initial = 0.0
        sid = sp.getId()
        net.species[sid] = Species(
            id=sid, name=sp.getName(), kind=SPECIES_KIND_SBO.get(sbo, ""),
            compartment=sp.getCompartment() or None, initial=0.0 if math.isnan(initial) else initial,
            constant=sp.getConstant(), boundary=sp.getBoundaryCondition(), sbo=sbo,
            notes=notes_text(sp), model=mid, xrefs=xrefs_of(sp))


def read_reactions(model, net: Network, mid: str, path: Path) -> None:
    # index-based getters bound once: libsbml's ListOf iteration costs twice as much per
    # element, and these calls are most of the reader's time on a BioModels file
    get_reaction, to_formula = model.getReaction, libsbml.formulaToL3String
    for i in range(model.getNumReactions()):
        rxn = get_reaction(i)
        get = rxn.getReactant
        parts = [_participant(get(j), "reactant", 1) for j in range(rxn.getNumReactants())]
        get = rxn.getProduct
        parts += [_participant(get(j), "product", 0) for j in range(rxn.getNumProducts())]
        get = rxn.getModifier
        parts += [_modifier(get(j)) for j in range(rxn.getNumModifiers())]
        law = rxn.getKineticLaw()
        formula = to_formula(law.getMath()) if law is not None and law.isSetMath() else None
        rid = rxn.getId()
        if not rid:
            raise InputError("reaction without an id", file=str(path), element="reaction")
        net.reactions[rid] = Reaction(
            id=rid, kind="sbml", participants=parts, kinetic_law=formula, name=rxn.getName(),
            sbo=sbo_of(rxn), reversible=rxn.getReversible(), notes=notes_text(rxn), model=mid)


def _participant(ref, role: str, sign: int) -> Participant:
    return Participant(ref.getSpecies(), role, sign, _stoichiometry(ref), sbo=sbo_of(ref))


def _modifier(ref) -> Participant:
    sbo = sbo_of(ref)
    return Participant(ref.getSpecies(), "modifier", modifier_sign(sbo), sbo=sbo)


def _stoichiometry(ref) -> float:
    value = ref.getStoichiometry()
    return 1.0 if value is None or math.isnan(value) else float(value)
