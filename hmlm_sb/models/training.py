"""What a training run is made of below the pipeline (:mod:`hmlm_sb.pipeline`): seeds,
the observed mask, metrics, the run folder and reading a run back. A run folder holds ``model.ckpt`` (the fitted :class:`DynamicsModel` as data, :mod:`hmlm_sb.models.checkpoint`), ``run.json`` (the
:class:`TrainingRunRecord` plus what ``hmlm predict`` needs to name conditions: inputs,
their target species, published input weights, the initial state, the time grid) and,
when the dataset was generated, the dataset itself under ``dataset/``.
"""
from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.models.base import DynamicsModel
from hmlm_sb.network import Network
from hmlm_sb.store.base import GraphStore
from hmlm_sb.trajectories import Trajectories

RUN_FILE = "run.json"
CHECKPOINT_FILE = "model.ckpt"


@dataclass
class TrainingData:
    """What a model trains on: observations (sparse mask applied), the prior, and the
    noise-free truth where known (for the run's metrics only)."""

    train: Trajectories
    prior: Network
    truth: Trajectories | None = None
    source: str = ""


def seed_everything(seed: int) -> None:
    """Python, numpy and (when loaded) torch generators."""
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.manual_seed(seed)


def observed_mask(data: Trajectories, timepoints: int) -> np.ndarray:
    """The initial state plus ``timepoints`` points spread evenly over the whole grid; every
    point when ``timepoints`` is 0 or at least the grid's length minus one."""
    from hmlm_sb.sim.datasets import sparse_mask

    if timepoints <= 0 or timepoints >= len(data.times) - 1:
        return np.ones((len(data.conditions), len(data.times)), dtype=bool)
    return sparse_mask(data, timepoints)


def condition_table(prior: Network, data: Trajectories) -> dict[str, Any]:
    """What predicting a named condition later needs: each input's target species and
    published weight, the training conditions' stimuli and initial states, the grid."""
    targets = {}
    published = []
    for rid in data.inputs:
        rxn = prior.reactions.get(rid)
        targets[rid] = [t.species for t in rxn.targets()] if rxn is not None else []
        weight = rxn.params.get("weight") if rxn is not None else None
        published.append(float(weight) if weight is not None else 1.0)
    return {
        "inputs": list(data.inputs), "input_targets": targets, "published_weights": published,
        "species": list(data.species), "times": data.times.tolist(),
        "conditions": {name: {"stimuli": data.stimuli[c].tolist(), "initial": data.initial[c].tolist(),
                              **({"inhibit": data.inhibit[c].tolist()} if (data.inhibit[c] != 1).any() else {})}
                       for c, name in enumerate(data.conditions)},
    }


def run_metrics(model: DynamicsModel, data: TrainingData, fit_seconds: float) -> dict[str, Any]:
    train = data.train
    pred = model.predict(train.stimuli, train.initial, train.times, conditions=train.conditions)
    observed = train.observed[:, :, None] & np.isfinite(train.values)
    fit_mse = float(np.mean(((pred - np.nan_to_num(train.values)) ** 2)[np.broadcast_to(observed, pred.shape)]))
    out: dict[str, Any] = {"fit_seconds": round(fit_seconds, 3), "train_mse": fit_mse,
                           "observed_points": int(train.observed[0].sum())}
    if data.truth is not None and data.truth.values.shape == pred.shape:
        truth = data.truth.values
        out["truth_mse"] = float(np.mean((pred - truth) ** 2))
        out["truth_r"] = {name: float(np.corrcoef(pred[c].ravel(), truth[c].ravel())[0, 1])
                          for c, name in enumerate(train.conditions)}
        out.update(held_out_metrics(pred, data.truth.with_observed(train.observed)))
    history = getattr(model, "history_", None)
    if isinstance(history, dict):
        out.update({k: history[k] for k in ("epochs", "best_epoch", "best_val") if k in history})
    return out


def held_out_metrics(pred: np.ndarray, truth: Trajectories) -> dict[str, float]:
    """Mean over conditions of Pearson r and MSE on the points not observed in training."""
    from hmlm_sb.demo_report import held_out_scores

    scores = held_out_scores(truth, {"model": pred})
    return {"heldout_r": float(scores["pearson_r"].mean()), "heldout_mse": float(scores["mse"].mean())}


def new_run_id(model_name: str, cell: str | None, seed: int) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{model_name}-{cell or 'all'}-s{seed}-{stamp}"


def json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return str(value)


# ---- reading a run back --------------------------------------------------------------------
@dataclass
class SavedRun:
    folder: Path
    run: dict[str, Any]
    conditions: dict[str, Any]

    def model(self) -> DynamicsModel:
        return DynamicsModel.load(self.folder / CHECKPOINT_FILE)

    def condition(self, name: str, weights: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(stimuli (I,), initial (S,)) of a training condition, a bundled named condition,
        or ``weights`` (input species or reaction id -> weight) over the published ones."""
        table = self.conditions
        initial = np.array(next(iter(table["conditions"].values()))["initial"], dtype=float)
        if name in table["conditions"] and not weights:
            row = table["conditions"][name]
            return np.array(row["stimuli"], dtype=float), np.array(row["initial"], dtype=float)
        if weights is None:
            from hmlm_sb.sim.conditions import load_conditions

            named = load_conditions()
            if name not in named:
                known = sorted(set(table["conditions"]) | set(named))
                raise InputError(f"unknown condition {name!r}; known: {', '.join(known)}", element="--condition")
            weights = named[name].weights
        stimuli = np.array(table["published_weights"], dtype=float)
        by_key = {}
        for k, rid in enumerate(table["inputs"]):
            by_key[rid] = k
            for sid in table["input_targets"].get(rid, []):
                by_key.setdefault(sid, k)
        for key, value in weights.items():
            if key not in by_key:
                raise InputError(f"{key!r} is not an input of the trained network", element="--condition")
            stimuli[by_key[key]] = float(value)
        return stimuli, initial


def saved_inhibit(saved: SavedRun, names: list[str]) -> np.ndarray | None:
    """(C, S) inhibition factors of training conditions that had inhibitors (None: none did)."""
    table = saved.conditions["conditions"]
    rows = [table.get(name, {}).get("inhibit") for name in names]
    if not any(rows):
        return None
    return np.array([row if row else [1.0] * len(saved.conditions["species"]) for row in rows], dtype=float)


def open_run(store: GraphStore | None, run: str) -> SavedRun:
    """A run by id (looked up in the store) or by the path of its folder or checkpoint."""
    path = Path(run)
    if not path.exists() and store is not None:
        rows = store.training_runs()
        match = rows[rows["id"] == run] if len(rows) else rows
        if not len(match):
            raise InputError(f"no training run {run!r} in the store", element="--run")
        path = Path(match.iloc[0]["checkpoint"])
    folder = path.parent if path.is_file() else path
    if not (folder / RUN_FILE).is_file():
        raise InputError(f"not a training run folder (no {RUN_FILE})", file=str(folder))
    payload = json.loads((folder / RUN_FILE).read_text())
    return SavedRun(folder, payload["run"], payload["conditions"])


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
