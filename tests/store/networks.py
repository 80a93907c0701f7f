"""Hand-built networks for the store tests (every field the store keeps, set on purpose)."""
from __future__ import annotations

from dataclasses import replace

from hmlm_sb.logic import parse_expr
from hmlm_sb.network import (Compartment, ModelInfo, Network, Participant, Pathway, Reaction, Species, Xref)


def signaling_network(model_id: str = "m1", sha256: str = "sha-m1", *, extra_species: int = 0) -> Network:
    """A small network using AND/NOT/OR rules, a multi-level transition, an SBML reaction,
    xrefs on every kind of element (one shared across models) and ordered pathway members."""
    net = Network(models=[ModelInfo(id=model_id, name=f"Model {model_id}", source_file=f"/data/{model_id}.xlsx",
                                    format="netflux", sha256=sha256, organism="taxonomy:10116",
                                    citation="pubmed:35000000", xrefs=[Xref("doi:10.1/x", "isDescribedBy")])])
    net.compartments["cyt"] = Compartment("cyt", "cytosol", 1.5, xrefs=[Xref("go:0005829")])
    net.compartments["nuc"] = Compartment("nuc", "nucleus")
    rows = [("TGFB", "protein", "cyt", 0.0), ("TGFBR", "protein", "cyt", 0.1), ("SMAD3", "protein", "nuc", 0.0),
            ("ERK", "protein", "cyt", 0.2), ("PP2A", "protein", "cyt", 1.0), ("proliferation", "process", None, 0.0),
            ("CycD", "mRNA", "nuc", 0.0)]
    for sid, kind, comp, y0 in rows:
        net.add_species(Species(sid, name=f"{sid} name", kind=kind, compartment=comp, initial=y0, ymax=1.0,
                                tau=0.5 + y0, model=model_id, gene=sid.lower(), notes=f"note {sid}",
                                xrefs=[Xref(f"uniprot:P{sid}")]))
    net.species["CycD"].max_level = 2
    net.species["PP2A"].constant = True
    net.species["PP2A"].boundary = True
    net.species["PP2A"].sbo = "SBO:0000252"
    net.species["SMAD3"].xrefs.append(Xref("hgnc:6769", "isVersionOf"))
    net.species["ERK"].xrefs = [Xref("uniprot:P28482"), Xref("uniprot:SHARED")]
    for i in range(extra_species):
        net.add_species(Species(f"X{i}", model=model_id))
    net.add_reaction(Reaction("in_TGFB", "netflux", [Participant("TGFB", "output", 1)],
                              params={"weight": 0.7, "n": 1.4, "ec50": 0.5}, model=model_id))
    net.add_reaction(Reaction("r_smad", "netflux",
                              [Participant("TGFBR", "input", 1), Participant("PP2A", "input", -1),
                               Participant("SMAD3", "output", 1)],
                              [(1, parse_expr("TGFBR & !PP2A"))], params={"weight": 1.0, "n": 1.4, "ec50": 0.5},
                              module="TGFB", references=["pubmed:1", "pubmed:2"], model=model_id))
    net.add_reaction(Reaction("r_tgfbr", "netflux", [Participant("TGFB", "input"), Participant("TGFBR", "output")],
                              [(1, parse_expr("TGFB"))], params={"weight": 0.9, "n": 2.0, "ec50": 0.3, "delay": 3.0},
                              model=model_id))
    net.add_reaction(Reaction("r_prolif", "netflux",
                              [Participant("SMAD3", "input"), Participant("ERK", "input"),
                               Participant("proliferation", "output")],
                              [(1, parse_expr("SMAD3 | ERK"))], params={"weight": 1.0}, model=model_id))
    net.add_reaction(Reaction("t_cycd", "qual",
                              [Participant("ERK", "input", 1, threshold=1), Participant("CycD", "output")],
                              [(2, parse_expr("ERK >= 1 & !PP2A")), (1, parse_expr("ERK"))], default_level=0,
                              model=model_id))
    net.add_reaction(Reaction("v_dephos", "sbml",
                              [Participant("ERK", "reactant", 0, 2.0, sbo="SBO:0000010"),
                               Participant("PP2A", "modifier", -1), Participant("CycD", "product", 0, 1.0)],
                              kinetic_law="<math><ci>k</ci></math>", name="dephosphorylation", sbo="SBO:0000176",
                              reversible=True, notes="made up", model=model_id))
    net.add_pathway(Pathway("tgfb", "TGFB signalling", ["TGFB", "TGFBR", "SMAD3"], xrefs=[Xref("reactome:R-1")],
                            model=model_id))
    net.add_pathway(Pathway("growth", "Growth", ["proliferation", "ERK", "CycD"], sbo="SBO:0000633",
                            model=model_id))
    return net


def other_version(net: Network, sha256: str) -> Network:
    """The same model id with different content."""
    changed = replace(net, models=[replace(net.model, sha256=sha256)], species=dict(net.species),
                      reactions=dict(net.reactions), pathways=dict(net.pathways))
    changed.species = {k: v for k, v in changed.species.items() if k != "CycD"}
    changed.reactions = {k: v for k, v in changed.reactions.items() if k not in ("t_cycd", "v_dephos")}
    changed.pathways["growth"] = replace(changed.pathways["growth"], members=["proliferation", "ERK"])
    return changed


def without_provenance_stamp(net: Network) -> Network:
    """``imported_at`` is set by the store; blank it to compare."""
    return replace(net, models=[replace(m, imported_at="") for m in net.models])
