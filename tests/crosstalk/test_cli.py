"""`hmlm crosstalk`, `hmlm retrain` and `hmlm demo` through the command line."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hmlm_sb.cli.main import _group, cli


def run(*args: str) -> str:
    result = CliRunner().invoke(_group, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def stdout(*args: str) -> str:
    """What a command writes to stdout alone (its notes go to stderr)."""
    result = CliRunner().invoke(_group, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def words(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_crosstalk_csv_and_json(trained_store):
    db = str(trained_store["root"] / "store.lbdb")
    trained_store["store"].close()  # the CLI opens the store itself
    try:
        text = stdout("--db", db, "crosstalk", "--condition", "TGFB", "--novel", "--top", "7", "--format", "csv")
        from io import StringIO

        frame = pd.read_csv(StringIO(text))
        assert len(frame) == 7 and set(frame["condition"]) == {"TGFB"} and not frame["known"].any()
        assert frame["weight"].is_monotonic_decreasing
        source = frame["source"].iloc[0]  # a species that has edges, by its uid "model/id"
        rows = json.loads(stdout("--db", db, "crosstalk", "--species", source.split("/", 1)[-1], "--top", "5",
                                 "--format", "json"))
        assert rows and all(source in (r["source"], r["target"]) for r in rows)
        pathway = json.loads(stdout("--db", db, "crosstalk", "--pathway", "growth factor", "--format", "json"))
        assert pathway and all(r["level"] == "pathway" for r in pathway)
        assert all("Rogers2022/growth factor" in (r["source"], r["target"]) for r in pathway)
        table = run("--db", db, "crosstalk", "--top", "3")
        assert "species crosstalk" in table
    finally:
        from hmlm_sb.store import open_store

        trained_store["store"] = open_store(db, max_db_size=1 << 30)


def test_crosstalk_refuses_species_with_pathway_level(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli(["--db", str(tmp_path / "x.lbdb"), "crosstalk", "--species", "A", "--level", "pathway"])
    assert exit_info.value.code == 2
    assert "--species" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_twice_end_to_end(tmp_path: Path, shared_data: Path):
    db, out = str(tmp_path / "demo.lbdb"), tmp_path / "out"
    first = words(run("--db", db, "demo", "--tiny", "--out", str(out)))
    assert "imported" in first and "top novel crosstalk under TGFB" in first
    scores = pd.read_csv(out / "scores.csv")
    assert set(scores["model"]) == {"hmlm", "interp"}
    assert set(scores["condition"]) == {"control", "TGFB", "strain", "combined"}
    assert scores["mse"].notna().all()
    for png in ["trajectories.png", "pathway_crosstalk_TGFB.png"]:
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    runs = json.loads((out / "runs.json").read_text())
    assert runs["reused"] == {"hmlm": False, "interp": False}

    second = words(run("--db", db, "demo", "--tiny", "--out", str(out)))
    assert "already imported, unchanged" in second
    assert "reusing run " + runs["runs"]["hmlm"] in second
    again = json.loads((out / "runs.json").read_text())
    assert again["runs"] == runs["runs"] and again["reused"] == {"hmlm": True, "interp": True}
    assert pd.read_csv(out / "scores.csv")["mse"].tolist() == pytest.approx(scores["mse"].tolist(), rel=1e-5)
    retrain = words(run("--db", db, "retrain", "--cell", "cardiac_fibroblast"))
    assert "nothing to do" in retrain

    xlsx = shared_data / "netflux" / "Kraeutler2010_betaAdrenergic.xlsx"
    run("--db", db, "import", str(xlsx), "--cell", "cardiac_fibroblast", "--model-id", "kraeutler")
    retrain = words(run("--db", db, "retrain", "--cell", "cardiac_fibroblast", "--out", str(tmp_path / "runs")))
    assert "models added: kraeutler; species +25 -0" in retrain
    new_runs = retrain.split("new run ")[1].split(" (previous")[0].split(", ")
    assert [r.split("-")[0] for r in new_runs] == ["hmlm", "interp"]  # crosstalk first, each kind's own config
    rows = json.loads(stdout("--db", db, "crosstalk", "--top", "100000", "--format", "json"))
    assert {r["run"] for r in rows} == {new_runs[0]}  # the old run's edges replaced
    touching = [r for r in rows if "kraeutler/" in r["source"] + r["target"]]
    assert touching
    one = touching[0]["source"] if touching[0]["source"].startswith("kraeutler/") else touching[0]["target"]
    by_species = json.loads(stdout("--db", db, "crosstalk", "--species", one, "--format", "json"))
    assert by_species and all(one in (r["source"], r["target"]) for r in by_species)


def test_retrain_without_a_store_creates_nothing(tmp_path: Path, capsys):
    db = tmp_path / "missing.lbdb"
    with pytest.raises(SystemExit) as exit_info:
        cli(["--db", str(db), "retrain"])
    assert exit_info.value.code == 2
    assert "no store at" in capsys.readouterr().err
    assert not db.exists()
