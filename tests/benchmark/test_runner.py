"""A tiny benchmark end to end: every task, the JSON schema, the report and figures."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hmlm_sb.benchmark.data import dataset_source
from hmlm_sb.benchmark.report import write_report, write_results
from hmlm_sb.benchmark.runner import BenchmarkConfig, run_benchmark
from tests.models.tiny import tiny_network

TRAJECTORY_FIELDS = {"task", "timepoints", "condition", "model", "seed", "pearson_r", "species_r", "mse",
                     "mse_vs_interp", "fit_seconds", "predict_seconds", "split", "setting"}
MODELS = ["interp", "ode-default", "cellbox", "dbn"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    config = BenchmarkConfig(models=MODELS, seeds=2, settings=(4, 100), paper_settings=(4,),
                             loco_conditions=["combined"], profile="tiny", n_times=25, literature=False)
    records, artefacts = run_benchmark(config, dataset_source(tiny_network(), n_times=25))
    out = tmp_path_factory.mktemp("bench")
    meta = {"command": "test", "seeds": 2, "profile": "tiny", "models": MODELS, "seconds": 1.0}
    write_results(records, out, meta)
    write_report(records, artefacts, out, meta)
    return records, out


def test_results_json_has_one_record_per_task_setting_condition_model_seed(tiny_run):
    records, out = tiny_run
    data = json.loads((out / "results.json").read_text())
    assert data["meta"]["models"] == MODELS
    traj = [r for r in data["records"] if r["task"] in ("sparse", "loco", "paper")]
    for record in traj:
        assert TRAJECTORY_FIELDS <= set(record)
    sparse = [r for r in traj if r["task"] == "sparse"]
    # 2 settings x 4 conditions x 2 splits x 4 models x 2 seeds
    assert len(sparse) == 2 * 4 * 2 * len(MODELS) * 2
    assert {r["task"] for r in traj} == {"sparse", "loco", "paper"}
    for r in traj:
        if r["model"] == "interp" and r["mse"] > 0:
            assert r["mse_vs_interp"] == pytest.approx(1.0)
    edges = [r for r in data["records"] if r["task"] == "edges"]
    assert {r["model"] for r in edges} == set(MODELS) | {"residual-corr"}
    for r in edges:
        assert {"auroc", "aupr", "aupr_lift"} <= set(r)
    masked = {r["model"]: r["masked_to_prior"] for r in edges if r["seed"] == 0}
    assert masked["ode-default"] and masked["dbn"] and not masked["cellbox"] and not masked["residual-corr"]


def test_report_and_figures_are_written(tiny_run):
    _, out = tiny_run
    report = (out / "report.md").read_text()
    for heading in ("Sparse sampling", "Leave one condition out", "The paper's protocol", "Edge recovery"):
        assert heading in report
    assert "0.041" in report
    for figure in ("trajectories.png", "error_vs_timepoints.png", "roc_hidden_edges.png", "crosstalk_pathways.png"):
        assert (out / figure).stat().st_size > 1000, figure


def test_a_failing_model_is_reported_not_fatal(monkeypatch, tmp_path):
    from hmlm_sb.benchmark import runner

    real = runner.make_model_for

    class Broken:
        def fit(self, *args, **kwargs):
            raise RuntimeError("boom")

    monkeypatch.setattr(runner, "make_model_for", lambda name, profile: Broken() if name == "dbn" else real(name, profile))
    config = BenchmarkConfig(models=["interp", "dbn"], seeds=1, settings=(4,), paper_settings=(4,),
                             loco_conditions=["combined"], profile="tiny", n_times=25, literature=False)
    records, artefacts = run_benchmark(config, dataset_source(tiny_network(), n_times=25))
    failed = [r for r in records if r.get("error")]
    assert {r["task"] for r in failed} == {"sparse", "loco", "paper"}
    assert all("boom" in r["error"] for r in failed)
    write_report(records, artefacts, tmp_path, {"command": "t", "seeds": 1, "profile": "tiny", "models": ["interp", "dbn"]})
    assert "## Failures" in (tmp_path / "report.md").read_text()
