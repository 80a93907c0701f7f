"""The floor every model must beat: linear interpolation through the observed points."""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.models.baselines._common import check_fitted, fill_unobserved
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories


class LinearInterpolation(DynamicsModel):
    """Known condition: straight lines between its observed points, flat beyond the first
    and last. New condition: the mean of the training conditions' interpolated curves,
    shifted so that it starts at the given initial state (``anchor_initial``).
    No hyper-parameters to tune.
    """

    name: ClassVar[str] = "interp"

    def __init__(self, anchor_initial: bool = True):
        self.anchor_initial = anchor_initial

    @classmethod
    def test_params(cls) -> dict:
        return {}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "LinearInterpolation":
        self.species_ = list(train.species)
        self.conditions_ = list(train.conditions)
        self.times_ = train.times.copy()
        self.curves_ = fill_unobserved(train)  # (C, T, S)
        self.mean_curve_ = self.curves_.mean(axis=0)
        if progress:
            progress(1, 1, "interp: stored observed points")
        return self

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None) -> np.ndarray:
        check_fitted(self)
        times = np.asarray(times, dtype=float)
        initial = np.asarray(initial, dtype=float)
        names = list(conditions) if conditions is not None else [None] * len(initial)
        out = np.empty((len(initial), len(times), len(self.species_)))
        for c, name in enumerate(names):
            if name in self.conditions_:
                curve = self.curves_[self.conditions_.index(name)]
            else:
                curve = self.mean_curve_
                if self.anchor_initial:
                    curve = curve - curve[0] + initial[c]
            for s in range(len(self.species_)):
                out[c, :, s] = np.interp(times, self.times_, curve[:, s])
        return out
