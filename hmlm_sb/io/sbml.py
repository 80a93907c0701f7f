"""SBML (core, qual and groups, Levels 1 to 3) into a :class:`Network`; SBML core written.

:func:`read_sbml` is the SBML entry point. Every file first passes the XML guard
(:mod:`hmlm_sb.io.xml_guard`); then libsbml reads it (:mod:`hmlm_sb.io.sbml_core_reader`,
:mod:`hmlm_sb.io.sbml_qual_reader` and :mod:`hmlm_sb.io.sbml_groups_reader` walk its
objects), or, above 16 MB, the streaming reader (:mod:`hmlm_sb.io.sbml_stream`). Both
build the network through :mod:`hmlm_sb.io.sbml_network` and :mod:`hmlm_sb.io.sbml_rules`.

Rooms, each importing only those below it::

    sbml_qual (read_sbml_qual, write_sbml_qual)
    sbml (read_sbml, write_sbml)
    sbml_core_reader, sbml_qual_reader, sbml_groups_reader   sbml_stream
    sbml_common (libsbml helpers)
    sbml_network, sbml_rules, annotations, checks, xml_guard, limits
"""
from __future__ import annotations

from pathlib import Path

import libsbml

from hmlm_sb.io.annotations import add_cvterms
from hmlm_sb.io.checks import check_network
from hmlm_sb.io.sbml_common import (BROKEN_XML_ERRORS, SIds, check_libsbml, data_node, hmlm_data, notes_text,
                                    read_document, sbo_of, sbo_ok, summarise_errors)
from hmlm_sb.io.sbml_core_reader import read_compartments, read_model_info, read_reactions, read_species
from hmlm_sb.io.sbml_groups_reader import read_groups
from hmlm_sb.io.sbml_network import (HMLM_NS, INHIBITOR_SBO, SPECIES_KIND_SBO, STIMULATOR_SBO, MemberResolver,
                                     drop_placeholder_compartments, finish_network, modifier_sign, new_renames,
                                     restore_ids)
from hmlm_sb.io.sbml_qual_reader import add_qual
from hmlm_sb.io.xml_guard import check_xml_file
from hmlm_sb.network import Network, Reaction

STREAM_ABOVE_BYTES = 16 << 20  # larger files are read by the streaming reader (libsbml's tree is too big)


def read_sbml(path: str | Path, *, strict: bool = False, model_id: str | None = None,
              organism: str | None = None, engine: str = "auto") -> Network:
    """An SBML file (core, qual, or both) as a single-model Network.

    ``engine``: ``libsbml`` (validates, summarises libsbml's complaints in warnings),
    ``stream`` (:mod:`hmlm_sb.io.sbml_stream`: same network, a fraction of the time and
    memory, no validation) or ``auto`` (stream above 16 MB unless ``strict``).
    """
    path = Path(path)
    if engine not in ("auto", "libsbml", "stream"):
        raise ValueError(f"unknown SBML engine {engine!r}")
    big = path.is_file() and path.stat().st_size > STREAM_ABOVE_BYTES
    checked = check_xml_file(path) if path.is_file() else None
    if engine == "stream" or (engine == "auto" and big and not strict):
        from hmlm_sb.io.sbml_stream import NotStreamable, read_sbml_stream

        try:
            return read_sbml_stream(path, model_id=model_id, organism=organism, checked=checked)
        except NotStreamable:
            pass
    doc, warnings = read_document(path, strict=strict, checked=checked)
    model = doc.getModel()
    net = Network(warnings=list(warnings))
    info = read_model_info(doc, model, path, model_id, checked.sha256)
    net.models.append(info)
    renames = new_renames()
    placeholders = read_compartments(model, net, renames)
    read_species(model, net, info.id)
    read_reactions(model, net, info.id, path)
    has_qual = add_qual(model, net, info.id, path, renames)
    info.format = "sbml-qual" if has_qual else "sbml"
    read_groups(model, net, info.id, path, renames)
    drop_placeholder_compartments(net, placeholders)
    return finish_network(net, renames, organism, path)


# ---- writing (structure only; `hmlm export sbml --ode netflux` writes the ODE) ---------------------

def write_sbml(network: Network, path: str | Path) -> Path:
    """SBML core L3V2 structure: compartments, species, reactions with reactants, products
    and modifiers (SBO inhibitor / stimulator from the sign), kinetic laws where the
    formula only names species and compartments, MIRIAM annotations. Logic rules and
    Netflux parameters are not SBML core: use write_sbml_qual or write_sbml_ode for them."""
    ns = libsbml.SBMLNamespaces(3, 2, "groups", 1)
    doc = libsbml.SBMLDocument(ns)
    doc.setPackageRequired("groups", False)
    model = doc.createModel()
    ids = SIds()
    model.setId(ids.make(network.models[0].id if len(network.models) == 1 else "network"))
    comp_ids = {cid: ids.make(cid) for cid in network.compartments}
    for cid, comp in network.compartments.items():
        c = model.createCompartment()
        c.setId(comp_ids[cid])
        c.setConstant(True)
        c.setSize(comp.size if comp.size is not None else 1.0)
        if comp.name:
            c.setName(comp.name)
    if any(sp.compartment not in comp_ids for sp in network.species.values()):
        c = model.createCompartment()
        comp_ids[None] = ids.make("default_compartment")
        c.setId(comp_ids[None])
        c.setConstant(True)
        c.setSize(1.0)
        c.appendAnnotation(data_node({"placeholder": "true"}))
    species_ids = {sid: ids.make(sid) for sid in network.species}
    for sid, sp in network.species.items():
        s = model.createSpecies()
        s.setId(species_ids[sid])
        s.setName(sp.name or sid)
        s.setCompartment(comp_ids.get(sp.compartment, comp_ids.get(None, "")))
        s.setInitialConcentration(float(sp.initial))
        s.setHasOnlySubstanceUnits(False)
        s.setBoundaryCondition(bool(sp.boundary))
        s.setConstant(bool(sp.constant))
        if sp.sbo and sbo_ok(sp.sbo):
            s.setSBOTerm(sp.sbo)
        if sp.xrefs:
            s.setMetaId(f"meta_{species_ids[sid]}")
            add_cvterms(s, sp.xrefs)
    known = set(species_ids.values()) | set(comp_ids.values())
    signs = {(g.reaction, g.source): g.sign for g in network.regulations()}
    for rxn in network.reactions.values():
        _write_core_reaction(model, rxn, ids, species_ids, known, signs)
    groups = model.getPlugin("groups")
    for pw in network.pathways.values():
        group = groups.createGroup()
        group.setId(ids.make(pw.id))
        group.setKind(libsbml.GROUP_KIND_COLLECTION)
        group.setName(pw.name or pw.id)
        for sid in pw.members:
            group.createMember().setIdRef(species_ids[sid])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not libsbml.writeSBMLToFile(doc, str(path)):
        raise OSError(f"libsbml could not write {path}")
    return path


def _write_core_reaction(model, rxn: Reaction, ids: SIds, species_ids: dict[str, str], known: set[str],
                         signs: dict[tuple[str, str], int]) -> None:
    r = model.createReaction()
    r.setId(ids.make(rxn.id))
    r.setReversible(bool(rxn.reversible))
    if rxn.name:
        r.setName(rxn.name)
    for p in rxn.participants:
        sid = species_ids[p.species]
        if p.role == "reactant":
            ref = r.createReactant()
        elif p.role in ("product", "output"):
            ref = r.createProduct()
        else:
            ref = r.createModifier()
            ref.setSpecies(sid)
            sign = p.sign or signs.get((rxn.id, p.species), 0)
            sbo = p.sbo if p.role == "modifier" and p.sbo else {1: "SBO:0000459", -1: "SBO:0000020"}.get(sign)
            if sbo:
                ref.setSBOTerm(sbo)
            continue
        ref.setSpecies(sid)
        ref.setStoichiometry(float(p.stoichiometry))
        ref.setConstant(True)
    if rxn.kinetic_law:
        math = libsbml.parseL3Formula(rxn.kinetic_law)
        names = _names_in(math) if math is not None else None
        if names is not None and names <= known:
            r.createKineticLaw().setMath(math)


def _names_in(node) -> set[str]:
    names = {node.getName()} if node.getType() == libsbml.AST_NAME else set()
    for i in range(node.getNumChildren()):
        names |= _names_in(node.getChild(i))
    return names


# names other rooms imported from here before the SBML rooms were split (kept working)
__all__ = ["read_sbml", "write_sbml", "STREAM_ABOVE_BYTES", "BROKEN_XML_ERRORS", "HMLM_NS", "INHIBITOR_SBO",
           "STIMULATOR_SBO", "SPECIES_KIND_SBO", "MemberResolver", "SIds", "check_libsbml", "check_network",
           "data_node", "hmlm_data", "modifier_sign", "notes_text", "read_document", "restore_ids", "sbo_of",
           "summarise_errors"]

