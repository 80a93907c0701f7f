"""The floor every model must beat: linear interpolation through the observed points."""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback, perturbation_factors
from hmlm_sb.models.baselines._common import check_fitted, fill_unobserved, initial_state, prior_y0
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories


class LinearInterpolation(DynamicsModel):
    """Known condition: straight lines between its measured entries, flat beyond the first
    and last (a species never measured stays at its initial state). New condition: the mean
    of the interpolated curves of the training conditions with the same perturbations
    (inhibit and knockdown; all training conditions when none matches), shifted so that it
    starts at the given initial state (``anchor_initial``).
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
        self.y0_ = prior_y0(prior, self.species_)
        self.curves_ = fill_unobserved(train, self.y0_)  # (C, T, S)
        self.perturbations_ = np.concatenate([train.inhibit, train.knockdown], axis=1)  # (C, 2S)
        if progress:
            progress(1, 1, "interp: stored observed points")
        return self

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        check_fitted(self)
        times = np.asarray(times, dtype=float)
        initial = initial_state(initial, self.y0_)
        wanted = np.concatenate(perturbation_factors(inhibit, knockdown, initial.shape), axis=1)
        names = list(conditions) if conditions is not None else [None] * len(initial)
        out = np.empty((len(initial), len(times), len(self.species_)))
        for c, name in enumerate(names):
            known = self.conditions_.index(name) if name in self.conditions_ else None
            if known is not None and (self.perturbations_[known] == wanted[c]).all():
                curve = self.curves_[known]
            else:
                same = (self.perturbations_ == wanted[c]).all(axis=1)
                curve = self.curves_[same if same.any() else slice(None)].mean(axis=0)
                if self.anchor_initial:
                    curve = curve - curve[0] + initial[c]
            for s in range(len(self.species_)):
                out[c, :, s] = np.interp(times, self.times_, curve[:, s])
        return out
