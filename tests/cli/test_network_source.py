"""One network resolver: the same network from the store or from a file, for every command."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli_captured as run
from tests.models.tiny import tiny_network


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[str, Path]:
    from hmlm_sb.io.sbml_qual import write_sbml_qual
    from hmlm_sb.store import open_store

    root = tmp_path_factory.mktemp("resolver")
    db = str(root / "store.lbdb")
    with open_store(db, max_db_size=1 << 30) as store:
        store.save_network(tiny_network(), cell="tiny_cell")
    return db, write_sbml_qual(tiny_network(), root / "tiny.sbml")


def test_simulate_reads_the_store_or_the_file_alike(stored, tmp_path, capsys):
    db, sbml = stored
    by_cell, by_model, by_file = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    for args, out in ((["--cell", "tiny_cell"], by_cell), (["--model", "tiny"], by_model),
                      (["--network", str(sbml)], by_file)):
        code, _, err = run(["--db", db, "simulate", "--condition", "TGFB", "--points", "5", *args, "--out", str(out)],
                           capsys)
        assert code == 0, err
    frames = [pd.read_csv(p).sort_values(["time", "species"]).reset_index(drop=True) for p in (by_cell, by_model)]
    local = pd.read_csv(by_file).sort_values(["time", "species"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert sorted(s.split("/")[-1] for s in frames[0]["species"].unique()) == sorted(local["species"].unique())
    assert (frames[0]["value"].to_numpy() - local["value"].to_numpy()).__abs__().max() < 1e-9


def test_dataset_make_from_the_store(stored, tmp_path, capsys):
    db, _ = stored
    code, out, err = run(["--db", db, "dataset", "make", "--cell", "tiny_cell", "--points", "10",
                          "--out", str(tmp_path / "d")], capsys)
    assert code == 0, err
    assert "hidden edges" in out and (tmp_path / "d" / "spec.json").is_file()


def test_bad_selections_are_one_line(stored, tmp_path, capsys):
    db, sbml = stored
    code, _, err = run(["--db", db, "simulate", "--cell", "tiny_cell", "--network", str(sbml)], capsys)
    assert code == 2 and "either --network or a store selection" in err
    code, _, err = run(["--db", str(tmp_path / "none.lbdb"), "simulate", "--cell", "x"], capsys)
    assert code == 2 and "no store at" in err
    code, _, err = run(["simulate", "--network", str(tmp_path / "missing.xml")], capsys)
    assert code == 2 and "missing.xml" in err
