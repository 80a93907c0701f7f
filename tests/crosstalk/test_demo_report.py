"""Held-out scores and figures of the demo."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.demo_report import held_out_scores, pick_key_species, plot_pathway_heatmap, plot_trajectories
from hmlm_sb.trajectories import Trajectories


def data() -> Trajectories:
    times = np.linspace(0, 10, 6)
    values = np.stack([np.outer(times / 10, [1.0, 0.5, 0.0]), np.outer(times / 10, [0.2, 1.0, 0.3])])
    observed = np.zeros((2, 6), dtype=bool)
    observed[:, [0, 2, 4, 5]] = True
    return Trajectories(["control", "TGFB"], times, ["m/A", "m/B", "m/C"], values, observed=observed)


def test_scores_use_only_held_out_points():
    truth = data()
    perfect = truth.values.copy()
    spoiled = truth.values.copy()
    spoiled[:, [0, 2, 4, 5]] += 5.0  # observed points only: must not count
    scores = held_out_scores(truth, {"perfect": perfect, "spoiled": spoiled})
    assert set(scores["points"]) == {6}
    assert scores["mse"].max() == pytest.approx(0.0)
    off = truth.values + 0.1
    off_scores = held_out_scores(truth, {"off": off})
    assert off_scores["mse"].tolist() == pytest.approx([0.01, 0.01])
    assert off_scores["pearson_r"].tolist() == pytest.approx([1.0, 1.0])


def test_scores_refuse_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        held_out_scores(data(), {"bad": np.zeros((1, 6, 3))})


def test_key_species_prefers_named_then_dynamic():
    truth = data()
    assert pick_key_species(truth, ["c", "nope"], count=2) == ["m/C", "m/A"]


def test_figures_are_png(tmp_path):
    truth = data()
    traj = plot_trajectories(truth, {"hmlm": truth.values * 0.9}, ["m/A", "m/B"], tmp_path / "t.png")
    heat = plot_pathway_heatmap(np.array([[0, 1.0], [0.5, 0]]), ["m/P1", "m/P2"], tmp_path / "h.png")
    for path in (traj, heat):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
