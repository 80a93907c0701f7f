"""`hmlm benchmark` wiring: options, output files, bad input."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hmlm_sb.cli.benchmark_cmds import benchmark
from hmlm_sb.errors import InputError


def test_benchmark_command_writes_results_and_report(tmp_path):
    out = tmp_path / "bench"
    result = CliRunner().invoke(benchmark, ["--quick", "--out", str(out), "--models", "interp,ode-default",
                                            "--no-literature", "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert {r["model"] for r in data["records"]} == {"interp", "ode-default", "residual-corr"}
    assert {r["task"] for r in data["records"]} == {"sparse", "loco", "paper", "edges"}
    assert (out / "report.md").is_file()


def test_unknown_model_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="unknown model"):
        CliRunner().invoke(benchmark, ["--models", "nope", "--out", str(tmp_path)], catch_exceptions=False)
