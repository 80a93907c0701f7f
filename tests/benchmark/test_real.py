"""The real-data task: leave one experiment out on MIDAS data, references, figure, CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import need
from hmlm_sb.benchmark.real import (EXTERNAL, RealConfig, boolean_floor, load_dataset, plot_grid, run_real,
                                    scored_mask)
from hmlm_sb.cli.main import cli


@pytest.fixture(scope="module")
def toymmb(shared_data):
    folder = shared_data / "midas" / "ToyMMB"
    need(folder.is_dir(), f"missing {folder}")
    return load_dataset(folder / "MD-ToyMMB.csv", folder / "PKN-ToyMMB.sif", "ToyMMB")


def test_references_match_the_recorded_caspo_numbers(toymmb, shared_data):
    records, _ = run_real(RealConfig(models=[], profile="tiny"), [toymmb])
    by_model = {r["model"]: r for r in records}
    # the training mean and the Boolean floor are properties of the data: they must match
    # what ../shared/data/README.md recorded next to caspo / corneto (t = 10, 7 readouts)
    assert by_model["training-mean"]["mse"] == pytest.approx(EXTERNAL["ToyMMB"]["training_mean"], abs=5e-4)
    assert by_model["boolean-floor"]["mse"] == pytest.approx(EXTERNAL["ToyMMB"]["boolean_floor"], abs=5e-4)
    external = by_model["caspo/corneto (external)"]
    assert external["kind"] == "external" and "caspo" in external["source"] and external["mse"] == 0.0592
    assert by_model["training-mean"]["n"] == int(scored_mask(toymmb.data, toymmb.readouts).sum()) == 63


def test_boolean_floor_is_the_lowest_error_of_any_01_model():
    values = np.array([0.0, 0.2, 0.5, 0.7, 1.0, 0.45])
    expected = np.minimum(values ** 2, (values - 1) ** 2)
    np.testing.assert_allclose((boolean_floor(values) - values) ** 2, expected)


def test_loeo_holds_each_experiment_out_and_scores_every_model(toymmb, tmp_path):
    records, artefacts = run_real(RealConfig(models=["interp", "ode-default"], profile="tiny", max_folds=3),
                                  [toymmb])
    rows = {r["model"]: r for r in records if r["kind"] == "model"}
    assert set(rows) == {"interp", "ode-default"}
    for row in rows.values():
        assert row["error"] is None and np.isfinite(row["mse"]) and row["folds"] == 3
        assert set(row["per_readout"]) == set(toymmb.readouts) and row["uses_inhibit"] in (True, False)
    pred = artefacts[("ToyMMB", "ode-default")]["pred"]
    assert np.isfinite(pred[:3]).all() and np.isnan(pred[3:]).all()  # folds not run stay NaN
    path = plot_grid(toymmb, artefacts[("ToyMMB", "ode-default")]["times"], pred, "ode-default",
                     tmp_path / "grid.png")
    assert path.stat().st_size > 10_000


def test_cli_real_task_with_a_users_pair(shared_data, tmp_path, capsys):
    folder = shared_data / "midas" / "ToyMMB_FeedbackAnd"
    need(folder.is_dir(), f"missing {folder}")
    out = tmp_path / "bench"
    try:
        cli(["benchmark", "--task", "real", "--midas", str(folder / "MD-ToyMMB_FeedbackAnd.csv"), "--pkn",
             str(folder / "PKN-ToyMMB_FeedbackAnd.sif"), "--models", "interp", "--quick", "--out", str(out)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    results = json.loads((out / "results_real.json").read_text())
    assert {r["model"] for r in results["records"]} == {"training-mean", "boolean-floor", "interp"}
    assert (out / "real_ToyMMB_FeedbackAnd_interp.png").is_file()
    report = (out / "report_real.md").read_text()
    assert "## ToyMMB_FeedbackAnd" in report and "boolean-floor" in report
    assert "interp" in capsys.readouterr().out
