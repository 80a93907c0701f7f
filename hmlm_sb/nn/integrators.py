"""The integrators of the torch models, in one place.

- :func:`rk4`: fixed-step RK4 (or midpoint, ``order=2``) for learned vector fields
  (CellBox, the graph ODE); gradients flow through every step.
- :func:`exponential_euler`: stable at any step for relaxation ODEs
  ``dx/dt = (target(x) - x) / tau`` (the fitted logic ODE).
- :func:`etd_solve` + :func:`hermite` on :func:`model_grid`: exponential time
  differencing (ETD2RK with an iterated corrector) for the HMLM's backbone plus
  correction, read out at any time by cubic Hermite interpolation.

The numpy reference is scipy's BDF with the analytic Jacobian
(:func:`hmlm_sb.sim.netflux_ode.simulate`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch


def rk4(rhs: Callable, x0, t0: float, times, max_step: float, order: int = 4):
    """Fixed-step RK4 (torch): states ``(C, T, S)`` at ``times`` (sorted) from ``x0`` at ``t0``.

    ``order=2`` takes midpoint steps instead (half the cost, for learned vector fields).
    Each interval between requested times is cut into equal steps no longer than
    ``max_step``; requested times before ``t0`` return ``x0``.
    """
    x, t, out = x0, float(t0), []
    for target in np.asarray(times, dtype=float):
        span = float(target) - t
        if span > 0:
            n = max(1, int(np.ceil(span / max_step - 1e-9)))
            h = span / n
            for _ in range(n):
                if order == 2:
                    x = x + h * rhs(x + 0.5 * h * rhs(x))
                    continue
                k1 = rhs(x)
                k2 = rhs(x + 0.5 * h * k1)
                k3 = rhs(x + 0.5 * h * k2)
                k4 = rhs(x + h * k3)
                x = x + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
            t = float(target)
        out.append(x)
    return torch.stack(out, dim=1)


def exponential_euler(target: Callable, tau: torch.Tensor, x0: torch.Tensor, t0: float, times,
                      max_step: float) -> torch.Tensor:
    """States ``(C, T, S)`` by exponential Euler for ``dx/dt = (target(x) - x) / tau``:
    ``x += (1 - exp(-h/tau)) (target(x) - x)``.

    Exact for the linear relaxation of every species, stable for any step: trains the
    fitted ODE with steps longer than the fastest time constant.
    """
    x, t, out = x0, float(t0), []
    for stop in np.asarray(times, dtype=float):
        span = float(stop) - t
        if span > 0:
            steps = max(1, int(np.ceil(span / max_step - 1e-9)))
            gain = 1 - torch.exp(-(span / steps) / tau)
            for _ in range(steps):
                x = x + gain * (target(x) - x)
            t = float(stop)
        out.append(x)
    return torch.stack(out, dim=1)


def model_grid(t0: float, t_end: float, n_steps: int, power: float = 2.0) -> np.ndarray:
    """The model's own integration grid: steps growing as ((k / n) ** power), fine where
    trajectories leave the initial state, coarse where they settle."""
    if t_end <= t0:
        return np.array([t0])
    return t0 + (t_end - t0) * np.linspace(0.0, 1.0, n_steps + 1) ** power


def extend_grid(grid: np.ndarray, t_max: float) -> np.ndarray:
    """``grid`` continued with its last step until it covers ``t_max``."""
    if t_max <= grid[-1]:
        return grid
    step = grid[-1] - grid[-2] if len(grid) > 1 else max(t_max - grid[-1], 1.0)
    extra = int(np.ceil((t_max - grid[-1]) / step - 1e-9))
    return np.concatenate([grid, grid[-1] + step * np.arange(1, extra + 1)])


def etd_solve(production, shift, rate: torch.Tensor, y0: torch.Tensor, grid: np.ndarray,
              iterations: int = 3, shift_every_stage: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Exponential time differencing for dy/dt = rate * (P(y) + shift(y) - y).

    The stiff decay is integrated exactly (any step is stable however small tau is). Each
    step is ETD2RK (Cox & Matthews) whose corrector is iterated ``iterations`` times, so a
    signal crosses several fast species per step. ``production(y)`` returns rate * P(y) and
    ``shift(y)`` rate * shift(y) (or None); the shift, the costly learned part, is evaluated
    once per step at its start unless ``shift_every_stage``.
    Returns states and slopes dy/dt on the grid, each (len(grid), B, S)."""
    rate64 = rate.double()
    states, slopes = [y0], []
    y = y0
    for h in np.diff(np.asarray(grid, dtype=float)):
        decay = torch.exp(-rate64 * h)
        phi1 = ((1 - decay) / rate64).to(y.dtype)
        phi2 = ((decay - 1 + rate64 * h) / (rate64 ** 2 * h)).to(y.dtype)
        decay = decay.to(y.dtype)
        pushed = shift(y) if shift is not None else 0.0
        n_start = production(y) + pushed
        slopes.append(n_start - rate * y)
        base = decay * y + phi1 * n_start
        guess = base
        for _ in range(max(1, iterations)):
            if shift_every_stage and shift is not None:
                pushed = shift(guess)
            guess = base + phi2 * (production(guess) + pushed - n_start)
        y = guess
        states.append(y)
    pushed = shift(y) if shift is not None else 0.0
    slopes.append(production(y) + pushed - rate * y)
    return torch.stack(states), torch.stack(slopes)


def hermite(grid: np.ndarray, states: torch.Tensor, slopes: torch.Tensor, times: np.ndarray) -> torch.Tensor:
    """Cubic Hermite interpolation of a solution (states and slopes on ``grid``) at
    ``times`` (clipped to the grid), kept within the range of each interval's end points;
    returns (len(times), B, S)."""
    times = np.clip(np.asarray(times, dtype=float), grid[0], grid[-1])
    if len(grid) == 1:
        return states[[0] * len(times)]
    k = np.clip(np.searchsorted(grid, times, side="right") - 1, 0, len(grid) - 2)
    h = grid[k + 1] - grid[k]
    s = (times - grid[k]) / h

    def col(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(a, dtype=states.dtype).view(-1, 1, 1)

    k0, k1 = torch.as_tensor(k), torch.as_tensor(k + 1)
    y0, y1 = states[k0], states[k1]
    value = (col(2 * s**3 - 3 * s**2 + 1) * y0 + col((s**3 - 2 * s**2 + s) * h) * slopes[k0]
             + col(-2 * s**3 + 3 * s**2) * y1 + col((s**3 - s**2) * h) * slopes[k1])
    return torch.minimum(torch.maximum(value, torch.minimum(y0, y1)), torch.maximum(y0, y1))
