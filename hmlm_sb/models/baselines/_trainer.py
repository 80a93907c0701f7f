"""Gradient training of a continuous-time model through RK4, shared by the neural ODEs.

The shared full-batch trainer (:func:`hmlm_sb.nn.trainer.train_full_batch`) on the mean
squared error at the measured fit entries; the validation split of the observed points
(never the held-out points) picks the best epoch and stops early. A model's vector field
is ``make_rhs(params, conditions) -> (x -> dx/dt)`` where ``conditions`` holds the
stimuli, inhibit and knockdown tensors of the batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from hmlm_sb.models.baselines._common import initial_state, measured_entries
from hmlm_sb.nn.integrators import rk4
from hmlm_sb.nn.trainer import Budget, masked_mse, split_entries, train_full_batch
from hmlm_sb.reporting import ProgressCallback
from hmlm_sb.trajectories import Trajectories


@dataclass
class Batch:
    """A batch of conditions as tensors: stimuli (C, I), inhibit and knockdown (C, S)."""

    stimuli: torch.Tensor
    inhibit: torch.Tensor
    knockdown: torch.Tensor

    @classmethod
    def of(cls, stimuli, inhibit, knockdown, dtype=torch.float32) -> "Batch":
        def tensor(a):
            return torch.as_tensor(np.asarray(a, dtype=float), dtype=dtype)
        return cls(tensor(stimuli), tensor(inhibit), tensor(knockdown))


def train_ode(parameters: dict, make_rhs: Callable, penalty: Callable, train: Trajectories, y0: np.ndarray, *,
              epochs: int, lr: float, max_step: float, val_fraction: float, patience: int,
              seed: int, label: str, progress: ProgressCallback | None = None,
              order: int = 4) -> tuple[dict, float]:
    """Fit ``parameters`` (name -> leaf tensor); return (best parameter values, validation MSE).

    ``penalty(params)`` is a scalar added to the loss (regularisation); ``y0`` (S,) fills
    unmeasured initial states.
    """
    measured = measured_entries(train)
    fit_mask, val_mask = split_entries(measured, val_fraction, seed)
    used = measured.any(axis=(0, 2))
    times = train.times[used]
    target = torch.as_tensor(np.nan_to_num(train.values[:, used]), dtype=torch.float32)
    fit_m, val_m = torch.as_tensor(fit_mask[:, used]), torch.as_tensor(val_mask[:, used])
    batch = Batch.of(train.stimuli, train.inhibit, train.knockdown)
    x0 = torch.as_tensor(initial_state(train.initial, y0), dtype=torch.float32)
    has_val = bool(val_m.any())

    def objective():
        pred = rk4(make_rhs(parameters, batch), x0, float(train.times[0]), times, max_step, order)
        loss = masked_mse(pred, target, fit_m)
        with torch.no_grad():
            score = masked_mse(pred, target, val_m) if has_val else None
        return loss, penalty(parameters), score

    budget = Budget(epochs=epochs, patience=patience, lr=lr, clip=1.0)
    result = train_full_batch(parameters, objective, budget, label=label, progress=progress)
    return result.best, result.score


def integrate(make_rhs: Callable, parameters: dict, batch: Batch, initial: np.ndarray,
              t0: float, times: np.ndarray, max_step: float, order: int = 4) -> np.ndarray:
    with torch.no_grad():
        x0 = torch.as_tensor(np.asarray(initial, dtype=float), dtype=torch.float32)
        out = rk4(make_rhs(parameters, batch), x0, t0, np.asarray(times, dtype=float), max_step, order)
    return out.numpy().astype(float)
