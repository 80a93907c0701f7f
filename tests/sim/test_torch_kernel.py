"""Parity of the one torch Netflux kernel (nn/netflux.py) with the numpy reference
(sim/netflux_ode.py): right-hand sides, trajectories and gradients, with perturbations."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.network import Network
from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, condition_params, load_conditions
from hmlm_sb.sim.netflux_ode import compile_network, rhs, simulate
from tests.models.tiny import tiny_network

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def kernel_of(network: Network, parameterisation: str = "published"):
    from hmlm_sb.nn.netflux import NetfluxRHS
    from hmlm_sb.nn.netflux import compile_network as compile_torch

    reference = compile_network(network)
    compiled = compile_torch(network, reference.species, reference.inputs)
    return reference, NetfluxRHS(compiled, parameterisation=parameterisation, dtype=torch.float64)


def torch_rhs(kernel, y, stimuli, inhibit, knockdown):
    as_t = lambda a: torch.as_tensor(np.asarray(a, dtype=float))  # noqa: E731
    with torch.no_grad():
        return kernel(as_t(y), kernel.reaction_weights(as_t(stimuli)), as_t(inhibit), as_t(knockdown)).numpy()


@pytest.mark.parametrize("parameterisation", ["published", "learnable"])
def test_rhs_equals_numpy_with_perturbations(rogers: Network, parameterisation: str) -> None:
    reference, kernel = kernel_of(rogers, parameterisation)
    rng = np.random.default_rng(3)
    y = rng.uniform(0, 1, (4, len(reference.species)))
    y[0, :10] = 0.0
    inhibit = np.where(rng.uniform(size=y.shape) < 0.2, rng.uniform(0, 1, y.shape), 1.0)
    knockdown = np.where(rng.uniform(size=y.shape) < 0.2, rng.uniform(0, 1, y.shape), 1.0)
    stimuli = rng.uniform(0, 1, (4, len(reference.inputs)))
    params = reference.params(4).with_input_weights(reference, stimuli).with_perturbations(inhibit, knockdown)
    got = torch_rhs(kernel, y, stimuli, inhibit, knockdown)
    assert np.abs(got - rhs(reference, y, params)).max() < 1e-5


def test_q_form_is_the_same_hill_function() -> None:
    reference, published = kernel_of(tiny_network(), "published")
    _, q_form = kernel_of(tiny_network(), "q-form")
    p, q = published.parameters_now(), q_form.parameters_now()
    assert torch.allclose(p["c"], q["c"], atol=1e-3) and torch.allclose(p["tau"], q["tau"])  # q is offset by 1e-3
    y = np.random.default_rng(0).uniform(0, 1, (2, len(reference.species)))
    ones, stim = np.ones_like(y), np.full((2, len(reference.inputs)), 0.6)
    np.testing.assert_allclose(torch_rhs(published, y, stim, ones, ones), torch_rhs(q_form, y, stim, ones, ones),
                               atol=1e-2)  # q-form keeps weights in (0.001, 0.999)


def test_integrators_follow_bdf_and_gradients_flow(rogers: Network) -> None:
    from hmlm_sb.nn.integrators import exponential_euler, rk4

    reference, kernel = kernel_of(rogers, "learnable")
    named = load_conditions()
    conditions = [named[c] for c in STANDARD_CONDITIONS]
    conditions[1].inhibit = {reference.species[5]: 0.0}
    conditions[2].knockdown = {reference.species[7]: 0.3}
    params = condition_params(reference, conditions)
    times = np.linspace(0, 10, 11)
    expected = simulate(reference, times, params, rtol=1e-9, atol=1e-11)
    stimuli = torch.as_tensor(params.weight[:, reference.input_rows])
    inhibit = torch.as_tensor(params.inhibit)
    knockdown = torch.as_tensor(params.ymax / reference.ymax[None])
    weights = kernel.reaction_weights(stimuli)
    activity, ymax = kernel.bind(weights, inhibit), kernel.ymax_for(knockdown)
    y0 = torch.zeros(4, len(reference.species), dtype=torch.float64)
    states = rk4(lambda y: kernel(y, weights, inhibit, knockdown), y0, 0.0, times[1:], 0.05)
    assert np.abs(states.detach().numpy() - expected[:, 1:]).max() < 1e-3
    coarse = exponential_euler(lambda y: ymax * activity(y), kernel.parameters_now()["tau"], y0, 0.0, times[1:], 0.02)
    assert np.abs(coarse.detach().numpy() - expected[:, 1:]).max() < 0.05
    states[:, -1].sum().backward()
    for grad in (kernel.raw_weight.grad, kernel.raw_n.grad, kernel.raw_ec50.grad, kernel.raw_tau.grad):
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
