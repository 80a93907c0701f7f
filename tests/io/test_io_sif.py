"""SIF: the shared Rogers file with reaction nodes, generic relation types, writing."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import need
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network
from hmlm_sb.io.sif import write_sif
from hmlm_sb.logic import And, Literal, Not


@pytest.fixture(scope="module")
def rogers_sif(shared_data) -> Path:
    path = shared_data / "sif" / "Rogers2022_snm_1_1_rev4.sif"
    need(path.is_file(), f"missing {path}")
    return path


def _file_counts(path: Path) -> tuple[set[str], set[str], int]:
    nodes, edges = set(), 0
    for line in path.read_text().splitlines():
        src, _, tgt = line.strip().split("\t")
        nodes |= {src, tgt}
        edges += 1
    rcn = {n for n in nodes if n.startswith("rcn")}
    return nodes - rcn, rcn, edges


def test_rogers_sif_reaction_nodes_become_reactions(rogers_sif):
    species, rcn, n_edges = _file_counts(rogers_sif)
    net = read_network(rogers_sif)
    assert set(net.species) == species and len(species) == 109
    gates = {rid for rid in net.reactions if rid.startswith("rcn")}
    assert gates == rcn and len(rcn) == 46
    direct = [r for r in net.reactions.values() if not r.id.startswith("rcn")]
    # every SIF edge is a participant: gate edges once, direct edges as source + target
    assert sum(len(net.reactions[g].participants) for g in gates) + len(direct) == n_edges
    assert net.reactions["rcn11"].rule == And((Literal("latentTGFB"), Literal("proMMP9")))
    assert net.species["DAG"].kind == "small"  # from the node attributes file beside it


def test_rogers_sif_matches_the_netflux_model(rogers_sif, rogers_xlsx):
    sif = read_network(rogers_sif)
    netflux = read_network(rogers_xlsx)
    edges = lambda n: {(g.source, g.target, g.sign) for g in n.regulations()}  # noqa: E731
    assert edges(sif) == edges(netflux)
    assert len(sif.reactions) == len(netflux.reactions) - len(netflux.input_reactions())


def test_inhibiting_gate_input(rogers_sif):
    net = read_network(rogers_sif)
    gate = net.reactions["rcn172"]
    assert {(p.species, p.sign) for p in gate.sources()} == {("ROS", 1), ("AT2R", -1)}
    assert gate.rule == And((Literal("ROS"), Not(Literal("AT2R"))))


def test_pathway_commons_relation_types(tmp_path):
    path = tmp_path / "pc.sif"
    path.write_text("EGFR\tcontrols-state-change-of\tGRB2\nGRB2\tin-complex-with\tSOS1\n"
                    "TP53\tinhibits\tMDM2\tCDKN1A\nAKT1\tactivates\tMTOR\nLONE\n")
    net = read_network(path)
    regs = {(g.source, g.target): g.sign for g in net.regulations()}
    assert regs == {("EGFR", "GRB2"): 0, ("TP53", "MDM2"): -1, ("TP53", "CDKN1A"): -1, ("AKT1", "MTOR"): 1}
    complex_rxn = next(r for r in net.reactions.values() if r.name == "in-complex-with")
    assert {p.role for p in complex_rxn.participants} == {"reactant"}  # no direction invented
    assert "LONE" in net.species
    spaced = tmp_path / "spaced.sif"
    spaced.write_text("TP53 -1 MDM2 CDKN1A\n")
    assert {(g.source, g.target) for g in read_network(spaced).regulations()} == {("TP53", "MDM2"), ("TP53", "CDKN1A")}


def test_sif_write_read_keeps_signed_edges(rogers_xlsx, tmp_path):
    net = read_network(rogers_xlsx)
    out = write_sif(net, tmp_path / "out.sif")
    assert (tmp_path / "out_nodeAttributes.txt").is_file()
    again = read_network(out)
    edges = lambda n: {(g.source, g.target, g.sign) for g in n.regulations()}  # noqa: E731
    assert edges(again) == edges(net)
    assert set(again.species) == set(net.species)


def test_bad_sif_lines(tmp_path):
    path = tmp_path / "bad.sif"
    path.write_text("A\t1\n")
    with pytest.raises(InputError, match="line 1"):
        read_network(path)
    path.write_bytes(b"\xff\xfe\x00A 1 B")
    with pytest.raises(InputError, match="UTF-8"):
        read_network(path)
