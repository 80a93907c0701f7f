"""Metric functions and task settings on known answers."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.benchmark import metrics, tasks


def test_pooled_and_species_r():
    t = np.linspace(0, 1, 20)
    truth = np.stack([t, 1 - t, np.full_like(t, 0.3)], axis=1)
    assert metrics.pooled_r(truth, truth) == pytest.approx(1.0)
    flipped = truth.copy()
    flipped[:, 0] = 1 - t
    # species 2 is flat (not responsive): only species 0 (r = -1) and 1 (r = 1) count
    assert metrics.species_r(flipped, truth) == pytest.approx(0.0)
    assert metrics.species_r(truth, truth) == pytest.approx(1.0)
    assert np.isnan(metrics.species_r(truth[:, 2:], truth[:, 2:]))


def test_mse():
    assert metrics.mse(np.zeros((2, 2)), np.full((2, 2), 0.5)) == pytest.approx(0.25)


def test_edge_scores_perfect_and_reversed():
    labels = np.array([1, 0, 0, 0, 1, 0, 0, 0])
    perfect = metrics.edge_scores(labels * 2.0 + 0.1, labels)
    assert perfect["auroc"] == pytest.approx(1.0)
    assert perfect["aupr"] == pytest.approx(1.0)
    assert perfect["aupr_lift"] == pytest.approx(4.0)
    worst = metrics.edge_scores(1.0 - labels, labels)
    assert worst["auroc"] == pytest.approx(0.0)
    constant = metrics.edge_scores(np.zeros(8), labels)
    assert constant["auroc"] == pytest.approx(0.5)
    assert constant["aupr_lift"] == pytest.approx(1.0)


def test_edge_scores_use_magnitudes():
    labels = np.array([1, 0, 0, 1])
    assert metrics.edge_scores(np.array([-3.0, 0.1, 0.2, 2.0]), labels)["auroc"] == pytest.approx(1.0)


def test_candidate_pairs_exclude_known_and_self():
    known = np.array([[0, 1], [0, 0]])
    assert metrics.candidate_pairs(known).tolist() == [[False, False], [True, False]]


def test_sparse_mask_and_splits():
    mask = tasks.sparse_mask(2, 100, 4)
    assert mask[0].sum() == 5 and mask[0, 0]
    assert np.flatnonzero(mask[0]).max() == tasks.window_end(100) == 74
    splits = tasks.score_splits(mask[0])
    assert splits["extrapolation"].tolist() == list(range(75, 100))
    assert not set(splits["interpolation"]) & set(np.flatnonzero(mask[0]))
    dense = tasks.sparse_mask(1, 100, 100)
    assert dense[0, :75].all() and not dense[0, 75:].any()
    assert len(tasks.score_splits(dense[0])["interpolation"]) == 74  # training points vs the truth


def test_paper_indices_follow_the_notebook():
    assert tasks.paper_indices(50, 4).tolist() == [0, 12, 24, 36]
    assert tasks.paper_indices(50, 8).tolist() == list(range(0, 48, 6))
    assert len(tasks.paper_indices(100, 16)) == 16


def test_species_nrmse_divides_by_the_true_range_and_skips_flat_species():
    t = np.linspace(0, 1, 11)
    truth = np.stack([t, 0.5 * t, np.full_like(t, 0.3)], axis=1)
    pred = truth + np.array([0.1, 0.1, 0.1])
    values = metrics.species_nrmse(pred, truth)
    assert values[0] == pytest.approx(0.1) and values[1] == pytest.approx(0.2)
    assert np.isnan(values[2])  # flat: not responsive
    summary = metrics.nrmse_summary(pred, truth, ["a", "b", "c"], worst=1)
    assert summary["nrmse_median"] == pytest.approx(0.15)
    assert summary["nrmse_worst"] == [["b", 0.2]] and summary["n_responsive"] == 2


def test_species_nrmse_skips_unmeasured_points():
    truth = np.array([[0.0], [np.nan], [1.0], [0.5]])
    pred = np.array([[0.0], [9.0], [1.0], [0.5]])
    assert metrics.species_nrmse(pred, truth)[0] == pytest.approx(0.0)
