"""CellBox (Yuan et al. 2021): a network ODE learned from data.

``dx/dt = k eps * tanh(W (i x) + B u + b) - alpha * x``, with ``u`` the condition's stimuli,
``B`` restricted to the species each input reaction drives, ``i`` the inhibition factors
(an inhibited species is read at a fraction of its state) and ``k`` the knockdown factors
(a knocked-down species reaches a fraction of its activity). ``W`` is either masked to the
prior network's edges (``mode="mask"``: it cannot find a missing edge) or dense with an
L1 penalty that is ``prior_discount`` times lighter on prior edges (``mode="l1"``,
the default: hidden edges can be recovered).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from hmlm_sb.data.prior import build_prior
from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.models.base import perturbation_factors
from hmlm_sb.models.baselines._common import QuickBudget, check_fitted, initial_state, prior_y0, set_threads
from hmlm_sb.models.baselines._trainer import Batch, integrate, train_ode
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

MODES = ("l1", "mask")


class CellBox(QuickBudget, DynamicsModel):
    """Hyper-parameters: ``mode``, ``l1`` (penalty per |W| entry off the prior),
    ``prior_discount``, ``epochs``, ``lr``, ``max_step`` (midpoint integration step), ``val_fraction`` and
    ``patience`` (early stopping on observed points held aside)."""

    name: ClassVar[str] = "cellbox"

    def __init__(self, mode: str = "l1", l1: float = 1e-4, prior_discount: float = 0.1,
                 epochs: int = 200, lr: float = 0.02, max_step: float = 1.0,
                 val_fraction: float = 0.2, patience: int = 25):
        self.mode = mode
        self.l1 = l1
        self.prior_discount = prior_discount
        self.epochs = epochs
        self.lr = lr
        self.max_step = max_step
        self.val_fraction = val_fraction
        self.patience = patience

    @classmethod
    def test_params(cls) -> dict:
        return {"epochs": 5}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "CellBox":
        import torch

        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        set_threads()
        torch.manual_seed(seed)
        n = len(train.species)
        self.species_ = list(train.species)
        self.t0_ = float(train.times[0])
        graph = build_prior(prior, self.species_, train.inputs, strict=False)
        adj = graph.adjacency()
        self.prior_mask_ = adj > 0
        self.input_mask_ = graph.input_matrix
        params = {
            "W": (0.01 * torch.randn(n, n)).requires_grad_(),
            "B": torch.ones(len(train.inputs), n).requires_grad_(),
            "b": torch.zeros(n).requires_grad_(),
            "log_alpha": torch.full((n,), -1.0).requires_grad_(),
            "log_eps": torch.full((n,), -1.0).requires_grad_(),
        }
        weight = np.where(self.prior_mask_, self.prior_discount, 1.0) * self.l1
        l1_weight = torch.as_tensor(weight, dtype=torch.float32)

        def penalty(p):
            return (l1_weight * self._weights(p)["W"].abs()).sum() if self.mode == "l1" else 0.0

        self.y0_ = prior_y0(prior, self.species_)
        self.params_, self.validation_mse_ = train_ode(
            params, self._make_rhs, penalty, train, self.y0_, epochs=self.epochs, lr=self.lr,
            max_step=self.max_step, val_fraction=self.val_fraction, patience=self.patience,
            seed=seed, label="cellbox", progress=progress, order=2)
        return self

    def _weights(self, p: dict) -> dict:
        import torch

        w = p["W"]
        if self.mode == "mask":
            w = w * torch.as_tensor(self.prior_mask_, dtype=w.dtype)
        b_in = p["B"] * torch.as_tensor(self.input_mask_, dtype=w.dtype)
        return {"W": w, "B": b_in}

    def _make_rhs(self, p: dict, batch: Batch):
        import torch

        weights = self._weights(p)
        drive = batch.stimuli @ weights["B"] + p["b"]
        alpha, eps = torch.exp(p["log_alpha"]).clamp(max=2.0), torch.exp(p["log_eps"]) * batch.knockdown
        inhibit = batch.inhibit

        def rhs(x):
            return eps * torch.tanh((x * inhibit) @ weights["W"].T + drive) - alpha * x

        return rhs

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        check_fitted(self)
        set_threads()
        initial = initial_state(initial, self.y0_)
        batch = Batch.of(stimuli, *perturbation_factors(inhibit, knockdown, initial.shape))
        return integrate(self._make_rhs, self.params_, batch, initial, self.t0_, times, self.max_step, 2)

    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """The learned interaction matrix ``W`` (``[i, j]``: j acts on i)."""
        check_fitted(self)
        return self._weights(self.params_)["W"].detach().numpy().astype(float)
