"""`hmlm train --experiments` on stored measurements, and `hmlm retrain` firing when new
experiments are imported for the cell."""
from __future__ import annotations

import json
from pathlib import Path

import pytest


from .conftest import open_ladybug
from tests.conftest import run_cli

TOY_SIF = "EGF\t1\tPI3K\nPI3K\t1\tAkt\nEGF\t1\tErk\nTNFa\t1\tErk\n"
TOY_MIDAS = """TR:mock:CellLine,TR:EGF,TR:TNFa,TR:PI3Ki,DA:Akt,DA:Erk,DV:Akt,DV:Erk
1,0,0,0,0,0,0,0
1,1,0,0,0,0,0,0
1,0,1,0,0,0,0,0
1,1,0,1,0,0,0,NaN
1,0,0,0,10,10,0,0
1,1,0,0,10,10,0.9,0.8
1,0,1,0,10,10,0,0.7
1,1,0,1,10,10,0.1,NaN
"""


run = run_cli


@pytest.fixture
def toy_store(tmp_path) -> Path:
    (tmp_path / "PKN-toy.sif").write_text(TOY_SIF)
    (tmp_path / "MD-toy.csv").write_text(TOY_MIDAS)
    db = tmp_path / "db"
    assert run(db, "import", str(tmp_path / "PKN-toy.sif"), str(tmp_path / "MD-toy.csv"), "--cell", "toy") == 0
    return db


def _runs(db: Path):
    with open_ladybug(db, read_only=True) as store:
        return store.training_runs("toy")


def test_train_on_stored_experiments_records_them(toy_store, tmp_path, capsys):
    out = tmp_path / "runs"
    assert run(toy_store, "train", "--model", "interp", "--cell", "toy", "--experiments", "all", "--out",
               str(out)) == 0
    config = _runs(toy_store).iloc[0]["config"]
    assert config["experiments"]["selection"] == "all"
    assert config["experiments"]["uids"] == ["MD-toy/control", "MD-toy/EGF", "MD-toy/TNFa", "MD-toy/EGF+PI3Ki"]
    assert config["conditions"] == ["control", "EGF", "TNFa", "EGF+PI3Ki"]
    assert run(toy_store, "train", "--model", "interp", "--cell", "toy", "--experiments", "EGF,TNFa", "--out",
               str(out)) == 0
    assert _runs(toy_store).iloc[0]["config"]["experiments"]["selection"] == ["EGF", "TNFa"]
    capsys.readouterr()
    assert run(toy_store, "train", "--model", "interp", "--cell", "toy", "--experiments", "nope", "--out",
               str(out)) == 2
    assert "no experiment 'nope'" in capsys.readouterr().err


def test_retrain_fires_when_new_experiments_are_imported(toy_store, tmp_path, capsys):
    out = tmp_path / "runs"
    assert run(toy_store, "train", "--model", "ode-default", "--cell", "toy", "--experiments", "all",
               "--out", str(out)) == 0
    assert run(toy_store, "retrain", "--cell", "toy", "--out", str(out)) == 0
    assert "nothing to do" in capsys.readouterr().out
    extra = tmp_path / "extra.csv"
    extra.write_text("experiment,time,species,value,stim:TNFa,inh:PI3K\nnew,0,Akt,0,1,1\nnew,10,Akt,0.1,1,1\n")
    assert run(toy_store, "import", str(extra), "--cell", "toy") == 0
    capsys.readouterr()
    assert run(toy_store, "retrain", "--cell", "toy", "--out", str(out)) == 0
    said = capsys.readouterr().out
    assert "experiments +1 -0" in said and "retrained" in said
    newest = _runs(toy_store).iloc[0]
    assert "extra/new" in newest["config"]["experiments"]["uids"]
    assert run(toy_store, "retrain", "--cell", "toy", "--out", str(out)) == 0
    assert "nothing to do" in capsys.readouterr().out
    payload = json.loads((Path(newest["checkpoint"]).parent / "run.json").read_text())
    assert "new" in payload["conditions"]["conditions"]


def test_stored_experiments_become_trajectories_with_inputs_and_inhibitors(toy_store):
    from hmlm_sb.pipeline import experiment_training_data

    with open_ladybug(toy_store, read_only=True) as store:
        network = store.load_network(cell="toy")
        data = experiment_training_data(store, "toy", network, "all")
    assert set(data.train.inputs) == {"input_EGF", "input_TNFa"} and not network.input_reactions()
    egf_pi3ki = data.train.condition_index("EGF+PI3Ki")
    assert data.train.inhibit[egf_pi3ki, data.train.species.index("PI3K")] == 0
