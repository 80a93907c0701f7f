"""CellNOpt SIF: andN nodes are AND gates; empty and MIDAS-as-SIF files are refused."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import need
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network
from hmlm_sb.logic import And, Literal, Not


@pytest.fixture(scope="module")
def midas_dir(shared_data) -> Path:
    path = shared_data / "midas"
    need(path.is_dir(), f"missing {path}")
    return path


def test_feedback_and_pkn_has_15_species_and_two_and_gates(midas_dir):
    net = read_network(midas_dir / "ToyMMB_FeedbackAnd" / "PKN-ToyMMB_FeedbackAnd.sif")
    assert len(net.species) == 15 and "and1" not in net.species and "and2" not in net.species
    assert net.reactions["and1"].rule == And((Not(Literal("cJun")), Literal("TRAF6")))
    assert [t.species for t in net.reactions["and1"].targets()] == ["Jnk"]
    assert net.reactions["and2"].rule == And((Not(Literal("Akt")), Literal("Raf")))


@pytest.mark.parametrize("name,species,reactions", [("ToyMMB", 15, 16), ("LiverDREAM", 40, 58), ("ToyPB", 30, 33)])
def test_cellnopt_pkns(midas_dir, name, species, reactions):
    net = read_network(midas_dir / name / f"PKN-{name}.sif")
    assert (len(net.species), len(net.reactions)) == (species, reactions)


def test_midas_table_as_sif_is_refused(midas_dir, tmp_path):
    midas = midas_dir / "ToyMMB" / "MD-ToyMMB.csv"
    with pytest.raises(InputError, match="MIDAS data table"):
        read_network(midas, "sif")
    renamed = tmp_path / "data.sif"
    renamed.write_bytes(midas.read_bytes())
    with pytest.raises(InputError, match="MIDAS data table"):
        read_network(renamed)


def test_file_without_reactions_is_refused_unless_allowed(tmp_path):
    lone = tmp_path / "lone.sif"
    lone.write_text("A\nB\nC\n")
    with pytest.raises(InputError, match="no reactions"):
        read_network(lone)
    net = read_network(lone, allow_empty=True)
    assert len(net.species) == 3 and not net.reactions and "no reactions" in net.warnings[0]
