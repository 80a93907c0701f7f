"""`hmlm simulate --inhibit/--knockdown` and `hmlm predict --inhibit/--knockdown`."""
from __future__ import annotations

import pandas as pd

from tests.cli.test_network_source import run


def final(path, species: str) -> float:
    frame = pd.read_csv(path)
    return frame[(frame["species"] == species) & (frame["time"] == frame["time"].max())]["value"].item()


def test_simulate_applies_inhibition_and_knockdown(tmp_path, capsys):
    plain, inhibited, knocked = tmp_path / "p.csv", tmp_path / "i.csv", tmp_path / "k.csv"
    base = ["simulate", "--condition", "TGFB", "--points", "11", "--t-end", "40"]
    assert run([*base, "--out", str(plain)], capsys)[0] == 0
    assert run([*base, "--inhibit", "smad3=0", "--out", str(inhibited)], capsys)[0] == 0
    assert run([*base, "--knockdown", "aSMA=0", "--out", str(knocked)], capsys)[0] == 0
    assert abs(final(inhibited, "smad3") - final(plain, "smad3")) < 1e-3  # its own state barely moves
    assert final(inhibited, "CTGF") < final(plain, "CTGF") - 0.01  # what it drives is not
    assert final(knocked, "aSMA") < 1e-6 < final(plain, "aSMA")
    code, _, err = run([*base, "--inhibit", "nosuch=0"], capsys)
    assert code == 2 and "nosuch" in err
