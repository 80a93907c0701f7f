"""A store holding real data: the bundled Rogers 2022 network with a trained (tiny) HMLM's
crosstalk, and the BioModels MAPK cascade imported twice (shared UniProt ids)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import need

CELL = "cardiac_fibroblast"
TINY_HMLM = {"dim": 8, "heads": 2, "n_steps": 12, "max_epochs": 3, "patience": 3, "threads": 1}


def tiny_settings():
    from hmlm_sb.retrain import RunSettings

    return RunSettings(model="hmlm", params=dict(TINY_HMLM), dataset_spec={"n_times": 20})


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory, shared_data: Path):
    import torch

    from hmlm_sb.crosstalk import Threshold, known_species_pairs, species_edges, species_uid
    from hmlm_sb.io import read_network
    from hmlm_sb.resources import reference_network
    from hmlm_sb.retrain import train_and_write
    from hmlm_sb.store import open_store
    from hmlm_sb.store.base import TrainingRunRecord

    torch.set_num_threads(1)
    mapk = shared_data / "sbml" / "core" / "BIOMD0000000010.xml"
    need(mapk.is_file(), f"missing {mapk}")
    root = tmp_path_factory.mktemp("crosstalk_store")
    store = open_store(str(root / "store.lbdb"), max_db_size=1 << 30)
    store.save_network(reference_network(), cell=CELL)
    network = store.load_network(cell=CELL)
    result = train_and_write(store, network, cell=CELL, settings=tiny_settings(), out_dir=root / "runs")
    for model_id in ("mapk_a", "mapk_b"):
        store.save_network(read_network(mapk, model_id=model_id), cell="mapk_cell")
    mapk_net = store.load_network(model="mapk_a")
    species = sorted(mapk_net.species)
    matrix = np.random.default_rng(1).uniform(0, 1, (len(species), len(species)))
    mapk_run = TrainingRunRecord(id="mapk-run", model_kind="hmlm", cell="mapk_cell", fingerprint=mapk_net.fingerprint())
    mapk_edges = species_edges(matrix, species, "control", uids={s: species_uid(mapk_net, s) for s in species},
                               known=known_species_pairs(mapk_net), threshold=Threshold(relative=0.5))
    store.write_crosstalk(mapk_run, mapk_edges)
    yield {"store": store, "result": result, "network": network, "root": root, "mapk_edges": mapk_edges}
    store.close()
