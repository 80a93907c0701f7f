"""The shared influence: a model's own rate Jacobian, the finite-difference fallback,
the attention view and the residual-correlation edge scorer, on known answers."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from hmlm_sb.models.influence import (evaluation_states, influence, influence_method, mean_abs_influence,
                                      residual_correlation)
from hmlm_sb.trajectories import Trajectories

A = np.array([[-1.0, 0.0], [0.5, -1.0]])  # species 0 drives species 1


class LinearFlow:
    """x(t0 + h) = x0 + h A x0: a linear vector field known only through predict."""

    def predict(self, stimuli, initial, times, conditions=None, **_):
        return np.stack([initial + (t - times[0]) * initial @ A.T for t in times], axis=1)

    def crosstalk(self, condition=None):
        return None


class WithField(LinearFlow):
    def rate_jacobian(self, states, stimuli, inhibit, knockdown, part):
        scale = 2.0 if part == "full" else 1.0
        return np.repeat(scale * A[None], len(states), axis=0) * states[:, :1, None]


def _data(values=None) -> Trajectories:
    values = np.full((1, 3, 2), 0.5) if values is None else values
    return Trajectories(["c"], np.array([0.0, 0.1, 1.0]), ["a", "b"], values)


def test_fallback_finite_differences_recover_a_linear_field():
    out = influence(LinearFlow(), _data())
    assert out["c"] == pytest.approx(A, abs=1e-9)
    assert influence_method(LinearFlow()) == "finite-difference"


def test_a_model_with_a_vector_field_is_differentiated_at_its_observed_states():
    values = np.array([[[0.2, 0.0], [0.4, 0.1], [0.6, 0.3]]])
    data = _data(values).with_observed(np.array([[True, False, True]]))
    assert evaluation_states(WithField(), data, 0).tolist() == [[0.2, 0.0], [0.6, 0.3]]
    out = influence(WithField(), data)["c"]
    assert out == pytest.approx(A * 0.4)  # mean of the states' first coordinate
    assert influence(WithField(), data, part="full")["c"] == pytest.approx(A * 0.8)
    assert influence_method(WithField()) == "jacobian"


def test_attention_is_a_view_and_bad_arguments_are_refused():
    assert influence(LinearFlow(), _data(), method="attention") == {}
    with pytest.raises(ValueError, match="method"):
        influence(LinearFlow(), _data(), method="saliency")
    with pytest.raises(ValueError, match="part"):
        influence(LinearFlow(), _data(), part="half")
    assert mean_abs_influence({}) is None
    assert mean_abs_influence({"x": -np.eye(2), "y": np.eye(2)}) == pytest.approx(np.eye(2))


def test_residual_correlation_finds_the_species_the_backbone_misses():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 12)
    driver = np.stack([np.sin(3 * t + k) for k in range(3)])  # three conditions
    other = rng.normal(size=(3, 12))
    target = 0.8 * driver + 0.01 * rng.normal(size=(3, 12))
    values = np.stack([driver, other, target], axis=2)
    data = Trajectories(["a", "b", "c"], t, ["driver", "other", "target"], values)
    backbone = np.zeros_like(values)
    backbone[..., :2] = values[..., :2]  # the backbone knows driver and other, not target
    scores = residual_correlation(data, backbone)
    assert scores[2, 0] > 0.95 and scores[2, 1] < 0.5
    assert scores[0].max() == 0.0  # no residual: nothing missing for driver
    assert np.all(np.diag(scores) == 0)


def test_ensemble_members_refit_on_bootstraps_and_read_every_condition():
    from hmlm_sb.models.influence import ensemble_influence

    class Counting(WithField):
        def fit(self, train, prior, seed=0):
            self.n_, self.seed_ = len(train.conditions), seed
            return self

        def rate_jacobian(self, states, stimuli, inhibit, knockdown, part):
            return np.repeat(self.n_ * np.eye(2)[None], len(states), axis=0)

    data = Trajectories(list("abcde"), np.array([0.0, 1.0]), ["x", "y"], np.full((5, 2, 2), 0.5))
    members = ensemble_influence(Counting, data, None, members=4, seed=3)
    again = ensemble_influence(Counting, data, None, members=4, seed=3)
    assert len(members) == 4 and all(set(m) == set("abcde") for m in members)
    sizes = [m["a"][0, 0] for m in members]
    assert sizes[0] == 5 and min(sizes[1:]) < 5  # member 0 sees everything, bootstraps fewer
    assert sizes == [m["a"][0, 0] for m in again]


class ThreeSpeciesCorrection:
    """Species 0 and 1 follow their own courses per condition; the learned correction of
    species 2 is 0.8 * species 1 as its targets read it (inhibitors applied)."""

    times = np.linspace(0.0, 1.0, 6)

    def predict(self, stimuli, initial, times, conditions=None, **_):
        slopes = np.asarray(stimuli, dtype=float)  # (C, 2): each condition its own pair of slopes
        t = np.asarray(times)[None, :, None]
        out = np.concatenate([slopes[:, None, :] * t + 0.1, np.zeros((len(slopes), len(times), 1))], axis=2)
        return out

    def correction_rate(self, states, stimuli, inhibit=None, knockdown=None):
        out = np.zeros_like(states)
        out[:, 2] = -0.8 * states[:, 1] * (1.0 if inhibit is None else inhibit[:, 1])
        return out


def test_correction_correlation_points_at_the_source_the_correction_tracks():
    from hmlm_sb.models.influence import correction_correlation

    model = ThreeSpeciesCorrection()
    data = Trajectories(["a", "b", "c"], model.times, ["s0", "s1", "s2"], np.zeros((3, 6, 3)),
                        stimuli=np.array([[1.0, 0.2], [0.1, 0.9], [0.5, 0.5]]), inputs=["u", "v"])
    out = correction_correlation(model, data)
    assert out.shape == (3, 3) and np.all(np.diag(out) == 0)
    assert out[2, 1] == pytest.approx(-1.0)  # signed: the correction falls as s1 rises
    assert abs(out[2, 0]) < 0.9  # s0 moves differently across conditions
    assert np.all(out[:2] == 0)  # no correction on s0, s1: flat rows score 0
    assert correction_correlation(LinearFlow(), _data()) is None


def _lockstep_sources(n: int = 60, seed: int = 0):
    """Source 0 drives the residual of species 3; source 1 tracks source 0 closely
    (r ~ 0.9), source 2 is unrelated."""
    rng = np.random.default_rng(seed)
    s0 = rng.normal(size=n)
    s1 = 0.9 * s0 + 0.45 * rng.normal(size=n)
    s2 = rng.normal(size=n)
    resid = 0.7 * s0 + 0.05 * rng.normal(size=n)
    return np.c_[s0, s1, s2], resid


def test_ridge_gives_a_shared_residual_to_the_source_that_explains_it():
    from hmlm_sb.models.influence import _corr_columns, ridge_attribution

    sources, resid = _lockstep_sources()
    r = np.abs(_corr_columns(resid[:, None], sources))[0]
    b = ridge_attribution(resid[:, None], sources, penalty=1.0)[0]
    assert r[1] > 0.85 * r[0]  # the correlation can hardly tell the two apart
    assert abs(b[1]) / abs(b[0]) < r[1] / r[0] - 0.15 and b[0] > 0  # the joint fit widens the gap, signed
    assert abs(b[2]) < 0.1 * abs(b[0])


def test_ridge_skips_missing_entries_and_scores_flat_series_zero():
    from hmlm_sb.models.influence import ridge_attribution

    sources, resid = _lockstep_sources()
    sources = np.c_[sources, np.full(len(sources), 0.3)]  # a flat source
    responses = np.c_[resid, np.zeros(len(resid))]  # a flat response
    responses[:5, 0] = np.nan
    sources[7, 2] = np.nan
    sources = np.c_[sources, np.full(len(sources), np.nan)]  # never measured
    responses = np.c_[responses, np.full(len(responses), np.nan)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = ridge_attribution(responses, sources)
    assert np.isfinite(b).all() and b.shape == (3, 5)
    assert np.all(b[1:] == 0) and np.all(b[:, 3:] == 0)
    assert np.argmax(np.abs(b[0])) == 0


class BackboneMisses(LinearFlow):
    """A model whose fitted backbone predicts species 2 as flat: the data's species 2
    follows -0.8 * species 1 (four conditions, the sources moving differently in each)."""

    def backbone_predict(self, stimuli, initial, times, **_):
        out = _three_species_values()
        out[..., 2] = 0.0
        return out


def _three_species_values() -> np.ndarray:
    t = np.linspace(0.0, 1.0, 5)[None, :]
    slopes = np.array([[1.0, 0.2], [0.1, 0.9], [0.5, 0.5], [0.8, -0.3]])
    s0 = 0.1 + slopes[:, :1] * t
    s1 = 0.1 + slopes[:, 1:] * t ** 2
    return np.stack([s0, s1, -0.8 * s1], axis=2)


def test_backbone_residual_ridge_names_the_source_the_backbone_misses_with_its_sign():
    from hmlm_sb.models.influence import backbone_residual_ridge, jackknife_backbone_ridge

    values = _three_species_values()
    data = Trajectories(list("abcd"), np.linspace(0.0, 1.0, 5), ["s0", "s1", "s2"], values)
    out = backbone_residual_ridge(BackboneMisses(), data)
    assert out.shape == (3, 3) and np.all(np.diag(out) == 0)
    assert out[2, 1] < 0 and abs(out[2, 1]) > 3 * abs(out[2, 0])  # falls as s1 rises
    assert np.all(out[:2] == 0)  # nothing left to explain for s0, s1
    assert influence(BackboneMisses(), data, method="residual")["a"] == pytest.approx(out)
    pooled, members = jackknife_backbone_ridge(BackboneMisses(), data)
    assert pooled == pytest.approx(out) and len(members) == 4
    assert all(m[2, 1] < 0 for m in members)
    assert influence_method(BackboneMisses(), "residual") == "residual"
    assert backbone_residual_ridge(LinearFlow(), data) is None
    assert influence(LinearFlow(), data, method="residual") == {}
