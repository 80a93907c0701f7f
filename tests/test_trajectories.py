import numpy as np
import pandas as pd
import pytest

from hmlm_sb.trajectories import Trajectories


def make() -> Trajectories:
    rng = np.random.default_rng(0)
    return Trajectories(["ctrl", "tgfb"], np.linspace(0, 10, 5), ["A", "B", "C"], rng.random((2, 5, 3)),
                        inputs=["i1"], stimuli=[[0.1], [0.7]])


def test_frame_round_trip():
    traj = make()
    back = Trajectories.from_frame(traj.to_frame(), inputs=["i1"], stimuli={"ctrl": {"i1": 0.1}, "tgfb": {"i1": 0.7}})
    np.testing.assert_allclose(back.values, traj.values)
    np.testing.assert_allclose(back.stimuli, traj.stimuli)
    assert back.conditions == traj.conditions and back.species == traj.species


def test_irregular_times_leave_gaps_unobserved():
    frame = pd.DataFrame({"condition": ["c", "c", "d"], "time": [0.0, 2.0, 1.0], "species": ["A"] * 3,
                          "value": [1.0, 2.0, 3.0]})
    traj = Trajectories.from_frame(frame)
    assert list(traj.times) == [0.0, 1.0, 2.0]
    assert traj.observed.tolist() == [[True, False, True], [False, True, False]]
    assert np.isnan(traj.values[0, 1, 0])


def test_save_load(tmp_path):
    traj = make()
    traj.meta["seed"] = 3
    traj.save(tmp_path / "t.npz")
    back = Trajectories.load(tmp_path / "t.npz")
    np.testing.assert_array_equal(back.values, traj.values)
    assert back.meta == {"seed": 3}


def test_shape_is_checked():
    with pytest.raises(ValueError, match="values shape"):
        Trajectories(["a"], [0, 1], ["A"], np.zeros((1, 3, 1)))


def test_subset_and_unknown_condition():
    traj = make()
    assert traj.subset(["tgfb"]).stimuli.tolist() == [[0.7]]
    with pytest.raises(KeyError, match="unknown condition"):
        traj.subset(["nope"])
