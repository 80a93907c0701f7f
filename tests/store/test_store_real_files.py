"""Round trips of published models (../shared/data) through the embedded store."""
from __future__ import annotations

import pytest

from tests.conftest import need

from .conftest import open_ladybug

REAL_FILES = ["netflux/Rogers2022_snm_1_1_rev4.xlsx", "sbml/qual/bbm-131-TGFB-PATHWAY.sbml",
              "sbml/core/BIOMD0000000010.xml"]


def test_published_models_round_trip(shared_data, ladybug_path):
    try:
        from hmlm_sb.io import read_network
    except ImportError:
        need(False, "hmlm_sb.io.read_network (the importers) is not available")
    networks = []
    for name in REAL_FILES:
        path = shared_data / name
        need(path.is_file(), f"missing {path}")
        networks.append(read_network(path))
    with open_ladybug(ladybug_path) as store:
        for net in networks:
            assert store.save_network(net, cell="fibroblast").status == "imported"
        for net in networks:
            loaded = store.load_network(model=net.model.id)
            assert list(loaded.species) == list(net.species)
            assert loaded.species == net.species
            assert loaded.reactions == net.reactions
            assert loaded.pathways == net.pathways
            assert loaded.compartments == net.compartments
            assert loaded.fingerprint() == net.fingerprint()
        cell = store.load_network(cell="fibroblast")
        assert len(cell.species) == sum(len(n.species) for n in networks)
        assert len(cell.regulations()) == sum(len(n.regulations()) for n in networks)
        rogers = networks[0]
        assert store.counts()["REGULATES"] == len(cell.regulations())
        assert store.save_network(rogers).status == "unchanged"
