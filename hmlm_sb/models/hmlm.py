"""The HMLM: a hybrid continuous-time model, in the spirit of universal differential
equations.

    dy/dt = (ymax * OR(prior rules; w, n, EC50) + shift(y, stimulus) - y) / tau

with the logic-based ODE of the prior network as backbone and the shift computed by the
hierarchical attention network (:mod:`hmlm_sb.nn.hierarchy`).

The backbone's parameters start at the published values and are learned; the correction
(hierarchical attention over species, pathways and the cell, biased by the topology
prior) starts at zero, is penalised by the mean square of its output and carries the
influence the prior lacks. Both are trained together through a fixed-step exponential
integrator in torch, with early stopping on held-out observed entries. See docs/hmlm.md.
"""
from __future__ import annotations

import copy
import os
import time
from typing import Any, ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories



class HMLM(DynamicsModel):
    """Hierarchical molecular language model as the learned part of a hybrid ODE."""

    name: ClassVar[str] = "hmlm"

    def __init__(self, dim: int = 16, heads: int = 2, layers: int = 1, n_steps: int = 30,
                 grid_power: float = 2.0, iterations: int = 3, shift_units: str = "activity",
                 shift_every_stage: bool = False,
                 max_epochs: int = 250, patience: int = 80, lr: float = 0.03,
                 lr_correction: float = 0.005, weight_decay: float = 1e-4,
                 correction_penalty: float = 1e-2, prior_penalty: float = 1e-3,
                 val_fraction: float = 0.2, use_correction: bool = True, threads: int | None = 1,
                 time_budget_s: float | None = 55.0, clip_grad: float | None = None):
        self.dim = dim
        self.heads = heads
        self.layers = layers
        self.n_steps = n_steps
        self.grid_power = grid_power
        self.iterations = iterations
        self.shift_units = shift_units
        self.shift_every_stage = shift_every_stage
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr = lr
        self.lr_correction = lr_correction
        self.weight_decay = weight_decay
        self.correction_penalty = correction_penalty
        self.prior_penalty = prior_penalty
        self.val_fraction = val_fraction
        self.use_correction = use_correction
        self.threads = threads
        self.time_budget_s = time_budget_s
        self.clip_grad = clip_grad
        self.species_: list[str] | None = None

    @classmethod
    def quick_params(cls) -> dict[str, Any]:
        return {"max_epochs": 120, "patience": 40}

    @classmethod
    def test_params(cls) -> dict[str, Any]:
        return {"dim": 8, "heads": 2, "n_steps": 8, "iterations": 2, "max_epochs": 10, "patience": 5, "threads": 1}

    # ---- learning -------------------------------------------------------------------
    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "HMLM":
        import torch

        from hmlm_sb.nn.hybrid import HybridODE, build_hybrid
        from hmlm_sb.nn.netflux import model_grid

        _set_threads(self.threads)
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        self.species_ = list(train.species)
        self.inputs_ = list(train.inputs)
        self.t0_ = float(train.times[0])
        self.conditions_ = list(train.conditions)
        self.stimuli_ = train.stimuli.copy()
        self.initial_ = train.initial.copy()
        self.times_ = train.times.copy()
        self.fingerprint_ = prior.fingerprint()
        self.grid_ = model_grid(self.t0_, float(train.times[-1]), self.n_steps, self.grid_power)
        module, self.pathways_ = build_hybrid(prior, train.species, train.inputs, dim=self.dim,
                                              heads=self.heads, layers=self.layers,
                                              use_correction=self.use_correction)
        self.module_: HybridODE = module
        self.history_ = _train_hybrid(self, module, train, rng, progress)
        return self

    # ---- prediction ---------------------------------------------------------------------
    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None) -> np.ndarray:
        import torch

        self._check_fitted()
        times = np.asarray(times, dtype=float)
        with torch.no_grad():
            traj = self._simulate(np.asarray(stimuli, dtype=float), np.asarray(initial, dtype=float), times)
        return traj.astype(float)

    def _simulate(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray) -> np.ndarray:
        import torch

        from hmlm_sb.nn.netflux import extend_grid

        grid = extend_grid(self.grid_, float(np.max(times)) if len(times) else self.t0_)
        traj, _ = self.module_.simulate(torch.tensor(initial, dtype=torch.float32),
                                        torch.tensor(stimuli, dtype=torch.float32), grid, times,
                                        self.iterations, self.shift_units, self.shift_every_stage)
        return traj.permute(1, 0, 2).numpy()

    # ---- crosstalk ------------------------------------------------------------------------
    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """Raw molecular attention (S, S), ``[i, j]`` = j acting on i, averaged over heads,
        layers and every integrator stage along the condition's trajectory over the training time
        span; with no condition, the mean over the training conditions."""
        species, _ = self._attention(condition)
        return species

    def pathway_crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """Pathway-by-pathway attention (P, P) in the order of ``pathways_``, averaged as
        :meth:`crosstalk`."""
        _, pathways = self._attention(condition)
        return pathways

    def crosstalk_for(self, stimuli: np.ndarray, initial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(species (S, S), pathway (P, P)) attention for any stimulus pattern."""
        import torch

        self._check_fitted()
        correction = self.module_.correction
        if correction is None:
            return None, None
        correction.recording = True
        correction.reset_record()
        try:
            with torch.no_grad():
                self._simulate(np.atleast_2d(stimuli), np.atleast_2d(initial), self.times_)
            species = (correction.species_attention_sum / correction.records).mean(dim=0)
            pathways = (correction.pathway_attention_sum / correction.records).mean(dim=0)
        finally:
            correction.recording = False
            correction.reset_record()
        return species.numpy().astype(float), pathways.numpy().astype(float)

    def _attention(self, condition: str | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        self._check_fitted()
        if condition is None:
            rows = list(range(len(self.conditions_)))
        elif condition in self.conditions_:
            rows = [self.conditions_.index(condition)]
        else:
            raise KeyError(f"unknown condition {condition!r}; known: {', '.join(self.conditions_)}")
        return self.crosstalk_for(self.stimuli_[rows], self.initial_[rows])

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError("HMLM is not fitted")


def _set_threads(threads: int | None) -> None:
    import torch

    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(max(1, int(threads)))


def _train_hybrid(model: HMLM, module, train: Trajectories, rng: np.random.Generator,
                  progress: ProgressCallback | None) -> dict[str, Any]:
    """Adam on the observed entries, early stopping on a random share of them held out."""
    import torch

    values = np.nan_to_num(train.values)
    entries = train.observed[:, :, None] & np.isfinite(train.values)
    entries[:, train.times <= train.times[0], :] = False  # the initial state is given
    held_out = entries & (rng.random(entries.shape) < model.val_fraction)
    if held_out.sum() == 0 or held_out.sum() == entries.sum():
        held_out[:] = False
    fit_mask = entries & ~held_out
    used_times = np.flatnonzero(entries.any(axis=(0, 2)))
    target = torch.tensor(values[:, used_times], dtype=torch.float32).permute(1, 0, 2)
    fit_w = torch.tensor(fit_mask[:, used_times], dtype=torch.float32).permute(1, 0, 2)
    val_w = torch.tensor(held_out[:, used_times], dtype=torch.float32).permute(1, 0, 2)
    y0 = torch.tensor(train.initial, dtype=torch.float32)
    stim = torch.tensor(train.stimuli, dtype=torch.float32)

    fast = list(module.backbone.parameters())
    if module.correction is not None:
        fast.append(module.correction.species_shift)
    groups = [{"params": fast, "lr": model.lr, "weight_decay": 0.0}]
    if module.correction is not None:
        slow = [p for n, p in module.correction.named_parameters() if n != "species_shift"]
        groups.append({"params": slow, "lr": model.lr_correction, "weight_decay": model.weight_decay})
    optimiser = torch.optim.AdamW(groups)
    start = {k: v.detach().clone() for k, v in module.backbone.named_parameters()}
    best = (float("inf"), copy.deepcopy(module.state_dict()), 0)
    history: dict[str, list[float]] = {"train": [], "val": []}
    since_best = 0
    started = time.perf_counter()
    history["stopped"] = "max_epochs"
    for epoch in range(model.max_epochs):
        optimiser.zero_grad()
        traj, correction_sq = module.simulate(y0, stim, model.grid_, train.times[used_times], model.iterations,
                                              model.shift_units, model.shift_every_stage)
        err = (traj - target) ** 2
        fit_loss = (err * fit_w).sum() / fit_w.sum().clamp(min=1)
        loss = (fit_loss + model.correction_penalty * correction_sq
                + model.prior_penalty * module.backbone.prior_deviation(start))
        val_loss = float((err.detach() * val_w).sum() / val_w.sum()) if val_w.sum() > 0 else float(fit_loss.detach())
        fit_value = float(fit_loss.detach())
        history["train"].append(fit_value)
        history["val"].append(val_loss)
        if val_loss < best[0]:
            best = (val_loss, copy.deepcopy(module.state_dict()), epoch)
            since_best = 0
        else:
            since_best += 1
        loss.backward()
        if model.clip_grad is not None:
            torch.nn.utils.clip_grad_norm_(module.parameters(), model.clip_grad)
        optimiser.step()
        if progress is not None:
            progress(epoch + 1, model.max_epochs, f"train {fit_value:.4g} val {val_loss:.4g}")
        if since_best >= model.patience:
            history["stopped"] = "patience"
            break
        if model.time_budget_s is not None and time.perf_counter() - started > model.time_budget_s:
            history["stopped"] = "time budget"
            break
    module.load_state_dict(best[1])
    history["best_epoch"] = best[2]
    history["best_val"] = best[0]
    history["epochs"] = len(history["train"])
    return history
