"""Training one run end to end: data, seeds, progress, checkpoint, TrainingRun record.

:func:`train_run` is what ``hmlm train``, ``hmlm demo`` and ``hmlm retrain`` call. A run
folder holds ``model.pkl`` (the fitted :class:`DynamicsModel`), ``run.json`` (the
:class:`TrainingRunRecord` plus what ``hmlm predict`` needs to name conditions: inputs,
their target species, published input weights, the initial state, the time grid) and,
when the dataset was generated, the dataset itself under ``dataset/``.
"""
from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.models.base import DynamicsModel, ProgressCallback, make_model, model_class
from hmlm_sb.network import Network
from hmlm_sb.store.base import GraphStore, TrainingRunRecord
from hmlm_sb.trajectories import Trajectories

RUN_FILE = "run.json"
CHECKPOINT_FILE = "model.pkl"


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


def load_training_data(dataset: str | Path | None, *, network: Network | None, timepoints: int,
                       seed: int, save_to: Path | None = None) -> TrainingData:
    """From a dataset folder (``hmlm dataset``), an ``.npz`` of :class:`Trajectories`
    (with ``network`` as prior), or generated from ``network`` when ``dataset`` is None."""
    from hmlm_sb.sim.datasets import DatasetSpec, load_dataset, make_dataset

    if dataset is None:
        if network is None:
            raise InputError("no dataset and no network to generate one from")
        generated = make_dataset(network, DatasetSpec(seed=seed))
        if save_to is not None:
            generated.save(save_to)
        obs = generated.observed
        return TrainingData(obs.with_observed(observed_mask(obs, timepoints)), generated.prior,
                            generated.truth, f"generated (seed {seed})")
    path = Path(dataset)
    if path.is_dir():
        loaded = load_dataset(path)
        obs = loaded.observed
        return TrainingData(obs.with_observed(observed_mask(obs, timepoints)), loaded.prior, loaded.truth, str(path))
    if path.suffix == ".npz" and path.is_file():
        if network is None:
            raise InputError("an .npz dataset needs a network from the store (--cell)", file=str(path))
        obs = Trajectories.load(path)
        return TrainingData(obs.with_observed(obs.observed & observed_mask(obs, timepoints)), network,
                            None, str(path))
    raise InputError("dataset must be a folder written by `hmlm dataset` or a Trajectories .npz",
                     file=str(path))


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
    history = getattr(model, "history_", None)
    if isinstance(history, dict):
        out.update({k: history[k] for k in ("epochs", "best_epoch", "best_val") if k in history})
    return out


def new_run_id(model_name: str, cell: str | None, seed: int) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{model_name}-{cell or 'all'}-s{seed}-{stamp}"


def train_run(store: GraphStore | None, cell: str | None, model_name: str, dataset: str | Path | None,
              timepoints: int, seed: int, out_dir: str | Path, *, params: dict[str, Any] | None = None,
              network: Network | None = None, progress: ProgressCallback | None = None,
              record: bool = True, experiments: str | list[str] | None = None
              ) -> tuple[TrainingRunRecord, DynamicsModel]:
    """Train one model and save it; record a TrainingRun in ``store`` when given.

    The network comes from ``network``, else from the store's subgraph (``cell`` selects
    it; all models when None). The record's fingerprint is that network's, so a later
    ``hmlm retrain`` can tell whether the graph changed since. ``experiments`` (``"all"``
    or experiment ids) trains on the cell's stored measurements instead of a dataset.
    """
    model_class(model_name)  # unknown names fail before any work
    if network is None and store is not None:
        network = store.load_network(cell=cell) if cell else store.load_network()
    measured = None
    if experiments is not None:
        from hmlm_sb.store.experiments import experiment_training_data

        measured = experiment_training_data(store, cell, network, experiments)
    run_id = new_run_id(model_name, cell, seed)
    run_dir = Path(out_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    if measured is not None:
        obs = measured.train
        data = TrainingData(obs.with_observed(obs.observed & observed_mask(obs, timepoints)), measured.prior,
                            None, measured.source)
    else:
        data = load_training_data(dataset, network=network, timepoints=timepoints, seed=seed,
                                  save_to=run_dir / "dataset" if dataset is None else None)
    seed_everything(seed)
    model = make_model(model_name, **(params or {}))
    started = time.perf_counter()
    model.fit(data.train, data.prior, seed=seed, progress=progress)
    fit_seconds = time.perf_counter() - started
    checkpoint = run_dir / CHECKPOINT_FILE
    model.save(checkpoint)
    fingerprint_of = network if network is not None else data.prior
    run = TrainingRunRecord(
        id=run_id, model_kind=model_name, cell=cell or "", fingerprint=fingerprint_of.fingerprint(),
        config={"model": model_name, "params": model.get_params(), "seed": seed, "timepoints": timepoints,
                "dataset": data.source, "prior_fingerprint": data.prior.fingerprint(),
                "conditions": list(data.train.conditions),
                **({"experiments": measured.record} if measured is not None else {})},
        metrics=run_metrics(model, data, fit_seconds), checkpoint=str(checkpoint.resolve()),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        model_ids=[m.id for m in fingerprint_of.models],
    )
    payload = {"run": asdict(run), "conditions": condition_table(data.prior, data.train)}
    (run_dir / RUN_FILE).write_text(json.dumps(payload, indent=1, default=_json_default))
    if store is not None and record:
        store.record_training_run(run)
    return run, model


def _json_default(value: Any) -> Any:
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


def progress_printer(progress_bar, description: str) -> tuple[Any, Callable[[int, int, str], None]]:
    """A rich task and the callback that advances it (a model reports (step, total, msg))."""
    task = progress_bar.add_task(description, total=None)

    def update(step: int, total: int, message: str) -> None:
        progress_bar.update(task, completed=step, total=total, description=f"{description} {message}")

    return task, update


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
