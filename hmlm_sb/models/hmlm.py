"""The HMLM: a hybrid continuous-time model, in the spirit of universal differential
equations.

    dy/dt = (ymax * knockdown * OR(prior rules on y * inhibit) + shift(y, condition) - y) / tau

with the logic-based ODE of the prior network as backbone and the shift computed by the
correction: sparse (sparsemax) attention of each species over candidate sources, with
pathway and cell scales (:mod:`hmlm_sb.nn.hierarchy`). ``ude-mlp``
(:mod:`hmlm_sb.models.ude_mlp`) is the same hybrid and trainer with a dense MLP correction.

The backbone's parameters start at the published values and are learned; the correction
starts at zero, is penalised by the mean square of its output and carries the influence
the prior lacks. Both are trained together through a fixed-step exponential integrator in
torch, for at most ``max_epochs`` epochs with early stopping (``patience``) on held-out
observed entries: no clock anywhere, so the same seed gives the same model under any load.
See docs/hmlm.md.
"""
from __future__ import annotations

import json
import os
from typing import Any, ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.network import Network
from hmlm_sb.sim.datasets import network_from_json, network_to_json
from hmlm_sb.trajectories import Trajectories


class HybridModel(DynamicsModel):
    """Fit, predict, Jacobians and training shared by the HMLM and ``ude-mlp``."""

    def _hybrid(self, prior: Network, species: list[str], inputs: list[str]):
        raise NotImplementedError

    @classmethod
    def quick_params(cls) -> dict[str, Any]:
        return {"max_epochs": 120, "patience": 40, "min_epochs": 80}

    # ---- learning -------------------------------------------------------------------
    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "HybridModel":
        import torch

        from hmlm_sb.nn.netflux import model_grid

        _set_threads(self.threads)
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        self.inputs_ = list(train.inputs)
        self.t0_ = float(train.times[0])
        self.conditions_ = list(train.conditions)
        self.prior_y0_ = prior_initial_state(prior, list(train.species))
        self.stimuli_ = train.stimuli.copy()
        self.initial_ = self._initial(train.initial)
        self.inhibit_, self.knockdown_ = train.inhibit.copy(), train.knockdown.copy()
        self.times_ = train.times.copy()
        self.fingerprint_ = prior.fingerprint()
        self.grid_ = model_grid(self.t0_, float(train.times[-1]), self.n_steps, self.grid_power)
        self.prior_json_ = json.dumps(network_to_json(prior))  # what _restore_modules rebuilds from
        self.module_, self.pathways_ = self._hybrid(prior, list(train.species), list(train.inputs))
        self.species_ = list(train.species)
        self.history_ = train_hybrid(self, train, rng, progress)
        return self

    # ---- prediction ---------------------------------------------------------------------
    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        return self._predicted(stimuli, initial, times, inhibit, knockdown, learned=True)

    def backbone_predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray, *,
                         inhibit: np.ndarray | None = None, knockdown: np.ndarray | None = None) -> np.ndarray:
        """(C, T, S) as :meth:`predict` with the learned correction switched off: the logic
        ODE at the parameters fitted jointly with it."""
        return self._predicted(stimuli, initial, times, inhibit, knockdown, learned=False)

    def _predicted(self, stimuli, initial, times, inhibit, knockdown, learned: bool) -> np.ndarray:
        import torch

        self._check_fitted()
        with torch.no_grad():
            traj = self._simulate(np.asarray(stimuli, dtype=float), self._initial(initial),
                                  np.asarray(times, dtype=float), inhibit, knockdown, learned)
        return traj.astype(float)

    def _initial(self, initial: np.ndarray) -> np.ndarray:
        """Unmeasured (NaN) initial states become the prior's y0."""
        initial = np.atleast_2d(np.asarray(initial, dtype=float))
        return np.where(np.isfinite(initial), initial, self.prior_y0_[None, :])

    def _condition(self, stimuli: np.ndarray, inhibit: np.ndarray | None, knockdown: np.ndarray | None):
        from hmlm_sb.nn.hybrid import Perturbation

        return Perturbation.of(np.atleast_2d(stimuli), inhibit, knockdown, len(self.prior_y0_))

    def _simulate(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                  inhibit: np.ndarray | None = None, knockdown: np.ndarray | None = None,
                  learned: bool = True) -> np.ndarray:
        import torch

        from hmlm_sb.nn.netflux import extend_grid

        grid = extend_grid(self.grid_, float(np.max(times)) if len(times) else self.t0_)
        traj, _ = self.module_.simulate(torch.tensor(initial, dtype=torch.float32),
                                        self._condition(stimuli, inhibit, knockdown), grid, times,
                                        self.iterations, self.shift_units, self.shift_every_stage, learned)
        return traj.permute(1, 0, 2).numpy()

    # ---- influence --------------------------------------------------------------------------
    def rate_jacobian(self, states: np.ndarray, stimuli: np.ndarray, inhibit: np.ndarray | None = None,
                      knockdown: np.ndarray | None = None, part: str = "correction") -> np.ndarray:
        """(N, S, S) with ``[n, i, j] = d(dy_i/dt) / d y_j`` at states (N, S) under stimuli
        (N, I) and perturbations (N, S); ``part="correction"``: of the learned part only,
        ``"full"``: of the whole vector field (torch autograd)."""
        import torch

        self._check_fitted()
        y = torch.tensor(np.atleast_2d(states), dtype=torch.float32)
        cond = self._condition(stimuli, inhibit, knockdown)

        def summed(x: torch.Tensor) -> torch.Tensor:  # rows are independent: sum over them
            return self.module_.rate_of_change(x, cond, part, self.shift_units).sum(dim=0)

        jac = torch.autograd.functional.jacobian(summed, y, vectorize=True)  # (S, N, S)
        return jac.permute(1, 0, 2).numpy().astype(float)

    def correction_rate(self, states: np.ndarray, stimuli: np.ndarray, inhibit: np.ndarray | None = None,
                        knockdown: np.ndarray | None = None) -> np.ndarray:
        """(N, S) the learned part of dy/dt at states (N, S) under stimuli (N, I) and
        perturbations (N, S)."""
        import torch

        self._check_fitted()
        with torch.no_grad():
            y = torch.tensor(np.atleast_2d(states), dtype=torch.float32)
            out = self.module_.rate_of_change(y, self._condition(stimuli, inhibit, knockdown), "correction",
                                              self.shift_units)
        return out.numpy().astype(float)

    def _restore_modules(self) -> None:
        """The untrained module of a loaded checkpoint, rebuilt from the stored prior (its
        weights are loaded next)."""
        prior = network_from_json(json.loads(self.prior_json_))
        self.module_, self.pathways_ = self._hybrid(prior, list(self.species_), list(self.inputs_))

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError(f"{type(self).__name__} is not fitted")


class HMLM(HybridModel):
    """Hierarchical molecular language model as the learned part of a hybrid ODE."""

    name: ClassVar[str] = "hmlm"
    # how its CROSSTALK edges are scored: the ridge attribution of what its fitted backbone
    # leaves beat the correlation of its correction (and that its Jacobian) on pilot cells
    # (docs/crosstalk.md, "Which sources explain what the backbone leaves")
    edge_method: ClassVar[str] = "residual"

    def __init__(self, dim: int = 16, heads: int = 4, layers: int = 1,
                 scales: str = "species", candidates: str = "auto", pair_logits: bool = True,
                 context: str = "state", weighting: str = "sparsemax", source_penalty: float = 0.0,
                 values: str = "token",
                 n_steps: int = 30, grid_power: float = 2.0, iterations: int = 3,
                 shift_units: str = "activity", shift_every_stage: bool = False,
                 max_epochs: int = 250, patience: int = 60, min_epochs: int = 100, lr: float = 0.03,
                 lr_correction: float = 0.005, weight_decay: float = 1e-4,
                 correction_penalty: float = 1e-2, prior_penalty: float = 1e-3,
                 val_fraction: float = 0.2, use_correction: bool = True, threads: int | None = 1,
                 clip_grad: float | None = None):
        for key, value in locals().items():
            if key not in ("self", "__class__"):
                setattr(self, key, value)
        self.species_: list[str] | None = None

    def check_params(self) -> None:
        """One clear line for an attention option this model does not know, before any work."""
        from hmlm_sb.errors import InputError
        from hmlm_sb.nn.hierarchy import CONTEXTS, VALUES, WEIGHTINGS, parse_scales

        for name, known in (("context", CONTEXTS), ("weighting", WEIGHTINGS), ("values", VALUES)):
            if getattr(self, name) not in known:
                raise InputError(f"must be one of {', '.join(known)}, not {getattr(self, name)!r}",
                                 element=f"--param {name}")
        try:
            parse_scales(self.scales)
        except ValueError as exc:
            raise InputError(str(exc), element="--param scales") from None

    @classmethod
    def upgrade_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Parameters of a checkpoint written before ``context`` and ``values`` existed
        describe the state-context, token-valued attention of that version."""
        if "context" not in params:
            params = {**params, "context": "state", "values": "token"}
        return params

    @classmethod
    def test_params(cls) -> dict[str, Any]:
        return {"dim": 8, "heads": 2, "n_steps": 8, "iterations": 2, "max_epochs": 10, "patience": 5, "min_epochs": 0,
                "threads": 1}

    def _hybrid(self, prior: Network, species: list[str], inputs: list[str]):
        from hmlm_sb.nn.hierarchy import parse_scales
        from hmlm_sb.nn.hybrid import build_hybrid

        module, names, _ = build_hybrid(prior, species, inputs,
                                        correction="attention" if self.use_correction else "none",
                                        dim=self.dim, heads=self.heads, layers=self.layers,
                                        scales=parse_scales(self.scales), candidates=self.candidates,
                                        pair_logits=self.pair_logits, context=self.context,
                                        weighting=self.weighting, values=self.values)
        return module, names

    # ---- the attention view -----------------------------------------------------------------
    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """Sparsemax attention (S, S), ``[i, j]`` = j read by i, averaged over heads, layers
        and every integrator step along the condition's trajectory over the training span;
        with no condition, the mean over the training conditions. Rows sum to at most 1 (the
        rest goes to the null source). None without the species scale."""
        species, _ = self._attention(condition)
        return species

    def pathway_crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """Pathway-by-pathway attention (P, P) in the order of ``pathways_``, averaged as
        :meth:`crosstalk`; None without the pathway scale."""
        _, pathways = self._attention(condition)
        return pathways

    def crosstalk_for(self, stimuli: np.ndarray, initial: np.ndarray, inhibit: np.ndarray | None = None,
                      knockdown: np.ndarray | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(species (S, S), pathway (P, P)) attention for any condition."""
        import torch

        self._check_fitted()
        correction = self.module_.correction
        if correction is None:
            return None, None
        correction.recording = True
        correction.reset_record()
        try:
            with torch.no_grad():
                self._simulate(np.atleast_2d(stimuli), self._initial(initial), self.times_, inhibit, knockdown)
            out = []
            for total in (correction.species_attention_sum, correction.pathway_attention_sum):
                out.append(None if total is None else (total / correction.records).mean(dim=0).numpy().astype(float))
        finally:
            correction.recording = False
            correction.reset_record()
        return out[0], out[1]

    def _attention(self, condition: str | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        self._check_fitted()
        if condition is None:
            rows = list(range(len(self.conditions_)))
        elif condition in self.conditions_:
            rows = [self.conditions_.index(condition)]
        else:
            raise KeyError(f"unknown condition {condition!r}; known: {', '.join(self.conditions_)}")
        return self.crosstalk_for(self.stimuli_[rows], self.initial_[rows], self.inhibit_[rows],
                                  self.knockdown_[rows])


def prior_initial_state(prior: Network, species: list[str]) -> np.ndarray:
    """The prior's y0 over ``species`` (the simulator's reading of it; 0 where unknown)."""
    from hmlm_sb.sim.netflux_ode import compile_network

    compiled = compile_network(prior)
    return np.array([compiled.y0[compiled.species_index[s]] if s in compiled.species_index else 0.0
                     for s in species], dtype=float)


def _set_threads(threads: int | None) -> None:
    import torch

    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(max(1, int(threads)))


def train_hybrid(model: HybridModel, train: Trajectories, rng: np.random.Generator,
                 progress: ProgressCallback | None) -> dict[str, Any]:
    """AdamW on the measured observed entries, early stopping on a random share of them
    held out; at most ``max_epochs`` epochs, stopped after ``patience`` without a better
    held-out loss but never before ``min_epochs`` (the attention sits on a plateau while its
    weights are near uniform, and the held-out loss can rise there before it falls), the
    best state restored. No clock: the result depends on the seed only."""
    import torch

    module = model.module_
    values = np.nan_to_num(train.values)
    entries = train.measured.copy()
    entries[:, train.times <= train.times[0], :] = False  # the initial state is given
    held_out = entries & (rng.random(entries.shape) < model.val_fraction)
    if held_out.sum() == 0 or held_out.sum() == entries.sum():
        held_out[:] = False
    fit_mask = entries & ~held_out
    used_times = np.flatnonzero(entries.any(axis=(0, 2)))
    target = torch.tensor(values[:, used_times], dtype=torch.float32).permute(1, 0, 2)
    fit_w = torch.tensor(fit_mask[:, used_times], dtype=torch.float32).permute(1, 0, 2)
    val_w = torch.tensor(held_out[:, used_times], dtype=torch.float32).permute(1, 0, 2)
    y0 = torch.tensor(model.initial_, dtype=torch.float32)
    cond = model._condition(model.stimuli_, model.inhibit_, model.knockdown_)

    fast = list(module.backbone.parameters())
    groups = [{"params": fast, "lr": model.lr, "weight_decay": 0.0}]
    if module.correction is not None:
        fast += [p for n, p in module.correction.named_parameters() if _is_fast(n)]
        slow = [p for n, p in module.correction.named_parameters() if not _is_fast(n)]
        groups.append({"params": slow, "lr": model.lr_correction, "weight_decay": model.weight_decay})
    optimiser = torch.optim.AdamW(groups)
    start = {k: v.detach().clone() for k, v in module.backbone.named_parameters()}
    best_val, best_state, best_epoch = float("inf"), _snapshot(module), 0
    history: dict[str, Any] = {"train": [], "val": [], "stopped": "max_epochs"}
    since_best = 0
    n_fit, n_val = fit_w.sum().clamp(min=1), val_w.sum()
    source_penalty = float(getattr(model, "source_penalty", 0.0))
    for epoch in range(model.max_epochs):
        optimiser.zero_grad()
        traj, correction_sq = module.simulate(y0, cond, model.grid_, train.times[used_times], model.iterations,
                                              model.shift_units, model.shift_every_stage)
        err = (traj - target) ** 2
        fit_loss = (err * fit_w).sum() / n_fit
        loss = (fit_loss + model.correction_penalty * correction_sq
                + model.prior_penalty * module.backbone.prior_deviation(start))
        if source_penalty and module.correction is not None:
            loss = loss + source_penalty * module.correction.source_mass()
        fit_value = float(fit_loss.detach())
        val_loss = float((err.detach() * val_w).sum() / n_val) if n_val > 0 else fit_value
        history["train"].append(fit_value)
        history["val"].append(val_loss)
        if val_loss < best_val:
            best_val, best_state, best_epoch = val_loss, _snapshot(module), epoch
            since_best = 0
        else:
            since_best += 1
        if since_best >= model.patience and epoch + 1 >= getattr(model, "min_epochs", 0):
            history["stopped"] = "patience"
            break
        loss.backward()
        if model.clip_grad is not None:
            torch.nn.utils.clip_grad_norm_(module.parameters(), model.clip_grad)
        optimiser.step()
        if progress is not None:
            progress(epoch + 1, model.max_epochs, f"train {fit_value:.4g} val {val_loss:.4g}")
    module.load_state_dict(best_state)
    history.update(best_epoch=best_epoch, best_val=best_val, epochs=len(history["train"]))
    return history


def _is_fast(name: str) -> bool:
    """Per-species and per-pair parameters learn at the backbone's rate."""
    return name == "species_shift" or name.endswith("pair_logit")


def _snapshot(module) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
