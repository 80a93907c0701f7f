"""The HMLM paper's main-text model: three Random-Forest heads (molecular, pathway,
cellular features) combined by inverse validation error, rolled out autoregressively.

Adapted from the public notebook (see /work/shared/PAPER_NOTES.md) to sparse, unevenly
spaced observations and to conditions as inputs:

- one training row per pair of consecutive observed points of a condition; every head
  sees the condition's stimulus weights, its perturbations (``1 - factor`` of each species
  inhibited or knocked down in some training condition) and the step length ``dt``
  besides its features; unmeasured entries (NaN) are filled by interpolation over the
  measured ones of the same species;
- targets are the change of every species over the step (the notebook predicts the next
  values of 7 markers; predicting the change of all species lets one rollout serve all);
- heads: molecular (every species' state; 150 trees, depth 12), pathway (pathway means and
  their rates of change since the previous point; depth 10), cellular (mean, sd, max, min
  over species, sum of the output species, rate of change of the mean; depth 8);
- weights proportional to 1 / MSE on the last 20% of training rows (by time), then each
  head is refitted on all rows;
- prediction: rollout from the initial state in steps of the median observed spacing,
  linearly interpolated to the requested times (held at the initial state before t0).
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from hmlm_sb.data.prior import build_prior
from hmlm_sb.models.base import DynamicsModel, ProgressCallback, perturbation_factors
from hmlm_sb.models.baselines._common import (check_fitted, fill_unobserved, initial_state, perturbed_columns,
                                              prior_y0)
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

HEADS = ("molecular", "pathway", "cellular")


class RandomForestEnsemble(DynamicsModel):
    name: ClassVar[str] = "rf-ensemble"

    def __init__(self, n_estimators: int = 150, depths: tuple[int, int, int] = (12, 10, 8),
                 val_fraction: float = 0.2, n_jobs: int = 1):
        self.n_estimators = n_estimators
        self.depths = tuple(depths)
        self.val_fraction = val_fraction
        self.n_jobs = n_jobs
        self.species_: list[str] | None = None

    @classmethod
    def quick_params(cls) -> dict[str, Any]:
        return {"n_estimators": 50}

    @classmethod
    def test_params(cls) -> dict[str, Any]:
        return {"n_estimators": 8}

    # ---- features --------------------------------------------------------------------------
    def _conditions(self, stimuli: np.ndarray, inhibit: np.ndarray, knockdown: np.ndarray) -> np.ndarray:
        """What every head sees of a condition: stimuli and ``1 - factor`` of the species
        perturbed in training (none when training had no perturbation)."""
        cols = self.perturbed_
        return np.hstack([stimuli, 1 - inhibit[:, cols], 1 - knockdown[:, cols]])

    def _features(self, head: str, y: np.ndarray, y_prev: np.ndarray, dt_prev: np.ndarray,
                  stimuli: np.ndarray, dt: np.ndarray) -> np.ndarray:
        """Rows (N, F) for states ``y`` (N, S) with their previous states and spacing."""
        if head == "molecular":
            own = y
        elif head == "pathway":
            means = y @ self.pathway_weights_
            rates = (means - y_prev @ self.pathway_weights_) / np.maximum(dt_prev, 1e-9)[:, None]
            own = np.hstack([means, rates])
        else:
            mean = y.mean(axis=1)
            own = np.column_stack([
                mean, y.std(axis=1), y.max(axis=1), y.min(axis=1),
                y[:, self.output_species_].sum(axis=1),
                (mean - y_prev.mean(axis=1)) / np.maximum(dt_prev, 1e-9),
            ])
        return np.hstack([own, stimuli, dt[:, None]])

    # ---- learning --------------------------------------------------------------------------
    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "RandomForestEnsemble":
        from sklearn.ensemble import RandomForestRegressor

        self.species_ = list(train.species)
        self.t0_ = float(train.times[0])
        self.y0_ = prior_y0(prior, self.species_)
        self.perturbed_ = perturbed_columns(train)
        graph = build_prior(prior, self.species_, train.inputs, strict=False)
        self.pathway_weights_ = graph.pathway_means()
        self.output_species_ = graph.output_species()
        rows = _transition_rows(train, fill_unobserved(train, self.y0_))
        rows["stimuli"] = self._conditions(rows["stimuli"], rows["inhibit"], rows["knockdown"])
        if not rows["y"].shape[0]:
            raise ValueError("rf-ensemble needs at least two observed points in one condition")
        self.step_ = float(np.median(rows["dt"]))
        order = np.argsort(rows["t"], kind="stable")
        n_val = int(round(self.val_fraction * len(order)))
        fit_rows, val_rows = order[:len(order) - n_val], order[len(order) - n_val:]
        self.heads_: dict[str, Any] = {}
        errors = {}
        for k, (head, depth) in enumerate(zip(HEADS, self.depths)):
            x = self._features(head, rows["y"], rows["y_prev"], rows["dt_prev"], rows["stimuli"], rows["dt"])
            make = lambda: RandomForestRegressor(n_estimators=self.n_estimators, max_depth=depth,  # noqa: E731
                                                 random_state=seed + k, n_jobs=self.n_jobs)
            if len(val_rows) and len(fit_rows):
                forest = make().fit(x[fit_rows], rows["delta"][fit_rows])
                errors[head] = float(np.mean((forest.predict(x[val_rows]) - rows["delta"][val_rows]) ** 2))
            else:
                errors[head] = 1.0
            self.heads_[head] = make().fit(x, rows["delta"])
            if progress is not None:
                progress(k + 1, len(HEADS), f"{head} head")
        inverse = {h: 1.0 / max(e, 1e-12) for h, e in errors.items()}
        total = sum(inverse.values())
        self.weights_ = {h: v / total for h, v in inverse.items()}
        self.validation_mse_ = errors
        return self

    # ---- prediction --------------------------------------------------------------------------
    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        check_fitted(self)
        initial = initial_state(initial, self.y0_)
        stimuli = self._conditions(np.atleast_2d(np.asarray(stimuli, dtype=float)),
                                   *perturbation_factors(inhibit, knockdown, initial.shape))
        times = np.asarray(times, dtype=float)
        t_end = max(float(times.max()), self.t0_) if len(times) else self.t0_
        n_steps = int(np.ceil((t_end - self.t0_) / self.step_ - 1e-9)) if t_end > self.t0_ else 0
        grid = self.t0_ + self.step_ * np.arange(n_steps + 1)
        states = [initial]
        y_prev, y = initial, initial
        dt = np.full(len(initial), self.step_)
        for step in range(n_steps):
            dt_prev = dt if step else np.ones(len(initial))
            delta = sum(w * self.heads_[h].predict(self._features(h, y, y_prev, dt_prev, stimuli, dt))
                        for h, w in self.weights_.items())
            y_prev, y = y, np.clip(y + delta, -0.5, 1.5)
            states.append(y)
        path = np.stack(states, axis=1)  # (C, N, S)
        clipped = np.clip(times, self.t0_, grid[-1])
        out = np.empty((len(initial), len(times), path.shape[2]))
        for s in range(path.shape[2]):
            for c in range(len(initial)):
                out[c, :, s] = np.interp(clipped, grid, path[c, :, s])
        return out


def _transition_rows(train: Trajectories, filled: np.ndarray) -> dict[str, np.ndarray]:
    """Consecutive observed points of each condition (the initial state counts as observed),
    states from ``filled`` (unmeasured entries interpolated)."""
    y, y_prev, dt_prev, stim, inh, kd, dt, t, delta = [], [], [], [], [], [], [], [], []
    points = train.observed & np.isfinite(train.values).any(axis=2)
    for c in range(len(train.conditions)):
        mask = points[c].copy()
        mask[0] = True
        idx = np.flatnonzero(mask)
        vals = filled[c].copy()
        vals[0] = initial_state(train.initial[c], filled[c, 0])[0]
        for k in range(len(idx) - 1):
            a, b = idx[k], idx[k + 1]
            prev = idx[k - 1] if k else a
            y.append(vals[a])
            y_prev.append(vals[prev])
            dt_prev.append(train.times[a] - train.times[prev] if k else 1.0)
            stim.append(train.stimuli[c])
            inh.append(train.inhibit[c])
            kd.append(train.knockdown[c])
            dt.append(train.times[b] - train.times[a])
            t.append(train.times[b])
            delta.append(vals[b] - vals[a])
    n_s, n_i = len(train.species), len(train.inputs)
    as_array = lambda rows, width: np.array(rows, dtype=float).reshape(len(rows), width)  # noqa: E731
    return {"y": as_array(y, n_s), "y_prev": as_array(y_prev, n_s), "dt_prev": np.array(dt_prev, dtype=float),
            "stimuli": as_array(stim, n_i), "inhibit": as_array(inh, n_s), "knockdown": as_array(kd, n_s),
            "dt": np.array(dt, dtype=float), "t": np.array(t, dtype=float), "delta": as_array(delta, n_s)}
