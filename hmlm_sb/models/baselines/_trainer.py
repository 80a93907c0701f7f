"""Gradient training of a continuous-time model through RK4, shared by the neural ODEs.

Full-batch Adam on the mean squared error at the fit points; a validation split of the
observed points (never the held-out points) picks the best epoch and stops early.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from hmlm_sb.models.base import ProgressCallback
from hmlm_sb.models.baselines._common import masked_mse, observed_points, rk4, validation_split
from hmlm_sb.trajectories import Trajectories


def train_ode(parameters: dict, make_rhs: Callable, penalty: Callable, train: Trajectories, *,
              epochs: int, lr: float, max_step: float, val_fraction: float, patience: int,
              seed: int, label: str, progress: ProgressCallback | None = None,
              order: int = 4) -> tuple[dict, float]:
    """Fit ``parameters`` (name -> leaf tensor); return (best parameter values, validation MSE).

    ``make_rhs(params, stimuli)`` gives ``x -> dx/dt``; ``penalty(params)`` a scalar added
    to the loss (regularisation).
    """
    import torch

    mask = observed_points(train)
    fit_mask, val_mask = validation_split(mask, val_fraction, seed)
    used = mask.any(axis=0)
    times = train.times[used]
    target = torch.as_tensor(np.nan_to_num(train.values[:, used]), dtype=torch.float32)
    fit_m, val_m = torch.as_tensor(fit_mask[:, used]), torch.as_tensor(val_mask[:, used])
    stim = torch.as_tensor(train.stimuli, dtype=torch.float32)
    x0 = torch.as_tensor(train.initial, dtype=torch.float32)
    opt = torch.optim.Adam(list(parameters.values()), lr=lr)
    best, best_state, stale = np.inf, _snapshot(parameters), 0
    for epoch in range(epochs):
        pred = rk4(make_rhs(parameters, stim), x0, float(train.times[0]), times, max_step, order)
        loss = masked_mse(pred, target, fit_m)
        opt.zero_grad()
        (loss + penalty(parameters)).backward()
        torch.nn.utils.clip_grad_norm_(list(parameters.values()), 1.0)
        opt.step()
        with torch.no_grad():
            score = float(masked_mse(pred, target, val_m)) if bool(val_m.any()) else float(loss)
        if not np.isfinite(score):
            break
        if score < best - 1e-7:
            best, best_state, stale = score, _snapshot(parameters), 0
        else:
            stale += 1
        if progress:
            progress(epoch + 1, epochs, f"{label} loss {float(loss):.4f}")
        if stale >= patience:
            break
    return best_state, best


def _snapshot(parameters: dict) -> dict:
    return {k: v.detach().clone() for k, v in parameters.items()}


def integrate(make_rhs: Callable, parameters: dict, stimuli: np.ndarray, initial: np.ndarray,
              t0: float, times: np.ndarray, max_step: float, order: int = 4) -> np.ndarray:
    import torch

    with torch.no_grad():
        stim = torch.as_tensor(np.asarray(stimuli, dtype=float), dtype=torch.float32)
        x0 = torch.as_tensor(np.asarray(initial, dtype=float), dtype=torch.float32)
        out = rk4(make_rhs(parameters, stim), x0, t0, np.asarray(times, dtype=float), max_step, order)
    return out.numpy().astype(float)
