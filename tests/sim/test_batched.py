"""The batched Rosenbrock integrator: its kernel is the simulator's, its LU is exact, its
trajectories are scipy BDF's."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csc_matrix

from hmlm_sb.network import Network
from hmlm_sb.sim.batched import NetfluxKernel, SparseBatchLU, batch_lu, simulate_batched
from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, condition_params, load_conditions
from hmlm_sb.sim.datasets import PERTURBATION_SIGMA, perturb_params
from hmlm_sb.sim.netflux_ode import OdeParams, _edge_literal_pairs, compile_network, jacobian_entries, rhs, simulate


def _random_sets(compiled, count: int, seed: int) -> OdeParams:
    rng = np.random.default_rng(seed)
    named = load_conditions()
    conditions = [named[STANDARD_CONDITIONS[k % 4]] for k in range(count)]
    sets = [condition_params(compiled, [c], perturb_params(compiled, PERTURBATION_SIGMA, rng)) for c in conditions]
    params = OdeParams(*(np.concatenate([getattr(s, k) for s in sets])
                         for k in ("weight", "n", "ec50", "tau", "ymax", "inhibit")))
    params.inhibit[::3, rng.integers(len(compiled.species), size=5)] = 0.3  # some inhibited members
    return params


def test_kernel_equals_rhs_and_jacobian_entries(rogers: Network) -> None:
    compiled = compile_network(rogers)
    params = _random_sets(compiled, 6, seed=0)
    y = np.random.default_rng(1).uniform(-0.05, 1.0, (6, len(compiled.species)))  # a few < 0
    kernel = NetfluxKernel(compiled, params)
    assert np.abs(kernel.rhs(np.ascontiguousarray(y.T)).T - rhs(compiled, y, params)).max() < 1e-13
    pairs, diag = kernel.jacobian(np.ascontiguousarray(y.T))
    rows, cols, values = jacobian_entries(compiled, y, params)
    size = y.size
    expected = csc_matrix((values, (rows, cols)), shape=(size, size)).toarray()
    pair_edge, pair_lit = _edge_literal_pairs(compiled)
    offsets = np.arange(6)[:, None] * len(compiled.species)
    ours_rows = np.concatenate([(offsets + compiled.edge_species[pair_edge]).ravel(), np.arange(size)])
    ours_cols = np.concatenate([(offsets + compiled.lit_species[pair_lit]).ravel(), np.arange(size)])
    ours = csc_matrix((np.concatenate([pairs.T.ravel(), diag.T.ravel()]), (ours_rows, ours_cols)),
                      shape=(size, size)).toarray()
    assert np.abs(ours - expected).max() < 1e-12


def test_sparse_lu_solves_like_a_dense_solver(rogers: Network) -> None:
    compiled = compile_network(rogers)
    lu = batch_lu(compiled)
    rng = np.random.default_rng(2)
    pair_edge, pair_lit = _edge_literal_pairs(compiled)
    n, batch = len(compiled.species), 3
    values = rng.normal(size=(len(pair_edge) + n, batch))
    values[len(pair_edge):] = 5.0 + rng.uniform(size=(n, batch))  # a dominant diagonal
    matrix = lu.scatter @ values
    dense = [csc_matrix((values[:, b], (np.concatenate([compiled.edge_species[pair_edge], np.arange(n)]),
                                        np.concatenate([compiled.lit_species[pair_lit], np.arange(n)]))),
                        shape=(n, n)).toarray() for b in range(batch)]
    right = rng.normal(size=(n, batch))
    x = lu.solve(lu.factor(matrix), right.copy())
    for b in range(batch):
        assert np.abs(dense[b] @ x[:, b] - right[:, b]).max() < 1e-10


def test_lu_of_a_small_pattern_with_fill_in() -> None:
    rows, cols = np.array([1, 2, 3, 0, 0]), np.array([0, 0, 0, 1, 2])  # an arrow: fill-in unless ordered
    lu = SparseBatchLU(4, rows, cols)
    a = np.array([[4.0, 1, 1, 0], [1, 3, 0, 0], [2, 0, 5, 0], [1, 0, 0, 2]])
    values = np.array([a[1, 0], a[2, 0], a[3, 0], a[0, 1], a[0, 2], *np.diag(a)])[:, None]
    x = lu.solve(lu.factor(lu.scatter @ values), np.array([[1.0], [2], [3], [4]]))
    assert np.allclose(a @ x[:, 0], [1, 2, 3, 4])


def test_batched_matches_bdf_on_perturbed_rogers(rogers: Network) -> None:
    compiled = compile_network(rogers)
    params = _random_sets(compiled, 12, seed=3)
    times = np.linspace(0.0, 80.0, 41)
    ours = simulate_batched(compiled, times, params)
    reference = simulate(compiled, times, params, method="BDF")
    assert ours.shape == reference.shape == (12, 41, len(compiled.species))
    assert np.abs(ours - reference).max() < 1e-4


def test_batched_from_given_states_and_single_time(rogers: Network) -> None:
    compiled = compile_network(rogers)
    params = compiled.params(2)
    y0 = np.full((2, len(compiled.species)), 0.3)
    assert np.array_equal(simulate_batched(compiled, np.array([0.0]), params, y0)[:, 0], y0)
    ours = simulate_batched(compiled, np.array([0.0, 0.5, 3.0]), params, y0)
    assert np.abs(ours - simulate(compiled, np.array([0.0, 0.5, 3.0]), params, y0, method="BDF")).max() < 1e-4
    with pytest.raises(ValueError, match="increasing"):
        simulate_batched(compiled, np.array([0.0, 2.0, 1.0]), params)


def test_each_member_takes_its_own_steps(rogers: Network) -> None:
    """A member's trajectory does not depend on the batch around it (one scipy system would
    step it at the pace of its stiffest neighbour): alone and among 11 others, the same."""
    compiled = compile_network(rogers)
    params = _random_sets(compiled, 12, seed=4)
    params.tau[5] *= 0.05  # one much stiffer member
    times = np.linspace(0.0, 40.0, 21)
    together = simulate_batched(compiled, times, params)
    for member in (0, 5, 11):
        alone = simulate_batched(compiled, times, params.take([member]))
        assert np.abs(alone[0] - together[member]).max() < 1e-12


def test_auto_falls_back_to_bdf_when_the_batched_solver_gives_up(rogers: Network, monkeypatch) -> None:
    import hmlm_sb.sim.netflux_ode as netflux_ode

    compiled = compile_network(rogers)
    params = compiled.params(3)
    times = np.array([0.0, 1.0, 2.0])

    def give_up(*_args, **_kwargs):
        raise RuntimeError("batched ODE solver failed: step size below 1e-13")

    monkeypatch.setattr(netflux_ode, "simulate_batched", give_up)
    monkeypatch.setattr(netflux_ode, "BATCHED_MIN", 2)
    assert np.array_equal(simulate(compiled, times, params), simulate(compiled, times, params, method="BDF"))
    with pytest.raises(RuntimeError, match="step size"):
        simulate(compiled, times, params, method="batched")
