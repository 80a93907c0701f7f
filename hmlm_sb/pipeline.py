"""One training run, the same way for ``hmlm train``, ``hmlm retrain`` and ``hmlm demo``:

dataset -> observed mask -> fit -> metrics -> crosstalk hook -> record.

The dataset is generated once per (network fingerprint, spec) and kept in a folder, or
read once from the user's folder / ``.npz``; the network's fingerprint is computed once.
What happens is reported through a :class:`~hmlm_sb.reporting.Reporter` (silent by
default), so nothing here knows about the terminal.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from hmlm_sb.errors import InputError
from hmlm_sb.models.base import DynamicsModel, make_model, model_class
from hmlm_sb.models.training import (CHECKPOINT_FILE, RUN_FILE, TrainingData, condition_table, json_default,
                                     new_run_id, observed_mask, run_metrics, seed_everything)
from hmlm_sb.network import Network
from hmlm_sb.reporting import Reporter
from hmlm_sb.store.base import GraphStore, TrainingRunRecord
from hmlm_sb.trajectories import Trajectories

DATASETS_FOLDER = "datasets"
MANIFEST_NAME = "subgraph.json"


@dataclass
class RunSettings:
    """How to make one run: model and its params, seed, observed points per condition, the
    generated dataset's spec (or a user's dataset) and the crosstalk threshold; all kept in
    the run's config so that ``hmlm retrain`` can make it again."""

    model: str = "hmlm"
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    timepoints: int = 4
    dataset_spec: dict[str, Any] = field(default_factory=dict)  # DatasetSpec fields (seed: the run's)
    dataset: str | None = None  # a dataset folder or .npz given by the user instead
    threshold: dict[str, Any] = field(default_factory=dict)  # hmlm_sb.crosstalk.Threshold fields
    experiments: Any = None  # "all" or experiment ids: train on the cell's stored measurements

    @classmethod
    def from_config(cls, config: dict[str, Any], model_kind: str = "hmlm") -> "RunSettings":
        """The settings a recorded run was made with."""
        source = config.get("dataset")
        spec = dict(config.get("dataset_spec") or {})
        simulated = Path(str(source)) / "spec.json" if source else None
        if "dataset_spec" not in config and simulated is not None and simulated.is_file():
            # a folder from `hmlm dataset`: simulate it again, same spec, on the new subgraph
            spec = {k: v for k, v in json.loads(simulated.read_text()).items() if k != "seed"}
        generated = ("dataset_spec" in config or not source or str(source).startswith("generated")
                     or (simulated is not None and simulated.is_file()))
        return cls(model=config.get("model") or model_kind, params=dict(config.get("params") or {}),
                   seed=int(config.get("seed", 0)), timepoints=int(config.get("timepoints", 4)),
                   dataset_spec=spec, dataset=None if generated else str(source),
                   threshold=dict(config.get("threshold") or {}),
                   experiments=(config.get("experiments") or {}).get("selection"))


@dataclass
class RunResult:
    run: TrainingRunRecord
    model: DynamicsModel
    dataset: Any  # GroundTruthDataset, or None for a user's measurements
    train: Trajectories  # what the model saw (observed mask = the sparse scheme)
    edges_written: int = 0
    reused: bool = False
    design_warning: str | None = None  # the design cannot identify crosstalk sources (one line)


# ---- what a subgraph holds, and what changed -----------------------------------------------
def subgraph_manifest(network: Network, fingerprint: str | None = None) -> dict[str, Any]:
    """The uids a run was trained on, for telling later what changed."""
    from hmlm_sb.data.prior import pathway_uid, reaction_uid, species_uid

    return {
        "fingerprint": fingerprint or network.fingerprint(),
        "models": sorted(m.id for m in network.models),
        "species": sorted(species_uid(network, s) for s in network.species),
        "reactions": sorted(reaction_uid(network, r) for r in network.reactions),
        "pathways": sorted(pathway_uid(network, p) for p in network.pathways),
    }


def save_manifest(network: Network, checkpoint: str | Path, fingerprint: str | None = None) -> Path:
    path = Path(checkpoint).parent / MANIFEST_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(subgraph_manifest(network, fingerprint), indent=1))
    return path


def load_manifest(checkpoint: str | Path) -> dict[str, Any] | None:
    path = Path(checkpoint).parent / MANIFEST_NAME if checkpoint else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text())


@dataclass
class SubgraphChange:
    """Differences between the subgraph of a run and the current one."""

    models_added: list[str] = field(default_factory=list)
    models_removed: list[str] = field(default_factory=list)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (added, removed)
    content_only: bool = False  # same elements, other content (a model replaced in place)

    @property
    def any(self) -> bool:
        return bool(self.models_added or self.models_removed or self.content_only
                    or any(a or r for a, r in self.counts.values()))

    def describe(self) -> str:
        parts = []
        if self.models_added:
            parts.append(f"models added: {', '.join(self.models_added)}")
        if self.models_removed:
            parts.append(f"models removed: {', '.join(self.models_removed)}")
        for kind, (added, removed) in self.counts.items():
            if added or removed:
                parts.append(f"{kind} +{added} -{removed}")
        if self.content_only:
            parts.append("same elements, changed content (a model replaced)")
        return "; ".join(parts) if parts else "no change"


def compare(old: dict[str, Any], new: dict[str, Any]) -> SubgraphChange:
    """What changed from manifest ``old`` to manifest ``new`` (either may lack the lists)."""
    change = SubgraphChange(
        models_added=sorted(set(new.get("models", [])) - set(old.get("models", []))),
        models_removed=sorted(set(old.get("models", [])) - set(new.get("models", []))),
    )
    for kind in ("species", "reactions", "pathways"):
        if kind in old and kind in new:
            before, after = set(old[kind]), set(new[kind])
            change.counts[kind] = (len(after - before), len(before - after))
    if old.get("fingerprint") != new.get("fingerprint") and not change.any:
        change.content_only = True
    return change


# ---- dataset -> mask -----------------------------------------------------------------------
def built_model(name: str, params: dict[str, Any]) -> DynamicsModel:
    """``make_model(name, **params)``, with an unknown parameter or (through the model's
    ``check_params``, where it has one) an unknown option value as one clear line."""
    model_class(name)
    try:
        model = make_model(name, **params)
    except TypeError as exc:
        raise InputError(str(exc).split("__init__() ", 1)[-1], element="--param") from None
    check = getattr(model, "check_params", None)
    if callable(check):
        check()
    return model


def generated_dataset(network: Network, settings: RunSettings, root: str | Path,
                      fingerprint: str | None = None) -> Path:
    """The dataset folder of ``network`` under ``settings``, simulated once and kept under
    ``root`` (its name holds the network fingerprint and the spec)."""
    from hmlm_sb.sim.conditions import load_conditions
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    spec = {**settings.dataset_spec, "seed": settings.seed}
    fingerprint = fingerprint or network.fingerprint()
    tag = hashlib.sha256(json.dumps([fingerprint, spec], sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(root) / f"dataset-{tag}"
    if not (folder / "spec.json").is_file():
        made = make_dataset(network, DatasetSpec(**spec), conditions=conditions_for(network, load_conditions()))
        made.save(folder)
    return folder


def conditions_for(network: Network, conditions: dict) -> dict:
    """Named conditions with input names resolved to this network's ids (a network of
    several models uses ``model/local`` ids)."""
    from dataclasses import replace

    models = {m.id for m in network.models}
    by_local: dict[str, list[str]] = {}
    for sid in network.species:
        head, sep, tail = sid.partition("/")
        by_local.setdefault(tail if sep and head in models else sid, []).append(sid)
    out = {}
    for name, cond in conditions.items():
        weights = {(key if key in network.species or len(by_local.get(key, [])) != 1 else by_local[key][0]): value
                   for key, value in cond.weights.items()}
        out[name] = replace(cond, weights=weights)
    return out


def training_data(dataset: str | Path, network: Network | None, timepoints: int) -> tuple[TrainingData, Any]:
    """Read a dataset once: a folder from ``hmlm dataset`` (truth and prior inside) or a
    Trajectories ``.npz`` (``network`` is the prior); the sparse mask applied.
    Returns (what the model trains on, the GroundTruthDataset or None)."""
    from hmlm_sb.sim.datasets import load_dataset

    path = Path(dataset)
    if path.is_dir():
        loaded = load_dataset(path)
        obs = loaded.observed
        data = TrainingData(obs.with_observed(observed_mask(obs, timepoints)), loaded.prior, loaded.truth, str(path))
        return data, loaded
    if path.suffix == ".npz" and path.is_file():
        if network is None:
            raise InputError("an .npz dataset needs a network from the store (--cell)", file=str(path))
        obs = Trajectories.load(path)
        return TrainingData(obs.with_observed(obs.observed & observed_mask(obs, timepoints)), network,
                            None, str(path)), None
    raise InputError("dataset must be a folder written by `hmlm dataset` or a Trajectories .npz", file=str(path))


@dataclass
class ExperimentData:
    """Stored experiments as training data: Trajectories, the prior with input
    reactions for the stimuli, and what a TrainingRun records about them."""

    train: Any  # Trajectories
    prior: Network
    record: dict[str, Any]  # {"selection", "uids", "digest"}

    @property
    def source(self) -> str:
        return f"experiments ({len(self.record['uids'])} stored: {self.record['selection']})"


def experiment_training_data(store, cell: str | None, network: Network,
                             selection: str | Sequence[str]) -> ExperimentData:
    """The cell's stored experiments (``"all"`` or the given ids) on ``network``."""
    from hmlm_sb.io.experiments import experiments_to_trajectories, fill_initial
    from hmlm_sb.store.experiments import as_network_experiments, experiments_digest, load_experiments

    ids = None if selection == "all" else list(selection)
    stored = load_experiments(store, cell=cell, ids=ids)
    if not stored:
        where = f"cell {cell}" if cell else "the store"
        raise InputError(f"no experiments stored for {where}: import a MIDAS or tidy CSV file first "
                         "(hmlm import FILE --cell CELL)", element="--experiments")
    train, prior = experiments_to_trajectories(as_network_experiments(stored, network), network)
    fill_initial(train, prior)
    record = {"selection": "all" if ids is None else ids, "uids": [s.uid for s in stored],
              "digest": experiments_digest(stored)}
    return ExperimentData(train, prior, record)


def experiment_data(store: GraphStore | None, cell: str | None, network: Network | None,
                    settings: RunSettings) -> tuple[TrainingData, dict[str, Any]]:
    """The cell's stored measurements as training data (sparse mask applied) and the record
    of which experiments they were."""
    if store is None or network is None:
        raise InputError("training on stored experiments needs the store and the cell's network",
                         element="--experiments")
    measured = experiment_training_data(store, cell, network, settings.experiments)
    obs = measured.train
    data = TrainingData(obs.with_observed(obs.observed & observed_mask(obs, settings.timepoints)),
                        measured.prior, None, "stored experiments")
    return data, measured.record


# ---- the run --------------------------------------------------------------------------------
def run_pipeline(store: GraphStore | None, network: Network | None, settings: RunSettings, *,
                 cell: str | None, out_dir: str | Path, reporter: Reporter | None = None,
                 record: bool = True, write_crosstalk: bool = True, keep_history: bool = False,
                 fingerprint: str | None = None, prepared: tuple[TrainingData, Any] | None = None,
                 warn_design: bool = True) -> RunResult:
    """Train ``settings.model`` on ``network`` (or the prior of the user's dataset), save
    the checkpoint, the run file and the subgraph manifest, write its crosstalk into
    ``store`` (when ``write_crosstalk`` and the model has any) and record the run.
    ``fingerprint``: the network's, and ``prepared``: the (training data, ground truth)
    of ``settings``' dataset, when the caller has them already. ``warn_design``: say the
    one-line warning when the design cannot identify crosstalk sources."""
    reporter = reporter or Reporter()
    model = built_model(settings.model, settings.params)  # unknown names and bad options fail before any work
    out_dir = Path(out_dir)
    if fingerprint is None and network is not None:
        fingerprint = network.fingerprint()
    experiments_used = None
    if prepared is None and settings.experiments is not None:
        data, experiments_used = experiment_data(store, cell, network, settings)
        prepared = (data, None)
    if prepared is None:
        dataset = settings.dataset
        if dataset is None:
            if network is None:
                raise InputError("no dataset and no network to generate one from")
            with reporter.status(f"generating the dataset of the subgraph ({len(network.species)} species)"):
                dataset = str(generated_dataset(network, settings, out_dir / DATASETS_FOLDER, fingerprint))
        prepared = training_data(dataset, network, settings.timepoints)
    data, ground_truth = prepared
    seed_everything(settings.seed)
    with reporter.progress(f"training {settings.model}") as progress:
        started = time.perf_counter()
        model.fit(data.train, data.prior, seed=settings.seed, progress=progress)
        fit_seconds = time.perf_counter() - started
    run_dir = out_dir / new_run_id(settings.model, cell, settings.seed)  # only once there is a model to keep
    run_dir.mkdir(parents=True, exist_ok=False)
    checkpoint = run_dir / CHECKPOINT_FILE
    model.save(checkpoint)
    graph = network if network is not None else data.prior
    prior_fingerprint = data.prior.fingerprint()
    run = TrainingRunRecord(
        id=run_dir.name, model_kind=settings.model, cell=cell or "",
        fingerprint=fingerprint or prior_fingerprint,
        config={"model": settings.model, "params": model.get_params(), "seed": settings.seed,
                "timepoints": settings.timepoints, "dataset": data.source, "prior_fingerprint": prior_fingerprint,
                "conditions": list(data.train.conditions), "dataset_spec": dict(settings.dataset_spec),
                "threshold": dict(settings.threshold),
                **({"experiments": experiments_used} if experiments_used is not None else {})},
        metrics=run_metrics(model, data, fit_seconds), checkpoint=str(checkpoint.resolve()),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        model_ids=[m.id for m in graph.models],
    )
    if settings.dataset is not None or experiments_used is not None:
        del run.config["dataset_spec"]  # a user's dataset: retrain reads it again
    payload = {"run": asdict(run), "conditions": condition_table(data.prior, data.train)}
    (run_dir / RUN_FILE).write_text(json.dumps(payload, indent=1, default=json_default))
    save_manifest(graph, checkpoint, fingerprint=run.fingerprint)
    result = RunResult(run=run, model=model, dataset=ground_truth, train=data.train,
                       design_warning=design_warning(data.train, data.prior))
    if result.design_warning and warn_design:
        reporter.say(result.design_warning)
    if store is not None and record:
        result.edges_written = write_run(store, run, model, data.train, graph, settings.threshold,
                                         keep_history=keep_history, with_crosstalk=write_crosstalk)
        reporter.say(f"{settings.model}: run {run.id}, {result.edges_written} crosstalk edges written")
    return result


def write_run(store: GraphStore, run: TrainingRunRecord, model: DynamicsModel, train: Trajectories,
              network: Network, threshold: dict[str, Any] | None = None, *, keep_history: bool = False,
              with_crosstalk: bool = True) -> int:
    """Record ``run`` with its crosstalk edges (the model's influence, signed, with
    confidence: :func:`hmlm_sb.crosstalk.trained_crosstalk_edges`); the number written."""
    from hmlm_sb.crosstalk import Threshold, trained_crosstalk_edges

    edges = (trained_crosstalk_edges(model, train, network, threshold=Threshold(**(threshold or {})))
             if with_crosstalk else [])
    if edges:
        return store.write_crosstalk(run, edges, keep_history=keep_history)
    store.record_training_run(run)
    return 0


def design_warning(train: Trajectories, prior: Network) -> str | None:
    """The one-line warning of :func:`hmlm_sb.crosstalk.design_identifiability` when the
    observed design cannot tell crosstalk sources apart, else None."""
    from hmlm_sb.crosstalk import design_identifiability

    return design_identifiability(train, prior)[1]


def run_records(store: GraphStore, cell: str | None = None) -> list[TrainingRunRecord]:
    """The store's TrainingRuns of ``cell`` (all when None), newest first, as records."""
    frame = store.training_runs(cell)
    names = {f for f in TrainingRunRecord.__dataclass_fields__}
    return [TrainingRunRecord(**{k: v for k, v in row.items() if k in names})
            for row in frame.to_dict(orient="records")]


def train_run(store: GraphStore | None, cell: str | None, model_name: str, dataset: str | Path | None,
              timepoints: int, seed: int, out_dir: str | Path, *, params: dict[str, Any] | None = None,
              network: Network | None = None, progress_reporter: Reporter | None = None,
              record: bool = True, experiments: str | list[str] | None = None
              ) -> tuple[TrainingRunRecord, DynamicsModel]:
    """``hmlm train``: the pipeline on the store's subgraph of ``cell`` (all models when
    None) or ``network``, without crosstalk write-back; on the cell's stored measurements
    when ``experiments`` is ``"all"`` or a list of ids."""
    if network is None and store is not None:
        network = store.load_network(cell=cell) if cell else store.load_network()
    settings = RunSettings(model=model_name, params=dict(params or {}), seed=seed, timepoints=timepoints,
                           dataset=None if dataset is None else str(dataset), experiments=experiments)
    result = run_pipeline(store, network, settings, cell=cell, out_dir=out_dir, reporter=progress_reporter,
                          record=record, write_crosstalk=False)
    return result.run, result.model
