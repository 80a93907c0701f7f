"""The HMLM: its differentiable prior ODE, integrator, attention and training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hmlm_sb.logic import parse_expr
from hmlm_sb.models.hmlm import HMLM
from hmlm_sb.nn.hierarchy import HOP_BIAS_INIT, hop_classes
from hmlm_sb.nn.hybrid import build_hybrid, pathway_membership
from hmlm_sb.nn.netflux import NetfluxRHS, compile_network, dnf, etd_solve, extend_grid, hermite, model_grid
from hmlm_sb.sim import netflux_ode
from tests.models.tiny import tiny_dataset, tiny_network


def test_dnf_pushes_negation_down_and_distributes():
    assert dnf(parse_expr("!(A & B)")) == [[("A", True)], [("B", True)]]
    assert dnf(parse_expr("A & (B | !C)")) == [[("A", False), ("B", False)], [("A", False), ("C", True)]]
    assert dnf(parse_expr("true")) == [[]] and dnf(parse_expr("false")) == []


def test_backbone_matches_the_simulator_rhs():
    network = tiny_network()
    sim = netflux_ode.compile_network(network)
    ours = NetfluxRHS(compile_network(network, sim.species, sim.inputs))
    rng = np.random.default_rng(1)
    y = rng.uniform(0, 1, (5, len(sim.species)))
    stimuli = rng.uniform(0, 1, (5, len(sim.inputs)))
    params = sim.params(5).with_input_weights(sim, stimuli)
    expected = netflux_ode.rhs(sim, y, params)
    with torch.no_grad():
        got = ours(torch.tensor(y, dtype=torch.float32),
                   ours.reaction_weights(torch.tensor(stimuli, dtype=torch.float32))).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-4)


def test_exponential_integrator_follows_the_stiff_reference():
    network = tiny_network()
    sim = netflux_ode.compile_network(network)
    sim.tau[:] = np.where(np.arange(len(sim.tau)) % 2 == 0, 0.05, 5.0)  # stiff mix
    for sid, tau in zip(sim.species, sim.tau):
        network.species[sid].tau = float(tau)
    times = np.linspace(0, 20, 41)
    stimuli = np.array([[0.7, 0.7]])
    reference = netflux_ode.simulate(sim, times, sim.params(1).with_input_weights(sim, stimuli))[0]
    rhs = NetfluxRHS(compile_network(network, sim.species, sim.inputs))
    grid = model_grid(0.0, 20.0, 30)
    weights = rhs.reaction_weights(torch.tensor(stimuli, dtype=torch.float32))
    with torch.no_grad():
        states, slopes = etd_solve(lambda y: rhs.production(y, weights), None, rhs.rate(),
                                   torch.zeros(1, len(sim.species)), grid)
        got = hermite(grid, states, slopes, times)[:, 0].numpy()
    assert np.abs(got - reference).max() < 0.05
    assert np.mean((got - reference) ** 2) < 1e-4


def test_grid_is_fine_first_and_extends_with_its_last_step():
    grid = model_grid(0.0, 10.0, 5)
    assert grid[0] == 0.0 and grid[-1] == 10.0 and np.all(np.diff(np.diff(grid)) > 0)
    longer = extend_grid(grid, 13.0)
    assert longer[-1] >= 13.0 and np.allclose(np.diff(longer)[-2:], grid[-1] - grid[-2])
    assert extend_grid(grid, 9.0) is grid


def test_hermite_hits_the_grid_and_stays_between_end_points():
    grid = np.array([0.0, 1.0, 3.0])
    states = torch.tensor([0.0, 1.0, 0.5]).view(3, 1, 1)
    slopes = torch.tensor([5.0, 0.0, 0.0]).view(3, 1, 1)
    got = hermite(grid, states, slopes, np.array([0.0, 0.5, 1.0, 2.0, 3.0, 7.0]))[:, 0, 0].numpy()
    np.testing.assert_allclose(got[[0, 2, 4, 5]], [0.0, 1.0, 0.5, 0.5])
    assert 0.0 <= got[1] <= 1.0 and 0.5 <= got[3] <= 1.0


def test_attention_prior_orders_hop_classes():
    assert HOP_BIAS_INIT[1] > HOP_BIAS_INIT[2] > HOP_BIAS_INIT[3] > HOP_BIAS_INIT[0]
    classes = hop_classes(np.array([[0, 1, 3], [2, 0, 0], [0, 5, 1]]))
    np.testing.assert_array_equal(classes, [[4, 1, 3], [2, 4, 0], [0, 3, 4]])


def test_every_species_belongs_to_a_pathway():
    network = tiny_network()
    species = list(network.species) + ["orphan"]
    member, names = pathway_membership(network, species)
    assert member.shape == (len(species), len(names))
    assert member.any(axis=1).all()
    assert names[-1] == "(unassigned)" and member[-1, -1]


def test_hybrid_starts_as_the_prior_ode():
    observed, _, prior, _ = tiny_dataset()
    torch.manual_seed(0)
    with_correction, _ = build_hybrid(prior, observed.species, observed.inputs, dim=8, heads=2, layers=1)
    without, _ = build_hybrid(prior, observed.species, observed.inputs, dim=8, heads=2, layers=1,
                              use_correction=False)
    y0 = torch.tensor(observed.initial, dtype=torch.float32)
    stim = torch.tensor(observed.stimuli, dtype=torch.float32)
    grid = model_grid(0.0, float(observed.times[-1]), 10)
    with torch.no_grad():
        a, penalty = with_correction.simulate(y0, stim, grid, observed.times)
        b, _ = without.simulate(y0, stim, grid, observed.times)
    torch.testing.assert_close(a, b)
    assert float(penalty) == 0.0


@pytest.fixture(scope="module")
def trained() -> HMLM:
    observed, _, prior, _ = tiny_dataset()
    return HMLM(dim=8, heads=2, n_steps=10, max_epochs=40, patience=40, threads=1).fit(observed, prior, seed=0)


def test_training_beats_the_prior_with_published_parameters(trained):
    observed, truth, prior, _ = tiny_dataset()
    untrained = HMLM(dim=8, heads=2, n_steps=10, max_epochs=0, threads=1).fit(observed, prior, seed=0)
    before = np.mean((untrained.predict(observed.stimuli, observed.initial, observed.times) - truth.values) ** 2)
    after = np.mean((trained.predict(observed.stimuli, observed.initial, observed.times) - truth.values) ** 2)
    assert after < 0.7 * before
    assert trained.history_["epochs"] == 40 and trained.history_["best_val"] < untrained.history_["best_val"]


def test_prediction_starts_at_the_initial_state(trained):
    observed, _, _, _ = tiny_dataset()
    pred = trained.predict(observed.stimuli, observed.initial, np.array([observed.times[0], 3.0]))
    np.testing.assert_allclose(pred[:, 0], observed.initial, atol=1e-6)


def test_crosstalk_is_attention_rows_summing_to_one(trained):
    observed, _, prior, _ = tiny_dataset()
    species = trained.crosstalk("TGFB")
    assert species.shape == (len(observed.species),) * 2
    np.testing.assert_allclose(species.sum(axis=1), 1.0, atol=1e-5)
    pathways = trained.pathway_crosstalk()
    assert pathways.shape == (len(trained.pathways_),) * 2
    assert set(trained.pathways_) == set(prior.pathways)
    assert not np.allclose(trained.crosstalk("control"), trained.crosstalk("combined"))
    with pytest.raises(KeyError):
        trained.crosstalk("no such condition")


def test_without_correction_there_is_no_crosstalk():
    observed, _, prior, _ = tiny_dataset()
    model = HMLM(use_correction=False, n_steps=8, max_epochs=3, threads=1).fit(observed, prior)
    assert model.crosstalk() is None
