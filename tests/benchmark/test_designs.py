"""The design benchmark end to end on the tiny network: identifiability, edge methods
(residual correlation, influence, attention where a model has it), trajectories with
nRMSE, the report and the CLI path."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hmlm_sb.benchmark.designs import DesignConfig, run_design_benchmark, tuning_budget
from hmlm_sb.benchmark.report import write_design_report
from tests.models.tiny import tiny_network

MODELS = ["interp", "ode-default", "cellbox"]


@pytest.fixture(scope="module")
def records():
    config = DesignConfig(networks={"tiny": tiny_network()}, models=MODELS, designs=("standard", "single+kd"),
                          generators=("netflux", "mismatch"), seeds=(0,), n_times=20, profile="tiny")
    return run_design_benchmark(config)


def test_every_cell_scores_identifiability_edges_and_trajectories(records):
    cells = {(r["design"], r["generator"]) for r in records}
    assert cells == {(d, g) for d in ("standard", "single+kd") for g in ("netflux", "mismatch")}
    ident = [r for r in records if r["task"] == "design-ident"]
    assert len(ident) == 4 and all(0 <= r["n_identifiable"] <= r["n_hidden"] for r in ident)
    edges = [r for r in records if r["task"] == "design-edges"]
    methods = {(r["model"], r["method"]) for r in edges}
    assert ("-", "residual-corr") in methods and ("cellbox", "finite-difference") in methods
    assert ("-", "residual-ridge") in methods
    assert ("ode-default", "crosstalk-view") in methods  # its crosstalk() matrix
    assert ("ode-default", "backbone-ridge") in methods and ("cellbox", "backbone-ridge") not in methods
    by_method = {(r["model"], r["method"], r["design"], r["generator"]): r for r in edges if "error" not in r}
    for (model, method, design, generator), r in by_method.items():
        if (model, method) == ("ode-default", "backbone-ridge"):  # ode-default's backbone is the prior's ODE
            assert r["auroc"] == pytest.approx(by_method[("-", "residual-ridge", design, generator)]["auroc"], abs=1e-6)
    for r in edges:
        if "error" in r:
            continue
        assert {"auroc", "aupr_lift", "auroc_ident", "aupr_lift_ident"} <= set(r)
    traj = [r for r in records if r["task"] == "design-traj" and "error" not in r]
    assert {r["model"] for r in traj if r["design"] == "standard"} == set(MODELS)
    for r in traj:
        assert {"mse", "mse_vs_interp", "pearson_r", "nrmse_median", "nrmse_worst"} <= set(r)
        assert len(r["nrmse_worst"]) <= 10
    interp = [r for r in traj if r["model"] == "interp"]
    assert all(r["mse_vs_interp"] == pytest.approx(1.0) for r in interp if r["mse"] > 0)


def test_design_report_lists_every_section_and_the_budget(records, tmp_path):
    meta = {"command": "test", "networks": ["tiny"], "designs": ["standard", "single+kd"],
            "generators": ["netflux", "mismatch"], "seeds": [0], "points": 4, "profile": "tiny",
            "budget": tuning_budget(MODELS, "tiny")}
    text = write_design_report(records, tmp_path, meta).read_text()
    for heading in ("Identifiability of the hidden edges", "Edge recovery: AUROC", "Prediction (interpolation): MSE",
                    "median per-species nRMSE", "Worst 10 species", "Tuning effort"):
        assert heading in text, heading
    assert "cellbox: " in text and "epochs=" in text


def test_cli_design_path_and_bad_design(tmp_path, monkeypatch):
    from hmlm_sb.cli import benchmark_cmds
    from hmlm_sb.errors import InputError

    monkeypatch.setattr(benchmark_cmds, "resolve_network", lambda ctx, source: tiny_network())
    out = tmp_path / "d"
    result = CliRunner().invoke(benchmark_cmds.benchmark, ["--designs", "standard", "--models", "interp,ode-default",
                                                           "--seeds", "1", "--workers", "1", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert {r["task"] for r in data["records"]} == {"design-ident", "design-edges", "design-traj"}
    assert "Design benchmark report" in (out / "report.md").read_text()
    later = tmp_path / "later"
    result = CliRunner().invoke(benchmark_cmds.benchmark, ["--designs", "standard", "--models", "interp", "--seeds", "1",
                                                           "--first-seed", "3", "--workers", "1", "--out", str(later)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert {r["seed"] for r in json.loads((later / "results.json").read_text())["records"]} == {3}
    with pytest.raises(InputError, match="unknown design"):
        CliRunner().invoke(benchmark_cmds.benchmark, ["--designs", "all", "--out", str(out)], catch_exceptions=False)
