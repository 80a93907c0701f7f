"""The torch right-hand side equals the numpy one; RK4 follows the stiff solver; gradients flow."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.network import Network
from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, condition_params, load_conditions
from hmlm_sb.sim.netflux_ode import compile_network, rhs, simulate

torch = pytest.importorskip("torch")


def test_torch_rhs_equals_numpy(rogers: Network) -> None:
    from hmlm_sb.sim.torch_ode import TorchNetfluxOde, TorchParams

    compiled = compile_network(rogers)
    rng = np.random.default_rng(3)
    params = compiled.params(5)
    params.n *= rng.uniform(0.8, 1.2, params.n.shape)
    params.tau *= rng.uniform(0.5, 2.0, params.tau.shape)
    y = rng.uniform(0, 1, (5, len(compiled.species)))
    y[0, :10] = 0.0
    got = TorchNetfluxOde(compiled)(torch.tensor(y), TorchParams.from_numpy(params)).numpy()
    assert np.abs(got - rhs(compiled, y, params)).max() < 1e-10


def test_rk4_follows_bdf_and_gradients_flow(rogers: Network) -> None:
    from hmlm_sb.sim.torch_ode import TorchNetfluxOde, TorchParams, rk4_integrate

    torch.set_num_threads(1)
    compiled = compile_network(rogers)
    named = load_conditions()
    params = condition_params(compiled, [named[c] for c in STANDARD_CONDITIONS])
    times = np.linspace(0, 10, 11)
    reference = simulate(compiled, times, params, rtol=1e-9, atol=1e-11)
    tparams = TorchParams.from_numpy(params, requires_grad=True)
    y0 = torch.zeros(4, len(compiled.species), dtype=torch.float64)
    states = rk4_integrate(TorchNetfluxOde(compiled), y0, torch.tensor(times), tparams, max_step=0.05)
    assert np.abs(states.detach().numpy() - reference).max() < 1e-4
    states[:, -1].sum().backward()
    for grad in (tparams.weight.grad, tparams.n.grad, tparams.ec50.grad, tparams.tau.grad):
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
