"""Literature validation: reading the published table, scoring any simulator, the Rogers score."""
from __future__ import annotations

from pathlib import Path

import pytest

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network
from hmlm_sb.sim.literature import (Experiment, LiteratureProtocol, classify, read_literature,
                                    score_literature, validate_network)
from tests.conftest import need


@pytest.fixture(scope="module")
def table(shared_data: Path) -> Path:
    path = shared_data / "validation" / "Rogers2022_literature_validation.xlsx"
    need(path.is_file(), f"missing {path}")
    return path


def test_reads_120_experiments(table: Path) -> None:
    experiments = read_literature(table)
    assert len(experiments) == 120
    assert experiments[0] == Experiment("v1", "TGFB", "proCI", "Increase", "w(2) = 1;", "15625103")
    assert {e.measurement for e in experiments} == {"Increase", "Decrease", "No Change"}


def test_classify_threshold() -> None:
    assert classify(0.06, 0.05) == "Increase" and classify(-0.06, 0.05) == "Decrease"
    assert classify(0.05, 0.05) == "No Change" and classify(-0.01, 0.05) == "No Change"


def test_scorer_takes_any_simulator() -> None:
    experiments = [Experiment("a", "X", "P", "Increase"), Experiment("b", "X", "Q", "Decrease"),
                   Experiment("c", "Y", "P", "No Change"), Experiment("d", "Z", "P", "Increase")]
    calls = []

    def model(weights: dict[str, float]) -> dict[str, float]:
        calls.append(dict(weights))
        return {"P": weights["X"] + 0.01 * weights["Y"], "Q": 1 - weights["X"]}

    score = score_literature(experiments, model, ["X", "Y"], protocol=LiteratureProtocol(stimulus_weight=0.8),
                             baseline={"X": 0.1, "Y": 0.1})
    assert calls[0] == {"X": 0.1, "Y": 0.1} and {"X": 0.8, "Y": 0.1} in calls
    assert list(score.table["prediction"]) == ["Increase", "Decrease", "No Change"]
    assert score.agreement == 1.0 and list(score.skipped["id"]) == ["d"]
    report = score.to_json()
    assert report["agreement"] == 1.0 and report["confusion"]["Decrease"]["Decrease"] == 1
    with pytest.raises(InputError, match="not an input"):
        score_literature(experiments, model, ["X", "Y"], protocol=LiteratureProtocol(baseline_weights={"W": 1}))


def test_rogers_agreement(rogers: Network, table: Path) -> None:
    score = validate_network(rogers, table)
    assert len(score.table) == 118 and set(score.skipped["input"]) == {"Forskolin"}
    assert 0.78 <= score.agreement <= 0.85  # measured 96/118 = 0.814 (docs/simulator.md)
    confusion = score.confusion()
    assert confusion.to_numpy().sum() == 118 and confusion.loc["Increase", "Increase"] > 75
    per_input = score.per_input().set_index("input")
    assert per_input.loc["AngII", "agreement"] == 1.0


def test_bad_tables(tmp_path: Path) -> None:
    import pandas as pd

    with pytest.raises(InputError, match="not found"):
        read_literature(tmp_path / "none.xlsx")
    pd.DataFrame({"Input": ["TGFB"], "Output": ["proCI"]}).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(InputError, match="lacks columns: Measurement"):
        read_literature(tmp_path / "a.csv")
    pd.DataFrame({"ID": ["v1"], "Input": ["TGFB"], "Output": ["proCI"], "Measurement": ["Up"]}).to_csv(
        tmp_path / "b.csv", index=False)
    with pytest.raises(InputError, match="v1"):
        read_literature(tmp_path / "b.csv")
