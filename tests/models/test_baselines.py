"""Behaviour of the baselines beyond the shared contract (tests/models/test_contract.py)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from hmlm_sb.models.base import make_model
from hmlm_sb.models.baselines._common import prior_adjacency
from hmlm_sb.nn.trainer import validation_split
from tests.models.tiny import tiny_dataset


def _fit(name: str, train, prior, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_model(name, **params).fit(train, prior, seed=0)


def test_default_ode_on_the_full_network_reproduces_the_truth():
    observed, truth, _, network = tiny_dataset()
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    exact = make_dataset(network, DatasetSpec(seed=0, n_times=25, hidden_fraction=0.0,
                                              perturbation={k: 0.0 for k in ("weight", "n", "ec50", "tau")}))
    model = _fit("ode-default", exact.observed, network)
    pred = model.predict(exact.truth.stimuli, exact.truth.initial, exact.truth.times)
    assert np.abs(pred - exact.truth.values).max() < 2e-3


def test_fitted_ode_beats_default_parameters_on_observed_points():
    observed, truth, prior, _ = tiny_dataset()
    default = _fit("ode-default", observed, prior)
    fitted = _fit("ode-fitted", observed, prior, epochs=30, patience=30)
    mask = observed.observed
    err = {}
    for name, model in (("default", default), ("fitted", fitted)):
        pred = model.predict(observed.stimuli, observed.initial, observed.times)
        err[name] = np.mean((pred[mask] - truth.values[mask]) ** 2)
    assert err["fitted"] < err["default"]


def test_interpolation_passes_through_observed_points_and_averages_unseen():
    observed, _, prior, _ = tiny_dataset()
    model = _fit("interp", observed, prior)
    pred = model.predict(observed.stimuli, observed.initial, observed.times, conditions=observed.conditions)
    mask = observed.observed
    np.testing.assert_allclose(pred[mask], observed.values[mask])
    unseen = model.predict(observed.stimuli[:1], observed.initial[:1], observed.times, conditions=["new"])
    mean = model.curves_.mean(axis=0)
    np.testing.assert_allclose(unseen[0], mean - mean[0] + observed.initial[0])


@pytest.mark.parametrize("name, params", [("cellbox", {"mode": "mask", "epochs": 5}),
                                          ("dbn", {"structure": "prior", "epochs": 5})])
def test_prior_masked_models_have_no_influence_off_the_prior(name, params):
    observed, _, prior, _ = tiny_dataset()
    model = _fit(name, observed, prior, **params)
    known = prior_adjacency(prior, observed.species) > 0
    off = ~known
    np.fill_diagonal(off, False)
    assert np.all(model.crosstalk()[off] == 0)


def test_dense_cellbox_can_weight_edges_outside_the_prior():
    observed, _, prior, _ = tiny_dataset()
    model = _fit("cellbox", observed, prior, mode="l1", epochs=5)
    known = prior_adjacency(prior, observed.species) > 0
    off = ~known
    np.fill_diagonal(off, False)
    assert np.abs(model.crosstalk()[off]).max() > 0


def test_dbn_handles_uneven_sampling_exactly():
    """A one-species linear decay observed at uneven times is fitted without bias."""
    from hmlm_sb.network import ModelInfo, Network, Species
    from hmlm_sb.trajectories import Trajectories

    net = Network(models=[ModelInfo(id="one")])
    net.add_species(Species(id="x"))
    times = np.array([0.0, 0.3, 1.0, 2.5, 5.0, 9.0])
    values = np.exp(-0.4 * times)[None, :, None]
    train = Trajectories(["c"], times, ["x"], values, initial=values[:, 0])
    model = _fit("dbn", train, net, ridge=0.0, epochs=200, patience=200, lr=0.1, val_fraction=0.0)
    pred = model.predict(train.stimuli, train.initial, np.array([0.0, 4.0, 7.0]))
    np.testing.assert_allclose(pred[0, :, 0], np.exp(-0.4 * np.array([0.0, 4.0, 7.0])), atol=0.02)


def test_validation_split_never_takes_the_initial_point():
    mask = np.ones((3, 10), dtype=bool)
    fit, val = validation_split(mask, 0.3, seed=1)
    assert not val[:, 0].any() and fit[:, 0].all()
    assert not (fit & val).any() and ((fit | val) == mask).all()


def test_graph_ode_with_attention_layers_fits_and_predicts():
    observed, _, prior, _ = tiny_dataset()
    model = _fit("gnn", observed, prior, conv="gat", hidden=8, epochs=3)
    pred = model.predict(observed.stimuli, observed.initial, observed.times)
    assert pred.shape == observed.values.shape and np.isfinite(pred).all()


def test_unknown_structure_options_are_refused_by_fit_not_init():
    observed, _, prior, _ = tiny_dataset()
    for name, params in (("cellbox", {"mode": "dense"}), ("gnn", {"conv": "sage"}), ("dbn", {"structure": "x"})):
        model = make_model(name, **params)  # scikit-learn style: __init__ only stores
        with pytest.raises(ValueError, match="must be one of"):
            model.fit(observed, prior)


def test_fitted_ode_trains_until_the_validation_score_stops_improving():
    observed, _, prior, _ = tiny_dataset()
    model = _fit("ode-fitted", observed, prior, epochs=1000, patience=10)
    history = model.history_
    assert history["epochs"] < 1000  # stopped by patience, not by the budget
    assert history["epochs"] == history["best_epoch"] + 10
