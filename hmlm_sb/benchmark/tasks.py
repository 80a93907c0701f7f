"""Benchmark settings: which points a model sees, which it is scored on.

Sparse sampling: ``k`` points spread evenly over the training window (the first
``TRAIN_WINDOW`` of the time span; index 0, the initial state, is always given); scored
on every other grid point, split into interpolation (inside the window) and
extrapolation (after it). ``100`` (dense) observes every grid point of the window.
Scores are against the noise-free truth; models train on noisy observations.
"""
from __future__ import annotations

import numpy as np

TRAIN_WINDOW = 0.75
SPARSE_SETTINGS = (4, 8, 16, 100)
PAPER_SETTINGS = (4, 8, 16)
# The paper's seven fibrosis markers. Rogers 2022 has no LOX (lysyl oxidase, a TGF-beta-
# and stretch-induced enzyme that stabilises deposited collagen): PAI1 stands in, the
# network's output that likewise protects matrix from degradation and is driven by both
# TGF-beta (smad3) and mechanics (YAP).
FIBROSIS_MARKERS = ("proCI", "proCIII", "fibronectin", "aSMA", "periostin", "TNC", "PAI1")
LOX_STAND_IN = "PAI1"
KEY_SPECIES = ("proCI", "aSMA", "fibronectin", "periostin")


def window_end(n_times: int) -> int:
    """Last grid index inside the training window."""
    return int(np.floor(TRAIN_WINDOW * (n_times - 1)))


def sparse_mask(n_conditions: int, n_times: int, points: int) -> np.ndarray:
    """(C, T) observed mask of a setting: index 0 plus ``points`` indices up to the window end."""
    end = window_end(n_times)
    mask = np.zeros((n_conditions, n_times), dtype=bool)
    mask[:, 0] = True
    if points >= end:
        mask[:, : end + 1] = True
    else:
        mask[:, np.round(np.linspace(0, end, points + 1)[1:]).astype(int)] = True
    return mask


def score_splits(mask_row: np.ndarray) -> dict[str, np.ndarray]:
    """Index sets scored for one condition: held-out points inside / after the window.

    When nothing is held out inside the window (dense setting) the interpolation split
    scores the training points themselves against the noise-free truth (denoising)."""
    n = len(mask_row)
    end = window_end(n)
    idx = np.arange(n)
    inside = idx[(idx <= end) & ~mask_row & (idx > 0)]
    if inside.size == 0:
        inside = idx[(idx <= end) & (idx > 0)]
    return {"interpolation": inside, "extrapolation": idx[idx > end]}


def paper_indices(n_times: int, points: int) -> np.ndarray:
    """The paper's Figure 5A schemes on its 50-point grid, mapped to ours by time fraction.

    4: [0, 12, 24, 36]; 8: [0, 6, ..., 42]; 16: every 3rd index below 48."""
    base = {4: np.arange(0, 48, 12), 8: np.arange(0, 48, 6), 16: np.arange(0, 48, 3)}[points]
    return np.unique(np.round(base / 49 * (n_times - 1)).astype(int))
