"""The mechanistic baseline: the Netflux logic-based ODE of the prior network.

``ode-default`` simulates the prior network (hidden edges missing) with the parameters
written in it (published values; Netflux defaults where empty): what a Netflux user
does today. ``ode-fitted`` starts from the same values and refits every reaction's
weight, Hill exponent and EC50 and every species' time constant to the measured entries
by gradient descent through the one torch kernel (:class:`hmlm_sb.nn.netflux.NetfluxRHS`
in its ``q-form`` parameterisation, exponential-Euler steps, stable at steps longer than
the fastest time constant), trained to convergence: an epoch budget with patience on the
validation split, no clock. Predictions come from the simulator's stiff solver with the
fitted parameters. Both apply a condition's perturbations in the ODE: inhibition scales
the state a rule reads, knockdown the species' ymax.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback, perturbation_factors
from hmlm_sb.models.baselines._common import (QuickBudget, check_fitted, initial_state, measured_entries, prior_y0,
                                              set_threads)
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

PARAMS = ("weight", "n", "ec50", "tau")


class DefaultLogicODE(DynamicsModel):
    """Netflux ODE of the prior network with its published parameters; nothing is learned.
    Predictions come from the simulator's stiff solver. No hyper-parameters.
    """

    name: ClassVar[str] = "ode-default"
    mechanistic: ClassVar[bool] = True

    def __init__(self) -> None:
        pass

    @classmethod
    def test_params(cls) -> dict:
        return {}

    def _setup(self, train: Trajectories, prior: Network) -> None:
        from hmlm_sb.nn.netflux import compile_network
        from hmlm_sb.sim.netflux_ode import compile_network as compile_simulator

        self.species_ = list(train.species)
        self.inputs_ = list(train.inputs)
        self.t0_ = float(train.times[0])
        self.simulator_ = compile_simulator(prior)
        missing = [s for s in self.simulator_.species if s not in self.species_]
        missing += [s for s in self.species_ if s not in self.simulator_.species_index]
        if missing:
            raise ValueError(f"network and data species differ: {', '.join(missing[:5])}")
        self.compiled_ = compile_network(prior, self.species_, self.inputs_)
        self.y0_ = prior_y0(prior, self.species_)
        self.params_ = {k: getattr(self.compiled_, k).copy() for k in PARAMS}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "DefaultLogicODE":
        self._setup(train, prior)
        if progress:
            progress(1, 1, "ode-default: nothing to fit")
        return self

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        check_fitted(self)
        initial = initial_state(initial, self.y0_)
        inhibit, knockdown = perturbation_factors(inhibit, knockdown, initial.shape)
        return self._simulate(np.atleast_2d(np.asarray(stimuli, dtype=float)), initial, inhibit, knockdown,
                              np.asarray(times, dtype=float))

    def backbone_predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray, *,
                         inhibit: np.ndarray | None = None, knockdown: np.ndarray | None = None) -> np.ndarray:
        """The logic ODE is all backbone: :meth:`predict` (what the hybrids' backbone
        residual is compared with, :func:`hmlm_sb.models.influence.backbone_residual_ridge`)."""
        return self.predict(stimuli, initial, times, inhibit=inhibit, knockdown=knockdown)

    def _simulate(self, stimuli, initial, inhibit, knockdown, times) -> np.ndarray:
        """``(C, T, S)`` from the simulator's stiff solver (BDF, analytic Jacobian) in our
        species order, with the model's per-reaction parameters on the simulator's rows."""
        from hmlm_sb.sim.netflux_ode import OdeParams, simulate

        sim = self.simulator_
        c = len(initial)
        order = np.array([sim.species_index[s] for s in self.species_], dtype=np.int64)  # ours -> sim
        reaction = {rid: k for k, rid in enumerate(self.compiled_.reactions)}
        rows = np.array([reaction[rid] for rid in sim.reaction_of_row], dtype=np.int64)

        def per_row(key: str) -> np.ndarray:
            return np.repeat(np.asarray(self.params_[key], dtype=float)[rows][None], c, axis=0)

        weight = per_row("weight")
        columns = {rid: k for k, rid in enumerate(self.inputs_)}
        for row in sim.input_rows:
            if sim.reactions[row] in columns:
                weight[:, row] = stimuli[:, columns[sim.reactions[row]]]

        def per_species(values: np.ndarray) -> np.ndarray:
            out = np.empty((c, len(order)))
            out[:, order] = np.broadcast_to(values, (c, len(order)))
            return out

        batch = OdeParams(weight, per_row("n"), per_row("ec50"), per_species(self.params_["tau"]),
                          per_species(self.compiled_.ymax)).with_perturbations(per_species(inhibit),
                                                                                per_species(knockdown))
        grid = np.concatenate([[self.t0_], np.maximum(times, self.t0_)])
        unique, inverse = np.unique(grid, return_inverse=True)
        y0 = per_species(initial)
        out = y0[:, None] if len(unique) == 1 else simulate(sim, unique, batch, y0)
        return out[:, inverse[1:]][:, :, order]

    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """Prior edges weighted by their reaction weight (the ODE knows no other)."""
        check_fitted(self)
        c = self.compiled_
        weight = np.asarray(self.params_["weight"])
        out = np.zeros((len(self.species_), len(self.species_)))
        n_species, n_lits = len(self.species_), len(c.lit_species)
        for target, terms in enumerate(c.target_terms):
            for k in terms:
                if k >= len(c.term_reaction):
                    continue
                r = c.term_reaction[k]
                for lit in c.term_literals[k]:
                    if lit < n_lits and c.lit_species[lit] < n_species:
                        out[target, c.lit_species[lit]] += -weight[r] if c.lit_negated[lit] else weight[r]
        return out


class FittedLogicODE(QuickBudget, DefaultLogicODE):
    """Netflux ODE of the prior network with (w, n, EC50, tau) refitted to the data.

    Hyper-parameters: ``epochs`` (the budget; training stops earlier after ``patience``
    epochs without a better validation score), ``lr``, ``max_step`` (training step),
    ``val_fraction``, ``patience``, ``param_decay``. Parameters are kept in their valid
    ranges by the kernel's ``q-form`` (w in (0, 1), n in (0.5, 6), ``q = 1/K^n`` in
    (-1, inf), tau > 0). Adam on the mean squared error at the measured fit entries, the
    best validation state kept; ``param_decay`` pulls parameters toward the published ones.
    """

    name: ClassVar[str] = "ode-fitted"

    def __init__(self, epochs: int = 1000, lr: float = 0.05, max_step: float = 1.0,
                 val_fraction: float = 0.2, patience: int = 50, param_decay: float = 1e-4):
        self.epochs = epochs
        self.lr = lr
        self.max_step = max_step
        self.val_fraction = val_fraction
        self.patience = patience
        self.param_decay = param_decay

    @classmethod
    def test_params(cls) -> dict:
        return {"epochs": 5, "max_step": 1.0}

    @classmethod
    def quick_params(cls) -> dict:
        """Trained to convergence under ``--quick`` too: the full budget, quick patience."""
        return {"epochs": 1000, "patience": 25}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "FittedLogicODE":
        import torch

        from hmlm_sb.nn.integrators import exponential_euler
        from hmlm_sb.nn.netflux import NetfluxRHS
        from hmlm_sb.nn.trainer import Budget, masked_mse, split_entries, train_full_batch

        self._setup(train, prior)
        set_threads()
        torch.manual_seed(seed)
        rhs = NetfluxRHS(self.compiled_, parameterisation="q-form", dtype=torch.float64)
        parameters = dict(rhs.named_parameters())
        start = {k: v.detach().clone() for k, v in parameters.items()}
        measured = measured_entries(train)
        fit_mask, val_mask = split_entries(measured, self.val_fraction, seed)
        used = measured.any(axis=(0, 2))
        times = train.times[used]
        target = torch.as_tensor(np.nan_to_num(train.values[:, used]))
        fit_m, val_m = torch.as_tensor(fit_mask[:, used]), torch.as_tensor(val_mask[:, used])
        stimuli = torch.as_tensor(train.stimuli)
        inhibit, knockdown = torch.as_tensor(train.inhibit), torch.as_tensor(train.knockdown)
        x0 = torch.as_tensor(initial_state(train.initial, self.y0_))
        has_val = bool(val_m.any())

        def objective():
            activity = rhs.bind(rhs.reaction_weights(stimuli), inhibit)
            ymax = rhs.ymax_for(knockdown)
            pred = exponential_euler(lambda y: ymax * activity(y), rhs.parameters_now()["tau"], x0, self.t0_,
                                     times, self.max_step)
            loss = masked_mse(pred, target, fit_m)
            decay = sum(((parameters[k] - start[k]) ** 2).mean() for k in parameters)
            with torch.no_grad():
                score = masked_mse(pred, target, val_m) if has_val else None
            return loss, self.param_decay * decay, score

        budget = Budget(epochs=self.epochs, patience=self.patience, lr=self.lr)
        result = train_full_batch(parameters, objective, budget, label="ode-fitted", progress=progress)
        with torch.no_grad():
            for name, value in result.best.items():
                parameters[name].copy_(value)
            values = rhs.parameters_now()
        self.params_ = {k: values[k].detach().numpy().astype(float).copy() for k in PARAMS}
        self.validation_mse_ = result.score
        self.history_ = {"epochs": result.epochs, "best_epoch": result.best_epoch, "best_val": result.score}
        return self
