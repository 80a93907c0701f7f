"""The mechanistic baseline: the Netflux logic-based ODE of the prior network.

``ode-default`` simulates the prior network (hidden edges missing) with the parameters
written in it (published values; Netflux defaults where empty): what a Netflux user
does today. ``ode-fitted`` starts from the same values and refits every reaction's
weight, Hill exponent and EC50 and every species' time constant to the observed points
by gradient descent through the simulator (torch autograd through an exponential-Euler
integrator, stable at steps longer than the fastest time constant; predictions come
from the simulator's stiff solver with the fitted parameters).
"""
from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.models.baselines._common import (QuickBudget, check_fitted, masked_mse, observed_points,
                                              validation_split)
from hmlm_sb.models.baselines._netflux import (CompiledNetflux, compile_netflux, exponential_euler, netflux_rhs,
                                               q_from_ec50, simulate_compiled)
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories


class DefaultLogicODE(DynamicsModel):
    """Netflux ODE of the prior network with its published parameters; nothing is learned.
    Predictions come from the simulator's stiff solver. No hyper-parameters.
    """

    name: ClassVar[str] = "ode-default"

    def __init__(self) -> None:
        pass

    @classmethod
    def test_params(cls) -> dict:
        return {}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "DefaultLogicODE":
        self.species_ = list(train.species)
        self.inputs_ = list(train.inputs)
        self.t0_ = float(train.times[0])
        self.compiled_ = compile_netflux(prior, self.species_, self.inputs_)
        self.params_ = _initial_params(self.compiled_)
        if progress:
            progress(1, 1, "ode-default: nothing to fit")
        return self

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None) -> np.ndarray:
        check_fitted(self)
        return simulate_compiled(self.compiled_, self.params_, stimuli, initial, self.t0_, times)

    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """Prior edges weighted by their reaction weight (the ODE knows no other)."""
        check_fitted(self)
        c = self.compiled_
        weight = np.asarray(self.params_["weight"])
        out = np.zeros((len(self.species_), len(self.species_)))
        for r, target in zip(c.edge_row, c.edge_species):
            for s, neg in zip(c.literal_species[r], c.literal_negated[r]):
                if s >= 0:
                    out[target, s] += -weight[r] if neg else weight[r]
        return out


def _initial_params(compiled: CompiledNetflux) -> dict[str, np.ndarray]:
    return {"weight": compiled.weight.copy(), "n": compiled.n.copy(),
            "q": q_from_ec50(compiled.ec50, compiled.n), "tau": compiled.tau.copy()}


class FittedLogicODE(QuickBudget, DefaultLogicODE):
    """Netflux ODE of the prior network with (w, n, EC50, tau) refitted to the data.

    Hyper-parameters: ``epochs``, ``lr``, ``max_step`` (training step), ``val_fraction``,
    ``patience``, ``param_decay``. Predictions come from the simulator's stiff solver.
    Parameters are kept in their valid ranges by transforms (w in (0, 1) by a sigmoid,
    n in (0.5, 6), ``q = 1/K^n`` in (-1, inf), tau > 0 by exp). Adam on the mean squared
    error at the fit points, early stopping on a validation split of the observed points
    (``val_fraction``), the best validation state kept. A small penalty
    (``param_decay``) pulls parameters toward the published ones.
    """

    name: ClassVar[str] = "ode-fitted"

    def __init__(self, epochs: int = 200, lr: float = 0.05, max_step: float = 1.0,
                 val_fraction: float = 0.2, patience: int = 25, param_decay: float = 1e-4):
        self.epochs = epochs
        self.lr = lr
        self.max_step = max_step
        self.val_fraction = val_fraction
        self.patience = patience
        self.param_decay = param_decay

    @classmethod
    def test_params(cls) -> dict:
        return {"epochs": 5, "max_step": 1.0}


    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "FittedLogicODE":
        import torch

        DefaultLogicODE.fit(self, train, prior)
        torch.manual_seed(seed)
        start = _initial_params(self.compiled_)
        raw = _to_raw(start)
        raw0 = {k: v.detach().clone() for k, v in raw.items()}
        mask = observed_points(train)
        fit_mask, val_mask = validation_split(mask, self.val_fraction, seed)
        used = mask.any(axis=0)
        times = train.times[used]
        target = torch.as_tensor(np.nan_to_num(train.values[:, used]))
        fit_m = torch.as_tensor(fit_mask[:, used])
        val_m = torch.as_tensor(val_mask[:, used])
        stim = torch.as_tensor(train.stimuli)
        x0 = torch.as_tensor(train.initial)
        opt = torch.optim.Adam(list(raw.values()), lr=self.lr)
        best, best_state, stale = np.inf, _from_raw(raw), 0
        for epoch in range(self.epochs):
            params = _from_raw(raw)
            rhs = netflux_rhs(self.compiled_, stim, params["weight"], params["n"], params["q"], params["tau"])
            pred = exponential_euler(rhs, params["tau"], x0, self.t0_, times, self.max_step)
            loss = masked_mse(pred, target, fit_m)
            decay = sum(((raw[k] - raw0[k]) ** 2).mean() for k in raw)
            opt.zero_grad()
            (loss + self.param_decay * decay).backward()
            opt.step()
            with torch.no_grad():
                score = float(masked_mse(pred, target, val_m)) if bool(val_m.any()) else float(loss)
            if score < best - 1e-7:
                best, best_state, stale = score, {k: v.detach().clone() for k, v in params.items()}, 0
            else:
                stale += 1
            if progress:
                progress(epoch + 1, self.epochs, f"ode-fitted loss {float(loss):.4f}")
            if stale >= self.patience:
                break
        self.params_ = {k: v.detach().numpy().copy() for k, v in best_state.items()}
        self.validation_mse_ = best
        return self


def _to_raw(params: dict[str, np.ndarray]) -> dict:
    import torch

    w = np.clip(params["weight"], 1e-3, 1 - 1e-3)
    n = np.clip(params["n"], 0.51, 5.99)
    q = np.clip(params["q"], -0.99, None)
    raw = {
        "weight": np.log(w / (1 - w)),
        "n": np.log((n - 0.5) / (6.0 - n)),
        "q": np.log(np.expm1(q + 1.0)),
        "tau": np.log(params["tau"]),
    }
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in raw.items()}


def _from_raw(raw: dict) -> dict:
    import torch

    return {
        "weight": torch.sigmoid(raw["weight"]),
        "n": 0.5 + 5.5 * torch.sigmoid(raw["n"]),
        "q": torch.nn.functional.softplus(raw["q"]) - 1.0 + 1e-3,
        "tau": torch.exp(raw["tau"]),
    }
