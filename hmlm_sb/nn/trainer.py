"""One full-batch trainer for every gradient-trained model, with one validation split.

Budgets are epochs and patience, never the wall clock: the same seed gives the same
result on any machine load. The validation split holds back a fraction of each
condition's observed time points (never its first); a model scores itself on the
measured entries of those points and the trainer keeps the parameters of the best
validation epoch, stopping after ``patience`` epochs without improvement.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from hmlm_sb.reporting import ProgressCallback

TOLERANCE = 1e-7  # an improvement smaller than this is none


@dataclass
class Budget:
    """Adam steps: at most ``epochs``, stopped after ``patience`` without improvement."""

    epochs: int
    patience: int
    lr: float
    clip: float | None = None  # gradient-norm clip
    tolerance: float = TOLERANCE


@dataclass
class TrainResult:
    best: dict[str, torch.Tensor]  # parameter values of the best validation epoch
    score: float  # its validation score (training loss without a validation split)
    epochs: int  # epochs run
    best_epoch: int


Objective = Callable[[], tuple[torch.Tensor, torch.Tensor | float, torch.Tensor | None]]


def validation_split(mask: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split observed points ``(C, T)`` (never the first of a condition) into (fit, validation).

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


def split_entries(measured: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validation) entry masks ``(C, T, S)`` of ``measured`` entries, split by time point."""
    fit_points, val_points = validation_split(measured.any(axis=2), fraction, seed)
    return measured & fit_points[:, :, None], measured & val_points[:, :, None]


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the ``mask`` entries ``(C, T, S)`` (or points ``(C, T)``)."""
    diff = (pred - target) ** 2
    weight = (mask if mask.dim() == diff.dim() else mask.unsqueeze(-1).expand_as(diff)).to(diff.dtype)
    return (diff * weight).sum() / weight.sum().clamp(min=1.0)


def train_full_batch(parameters: dict[str, torch.Tensor], objective: Objective, budget: Budget, *,
                     label: str = "", progress: ProgressCallback | None = None) -> TrainResult:
    """Adam on ``parameters`` (name -> leaf tensor) for ``objective() -> (fit loss, penalty,
    validation score or None)`` computed on one forward pass; the best epoch's values kept."""
    leaves = list(parameters.values())
    opt = torch.optim.Adam(leaves, lr=budget.lr)
    best, best_state, best_epoch, stale, epoch = np.inf, _snapshot(parameters), 0, 0, 0
    for epoch in range(1, budget.epochs + 1):
        loss, penalty, validation = objective()
        score = float(validation) if validation is not None else float(loss)
        if not np.isfinite(score):
            epoch -= 1
            break
        if score < best - budget.tolerance:
            best, best_state, best_epoch, stale = score, _snapshot(parameters), epoch, 0
        else:
            stale += 1
        opt.zero_grad()
        (loss + penalty).backward()
        if budget.clip is not None:
            torch.nn.utils.clip_grad_norm_(leaves, budget.clip)
        opt.step()
        if progress:
            progress(epoch, budget.epochs, f"{label} loss {float(loss):.4f}")
        if stale >= budget.patience:
            break
    return TrainResult(best_state, float(best), epoch, best_epoch)


def _snapshot(parameters: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in parameters.items()}
