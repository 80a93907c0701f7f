"""`hmlm simulate`, `hmlm dataset make`, `hmlm validate literature` from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli_captured as run


def test_simulate_csv_and_plot(tmp_path: Path, capsys) -> None:
    csv, png = tmp_path / "s.csv", tmp_path / "s.png"
    code, _, err = run(["simulate", "--condition", "TGFB", "--condition", "control", "--points", "21",
                        "--out", str(csv), "--plot", str(png), "--species", "smad3,aSMA"], capsys)
    assert code == 0, err
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["condition", "time", "species", "value"]
    assert len(frame) == 2 * 21 * 109 and set(frame["condition"]) == {"TGFB", "control"}
    first = frame[frame["time"] == 0]
    assert (first["value"] == 0).all()
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_simulate_set_changes_the_condition(tmp_path: Path, capsys) -> None:
    out = tmp_path / "a.csv"
    assert run(["simulate", "--condition", "control", "--set", "TGFB=0.7", "--out", str(out)], capsys)[0] == 0
    frame = pd.read_csv(out)
    tgfb = frame[(frame["species"] == "TGFB1R") & (frame["time"] == frame["time"].max())]["value"].item()
    assert tgfb > 0.5 and frame["condition"].iloc[0] == "control+TGFB=0.7"


@pytest.mark.parametrize("args, needle", [
    (["simulate", "--condition", "nope"], "unknown condition 'nope'"),
    (["simulate", "--set", "smad3=0.5"], "'smad3' is not an input"),
    (["simulate", "--set", "TGFB=-1"], "non-negative"),
    (["simulate", "--network", "missing.xlsx"], "missing.xlsx"),
    (["dataset", "make", "--hidden-fraction", "2"], "hidden fraction"),
])
def test_bad_input_exits_2(args: list[str], needle: str, capsys, tmp_path: Path) -> None:
    code, _, err = run(args, capsys)
    assert code == 2 and needle in err and "Traceback" not in err


def test_dataset_make(tmp_path: Path, capsys) -> None:
    out = tmp_path / "ds"
    code, text, err = run(["dataset", "make", "--out", str(out), "--seed", "2", "--noise", "0.05",
                           "--protocol", "steady", "--points", "30"], capsys)
    assert code == 0, err
    assert "hidden edges" in text
    tidy = pd.read_csv(out / "observed.csv")
    assert tidy["time"].nunique() == 30 and json.loads((out / "spec.json").read_text())["noise_sd"] == 0.05


def test_validate_literature_json(shared_data: Path, capsys) -> None:
    table = shared_data / "validation" / "Rogers2022_literature_validation.xlsx"
    code, text, err = run(["validate", "literature", str(table), "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(text)
    assert 0.78 <= report["agreement"] <= 0.85 and report["scored"] == 118
    code, text, _ = run(["validate", "literature", str(table)], capsys)
    assert code == 0 and "agreement: 0.8" in text and "confusion" in text
