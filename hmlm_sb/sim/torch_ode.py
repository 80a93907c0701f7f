"""The Netflux ODE right-hand side in PyTorch, differentiable in w, n, EC50, tau and ymax.

Same compiled index arrays and equations as :mod:`hmlm_sb.sim.netflux_ode`; integration
is fixed-step RK4 so gradients flow through the whole trajectory. Import this module only
where torch is needed (it imports torch at load).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hmlm_sb.sim.netflux_ode import CompiledNetwork, OdeParams


@dataclass
class TorchParams:
    """Tensors with a leading batch axis: weight, n, ec50 (B, R); tau, ymax (B, S)."""

    weight: torch.Tensor
    n: torch.Tensor
    ec50: torch.Tensor
    tau: torch.Tensor
    ymax: torch.Tensor

    @classmethod
    def from_numpy(cls, params: OdeParams, *, dtype: torch.dtype = torch.float64,
                   requires_grad: bool = False) -> "TorchParams":
        def tensor(a: np.ndarray) -> torch.Tensor:
            return torch.tensor(a, dtype=dtype, requires_grad=requires_grad)
        return cls(tensor(params.weight), tensor(params.n), tensor(params.ec50), tensor(params.tau),
                   tensor(params.ymax))


class TorchNetfluxOde(torch.nn.Module):
    """dy/dt of a compiled network; ``forward(y, params)`` with y (B, S)."""

    def __init__(self, compiled: CompiledNetwork):
        super().__init__()
        self.compiled = compiled
        for name in ("lit_species", "lit_row", "row_literals", "edge_row", "species_edges"):
            self.register_buffer(name, torch.as_tensor(getattr(compiled, name), dtype=torch.long))
        self.register_buffer("lit_negated", torch.as_tensor(compiled.lit_negated, dtype=torch.bool))

    def hill(self, x: torch.Tensor, n: torch.Tensor, ec50: torch.Tensor) -> torch.Tensor:
        c = ec50 ** n
        positive = x > 0
        xn = torch.where(positive, x.clamp_min(1e-300) ** n, torch.zeros_like(x))
        return (1.0 - c) * xn / (c + (1.0 - 2.0 * c) * xn)

    def production(self, y: torch.Tensor, p: TorchParams) -> torch.Tensor:
        x = y[:, self.lit_species]
        h = self.hill(x, p.n[:, self.lit_row], p.ec50[:, self.lit_row])
        g = torch.where(self.lit_negated, 1.0 - h, h)
        padded = torch.cat([g, torch.ones_like(g[:, :1])], dim=1)
        activity = p.weight * padded[:, self.row_literals].prod(dim=2)
        edges = torch.cat([activity[:, self.edge_row], torch.zeros_like(activity[:, :1])], dim=1)
        return 1.0 - (1.0 - edges[:, self.species_edges]).prod(dim=2)

    def forward(self, y: torch.Tensor, p: TorchParams) -> torch.Tensor:
        return (self.production(y, p) * p.ymax - y) / p.tau


def rk4_integrate(ode: TorchNetfluxOde, y0: torch.Tensor, times: torch.Tensor, p: TorchParams,
                  *, max_step: float = 0.05) -> torch.Tensor:
    """States (B, T, S) at ``times`` with RK4 steps no longer than ``max_step``.

    Stability needs ``max_step`` below about 2.7 * min(tau); 0.05 suits tau >= 0.1."""
    states = [y0]
    y = y0
    for t_start, t_end in zip(times[:-1].tolist(), times[1:].tolist()):
        span = t_end - t_start
        steps = max(1, int(np.ceil(span / max_step - 1e-9)))
        dt = span / steps
        for _ in range(steps):
            k1 = ode(y, p)
            k2 = ode(y + 0.5 * dt * k1, p)
            k3 = ode(y + 0.5 * dt * k2, p)
            k4 = ode(y + dt * k3, p)
            y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        states.append(y)
    return torch.stack(states, dim=1)
