"""`hmlm train` and `hmlm predict` on an embedded store holding the tiny network."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from hmlm_sb.cli.main import _group
from tests.models.tiny import tiny_network

CELL = "tiny_cell"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    from hmlm_sb.store import open_store

    path = str(tmp_path_factory.mktemp("model_cli") / "store.lbdb")
    with open_store(path, max_db_size=1 << 30) as store:
        store.save_network(tiny_network(), cell=CELL)
    return path


def run(*args: str) -> str:
    result = CliRunner().invoke(_group, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def trained_run(db: str, out, model: str, *params: str) -> str:
    extra = [item for p in params for item in ("--param", p)]
    text = run("--db", db, "train", "--model", model, "--cell", CELL, "--timepoints", "4", "--seed", "3",
               "--out", str(out), *extra)
    return next(line.split()[1] for line in text.splitlines() if line.startswith("run "))


def test_train_records_a_run_and_predict_writes_csv_and_plot(db, tmp_path):
    from hmlm_sb.store import open_store

    run_id = trained_run(db, tmp_path / "runs", "rf-ensemble", "n_estimators=5")
    with open_store(db, max_db_size=1 << 30, read_only=True) as store:
        runs = store.training_runs(cell=CELL)
        network = store.load_network(cell=CELL)
    row = runs[runs["id"] == run_id].iloc[0]
    assert row["model_kind"] == "rf-ensemble"
    assert row["fingerprint"] == network.fingerprint()
    assert row["config"]["seed"] == 3 and row["config"]["params"]["n_estimators"] == 5
    assert "truth_mse" in row["metrics"]
    out_csv, png = tmp_path / "pred.csv", tmp_path / "pred.png"
    run("--db", db, "predict", "--run", run_id, "--condition", "combined", "--condition", "TGFB",
        "--times", "0:10:11", "--out", str(out_csv), "--plot", str(png))
    frame = pd.read_csv(out_csv)
    assert list(frame.columns) == ["condition", "time", "species", "value"]
    assert len(frame) == 2 * 11 * len(network.species)
    assert png.stat().st_size > 1000


def test_hmlm_run_predicts_a_new_condition_from_input_weights(db, tmp_path):
    run_id = trained_run(db, tmp_path / "runs", "hmlm", "max_epochs=3", "dim=8", "heads=2", "n_steps=8", "threads=1")
    folder = tmp_path / "runs" / run_id
    saved = json.loads((folder / "run.json").read_text())
    assert saved["run"]["id"] == run_id and saved["run"]["config"]["params"]["max_epochs"] == 3
    out_csv = tmp_path / "new.csv"
    run("--db", db, "predict", "--run", str(folder), "--condition", "half", "--set", "TGFB=0.4",
        "--times", "1,2.5", "--out", str(out_csv))
    frame = pd.read_csv(out_csv)
    assert set(frame["condition"]) == {"half"} and sorted(frame["time"].unique()) == [1.0, 2.5]


def test_bad_input_is_one_clear_line(db, tmp_path):
    from hmlm_sb.cli.main import cli

    with pytest.raises(SystemExit) as exc:
        cli(["--db", db, "train", "--model", "nope", "--out", str(tmp_path)])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli(["--db", db, "predict", "--run", "missing-run", "--condition", "x", "--out", str(tmp_path / "a.csv")])
    assert exc.value.code == 2


@pytest.mark.parametrize("param,says", [("context=sometimes", "--param context: must be one of"),
                                         ("scales=tissue", "--param scales: unknown scale(s) tissue"),
                                         ("no_such_option=1", "--param: got an unexpected keyword argument")])
def test_bad_model_params_are_one_line_and_leave_no_run_folder(db, tmp_path, capsys, param, says):
    from tests.conftest import run_cli_captured

    out = tmp_path / "runs"
    code, _, err = run_cli_captured(["--db", db, "train", "--model", "hmlm", "--cell", CELL, "--param", param,
                                     "--out", str(out)], capsys)
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1
    assert not out.exists() or not any(p.name.startswith("hmlm-") for p in out.iterdir())


def test_train_run_reads_a_dataset_folder_without_a_store(tmp_path):
    from hmlm_sb.models.training import open_run
    from hmlm_sb.pipeline import train_run
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    folder = make_dataset(tiny_network(), DatasetSpec(seed=1, n_times=20)).save(tmp_path / "data")
    run, model = train_run(None, None, "rf-ensemble", folder, 4, 1, tmp_path / "runs",
                           params={"n_estimators": 4})
    assert run.config["dataset"] == str(folder) and run.metrics["observed_points"] == 5
    saved = open_run(None, run.checkpoint)
    stimuli, initial = saved.condition("combined")
    assert stimuli.shape == (2,) and initial.shape == (len(model.species_),)


def test_predict_takes_perturbations(db, tmp_path):
    run_id = trained_run(db, tmp_path / "runs", "ode-default")
    plain, knocked = tmp_path / "plain.csv", tmp_path / "knocked.csv"
    base = ["--db", db, "predict", "--run", run_id, "--condition", "TGFB", "--times", "0:10:6"]
    run(*base, "--out", str(plain))
    run(*base, "--knockdown", "aSMA=0", "--inhibit", "YAP=0.5", "--out", str(knocked))
    a, b = pd.read_csv(plain), pd.read_csv(knocked)
    asma = (b["species"] == "aSMA") & (b["time"] == 10.0)
    assert b.loc[asma, "value"].item() < 1e-6 < a.loc[asma, "value"].item()


def test_train_says_in_one_line_when_the_design_cannot_identify_sources(db, tmp_path):
    from hmlm_sb.crosstalk import design_identifiability
    from tests.models.tiny import tiny_dataset

    observed, _, prior, _ = tiny_dataset()
    assert design_identifiability(observed, prior)[1]  # the tiny design moves its species together
    text = run("--db", db, "train", "--model", "ode-default", "--cell", CELL, "--timepoints", "4",
               "--out", str(tmp_path / "runs"))
    lines = [line for line in text.splitlines() if "cannot identify crosstalk sources" in line]
    assert len(lines) == 1 and lines[0].startswith("warning:") and "perturbation" in lines[0]
