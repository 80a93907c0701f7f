"""import -> write_sbml_qual -> import gives the same network; libsbml finds no error."""
from __future__ import annotations

from pathlib import Path

import libsbml
import pytest

from conftest import need
from hmlm_sb.io import read_network
from hmlm_sb.io.sbml_qual import write_sbml_qual
from hmlm_sb.logic import And, Const, Literal, Not, Or
from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species, Xref

QUAL = ["bbm-002-SIGNAL-TRANSDUCTION-IN-FIBROBLASTS.sbml", "bbm-018-EGFR-ERBB-SIGNALING.sbml",
        "bbm-131-TGFB-PATHWAY.sbml", "ginsim-Traynard2016-mammalian-cell-cycle.sbml",
        "biolqm-minimal_example.sbml", "sedml-showcase-toymodel.sbml"]


def content(net: Network) -> tuple:
    species = {s.id: (s.name, s.initial, s.ymax, s.tau, s.max_level, s.constant, s.kind, s.gene, s.notes,
                      sorted((x.resource, x.qualifier) for x in s.xrefs)) for s in net.species.values()}
    reactions = {r.id: (r.kind, r.rule_text, r.function_terms, r.default_level, sorted(r.params.items()),
                        r.module, r.references, r.notes,
                        sorted((p.species, p.role, p.sign, p.stoichiometry, p.threshold) for p in r.participants))
                 for r in net.reactions.values()}
    pathways = {p.id: (p.name, sorted(p.members)) for p in net.pathways.values()}
    regulations = sorted((g.source, g.target, g.sign, g.reaction) for g in net.regulations())
    return species, reactions, pathways, regulations


def libsbml_errors(path: Path) -> list[str]:
    doc = libsbml.readSBMLFromFile(str(path))
    doc.checkConsistency()
    return [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def assert_round_trip(net: Network, tmp_path: Path) -> Network:
    out = write_sbml_qual(net, tmp_path / "out.xml")
    assert libsbml_errors(out) == []
    again = read_network(out)
    assert again.model.format == "sbml-qual"
    assert content(again) == content(net)
    assert again.fingerprint() == net.fingerprint()
    return again


@pytest.mark.parametrize("name", QUAL)
def test_qual_files_round_trip(shared_data, tmp_path, name):
    path = shared_data / "sbml" / "qual" / name
    need(path.is_file(), f"missing {path}")
    assert_round_trip(read_network(path), tmp_path)


def test_rogers_netflux_round_trips_with_parameters_and_modules(rogers_xlsx, tmp_path):
    net = read_network(rogers_xlsx)
    again = assert_round_trip(net, tmp_path)
    assert len(again.species) == 109 and len(again.reactions) == 172
    assert {p.name for p in again.pathways.values()} == {p.name for p in net.pathways.values()}
    assert again.input_species() == net.input_species()


def test_sif_network_round_trips(shared_data, tmp_path):
    path = shared_data / "sif" / "Rogers2022_snm_1_1_rev4.sif"
    need(path.is_file(), f"missing {path}")
    assert_round_trip(read_network(path), tmp_path)


def test_odd_ids_annotations_and_logic_survive(tmp_path):
    net = Network(models=[ModelInfo(id="my model/1", name="odd", organism="taxonomy:9606",
                                    xrefs=[Xref("pubmed:123", "model:isDescribedBy")])])
    for sid, level in (("A-1", 1), ("2B", 2), ("C c", 1), ("true", 1)):
        net.add_species(Species(sid, name=f"name {sid}", initial=0.25, ymax=0.8, tau=3.5, max_level=level,
                                kind="protein", notes="line one\nline <two> & more",
                                xrefs=[Xref("uniprot:P00533", "is"), Xref("go:GO:0005154", "isVersionOf")]))
    rule = Or((And((Literal("A-1"), Not(Literal("2B", 2)))), Literal("true"), Const(True)))
    net.add_reaction(Reaction("r/1", "netflux", [Participant("A-1", "input", 1), Participant("2B", "input", -1),
                                                  Participant("true", "input", 0, threshold=1),
                                                  Participant("C c", "output", 1)],
                              function_terms=[(1, rule)], params={"weight": 0.9, "n": 1.25, "ec50": 0.6},
                              module="M 1", references=["pubmed:1", "pubmed:2"], notes="why"))
    net.add_reaction(Reaction("in", "netflux", [Participant("A-1", "output", 1)], params={"weight": 0.0}))
    net.add_reaction(Reaction("multi", "qual", [Participant("2B", "input", 1, threshold=2),
                                                Participant("2B", "output")],
                              function_terms=[(1, Literal("2B", 1)), (2, And((Literal("2B", 2), Literal("A-1"))))],
                              default_level=0))
    net.add_pathway(Pathway("pw one", "Pathway one", ["A-1", "C c"], xrefs=[Xref("reactome:R-HSA-177929")]))
    net.add_pathway(Pathway("empty", "No members"))
    again = assert_round_trip(net, tmp_path)
    assert again.model.id == "my_model_1"  # an SBML id; the original stays in the annotation
    assert again.model.organism == "taxonomy:9606"
    assert again.pathways["pw one"].xrefs == [Xref("reactome:R-HSA-177929", "is")]
