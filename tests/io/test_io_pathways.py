"""--pathways mapping files and the dispatcher's options."""
from __future__ import annotations

import pytest

from conftest import need
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network


@pytest.fixture
def toy(shared_data):
    path = shared_data / "sbml" / "qual" / "ginsim-Traynard2016-mammalian-cell-cycle.sbml"
    need(path.is_file(), f"missing {path}")
    return path


def test_csv_mapping_adds_pathways(toy, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("species,pathway\nCycD,G1\nRb2,G1\nCycB,M\nCycD,M\nnot_there,M\n")
    net = read_network(toy, pathways=mapping)
    assert net.pathways["G1"].members == ["CycD", "Rb2"]
    assert net.pathways["M"].members == ["CycB", "CycD"]
    assert any("not_there" in w for w in net.warnings)


def test_tsv_mapping_and_no_mapping_means_no_pathways(toy, tmp_path):
    assert read_network(toy).pathways == {}
    mapping = tmp_path / "map.tsv"
    mapping.write_text("CycE\tG1/S\n")
    assert read_network(toy, pathways=mapping).pathways["G1/S"].members == ["CycE"]


def test_mapping_that_matches_nothing_is_refused(toy, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("EGFR,ErbB\n")
    with pytest.raises(InputError, match="none of its"):
        read_network(toy, pathways=mapping)
    mapping.write_text("EGFR\n")
    with pytest.raises(InputError, match="line 1"):
        read_network(toy, pathways=mapping)


def test_model_id_and_unknown_format(toy):
    assert read_network(toy, model_id="cellcycle").model.id == "cellcycle"
    with pytest.raises(InputError, match="unknown format"):
        read_network(toy, format="cellml")
