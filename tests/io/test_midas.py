"""MIDAS and tidy CSV: reading, name mapping, bad input, normalisation, the round trip."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import need
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network
from hmlm_sb.io.experiments import (detect_data_format, experiments_to_trajectories, map_to_network, normalise,
                                    read_experiments, read_name_map)
from hmlm_sb.io.midas import write_midas

TOY_MIDAS = """TR:mock:CellLine,TR:EGF,TR:PI3Ki,DA:Akt,DA:Erk,DV:Akt,DV:Erk
1,0,0,0,0,0.1,0.2
1,1,0,0,0,0.1,0.2
1,1,1,0,0,0.1,NaN
1,0,0,10,10,0.1,0.3
1,1,0,10,10,0.9,0.8
1,1,0,10,10,0.7,0.6
1,1,1,10,10,0.2,   NaN
"""
TOY_SIF = "EGF\t1\tPI3K\nPI3K\t1\takt\nEGF\t1\terk\n"


@pytest.fixture(scope="module")
def midas_dir(shared_data) -> Path:
    path = shared_data / "midas"
    need(path.is_dir(), f"missing {path}")
    return path


@pytest.fixture
def toy(tmp_path) -> tuple[Path, Path]:
    midas = tmp_path / "MD-toy.csv"
    midas.write_text(TOY_MIDAS)
    sif = tmp_path / "PKN-toy.sif"
    sif.write_text(TOY_SIF)
    return midas, sif


def test_toy_midas_experiments_replicates_and_mapping(toy):
    midas, sif = toy
    assert detect_data_format(midas) == "midas"
    data = read_experiments(midas)
    assert [e.id for e in data.experiments] == ["control", "EGF", "EGF+PI3Ki"]
    egf = data.experiment("EGF")
    assert egf.stimuli == {"EGF": 1.0} and not egf.inhibitors and egf.cell_line == "mock"
    np.testing.assert_allclose(egf.values, [[0.1, 0.2], [0.8, 0.7]])  # replicates averaged
    np.testing.assert_allclose(egf.sd[1], [np.std([0.9, 0.7], ddof=1), np.std([0.8, 0.6], ddof=1)])
    assert data.experiment("EGF+PI3Ki").inhibitors == {"PI3K": 1.0}
    assert data.n_measurements == 10
    mapped = map_to_network(data, read_network(sif))
    assert mapped.readouts == ["akt", "erk"]  # case-insensitive
    assert mapped.experiment("EGF+PI3Ki").inhibit() == {"PI3K": 0.0}


def test_real_midas_files(midas_dir):
    expected = {"LiverDREAM": (25, 330, 2), "ToyMMB": (9, 126, 2), "ToyMMB_FeedbackAnd": (9, 126, 2),
                "ToyPB": (10, 960, 16)}
    for name, (n_exp, n_values, n_times) in expected.items():
        data = read_experiments(midas_dir / name / f"MD-{name}.csv")
        mapped = map_to_network(data, read_network(midas_dir / name / f"PKN-{name}.sif"))
        assert (len(data.experiments), data.n_measurements, len(data.experiments[0].times)) == \
            (n_exp, n_values, n_times), name
        assert len(mapped.readouts) in (6, 7)
    liver = map_to_network(read_experiments(midas_dir / "LiverDREAM" / "MD-LiverDREAM.csv"),
                           read_network(midas_dir / "LiverDREAM" / "PKN-LiverDREAM.sif"))
    assert liver.inhibitors == ["mek12", "p38", "pi3k", "ikk"]
    assert liver.stimuli == ["tnfa", "il1a", "igf1", "tgfa"]
    assert np.isnan(liver.experiment("mek12i").values[:, liver.readouts.index("mek12")]).all()


def test_experiments_become_trajectories(toy):
    midas, sif = toy
    network = read_network(sif)
    data = map_to_network(read_experiments(midas), network)
    traj, prior = experiments_to_trajectories(data.experiments, network)
    assert "input_EGF" in prior.reactions and "input_EGF" not in network.reactions  # stored PKN untouched
    assert traj.conditions == ["control", "EGF", "EGF+PI3Ki"] and traj.inputs == ["input_EGF"]
    np.testing.assert_array_equal(traj.stimuli[:, 0], [0, 1, 1])
    pi3k = traj.species.index("PI3K")
    inhibit = traj.inhibit
    assert inhibit[2, pi3k] == 0 and inhibit[1, pi3k] == 1 and inhibit[:, traj.species.index("akt")].min() == 1
    assert np.isnan(traj.values[:, :, pi3k]).all() and np.isnan(traj.initial[:, pi3k]).all()
    assert traj.initial[1, traj.species.index("akt")] == pytest.approx(0.1)
    assert np.isnan(traj.values[2, 1, traj.species.index("erk")]) and traj.observed.all()


@pytest.mark.parametrize("text, message", [
    ("TR:c:CellLine,TR:EGF,DV:Akt\n1,1,0.5\n", "no time column"),
    ("TR:c:CellLine,TR:EGF,DA:Akt,DV:Akt\n1,1,0,high\n", r"row 2, column 4 \(DV:Akt\): not a number: 'high'"),
    ("TR:c:CellLine,TR:EGF,DA:Akt,DV:Akt\n1,1,zero,0.5\n", r"row 2, column 3 \(DA:Akt\)"),
    ("TR:c:CellLine,TR:EGF,DA:Akt,DV:Akt,XX:foo\n1,1,0,0.5,1\n", r"column 5 \(XX:foo\): not a MIDAS column"),
])
def test_bad_midas_is_one_line_naming_row_and_column(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_experiments(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_unknown_species_and_inhibitor_of_nothing_are_listed_in_one_line(toy, tmp_path):
    midas, sif = toy
    network = read_network(sif)
    path = tmp_path / "MD-x.csv"
    path.write_text(TOY_MIDAS.replace("DV:Erk", "DV:Jnk").replace("DA:Erk", "DA:Jnk"))
    with pytest.raises(InputError, match=r"row 1, column 7 \(DV:Jnk\): unknown species 'Jnk'"):
        map_to_network(read_experiments(path), network)
    path.write_text(TOY_MIDAS.replace("TR:PI3Ki", "TR:MEKi"))
    with pytest.raises(InputError, match=r"column 3 \(TR:MEKi\): the inhibitor of nothing in the network 'MEK'"):
        map_to_network(read_experiments(path), network)
    renames = tmp_path / "map.csv"
    renames.write_text("name,species\nMEK,PI3K\n")
    assert map_to_network(read_experiments(path), network, read_name_map(renames)).inhibitors == ["PI3K"]


def test_tidy_csv_with_treatment_columns_and_with_a_treatments_table(toy, tmp_path):
    _, sif = toy
    network = read_network(sif)
    tidy = tmp_path / "tidy.csv"
    tidy.write_text("experiment,time,species,value,sd,stim:EGF,inh:PI3K\n"
                    "e1,0,Akt,0.1,0.01,1,0\ne1,10,Akt,0.9,0.02,1,0\ne2,0,Akt,0.1,,1,1\ne2,10,Akt,0.2,,1,1\n")
    assert detect_data_format(tidy) == "tidy"
    data = map_to_network(read_experiments(tidy), network)
    assert data.experiment("e2").inhibitors == {"PI3K": 1.0} and data.experiment("e1").stimuli == {"EGF": 1.0}
    assert data.experiment("e1").sd[1, 0] == pytest.approx(0.02)
    bare = tmp_path / "bare.csv"
    bare.write_text("experiment,time,species,value\ne1,0,Akt,0.1\ne1,10,Akt,0.9\n")
    (tmp_path / "bare_treatments.csv").write_text("experiment,stim:EGF\ne1,1\n")
    assert read_experiments(bare).experiment("e1").stimuli == {"EGF": 1.0}
    tidy.write_text("experiment,species,value\ne1,Akt,0.1\n")
    with pytest.raises(InputError, match="no 'time' column"):
        read_experiments(tidy, "tidy")


def test_normalisation_time_and_minmax(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text("TR:c:CellLine,TR:EGF,DA:Akt,DV:Akt\n1,0,0,100\n1,1,0,100\n1,0,10,100\n1,1,10,300\n")
    data = read_experiments(raw)
    minmax = normalise(data, "minmax")
    np.testing.assert_allclose(minmax.experiment("EGF").values[:, 0], [0, 1])
    timed = normalise(data, "time")
    fold = 2.0  # |300 - 100| / 100
    hill = fold ** 2 / (0.5 ** 2 + fold ** 2)
    np.testing.assert_allclose(timed.experiment("EGF").values[:, 0], [0, hill])  # penalty 1 (EC50noise 0)
    np.testing.assert_allclose(timed.experiment("control").values[:, 0], [0, 0])
    assert timed.normalisation.startswith("time(")
    with pytest.raises(InputError, match="unknown normalisation parameter"):
        normalise(data, "time", ec50=1.0)


def test_midas_round_trip(midas_dir, tmp_path):
    for name in ("LiverDREAM", "ToyPB"):
        first = read_experiments(midas_dir / name / f"MD-{name}.csv")
        out = write_midas(first, tmp_path / f"{name}.csv")
        again = read_experiments(out)
        assert [e.id for e in again.experiments] == [e.id for e in first.experiments]
        for a, b in zip(first.experiments, again.experiments):
            assert (a.stimuli, a.inhibitors, a.readouts, a.cell_line) == (b.stimuli, b.inhibitors, b.readouts,
                                                                           b.cell_line)
            np.testing.assert_array_equal(a.times, b.times)
            np.testing.assert_allclose(a.values, b.values, equal_nan=True)
