"""What both SBML readers (libsbml and streaming) do alike once an element is read.

No parser here: the SBO tables, the model's provenance, our ``<hmlm:data>`` annotations
restored, duplicate ids, group members expanded to species, placeholder compartments
dropped and the final checks. :mod:`hmlm_sb.io.sbml` (libsbml) and
:mod:`hmlm_sb.io.sbml_stream` (expat) both build their network through these.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import taxon_of
from hmlm_sb.io.checks import check_network
from hmlm_sb.io.limits import check_id
from hmlm_sb.logic import rename
from hmlm_sb.network import ModelInfo, Network, Reaction, Species, Xref

HMLM_NS = "https://hmlm-sb.org/ns/sbml/1"  # our own annotations (written by write_sbml_qual)

# SBO terms (Systems Biology Ontology) of modifiers, with their descendants.
INHIBITOR_SBO = {"SBO:0000020", "SBO:0000206", "SBO:0000207", "SBO:0000536", "SBO:0000537",
                 "SBO:0000638", "SBO:0000639", "SBO:0000640", "SBO:0000169", "SBO:0000407"}
STIMULATOR_SBO = {"SBO:0000459", "SBO:0000013", "SBO:0000460", "SBO:0000461", "SBO:0000462",
                  "SBO:0000533", "SBO:0000534", "SBO:0000535", "SBO:0000021", "SBO:0000636",
                  "SBO:0000637", "SBO:0000170", "SBO:0000171", "SBO:0000172", "SBO:0000411",
                  "SBO:0000656"}
SPECIES_KIND_SBO = {"SBO:0000252": "protein", "SBO:0000245": "macromolecule", "SBO:0000247": "small molecule",
                    "SBO:0000327": "small molecule", "SBO:0000253": "complex", "SBO:0000296": "complex",
                    "SBO:0000278": "mRNA", "SBO:0000250": "RNA", "SBO:0000251": "DNA", "SBO:0000354": "gene",
                    "SBO:0000243": "gene", "SBO:0000375": "process", "SBO:0000358": "phenotype",
                    "SBO:0000291": "empty set", "SBO:0000240": "material entity"}

Renames = dict[str, dict[str, str]]  # kind -> SBML id -> original id kept in our annotation


def modifier_sign(sbo: str | None) -> int:
    if sbo in INHIBITOR_SBO:
        return -1
    if sbo in STIMULATOR_SBO:
        return 1
    return 0


def new_renames() -> Renames:
    return {"species": {}, "reactions": {}, "pathways": {}, "compartments": {}}


def model_info(*, given_id: str | None, file_id: str, name: str, data: dict[str, str], xrefs: list[Xref],
               path: Path, sha256: str, level: int, version: int) -> ModelInfo:
    """The model's provenance; ``given_id`` (--model-id) wins over the file's own id."""
    mid = (given_id or file_id or path.stem).replace("/", "_")
    check_id(mid, "model id", file=str(path), element="model")
    citation = data.get("citation") or next(
        (x.resource for x in xrefs if x.qualifier == "model:isDescribedBy"), "")
    return ModelInfo(id=mid, name=data.get("name") or name, source_file=str(path), sha256=sha256,
                     organism=data.get("organism") or taxon_of(xrefs), citation=citation,
                     sbml_level=level, sbml_version=version, xrefs=xrefs)


# ---- qualitative species and transitions ------------------------------------------------------

def add_qual_species(net: Network, sp: Species, qual_ids: set[str], path: Path) -> None:
    """A qualitative species, unless a core species has its id (SBML ids are model-wide).

    ``qual_ids``: the qualitative species read so far (two of them with one id is an error)."""
    if sp.id in qual_ids:
        raise InputError(f"duplicate qualitative species id {sp.id!r}: two <qualitativeSpecies> have it",
                         file=str(path), element=f"qualitativeSpecies {sp.id}")
    qual_ids.add(sp.id)
    if sp.id in net.species:
        net.warnings.append(f"qualitative species {sp.id!r} has the id of a core species: "
                            "the core species is kept, the qualitative one skipped")
        return
    net.species[sp.id] = sp


def add_transition(net: Network, rxn: Reaction, path: Path) -> None:
    if rxn.id in net.reactions:
        raise InputError("duplicate transition id", file=str(path), element=f"transition {rxn.id}")
    net.reactions[rxn.id] = rxn


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


def raise_levels_to_results(net: Network) -> None:
    """A species whose max level is unset but is assigned higher levels gets those levels."""
    for rxn in net.reactions.values():
        top = max([lvl for lvl, _ in rxn.function_terms] + [rxn.default_level])
        for tgt in rxn.targets():
            sp = net.species.get(tgt.species)
            if sp is not None and top > sp.max_level:
                sp.max_level = top


# ---- groups ----------------------------------------------------------------------------------------

class MemberResolver:
    """Expands group members (species, groups, reactions, transitions, compartments) to species.

    ``groups``: group id -> member ids; ``is_other``: whether an id names another kind of
    element (a parameter, a rule...) that has no species to contribute."""

    def __init__(self, net: Network, groups: dict[str, list[str | None]], path: Path,
                 is_other: Callable[[str], bool] = lambda ref: False):
        self.net, self.groups, self.path, self.is_other = net, groups, path, is_other
        self.cache: dict[str, list[str]] = {}

    def species_of_group(self, gid: str, stack: tuple[str, ...] = ()) -> list[str]:
        if gid in self.cache:
            return self.cache[gid]
        if gid in stack:
            raise InputError(f"groups contain each other ({' > '.join(stack + (gid,))})",
                             file=str(self.path), element=f"group {gid}")
        out: dict[str, None] = {}
        for ref in self.groups[gid]:
            for sid in self._expand(ref, gid, stack + (gid,)):
                out.setdefault(sid, None)
        self.cache[gid] = list(out)
        return self.cache[gid]

    def _expand(self, ref: str | None, gid: str, stack: tuple[str, ...]) -> list[str]:
        net = self.net
        if ref is None:
            return []
        if ref in net.species:
            return [ref]
        if ref in self.groups:
            return self.species_of_group(ref, stack)
        if ref in net.reactions:
            return [p.species for p in net.reactions[ref].participants]
        if ref in net.compartments:
            return [sid for sid, sp in net.species.items() if sp.compartment == ref]
        if self.is_other(ref):
            return []
        raise InputError(f"member refers to unknown element {ref!r}", file=str(self.path),
                         element=f"group {gid}")


# ---- the end of a read ---------------------------------------------------------------------------------

def drop_placeholder_compartments(net: Network, placeholders: list[str]) -> None:
    """A compartment our writer had to invent (qual requires one) is not part of the model."""
    for cid in placeholders:
        net.compartments.pop(cid, None)
        for sp in net.species.values():
            if sp.compartment == cid:
                sp.compartment = None


def finish_network(net: Network, renames: Renames, organism: str | None, path: Path) -> Network:
    """Organism, original ids restored, every id, name and reference checked."""
    info = net.model
    info.organism = organism or info.organism or species_taxon(net)
    if any(renames.values()):
        net = restore_ids(net, renames)
    check_network(net, path)
    return net


def species_taxon(net: Network) -> str:
    taxa = Counter(x.resource for sp in net.species.values() for x in sp.xrefs if x.qualifier == "hasTaxon")
    return taxa.most_common(1)[0][0] if taxa else ""


def restore_ids(net: Network, renames: Renames) -> Network:
    """The network with the original ids our writer kept in annotations (SIds replaced)."""
    sp_map, rx_map = renames["species"], renames["reactions"]
    pw_map, cp_map = renames["pathways"], renames["compartments"]
    out = Network(models=net.models, cell=net.cell, warnings=net.warnings)
    for cid, comp in net.compartments.items():
        new = cp_map.get(cid, cid)
        out.compartments[new] = replace(comp, id=new)
    for sid, sp in net.species.items():
        new = sp_map.get(sid, sid)
        out.species[new] = replace(sp, id=new, compartment=cp_map.get(sp.compartment, sp.compartment))
    for rid, rxn in net.reactions.items():
        new = rx_map.get(rid, rid)
        parts = [replace(p, species=sp_map.get(p.species, p.species)) for p in rxn.participants]
        terms = [(lvl, rename(e, sp_map)) for lvl, e in rxn.function_terms]
        out.reactions[new] = replace(rxn, id=new, participants=parts, function_terms=terms)
    for pid, pw in net.pathways.items():
        new = pw_map.get(pid, pid)
        out.pathways[new] = replace(pw, id=new, members=[sp_map.get(m, m) for m in pw.members])
    return out
