"""Retraining: nothing to do when the subgraph is unchanged; a new run with crosstalk
covering a newly imported model's species, the old run kept, when it changed."""
from __future__ import annotations

from pathlib import Path

import pytest

from hmlm_sb.retrain import compare, retrain_cell, subgraph_manifest, train_and_write
from tests.conftest import need
from tests.crosstalk.conftest import CELL, TINY_HMLM, tiny_settings


def edge_count(store, run: str) -> int:
    return int(store.query("MATCH ()-[c:CROSSTALK]->() WHERE c.run = $run RETURN count(c) AS n",
                           {"run": run})["n"].iloc[0])


@pytest.fixture()
def extra_sbml(tmp_path: Path, shared_data: Path) -> Path:
    """A second real model as SBML-qual: Kraeutler 2010 beta-adrenergic (Netflux workbook)."""
    from hmlm_sb.io.netflux import read_netflux
    from hmlm_sb.io.sbml_qual import write_sbml_qual

    xlsx = shared_data / "netflux" / "Kraeutler2010_betaAdrenergic.xlsx"
    need(xlsx.is_file(), f"missing {xlsx}")
    return write_sbml_qual(read_netflux(xlsx, model_id="kraeutler2010"), tmp_path / "kraeutler2010.sbml")


def test_compare_counts_added_and_removed():
    old = {"fingerprint": "a", "models": ["m1"], "species": ["m1/A", "m1/B"], "reactions": ["m1/r"], "pathways": []}
    new = {"fingerprint": "b", "models": ["m1", "m2"], "species": ["m1/A", "m2/C", "m2/D"],
           "reactions": ["m1/r", "m2/s"], "pathways": []}
    change = compare(old, new)
    assert change.models_added == ["m2"] and change.models_removed == []
    assert change.counts["species"] == (2, 1) and change.counts["reactions"] == (1, 0)
    assert "species +2 -1" in change.describe()
    same_ids = compare({**old, "fingerprint": "x"}, {**old, "fingerprint": "y"})
    assert same_ids.content_only and same_ids.any


@pytest.mark.slow
def test_retrain_after_import(tmp_path: Path, extra_sbml: Path):
    import torch

    from hmlm_sb.io import read_network
    from hmlm_sb.resources import reference_network
    from hmlm_sb.store import open_store

    torch.set_num_threads(1)
    runs_dir = tmp_path / "runs"
    with open_store(str(tmp_path / "s.lbdb"), max_db_size=1 << 30) as store:
        store.save_network(reference_network(), cell=CELL)
        first = train_and_write(store, store.load_network(cell=CELL), cell=CELL, settings=tiny_settings(),
                                out_dir=runs_dir).run
        assert edge_count(store, first.id) > 0

        unchanged = retrain_cell(store, cell=CELL, out_dir=runs_dir)
        assert unchanged.status == "unchanged" and unchanged.new_run is None
        assert "nothing to do" in unchanged.describe()
        assert len(store.training_runs(CELL)) == 1

        store.save_network(read_network(extra_sbml), cell=CELL)
        changed = retrain_cell(store, cell=CELL, out_dir=runs_dir)
        assert changed.status == "retrained"
        assert changed.change.models_added == ["kraeutler2010"]
        assert changed.change.counts["species"] == (25, 0)
        assert "species +25 -0" in changed.describe()

        runs = store.training_runs(CELL)
        assert list(runs["id"]) == [changed.new_run, first.id]  # newest first, the old run kept
        new = runs.iloc[0]
        assert {k: new["config"]["params"][k] for k in TINY_HMLM} == TINY_HMLM  # the last run's config
        assert new["fingerprint"] == store.load_network(cell=CELL).fingerprint()
        assert edge_count(store, first.id) == 0  # replaced (same cell and conditions)
        covered = store.query(
            "MATCH (s:Species)-[c:CROSSTALK]->(t:Species) WHERE c.run = $run "
            "AND (s.model = $model OR t.model = $model) RETURN count(c) AS n",
            {"run": changed.new_run, "model": "kraeutler2010"})
        assert int(covered["n"].iloc[0]) > 0
        manifest = subgraph_manifest(store.load_network(cell=CELL))
        assert any(uid.startswith("kraeutler2010/") for uid in manifest["species"])

        again = retrain_cell(store, cell=CELL, out_dir=runs_dir)
        assert again.status == "unchanged"
        forced = retrain_cell(store, cell=CELL, out_dir=runs_dir, force=True, keep_history=True)
        assert forced.status == "forced" and forced.new_run not in (changed.new_run, first.id)
        assert edge_count(store, changed.new_run) > 0  # --keep-history kept the earlier edges
        assert len(store.training_runs(CELL)) == 3


def test_retrain_without_runs_says_train_first(tmp_path: Path):
    from hmlm_sb.errors import HmlmError
    from hmlm_sb.store import open_store

    with open_store(str(tmp_path / "s.lbdb"), max_db_size=1 << 30) as store:
        with pytest.raises(HmlmError, match="train first"):
            retrain_cell(store, cell=None)


def test_settings_from_a_hmlm_train_config(tmp_path: Path):
    from hmlm_sb.retrain import RunSettings

    generated = RunSettings.from_config({"model": "gnn", "params": {"hidden": 8}, "seed": 3, "timepoints": 8,
                                         "dataset": "generated (seed 3)"})
    assert (generated.model, generated.params, generated.seed, generated.timepoints) == ("gnn", {"hidden": 8}, 3, 8)
    assert generated.dataset is None and generated.dataset_spec == {}
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "spec.json").write_text('{"seed": 3, "n_times": 30, "hidden_fraction": 0.1}')
    simulated = RunSettings.from_config({"model": "hmlm", "dataset": str(folder)})
    assert simulated.dataset is None and simulated.dataset_spec == {"n_times": 30, "hidden_fraction": 0.1}
    measured = RunSettings.from_config({"model": "hmlm", "dataset": str(tmp_path / "data.npz")})
    assert measured.dataset == str(tmp_path / "data.npz")
