"""SBML core and qual import: every shared file, counts against libsbml's own."""
from __future__ import annotations

from pathlib import Path

import libsbml
import pytest

from conftest import need
from hmlm_sb.errors import InputError
from hmlm_sb.io import detect_format, read_network
from hmlm_sb.io.sbml import modifier_sign
from hmlm_sb.logic import And, Literal, Not

CORE = ["BIOMD0000000010.xml", "BIOMD0000000255.xml", "BIOMD0000000600.xml",
        "testsuite_00001-sbml-l1v2.xml", "testsuite_00001-sbml-l2v4.xml", "testsuite_00001-sbml-l3v2.xml"]
QUAL = ["bbm-002-SIGNAL-TRANSDUCTION-IN-FIBROBLASTS.sbml", "bbm-018-EGFR-ERBB-SIGNALING.sbml",
        "bbm-131-TGFB-PATHWAY.sbml", "ginsim-Traynard2016-mammalian-cell-cycle.sbml",
        "biolqm-minimal_example.sbml", "sedml-showcase-toymodel.sbml"]


def _shared(shared_data: Path, sub: str, name: str) -> Path:
    path = shared_data / "sbml" / sub / name
    need(path.is_file(), f"missing {path}")
    return path


@pytest.mark.parametrize("name", CORE)
def test_every_core_file_imports_with_libsbml_counts(shared_data, name):
    path = _shared(shared_data, "core", name)
    doc = libsbml.readSBMLFromFile(str(path))
    model = doc.getModel()
    net = read_network(path)
    assert net.model.format == "sbml"
    assert len(net.species) == model.getNumSpecies()
    assert len(net.reactions) == model.getNumReactions()
    assert len(net.compartments) == model.getNumCompartments()
    assert net.model.sbml_level == doc.getLevel()
    assert len(net.model.sha256) == 64
    n_refs = sum(r.getNumReactants() + r.getNumProducts() + r.getNumModifiers() for r in model.getListOfReactions())
    assert sum(len(r.participants) for r in net.reactions.values()) == n_refs


@pytest.mark.parametrize("name", QUAL)
def test_every_qual_file_imports_with_libsbml_counts(shared_data, name):
    path = _shared(shared_data, "qual", name)
    doc = libsbml.readSBMLFromFile(str(path))
    qual = doc.getModel().getPlugin("qual")
    net = read_network(path)
    assert net.model.format == "sbml-qual"
    assert len(net.species) == qual.getNumQualitativeSpecies()
    assert len(net.reactions) == qual.getNumTransitions()
    n_inputs = sum(t.getNumInputs() for t in qual.getListOfTransitions())
    assert sum(len(r.sources()) for r in net.reactions.values()) == n_inputs


def test_chen_2009_reference_counts_and_annotations(shared_data):
    net = read_network(_shared(shared_data, "core", "BIOMD0000000255.xml"))
    assert (len(net.species), len(net.reactions)) == (504, 827)
    assert net.model.organism == "taxonomy:9606"
    assert net.model.citation == "pubmed:19156131"
    resources = {x.resource for _, _, x in net.iter_xrefs()}
    assert "uniprot:P00533" in resources  # EGFR
    rxn = next(iter(net.reactions.values()))
    assert rxn.kind == "sbml" and rxn.kinetic_law


def test_kholodenko_modifiers_and_reactant_signs(shared_data):
    net = read_network(_shared(shared_data, "core", "BIOMD0000000010.xml"))
    for rxn in net.reactions.values():
        for p in rxn.participants:
            if p.role == "reactant":
                assert p.sign == 1
            if p.role == "modifier":
                assert p.sign == modifier_sign(p.sbo)
    assert net.model.organism == "taxonomy:8355"


def test_biodivine_files_warn_but_import_and_strict_refuses(shared_data):
    path = _shared(shared_data, "qual", "bbm-131-TGFB-PATHWAY.sbml")
    net = read_network(path)
    assert any("libsbml error" in w for w in net.warnings)
    assert len(net.species) == 21
    with pytest.raises(InputError, match="strict"):
        read_network(path, strict=True)


def test_valid_files_pass_strict(shared_data):
    for name in ("sedml-showcase-toymodel.sbml", "ginsim-Traynard2016-mammalian-cell-cycle.sbml"):
        read_network(_shared(shared_data, "qual", name), strict=True)
    read_network(_shared(shared_data, "core", "testsuite_00001-sbml-l3v2.xml"), strict=True)


def test_multivalued_levels_become_thresholds(shared_data):
    net = read_network(_shared(shared_data, "qual", "sedml-showcase-toymodel.sbml"))
    assert net.species["A"].max_level == 2
    tr = net.reactions["tr_A"]
    assert tr.default_level == 0
    assert [lvl for lvl, _ in tr.function_terms] == [1, 2]
    # A == 0 & C == 1, with A in 0..2 and C Boolean
    assert tr.function_terms[0][1] == And((Not(Literal("A", 1)), Literal("C", 1)))
    assert {(p.species, p.sign) for p in tr.sources()} == {("A", 0), ("C", 1)}


def test_input_signs_and_boolean_rules(shared_data):
    net = read_network(_shared(shared_data, "qual", "bbm-131-TGFB-PATHWAY.sbml"))
    tr = net.reactions["tr_v_TGFB_TGFBR_complex"]
    signs = {p.species: p.sign for p in tr.sources()}
    assert signs == {"v_BAMBI": -1, "v_LTBP1": -1, "v_Orf8": 1}
    assert tr.rule == And((Literal("v_Orf8"), Not(Literal("v_LTBP1")), Not(Literal("v_BAMBI"))))
    assert net.reactions["tr_v_ACVR1"].is_input


def test_detect_format(shared_data, tmp_path):
    assert detect_format(_shared(shared_data, "qual", "bbm-131-TGFB-PATHWAY.sbml")) == "sbml"
    odd = tmp_path / "model.dat"
    odd.write_bytes(_shared(shared_data, "core", "BIOMD0000000010.xml").read_bytes())
    assert detect_format(odd) == "sbml"
    assert read_network(odd).model.id == "BIOMD0000000010"


def test_explicit_qual_format_refuses_core_file(shared_data):
    with pytest.raises(InputError, match="qualitative"):
        read_network(_shared(shared_data, "core", "BIOMD0000000010.xml"), format="sbml-qual")
