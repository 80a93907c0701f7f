"""The numpy simulator against the published equations, written out row by row."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csc_matrix

from hmlm_sb.logic import And, Literal, Not
from hmlm_sb.network import Network, Participant, Reaction, Species
from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, load_conditions, simulate_conditions
from hmlm_sb.sim.netflux_ode import compile_network, hill, jacobian_entries, rhs, simulate
from tests.conftest import need


def published_rhs(net: Network, y: np.ndarray) -> np.ndarray:
    """The issue's equations, one reaction at a time: beta, K^n = beta - 1, AND, OR."""
    index = {s: i for i, s in enumerate(net.species)}
    production = {s: 0.0 for s in net.species}
    for rxn in net.reactions.values():
        w, n, ec50 = (rxn.params[k] for k in ("weight", "n", "ec50"))
        beta = (ec50 ** n - 1) / (2 * ec50 ** n - 1)
        k_n = beta - 1
        activity = w
        for p in rxn.sources():
            x = y[index[p.species]]
            f = w * beta * x ** n / (k_n + x ** n)
            activity *= (f if p.sign > 0 else w - f) / w
        for t in rxn.targets():
            a = production[t.species]
            production[t.species] = a + activity - a * activity
    return np.array([(production[s] * sp.ymax - y[index[s]]) / sp.tau for s, sp in net.species.items()])


def test_hill_matches_published_form() -> None:
    x = np.linspace(0.0, 1.0, 41)
    for n, ec50 in ((1.25, 0.6), (1.4, 0.5), (3.0, 0.3)):
        beta = (ec50 ** n - 1) / (2 * ec50 ** n - 1)
        published = beta * x ** n / (beta - 1 + x ** n)
        assert np.allclose(hill(x, n, ec50), published, atol=1e-12)
        assert hill(np.array(ec50), n, ec50) == pytest.approx(0.5)
        assert hill(np.array(1.0), n, ec50) == pytest.approx(1.0)
    # EC50 = 0.6, n = 1.25: beta < 0 and (beta - 1)^(1/n) would be NaN
    assert (0.6 ** 1.25 - 1) / (2 * 0.6 ** 1.25 - 1) < 0
    assert np.isfinite(hill(x, 1.25, 0.6)).all()


def test_rhs_equals_published_equations(rogers: Network) -> None:
    compiled = compile_network(rogers)
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 1, (3, len(compiled.species)))
    params = compiled.params(3)
    fast = rhs(compiled, y, params)
    for b in range(3):
        assert np.abs(fast[b] - published_rhs(rogers, y[b])).max() < 1e-12


def test_analytic_jacobian_matches_finite_differences(rogers: Network) -> None:
    compiled = compile_network(rogers)
    y = np.random.default_rng(1).uniform(0.05, 1, (2, len(compiled.species)))
    params = compiled.params(2)
    size = y.size
    r, c, v = jacobian_entries(compiled, y, params)
    analytic = csc_matrix((v, (r, c)), shape=(size, size)).toarray()
    numeric = np.zeros((size, size))
    eps = 1e-6
    for k in range(size):
        up, down = y.ravel().copy(), y.ravel().copy()
        up[k] += eps
        down[k] -= eps
        numeric[:, k] = (rhs(compiled, up.reshape(y.shape), params).ravel()
                         - rhs(compiled, down.reshape(y.shape), params).ravel()) / (2 * eps)
    assert np.abs(analytic - numeric).max() < 1e-6


def _tiny_network() -> Network:
    net = Network()
    for sid in ("A", "B", "C", "D"):
        net.add_species(Species(sid, tau=1.0))
    net.add_reaction(Reaction("i1", "netflux", [Participant("A", "output", 1)], params={"weight": 0.9, "n": 1.4, "ec50": 0.5}))
    net.add_reaction(Reaction("i2", "netflux", [Participant("B", "output", 1)], params={"weight": 0.6, "n": 1.4, "ec50": 0.5}))
    net.add_reaction(Reaction("r1", "netflux", [Participant("A", "input", 1), Participant("B", "input", -1),
                                               Participant("C", "output", 1)],
                              [(1, And((Literal("A"), Not(Literal("B")))))], params={"weight": 0.8, "n": 1.4, "ec50": 0.5}))
    net.add_reaction(Reaction("r2", "netflux", [Participant("A", "input", 1), Participant("D", "output", 1)],
                              [(1, Literal("A"))], params={"weight": 1.0, "n": 2.0, "ec50": 0.4}))
    net.add_reaction(Reaction("r3", "netflux", [Participant("B", "input", 1), Participant("D", "output", 1)],
                              [(1, Literal("B"))], params={"weight": 0.5, "n": 1.4, "ec50": 0.5}))
    return net


def test_steady_state_of_and_or_and_input_rows() -> None:
    compiled = compile_network(_tiny_network())
    final = simulate(compiled, np.array([0.0, 60.0]), compiled.params(1), rtol=1e-10, atol=1e-12)[0, -1]
    a, b, c, d = final
    assert a == pytest.approx(0.9, abs=1e-8) and b == pytest.approx(0.6, abs=1e-8)
    f_a = hill(np.array(a), 1.4, 0.5)
    f_b = hill(np.array(b), 1.4, 0.5)
    assert c == pytest.approx(0.8 * f_a * (1 - f_b), abs=1e-8)  # AND: w * (f_A/w) * ((w - f_B)/w)
    d1, d2 = hill(np.array(a), 2.0, 0.4), 0.5 * f_b
    assert d == pytest.approx(d1 + d2 - d1 * d2, abs=1e-8)  # OR: a + b - ab


def test_reproduces_authors_validation_run(rogers: Network, shared_data: Path) -> None:
    """ValidationSimulations.m: inputs 0.1 (tension 0.4) for 80, then one input at 0.8 for 240."""
    path = shared_data / "validation" / "Rogers2022_netflux_reference_act_delta.csv"
    need(path.is_file(), f"missing {path}")
    reference = pd.read_csv(path, index_col=0)
    compiled = compile_network(rogers)
    base = np.full(len(compiled.input_rows), 0.1)
    base[compiled.input_species.index("tension")] = 0.4
    count = len(base) + 1
    weights = np.tile(base, (count, 1))
    for i in range(len(base)):
        weights[i + 1, i] = 0.8
    params = compiled.params(count)
    start = simulate(compiled, np.array([0, 80.0]), params.with_input_weights(compiled, np.tile(base, (count, 1))))[:, -1]
    final = simulate(compiled, np.array([80, 320.0]), params.with_input_weights(compiled, weights), start)[:, -1]
    delta = pd.DataFrame(final[1:] - start[1:], index=compiled.input_species, columns=compiled.species)
    delta = delta.loc[reference.index, [c.strip() for c in reference.columns]]
    assert np.abs(delta.to_numpy() - reference.to_numpy()).max() < 2e-3  # their solver: ode23


def test_four_conditions_fast_and_bounded(rogers: Network) -> None:
    named = load_conditions()
    conditions = [named[c] for c in STANDARD_CONDITIONS]
    compiled = compile_network(rogers)
    simulate_conditions(compiled, conditions, np.linspace(0, 80, 101))  # warm up
    start = time.perf_counter()
    traj = simulate_conditions(compiled, conditions, np.linspace(0, 80, 101))
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0  # about 0.1 s on one core; generous for a shared CI machine
    assert traj.values.shape == (4, 101, 109)
    assert traj.values.min() > -1e-6 and traj.values.max() < 1 + 1e-6
    tgfb = traj.species.index("TGFB1R")
    assert traj.values[1, -1, tgfb] > traj.values[0, -1, tgfb] + 0.5
