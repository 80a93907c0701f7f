"""Perturbations in the shared contract: inhibitions and knockdowns reach the simulator,
the torch kernel and the Trajectories that models read."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse import csc_matrix

from hmlm_sb.errors import InputError
from hmlm_sb.sim.conditions import Condition, condition_perturbations, simulate_conditions
from hmlm_sb.sim.netflux_ode import compile_network, jacobian_entries, rhs
from hmlm_sb.trajectories import Trajectories
from tests.models.tiny import tiny_network

TIMES = np.linspace(0.0, 20.0, 11)
TGFB = {"TGFB": 0.8}


def simulate(*conditions: Condition) -> Trajectories:
    return simulate_conditions(tiny_network(), list(conditions), TIMES)


def column(data: Trajectories, species: str) -> np.ndarray:
    return data.values[:, :, data.species.index(species)]


def test_complete_inhibition_silences_the_species_targets_but_not_the_species() -> None:
    data = simulate(Condition("tgfb", TGFB), Condition("tgfb+smad3i", TGFB, inhibit={"smad3": 0.0}))
    smad3, fibronectin = column(data, "smad3"), column(data, "fibronectin")
    np.testing.assert_allclose(smad3[0], smad3[1])  # the inhibited species itself still responds
    assert smad3[0, -1] > 0.1
    assert column(data, "proCI")[1, -1] < 0.5 * column(data, "proCI")[0, -1]
    assert fibronectin[1].max() < 1e-6  # YAP & smad3: nothing through the inhibited input
    assert data.inhibit[1, data.species.index("smad3")] == 0.0
    assert data.perturbed


def test_knockdown_scales_ymax_and_is_carried_as_a_factor() -> None:
    data = simulate(Condition("tgfb", TGFB), Condition("kd", TGFB, knockdown={"smad3": 0.25}))
    smad3 = column(data, "smad3")
    np.testing.assert_allclose(smad3[1, -1], 0.25 * smad3[0, -1], rtol=1e-4)
    assert data.knockdown[1, data.species.index("smad3")] == 0.25


def test_ymax_overrides_appear_as_knockdown_factors() -> None:
    data = simulate(Condition("old-style", TGFB, ymax={"smad3": 0.5}))
    assert data.knockdown[0, data.species.index("smad3")] == pytest.approx(0.5)


def test_unknown_perturbed_species_is_refused_by_name() -> None:
    with pytest.raises(InputError, match="'nope' is not in the network"):
        condition_perturbations(["a", "b"], [Condition("x", inhibit={"nope": 0.0})])


def test_jacobian_matches_finite_differences_under_inhibition() -> None:
    compiled = compile_network(tiny_network())
    params = compiled.params(2).with_perturbations(
        inhibit=np.array([[1.0] * len(compiled.species), [0.3] * len(compiled.species)]))
    y = np.random.default_rng(0).uniform(0.1, 0.9, (2, len(compiled.species)))
    r, c, v = jacobian_entries(compiled, y, params)
    size = y.size
    analytic = csc_matrix((v, (r, c)), shape=(size, size)).toarray()
    numeric = np.zeros((size, size))
    for k in range(size):
        step = np.zeros(size); step[k] = 1e-6
        plus = rhs(compiled, (y.ravel() + step).reshape(y.shape), params).ravel()
        minus = rhs(compiled, (y.ravel() - step).reshape(y.shape), params).ravel()
        numeric[:, k] = (plus - minus) / 2e-6
    np.testing.assert_allclose(analytic, numeric, atol=1e-5)


def test_torch_kernel_reads_perturbations_as_the_numpy_reference() -> None:
    from hmlm_sb.nn.netflux import NetfluxRHS
    from hmlm_sb.nn.netflux import compile_network as compile_torch

    network = tiny_network()
    reference = compile_network(network)
    kernel = NetfluxRHS(compile_torch(network, reference.species, reference.inputs))
    rng = np.random.default_rng(1)
    y = rng.uniform(0.05, 0.95, (3, len(reference.species)))
    inhibit = rng.uniform(0.0, 1.0, y.shape)
    knockdown = rng.uniform(0.2, 1.0, y.shape)
    params = reference.params(3).with_perturbations(inhibit, knockdown)
    expected = rhs(reference, y, params)
    stimuli = torch.tensor(params.weight[:, reference.input_rows], dtype=torch.float32)
    with torch.no_grad():
        got = kernel(torch.tensor(y, dtype=torch.float32), kernel.reaction_weights(stimuli),
                     torch.tensor(inhibit, dtype=torch.float32), torch.tensor(knockdown, dtype=torch.float32))
    np.testing.assert_allclose(got.numpy(), expected, atol=2e-5)


def test_trajectories_carry_perturbations_through_subset_and_files(tmp_path) -> None:
    data = simulate(Condition("a", TGFB), Condition("b", TGFB, inhibit={"YAP": 0.0}, knockdown={"smad3": 0.5}))
    path = tmp_path / "d.npz"
    data.save(path)
    loaded = Trajectories.load(path)
    np.testing.assert_array_equal(loaded.inhibit, data.inhibit)
    np.testing.assert_array_equal(loaded.knockdown, data.knockdown)
    only_b = data.subset(["b"])
    assert only_b.inhibit[0, data.species.index("YAP")] == 0.0
    assert not data.subset(["a"]).perturbed
    with pytest.raises(ValueError, match="inhibit shape"):
        Trajectories(["a"], [0.0], ["x"], np.zeros((1, 1, 1)), inhibit=np.ones((2, 1)))
    with pytest.raises(ValueError, match="non-negative"):
        Trajectories(["a"], [0.0], ["x"], np.zeros((1, 1, 1)), knockdown=-np.ones((1, 1)))


def test_measured_masks_missing_readouts() -> None:
    values = np.array([[[0.1, np.nan], [0.2, 0.3]]])
    data = Trajectories(["a"], [0.0, 1.0], ["x", "y"], values, observed=np.array([[True, False]]))
    np.testing.assert_array_equal(data.measured, [[[True, False], [False, False]]])
