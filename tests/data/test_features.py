"""Each temporal feature against a series with a known answer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hmlm_sb.data.features import (
    cell_aggregates,
    feature_names,
    lagged_cross_correlation,
    pairwise_cross_correlation,
    pathway_aggregates,
    temporal_features,
)
from hmlm_sb.trajectories import Trajectories

torch.set_num_threads(1)


def irregular_times(n: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.uniform(0.02, 0.06, size=n))


def test_derivatives_of_an_exponential_on_uneven_times():
    k = 0.8
    times = irregular_times()
    y = np.exp(-k * times)[None, :, None]
    feats = temporal_features(y, times, half_lives=(1.0,))
    d1, d2 = feats.feature("d1")[0, :, 0].double().numpy(), feats.feature("d2")[0, :, 0].double().numpy()
    assert feats.mask.all()
    np.testing.assert_allclose(d1, -k * y[0, :, 0], rtol=2e-3)
    np.testing.assert_allclose(d2, k * k * y[0, :, 0], rtol=3e-2)


def test_quadratic_derivatives_exact_at_interior_and_ends():
    times = np.array([0.0, 0.3, 1.0, 1.2, 2.5])
    y = (2 * times**2 - times + 1)[None, :, None]
    feats = temporal_features(y, times)
    np.testing.assert_allclose(feats.feature("d1")[0, :, 0], 4 * times - 1, atol=1e-4)
    np.testing.assert_allclose(feats.feature("d2")[0, :, 0], np.full(5, 4.0), atol=1e-3)


def test_derivatives_skip_unobserved_points():
    times = np.linspace(0, 2, 9)
    y = np.stack([3 * times, times**2], axis=-1)[None]  # (1, 9, 2)
    mask = np.ones_like(y, dtype=bool)
    mask[0, [2, 3, 6], 0] = False
    feats = temporal_features(y, times, mask)
    d1 = feats.feature("d1")[0, :, 0]
    ok = feats.mask[0, :, 0, feats.names.index("d1")]
    assert not ok[[2, 3, 6]].any() and ok[[0, 1, 4, 5, 7, 8]].all()
    np.testing.assert_allclose(d1[ok], np.full(6, 3.0), atol=1e-5)


def test_two_points_give_a_slope_and_no_second_derivative():
    times = np.array([0.0, 1.0, 3.0])
    y = np.array([[[1.0], [np.nan], [5.0]]])
    feats = temporal_features(y, times)
    i1, i2 = feats.names.index("d1"), feats.names.index("d2")
    assert feats.mask[0, [0, 2], 0, i1].all() and not feats.mask[0, :, 0, i2].any()
    np.testing.assert_allclose(feats.values[0, [0, 2], 0, i1], [4 / 3, 4 / 3], rtol=1e-6)


def test_ema_of_a_constant_is_the_constant():
    times = irregular_times(30)
    y = np.full((2, 30, 3), 0.7)
    feats = temporal_features(y, times, half_lives=(0.1, 1.0, 10.0))
    for h in ("ema:0.1", "ema:1", "ema:10"):
        np.testing.assert_allclose(feats.feature(h), 0.7, rtol=1e-6)


def test_ema_of_a_step_halves_the_gap_each_half_life_whatever_the_spacing():
    times = np.array([0.0, 1.0, 1.3, 2.0, 3.7, 5.0])
    y = np.array([0, 0, 1, 1, 1, 1], dtype=float)[None, :, None]
    feats = temporal_features(y, times, half_lives=(2.0,))
    expected = np.where(times >= 1.3, 1 - 2.0 ** (-(times - 1.0) / 2.0), 0.0)
    np.testing.assert_allclose(feats.feature("ema:2")[0, :, 0], expected, atol=1e-6)


def test_cross_correlation_of_a_lagged_copy_peaks_at_that_lag():
    rng = np.random.default_rng(1)
    x = rng.normal(size=80)
    lag = 2
    y = np.concatenate([rng.normal(size=lag), x[:-lag]])
    values = torch.tensor(np.stack([x, y], axis=-1)[None])
    xcorr, ok = lagged_cross_correlation(values, None, torch.tensor([[0], [1]]), max_lag=4)
    assert ok.all()
    assert int(xcorr[0, 0].argmax()) == lag
    assert float(xcorr[0, 0, lag]) == pytest.approx(1.0, abs=1e-6)


def test_pairwise_cross_correlation_uses_target_source_order():
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    values = np.stack([x, np.concatenate([[0.0], x[:-1]]), rng.normal(size=50)], axis=-1)[None]
    xcorr, ok = pairwise_cross_correlation(values, max_lag=2)
    assert xcorr.shape == (1, 3, 3, 3)
    assert float(xcorr[0, 1, 0, 1]) == pytest.approx(1.0, abs=1e-6)  # species 0 leads species 1
    assert float(xcorr[0, 0, 1, 1]) < 0.5
    assert float(xcorr[0, 2, 2, 0]) == pytest.approx(1.0, abs=1e-6)


def test_edge_features_come_with_temporal_features():
    times = np.arange(10.0)
    values = np.stack([np.sin(times), np.cos(times)], axis=-1)[None]
    feats = temporal_features(values, times, edge_index=[[0], [1]], max_lag=2)
    assert feats.edge_xcorr.shape == (1, 1, 3) and feats.edge_xcorr_mask.all()


def test_pathway_and_cell_aggregates():
    values = torch.tensor([[[1.0, 3.0, 5.0, 100.0], [2.0, 2.0, float("nan"), 0.0]]])  # (1, 2, 4)
    assignment = torch.tensor([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=torch.float32)
    agg = pathway_aggregates(values, assignment.to_sparse())
    assert agg.names == ["mean:value", "max:value", "spread:value"]
    np.testing.assert_allclose(agg.feature("mean:value")[0, 0], [2.0, 4.0])
    np.testing.assert_allclose(agg.feature("max:value")[0, 0], [3.0, 5.0])
    np.testing.assert_allclose(agg.feature("spread:value")[0, 0], [1.0, 1.0])
    np.testing.assert_allclose(agg.feature("mean:value")[0, 1], [2.0, 2.0])  # NaN member skipped
    np.testing.assert_allclose(agg.feature("spread:value")[0, 1], [0.0, 0.0])
    cell = cell_aggregates(values, assignment, torch.ones(2, 1))
    np.testing.assert_allclose(cell.feature("mean:value")[0, 0], [3.0])  # species 1 counted once
    np.testing.assert_allclose(cell.feature("max:value")[0, 0], [5.0])  # species 3 is in no pathway


def test_aggregates_of_feature_tensors_keep_names_and_mask():
    times = np.arange(5.0)
    feats = temporal_features(np.ones((1, 5, 3)), times, half_lives=(1.0,))
    agg = pathway_aggregates(feats, torch.tensor([[1.0], [1.0], [0.0]]))
    assert agg.names[:len(feats.names)] == [f"mean:{n}" for n in feature_names((1.0,))]
    assert agg.values.shape == (1, 5, 1, 3 * len(feats.names))


def test_features_from_a_tidy_table_with_irregular_times():
    times_a, times_b = [0.0, 0.5, 2.0, 3.0], [0.0, 1.0, 2.0, 4.0]
    rows = [("a", t, "X", np.exp(-t)) for t in times_a] + [("b", t, "X", 2.0) for t in times_b]
    frame = pd.DataFrame(rows, columns=["condition", "time", "species", "value"])
    feats = temporal_features(frame, half_lives=(1.0,))
    assert feats.values.shape == (2, 6, 1, 4)
    observed = feats.mask[..., 0]
    assert observed.sum() == 8
    from_traj = temporal_features(Trajectories.from_frame(frame), half_lives=(1.0,))
    assert torch.equal(from_traj.values, feats.values)
    np.testing.assert_allclose(feats.feature("d1")[1][observed[1]], 0.0, atol=1e-9)


def test_bad_times_are_refused():
    with pytest.raises(ValueError):
        temporal_features(np.zeros((1, 3, 1)), [0.0, 0.0, 1.0])
    with pytest.raises(ValueError):
        temporal_features(np.zeros((1, 3, 1)), [0.0, 1.0])


def test_condition_time_mask_is_broadcast_over_species():
    times = np.arange(4.0)
    observed = np.array([[True, False, True, True]])
    feats = temporal_features(np.ones((1, 4, 2)), times, observed)
    assert feats.mask[0, :, :, 0].tolist() == [[True, True], [False, False], [True, True], [True, True]]
