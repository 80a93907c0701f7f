"""The paper's Random-Forest ensemble, adapted to sparse observations and conditions."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.models.baselines._common import fill_unobserved
from hmlm_sb.models.rf_ensemble import HEADS, RandomForestEnsemble, _transition_rows
from tests.models.tiny import tiny_dataset


@pytest.fixture(scope="module")
def fitted() -> RandomForestEnsemble:
    observed, _, prior, _ = tiny_dataset()
    return RandomForestEnsemble(n_estimators=20).fit(observed, prior, seed=0)


def test_one_row_per_consecutive_observed_pair():
    observed, _, _, _ = tiny_dataset()
    rows = _transition_rows(observed, fill_unobserved(observed))
    pairs = int((observed.observed.sum(axis=1) - 1).sum())
    assert rows["y"].shape == (pairs, len(observed.species))
    assert (rows["dt"] > 0).all()


def test_heads_are_weighted_by_inverse_validation_error(fitted):
    assert set(fitted.weights_) == set(HEADS)
    assert sum(fitted.weights_.values()) == pytest.approx(1.0)
    best = min(fitted.validation_mse_, key=fitted.validation_mse_.get)
    assert fitted.weights_[best] == max(fitted.weights_.values())
    assert [fitted.heads_[h].max_depth for h in HEADS] == [12, 10, 8]


def test_rollout_starts_at_the_initial_state_and_learns_the_trend(fitted):
    observed, truth, _, _ = tiny_dataset()
    pred = fitted.predict(observed.stimuli, observed.initial, observed.times)
    np.testing.assert_allclose(pred[:, 0], observed.initial)
    constant = np.repeat(observed.initial[:, None, :], len(observed.times), axis=1)
    assert np.mean((pred - truth.values) ** 2) < 0.5 * np.mean((constant - truth.values) ** 2)


def test_needs_two_observed_points():
    observed, _, prior, _ = tiny_dataset()
    mask = np.zeros_like(observed.observed)
    with pytest.raises(ValueError):
        RandomForestEnsemble(n_estimators=2).fit(observed.with_observed(mask), prior)
