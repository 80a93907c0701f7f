"""The streaming reader gives the libsbml reader's network; synthetic networks."""
from __future__ import annotations

import libsbml
import pytest

from conftest import need
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network
from hmlm_sb.io.sbml import read_sbml
from hmlm_sb.io.sbml_qual import write_sbml_qual
from hmlm_sb.io.sbml_stream import read_sbml_stream
from hmlm_sb.io.synthetic import synthetic_network, write_synthetic
from test_io_roundtrip import content

FILES = ["core/BIOMD0000000010.xml", "core/BIOMD0000000255.xml", "core/BIOMD0000000600.xml",
         "core/testsuite_00001-sbml-l2v4.xml", "core/testsuite_00001-sbml-l3v2.xml",
         "qual/bbm-002-SIGNAL-TRANSDUCTION-IN-FIBROBLASTS.sbml", "qual/bbm-018-EGFR-ERBB-SIGNALING.sbml",
         "qual/bbm-131-TGFB-PATHWAY.sbml", "qual/ginsim-Traynard2016-mammalian-cell-cycle.sbml",
         "qual/biolqm-minimal_example.sbml", "qual/sedml-showcase-toymodel.sbml"]


def full(net):
    model = net.model
    return (content(net), model.id, model.organism, model.citation, model.format,
            sorted((x.resource, x.qualifier) for x in model.xrefs),
            {c.id: (c.name, c.size) for c in net.compartments.values()},
            [(s.compartment, s.sbo, s.boundary, s.constant, s.model) for s in net.species.values()],
            [(r.kinetic_law, r.reversible, r.name, r.sbo, r.model) for r in net.reactions.values()])


@pytest.mark.parametrize("name", FILES)
def test_stream_reader_matches_libsbml_reader(shared_data, name):
    path = shared_data / "sbml" / name
    need(path.is_file(), f"missing {path}")
    assert full(read_sbml_stream(path)) == full(read_sbml(path, engine="libsbml"))


def test_stream_reader_reads_our_own_annotations(rogers_xlsx, tmp_path):
    out = write_sbml_qual(read_network(rogers_xlsx), tmp_path / "r.xml")
    assert full(read_sbml_stream(out)) == full(read_sbml(out, engine="libsbml"))


def test_level_1_falls_back_to_libsbml(shared_data):
    path = shared_data / "sbml" / "core" / "testsuite_00001-sbml-l1v2.xml"
    need(path.is_file(), f"missing {path}")
    assert len(read_sbml(path, engine="stream").species) == 2


@pytest.mark.parametrize("text, match", [("<sbml level='3'><model", "unreadable XML"),
                                         ("<sbml level='3' version='1'></sbml>", "no <model>"),
                                         ("junk", "no <sbml>")])
def test_stream_reader_bad_input(tmp_path, text, match):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_sbml_stream(path)


@pytest.mark.parametrize("fmt", ["sbml-qual", "sbml"])
def test_synthetic_files_are_valid_and_match_the_network(tmp_path, fmt):
    path = write_synthetic(tmp_path / "s.xml", 400, format=fmt, seed=7)
    doc = libsbml.readSBMLFromFile(str(path))
    doc.checkConsistency()
    assert [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR] == []
    net = read_network(path)
    assert (len(net.species), len(net.reactions), len(net.pathways)) == (400, 804, 4)  # 4 input reactions
    expected = synthetic_network(400, seed=7)
    edges = lambda n: sorted((g.source, g.target, g.sign) for g in n.regulations())  # noqa: E731
    assert edges(net) == edges(expected)
    if fmt == "sbml-qual":
        assert net.fingerprint() == expected.fingerprint()
        assert full(read_sbml_stream(path)) == full(read_sbml(path, engine="libsbml"))


def test_synthetic_is_seeded():
    assert synthetic_network(50, seed=1).fingerprint() == synthetic_network(50, seed=1).fingerprint()
    assert synthetic_network(50, seed=1).fingerprint() != synthetic_network(50, seed=2).fingerprint()
