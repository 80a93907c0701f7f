"""A dynamic Bayesian network: linear-Gaussian transitions between lagged states.

Between consecutive observed points ``x_k`` (time ``t_k``) and ``x_{k+1}``,
``x_{k+1} = exp(M dt_k) [x_k; 1] + noise``, the exact discretisation of the linear
dynamics ``dx/dt = A x + B u + c``: uneven sampling is handled exactly, whatever the
gaps. Each species' parents are its prior-network regulators and itself
(``structure="prior"``: a missing edge cannot be found) or every species with an L1
penalty that is ``prior_discount`` times lighter on prior edges (``structure="l1"``).
The off-diagonal of ``A`` is free, its diagonal ``-softplus(d)`` (every species decays).
MAP estimate under a Gaussian prior on the weights (``ridge``), by Adam through
``torch.linalg.matrix_exp``; early stopping on a validation split of the observed
transitions. The per-species noise variance is kept in ``noise_var_``. Prediction rolls
the mean forward from the initial state.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from hmlm_sb.data.prior import build_prior
from hmlm_sb.models.base import DynamicsModel, ProgressCallback, perturbation_factors
from hmlm_sb.models.baselines._common import (QuickBudget, check_fitted, fill_unobserved, initial_state,
                                              measured_entries, perturbed_columns, prior_y0, set_threads)
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

STRUCTURES = ("prior", "l1")


class DynamicBayesianNetwork(QuickBudget, DynamicsModel):
    """Hyper-parameters: ``structure``, ``ridge``, ``l1``, ``prior_discount``, ``epochs``,
    ``lr``, ``val_fraction``, ``patience``, ``clip`` (bound on predicted states)."""

    name: ClassVar[str] = "dbn"

    def __init__(self, structure: str = "prior", ridge: float = 1e-4, l1: float = 1e-4,
                 prior_discount: float = 0.1, epochs: int = 200, lr: float = 0.05,
                 val_fraction: float = 0.2, patience: int = 25, clip: float = 1.5):
        self.structure = structure
        self.ridge = ridge
        self.l1 = l1
        self.prior_discount = prior_discount
        self.epochs = epochs
        self.lr = lr
        self.val_fraction = val_fraction
        self.patience = patience
        self.clip = clip

    @classmethod
    def test_params(cls) -> dict:
        return {"epochs": 5}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "DynamicBayesianNetwork":
        import torch

        from hmlm_sb.nn.trainer import Budget, split_entries, train_full_batch

        if self.structure not in STRUCTURES:
            raise ValueError(f"structure must be one of {STRUCTURES}, not {self.structure!r}")
        set_threads()
        torch.manual_seed(seed)
        self.species_ = list(train.species)
        self.t0_ = float(train.times[0])
        n = len(self.species_)
        graph = build_prior(prior, self.species_, train.inputs, strict=False)
        adj = graph.adjacency() > 0
        np.fill_diagonal(adj, False)
        self.prior_mask_ = adj
        self.y0_ = prior_y0(prior, self.species_)
        self.perturbed_ = perturbed_columns(train)
        # perturbations enter as inputs acting on every species: 1 - factor of each perturbed species
        self.input_mask_ = np.vstack([graph.input_matrix, np.ones((2 * len(self.perturbed_), n))])
        measured = measured_entries(train)
        fit_entries, val_entries = split_entries(measured, self.val_fraction, seed)
        points = measured.any(axis=2)
        fit_pairs = _pairs(train, fit_entries.any(axis=2), fit_entries.any(axis=2))
        val_pairs = _pairs(train, points, val_entries.any(axis=2))
        n_in = self.input_mask_.shape[0]
        params = {"W": torch.zeros(n, n, dtype=torch.float64, requires_grad=True),
                  "d": torch.full((n,), -1.0, dtype=torch.float64, requires_grad=True),
                  "B": torch.zeros(n_in, n, dtype=torch.float64, requires_grad=True),
                  "c": torch.zeros(n, dtype=torch.float64, requires_grad=True)}
        self.params_ = params
        l1_weight = torch.as_tensor(np.where(adj, self.prior_discount, 1.0) * self.l1)
        values = torch.as_tensor(fill_unobserved(train, self.y0_))
        fit_m, val_m = torch.as_tensor(fit_entries), torch.as_tensor(val_entries)
        inputs = torch.as_tensor(self._inputs(train.stimuli, train.inhibit, train.knockdown))

        def objective():
            loss = self._pair_loss(fit_pairs, values, inputs, train.times, fit_m)
            weights = self._matrices()["A"]
            reg = self.ridge * (weights ** 2).sum()
            if self.structure == "l1":
                reg = reg + (l1_weight * weights.abs()).sum()
            with torch.no_grad():
                score = self._pair_loss(val_pairs, values, inputs, train.times, val_m) if val_pairs else None
            return loss, reg, score

        budget = Budget(epochs=self.epochs if fit_pairs else 0, patience=self.patience, lr=self.lr, tolerance=1e-9)
        result = train_full_batch(params, objective, budget, label="dbn", progress=progress)
        self.params_ = result.best
        with torch.no_grad():
            residuals = self._residuals(fit_pairs, values, inputs, train.times)
            if len(fit_pairs):
                entry = fit_m[[c for c, _, _ in fit_pairs], [b for _, _, b in fit_pairs]].to(torch.float64)
                self.noise_var_ = ((residuals ** 2 * entry).sum(0) / entry.sum(0).clamp(min=1)).numpy()
            else:
                self.noise_var_ = np.zeros(n)
        self.validation_mse_ = result.score
        return self

    def _inputs(self, stimuli, inhibit, knockdown) -> np.ndarray:
        """Stimuli plus ``1 - factor`` of each species perturbed in training: (C, I + 2P)."""
        stimuli = np.atleast_2d(np.asarray(stimuli, dtype=float))
        cols = self.perturbed_
        return np.hstack([stimuli, 1 - np.asarray(inhibit, dtype=float)[:, cols],
                          1 - np.asarray(knockdown, dtype=float)[:, cols]])

    def _matrices(self) -> dict:
        import torch

        p = self.params_
        mask = torch.as_tensor(self.prior_mask_ if self.structure == "prior" else ~np.eye(len(self.species_), dtype=bool))
        a = p["W"] * mask - torch.diag(torch.nn.functional.softplus(p["d"]))
        return {"A": a, "B": p["B"] * torch.as_tensor(self.input_mask_), "c": p["c"]}

    def _transition(self, dts):
        """``exp(M dt)`` for each gap, ``M`` the generator of ``z = [x; u; 1]``: ``(G, K, K)``."""
        import torch

        m = self._matrices()
        n, n_in = len(self.species_), m["B"].shape[0]
        gen = torch.zeros(n + n_in + 1, n + n_in + 1, dtype=torch.float64)
        gen[:n, :n] = m["A"]
        gen[:n, n:n + n_in] = m["B"].T
        gen[:n, -1] = m["c"]
        dts = torch.as_tensor(np.asarray(dts, dtype=float))
        return torch.linalg.matrix_exp(gen[None] * dts[:, None, None])

    @staticmethod
    def _augment(x, stimuli):
        import torch

        return torch.cat([x, stimuli, torch.ones(x.shape[0], 1, dtype=torch.float64)], dim=1)

    def _residuals(self, pairs, values, stimuli, times):
        import torch

        n = len(self.species_)
        if not pairs:
            return torch.zeros(0, n, dtype=torch.float64)
        gaps = sorted({round(float(times[b] - times[a]), 9) for _, a, b in pairs})
        trans = self._transition(gaps)
        c_idx = [c for c, _, _ in pairs]
        g_idx = [gaps.index(round(float(times[b] - times[a]), 9)) for _, a, b in pairs]
        z = self._augment(values[c_idx, [a for _, a, _ in pairs]], stimuli[c_idx])
        nxt = (trans[g_idx] @ z.unsqueeze(-1)).squeeze(-1)[:, :n]
        return nxt - values[c_idx, [b for _, _, b in pairs]]

    def _pair_loss(self, pairs, values, stimuli, times, entries):
        import torch

        """Mean squared residual over the measured entries of each pair's end point."""
        weight = entries[[c for c, _, _ in pairs], [b for _, _, b in pairs]].to(torch.float64)
        return (self._residuals(pairs, values, stimuli, times).pow(2) * weight).sum() / weight.sum().clamp(min=1)

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        import torch

        check_fitted(self)
        set_threads()
        initial = initial_state(initial, self.y0_)
        stimuli = self._inputs(stimuli, *perturbation_factors(inhibit, knockdown, initial.shape))
        times = np.asarray(times, dtype=float)
        points = np.concatenate([[self.t0_], np.maximum(times, self.t0_)])
        gaps = np.diff(points)
        n = len(self.species_)
        with torch.no_grad():
            unique = sorted(set(np.round(gaps, 9).tolist()))
            trans = self._transition(unique)
            z = self._augment(torch.as_tensor(np.asarray(initial, dtype=float)),
                              torch.as_tensor(np.asarray(stimuli, dtype=float)))
            out = []
            for gap in np.round(gaps, 9):
                z = (trans[unique.index(gap)] @ z.unsqueeze(-1)).squeeze(-1)
                z[:, :n] = z[:, :n].clamp(-self.clip, self.clip)
                out.append(z[:, :n].clone())
        return torch.stack(out, dim=1).numpy()

    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """The off-diagonal of ``A`` (``[i, j]``: j acts on i)."""
        check_fitted(self)
        out = self._matrices()["A"].detach().numpy().copy()
        np.fill_diagonal(out, 0.0)
        return out


def _pairs(train: Trajectories, points: np.ndarray, ends: np.ndarray) -> list[tuple[int, int, int]]:
    """(condition, from index, to index) of consecutive ``points`` whose end is in ``ends``."""
    out = []
    for c in range(points.shape[0]):
        idx = np.flatnonzero(points[c])
        out += [(c, int(a), int(b)) for a, b in zip(idx[:-1], idx[1:])
                if train.times[b] > train.times[a] and ends[c, b]]
    return out
