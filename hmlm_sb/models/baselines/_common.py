"""Pieces the baselines share: the prior as matrices (from :mod:`hmlm_sb.data.prior`),
measured entries, initial states with unmeasured species filled from the prior, and
their ``--quick`` budget. Integrators live in :mod:`hmlm_sb.nn.integrators`, the trainer
and validation split in :mod:`hmlm_sb.nn.trainer`."""
from __future__ import annotations

import numpy as np

from hmlm_sb.data.prior import build_prior
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

# the same training budget for every gradient-trained baseline under `hmlm benchmark --quick`
QUICK_EPOCHS = 100
QUICK_PATIENCE = 15
THREADS = 1  # torch threads of a baseline's fit and predict (the benchmark runs models side by side)


class QuickBudget:
    """Mixin of the gradient-trained baselines: their settings under ``--quick``."""

    @classmethod
    def quick_params(cls) -> dict:
        return {"epochs": QUICK_EPOCHS, "patience": QUICK_PATIENCE}


def set_threads() -> None:
    """Every torch baseline runs on :data:`THREADS` threads."""
    import torch

    torch.set_num_threads(THREADS)


def prior_adjacency(network: Network, species: list[str], signed: bool = False) -> np.ndarray:
    """``A[i, j]`` nonzero where the prior has an edge j -> i (sign kept when ``signed``)."""
    return build_prior(network, species, strict=False).adjacency(signed)


def measured_entries(train: Trajectories) -> np.ndarray:
    """``(C, T, S)`` entries a model may learn from: observed time points with a value."""
    return train.observed[:, :, None] & np.isfinite(train.values)


def observed_points(train: Trajectories) -> np.ndarray:
    """``(C, T)`` time points with at least one measured entry."""
    return measured_entries(train).any(axis=2)


def prior_y0(network: Network, species: list[str]) -> np.ndarray:
    """(S,) the prior's initial state (0 for species it lacks)."""
    return np.array([float(network.species[s].initial) if s in network.species else 0.0 for s in species])


def initial_state(initial: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """``initial`` (C, S) with unmeasured (NaN) species taken from ``y0`` (S,)."""
    initial = np.atleast_2d(np.asarray(initial, dtype=float))
    return np.where(np.isfinite(initial), initial, np.broadcast_to(y0, initial.shape))


def fill_unobserved(train: Trajectories, y0: np.ndarray | None = None) -> np.ndarray:
    """Values with every entry not measured replaced by linear interpolation over the
    measured entries of the same species and condition (the initial state counts as one);
    a species never measured stays at its initial state (``y0`` where that is NaN too)."""
    measured = measured_entries(train)
    start = initial_state(train.initial, np.zeros(len(train.species)) if y0 is None else y0)
    out = np.array(train.values, dtype=float)
    for c in range(out.shape[0]):
        for s in range(out.shape[2]):
            idx = np.flatnonzero(measured[c, :, s])
            if len(idx) == 0:
                out[c, :, s] = start[c, s]
                continue
            t_obs, v_obs = train.times[idx], train.values[c, idx, s]
            if idx[0] != 0:
                t_obs, v_obs = np.concatenate([[train.times[0]], t_obs]), np.concatenate([[start[c, s]], v_obs])
            out[c, :, s] = np.interp(train.times, t_obs, v_obs)
    return out


def perturbed_columns(train: Trajectories) -> np.ndarray:
    """Species positions that some training condition inhibits or knocks down."""
    return np.flatnonzero(((train.inhibit != 1) | (train.knockdown != 1)).any(axis=0))


def check_fitted(model) -> None:
    if not model.is_fitted:
        raise RuntimeError(f"{type(model).__name__} is not fitted; call fit() first")
