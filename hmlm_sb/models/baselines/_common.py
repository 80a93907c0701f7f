"""Pieces the baselines share: the prior network as matrices, training arrays, an RK4
integrator and validation splits drawn from the observed points only."""
from __future__ import annotations

from typing import Callable

import numpy as np

from hmlm_sb.data.prior import build_prior
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

# the same training budget for every gradient-trained baseline under `hmlm benchmark --quick`
QUICK_EPOCHS = 100
QUICK_PATIENCE = 15


class QuickBudget:
    """Mixin of the gradient-trained baselines: their settings under ``--quick``."""

    @classmethod
    def quick_params(cls) -> dict:
        return {"epochs": QUICK_EPOCHS, "patience": QUICK_PATIENCE}


def prior_adjacency(network: Network, species: list[str], signed: bool = False) -> np.ndarray:
    """``A[i, j]`` nonzero where the prior has an edge j -> i (sign kept when ``signed``)."""
    return build_prior(network, species, strict=False).adjacency(signed)


def observed_points(train: Trajectories) -> np.ndarray:
    """``(C, T)`` mask of points a model may learn from: observed and measured."""
    finite = np.isfinite(train.values).all(axis=2)
    return train.observed & finite


def validation_split(mask: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split observed points (never the first of a condition) into (fit, validation) masks.

    Conditions with fewer than four observed points keep all of them for fitting.
    """
    rng = np.random.default_rng(seed)
    fit, val = mask.copy(), np.zeros_like(mask)
    for c in range(mask.shape[0]):
        idx = np.flatnonzero(mask[c])[1:]
        if len(idx) < 3:
            continue
        n_val = max(1, int(round(fraction * len(idx))))
        chosen = rng.choice(idx, size=n_val, replace=False)
        fit[c, chosen] = False
        val[c, chosen] = True
    return fit, val


def fill_unobserved(train: Trajectories) -> np.ndarray:
    """Values with unobserved points replaced by linear interpolation over observed ones."""
    mask = observed_points(train)
    out = np.array(train.values, dtype=float)
    for c in range(out.shape[0]):
        t_obs = train.times[mask[c]]
        if len(t_obs) == 0:
            out[c] = train.initial[c]
            continue
        for s in range(out.shape[2]):
            out[c, :, s] = np.interp(train.times, t_obs, train.values[c, mask[c], s])
    return out


def rk4(rhs: Callable, x0, t0: float, times, max_step: float, order: int = 4):
    """Fixed-step RK4 (torch): states ``(C, T, S)`` at ``times`` (sorted) from ``x0`` at ``t0``.

    ``order=2`` takes midpoint steps instead (half the cost, for learned vector fields).
    Each interval between requested times is cut into equal steps no longer than
    ``max_step``; requested times before ``t0`` return ``x0``.
    """
    import torch

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


def masked_mse(pred, target, mask):
    """Mean squared error over ``mask[c, t]`` points (torch)."""
    diff = (pred - target) ** 2
    weight = mask.unsqueeze(-1).to(diff.dtype)
    return (diff * weight).sum() / (weight.sum() * pred.shape[-1]).clamp(min=1.0)


def check_fitted(model) -> None:
    if not model.is_fitted:
        raise RuntimeError(f"{type(model).__name__} is not fitted; call fit() first")
