"""A dynamic Bayesian network: linear-Gaussian transitions between lagged states.

Uneven sampling is handled by writing the transition in continuous time: between
consecutive observed points ``x_k`` (time ``t_k``) and ``x_{k+1}``,
``(x_{k+1} - x_k) / dt_k = A m_k + B u + c + noise``, with ``m_k`` the midpoint state
and each pair weighted by ``dt_k`` (so long gaps are not over-trusted and the fitted
model is independent of the sampling grid). Each species' parents are its prior-network
regulators and itself (``structure="prior"``) or every species with an L1 penalty
(``structure="lasso"``). The ridge / lasso strength is chosen by cross-validation over
the observed transitions only. Prediction integrates the mean dynamics (RK4, states
kept in [0, ``clip``]); the noise variance of each species is kept in ``noise_var_``.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.models.baselines._common import check_fitted, input_targets, observed_points, prior_adjacency
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

STRUCTURES = ("prior", "lasso")


class DynamicBayesianNetwork(DynamicsModel):
    """Hyper-parameters: ``structure``, ``alphas`` (regularisation grid searched by
    cross-validation), ``max_step`` (integration), ``clip`` (state bound)."""

    name: ClassVar[str] = "dbn"

    def __init__(self, structure: str = "prior", alphas: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0),
                 max_step: float = 0.1, clip: float = 1.5):
        if structure not in STRUCTURES:
            raise ValueError(f"structure must be one of {STRUCTURES}, not {structure!r}")
        self.structure = structure
        self.alphas = tuple(alphas)
        self.max_step = max_step
        self.clip = clip

    @classmethod
    def test_params(cls) -> dict:
        return {"alphas": (1e-2,)}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "DynamicBayesianNetwork":
        self.species_ = list(train.species)
        self.t0_ = float(train.times[0])
        n = len(self.species_)
        parents = prior_adjacency(prior, self.species_) > 0
        np.fill_diagonal(parents, True)
        inputs = input_targets(prior, list(train.inputs), self.species_)
        mids, rates, weights, stims = _transitions(train)
        self.A_ = np.zeros((n, n))
        self.B_ = np.zeros((len(train.inputs), n))
        self.c_ = np.zeros(n)
        self.noise_var_ = np.zeros(n)
        for i in range(n):
            cols = np.flatnonzero(parents[i]) if self.structure == "prior" else np.arange(n)
            in_cols = np.flatnonzero(inputs[:, i])
            if len(rates) == 0:
                continue
            coef, intercept, var = _regress(np.hstack([mids[:, cols], stims[:, in_cols]]), rates[:, i],
                                            weights, self.alphas, self.structure == "lasso", seed)
            self.A_[i, cols] = coef[:len(cols)]
            self.B_[in_cols, i] = coef[len(cols):]
            self.c_[i], self.noise_var_[i] = intercept, var
            if progress:
                progress(i + 1, n, "dbn: regressions")
        return self

    def _rhs(self, stimuli: np.ndarray):
        drive = stimuli @ self.B_ + self.c_

        def rhs(x):
            return x @ self.A_.T + drive

        return rhs

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None) -> np.ndarray:
        check_fitted(self)
        rhs = self._rhs(np.asarray(stimuli, dtype=float))
        x, t = np.asarray(initial, dtype=float).copy(), self.t0_
        out = []
        for target in np.asarray(times, dtype=float):
            span = target - t
            if span > 0:
                steps = max(1, int(np.ceil(span / self.max_step - 1e-9)))
                h = span / steps
                for _ in range(steps):
                    k1 = rhs(x)
                    k2 = rhs(x + 0.5 * h * k1)
                    k3 = rhs(x + 0.5 * h * k2)
                    k4 = rhs(x + h * k3)
                    x = np.clip(x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), 0.0, self.clip)
                t = target
            out.append(x.copy())
        return np.stack(out, axis=1)

    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """The transition matrix ``A`` without its diagonal (``[i, j]``: j acts on i)."""
        check_fitted(self)
        out = self.A_.copy()
        np.fill_diagonal(out, 0.0)
        return out


def _transitions(train: Trajectories) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Midpoint states, finite-difference rates, gap lengths and stimuli of every pair of
    consecutive observed points."""
    mask = observed_points(train)
    mids, rates, gaps, stims = [], [], [], []
    for c in range(len(train.conditions)):
        idx = np.flatnonzero(mask[c])
        for a, b in zip(idx[:-1], idx[1:]):
            dt = train.times[b] - train.times[a]
            if dt <= 0:
                continue
            xa, xb = train.values[c, a], train.values[c, b]
            mids.append(0.5 * (xa + xb))
            rates.append((xb - xa) / dt)
            gaps.append(dt)
            stims.append(train.stimuli[c])
    if not mids:
        return np.zeros((0, train.values.shape[2])), np.zeros((0, train.values.shape[2])), np.zeros(0), \
            np.zeros((0, len(train.inputs)))
    return np.array(mids), np.array(rates), np.array(gaps), np.array(stims)


def _regress(x: np.ndarray, y: np.ndarray, weight: np.ndarray, alphas: tuple[float, ...],
             lasso: bool, seed: int) -> tuple[np.ndarray, float, float]:
    """Weighted ridge or lasso with the penalty picked by K-fold CV; (coef, intercept, noise var)."""
    from sklearn.linear_model import Lasso, Ridge

    def make(alpha):
        return Lasso(alpha=alpha, max_iter=5000) if lasso else Ridge(alpha=alpha)

    best_alpha = alphas[0]
    if len(alphas) > 1 and len(y) >= 6:
        rng = np.random.default_rng(seed)
        folds = rng.permutation(len(y)) % 3
        errors = []
        for alpha in alphas:
            err = 0.0
            for k in range(3):
                tr, te = folds != k, folds == k
                model = make(alpha).fit(x[tr], y[tr], sample_weight=weight[tr])
                err += float(np.sum(weight[te] * (model.predict(x[te]) - y[te]) ** 2))
            errors.append(err)
        best_alpha = alphas[int(np.argmin(errors))]
    model = make(best_alpha).fit(x, y, sample_weight=weight)
    resid = y - model.predict(x)
    var = float(np.average(resid ** 2, weights=weight)) if len(y) else 0.0
    return np.asarray(model.coef_, dtype=float), float(model.intercept_), var
