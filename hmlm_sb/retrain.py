"""Keep learned crosstalk current: retrain when a cell's subgraph changed since its last run.

The last TrainingRun of a cell holds the fingerprint of the subgraph it was trained on
and a manifest (``subgraph.json`` beside its checkpoint: species, reaction and pathway
uids). When the cell's subgraph now has another fingerprint (a model imported, replaced
or removed), the run's config is trained again on the current subgraph and its
crosstalk written; what changed is reported from the manifest.
"""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from hmlm_sb.errors import HmlmError
from hmlm_sb.network import Network

MANIFEST_NAME = "subgraph.json"


# ---- what a subgraph holds, and what changed -----------------------------------------------
def subgraph_manifest(network: Network) -> dict[str, Any]:
    """The uids a run was trained on, for telling later what changed."""
    from hmlm_sb.data.prior import pathway_uid, reaction_uid, species_uid

    return {
        "fingerprint": network.fingerprint(),
        "models": sorted(m.id for m in network.models),
        "species": sorted(species_uid(network, s) for s in network.species),
        "reactions": sorted(reaction_uid(network, r) for r in network.reactions),
        "pathways": sorted(pathway_uid(network, p) for p in network.pathways),
    }


def save_manifest(network: Network, checkpoint: str | Path) -> Path:
    path = Path(checkpoint).parent / MANIFEST_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(subgraph_manifest(network), indent=1))
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


# ---- the retrain decision ----------------------------------------------------------------
@dataclass
class RetrainOutcome:
    status: str  # "retrained" | "unchanged" | "forced"
    cell: str
    previous_runs: list[str]  # the newest run of each model kind checked
    new_runs: list[str] = field(default_factory=list)
    change: SubgraphChange | None = None
    edges_written: int = 0

    @property
    def new_run(self) -> str | None:
        """The run that now holds the cell's crosstalk (the first retrained)."""
        return self.new_runs[0] if self.new_runs else None

    def describe(self) -> str:
        previous = ", ".join(self.previous_runs)
        if self.status == "unchanged":
            return (f"cell {self.cell}: subgraph unchanged since run {previous}; "
                    "nothing to do (use --force to retrain anyway)")
        what = self.change.describe() if self.change else "no change"
        verb = "retrained (forced)" if self.status == "forced" else "retrained"
        return (f"cell {self.cell}: {what}; {verb}: new run {', '.join(self.new_runs)} "
                f"(previous {previous} kept), {self.edges_written} crosstalk edges written")


def latest_runs(store, cell: str | None, model_kind: str | None = None) -> list[dict[str, Any]]:
    """The newest TrainingRun of each model kind of ``cell`` (any cell when None), newest
    first, config and metrics parsed."""
    runs = store.training_runs(cell)
    rows, seen = [], set()
    for row in (runs.iloc[k].to_dict() for k in range(len(runs))):
        row["config"] = _parsed(row.get("config", row.get("config_json")))
        row["metrics"] = _parsed(row.get("metrics", row.get("metrics_json")))
        row["id"] = row.get("id", row.get("uid"))
        kind = row.get("model_kind") or ""
        if kind in seen or (model_kind and kind != model_kind):
            continue
        seen.add(kind)
        rows.append(row)
    if not rows:
        where = (f" for cell {cell!r}" if cell else "") + (f" of model {model_kind!r}" if model_kind else "")
        raise HmlmError(f"no training run{where} yet: train first (`hmlm demo` or `hmlm train`)")
    return rows


def _parsed(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        return json.loads(value)
    return {}


def retrain_cell(store, *, cell: str | None = None, model_kind: str | None = None, force: bool = False,
                 keep_history: bool = False, out_dir: str | Path = "hmlm_runs", console=None) -> RetrainOutcome:
    """Retrain, with its own config, the newest run of each model kind of ``cell`` whose
    subgraph fingerprint differs from the cell's now (every one when ``force``). Kinds
    whose runs write crosstalk go first."""
    runs = latest_runs(store, cell, model_kind)
    cell = cell if cell is not None else (runs[0].get("cell") or "")
    network = store.load_network(cell=cell) if cell else store.load_network()
    current = subgraph_manifest(network)
    stale = [r for r in runs if r.get("fingerprint") != current["fingerprint"]]
    todo = runs if force else stale
    outcome = RetrainOutcome(status="unchanged", cell=cell, previous_runs=[str(r["id"]) for r in runs])
    if not todo:
        return outcome
    reference = todo[0]
    old = load_manifest(reference.get("checkpoint", "")) or {
        "fingerprint": reference.get("fingerprint"), "models": list(reference.get("model_ids") or [])}
    outcome.change = compare(old, current)
    outcome.status = "retrained" if stale else "forced"
    for run in sorted(todo, key=lambda r: crosstalk_edge_count(store, str(r["id"])) == 0):
        settings = RunSettings.from_config(run["config"], run.get("model_kind") or "hmlm")
        result = train_and_write(store, network, cell=cell, settings=settings, out_dir=out_dir,
                                 keep_history=keep_history, console=console)
        outcome.new_runs.append(result.run.id)
        outcome.edges_written += result.edges_written
    return outcome


def crosstalk_edge_count(store, run_id: str) -> int:
    frame = store.query("MATCH ()-[c:CROSSTALK]->() WHERE c.run = $run RETURN count(c) AS n", {"run": run_id})
    return int(frame["n"].iloc[0]) if not frame.empty else 0


# ---- one training run, written back ---------------------------------------------------------
@dataclass
class RunSettings:
    """How to make one run: what ``hmlm_sb.models.training.train_run`` takes, plus the
    generated dataset's spec and the crosstalk threshold (both kept in the run's config)."""

    model: str = "hmlm"
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    timepoints: int = 4
    dataset_spec: dict[str, Any] = field(default_factory=dict)  # DatasetSpec fields (seed: the run's)
    dataset: str | None = None  # a dataset folder or .npz given by the user instead
    threshold: dict[str, Any] = field(default_factory=dict)  # hmlm_sb.crosstalk.Threshold fields

    @classmethod
    def from_config(cls, config: dict[str, Any], model_kind: str = "hmlm") -> "RunSettings":
        """The settings a recorded run was made with (``hmlm train`` or this module)."""
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
                   threshold=dict(config.get("threshold") or {}))


@dataclass
class RunResult:
    run: Any  # TrainingRunRecord
    model: Any  # the fitted DynamicsModel
    dataset: Any  # GroundTruthDataset, or None for a user's dataset
    train: Any  # Trajectories the model saw (observed mask = the sparse scheme)
    edges_written: int = 0
    reused: bool = False


def generated_dataset(network: Network, settings: RunSettings, root: str | Path) -> Path:
    """The dataset folder of ``network`` under ``settings``, made once and kept under
    ``root`` (its name holds the network fingerprint and the spec)."""
    from hmlm_sb.sim.conditions import load_conditions
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    spec = {**settings.dataset_spec, "seed": settings.seed}
    tag = hashlib.sha256(json.dumps([network.fingerprint(), spec], sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(root) / f"dataset-{tag}"
    if not (folder / "spec.json").is_file():
        made = make_dataset(network, DatasetSpec(**spec), conditions=_conditions_for(network, load_conditions()))
        made.save(folder)
    return folder


def _conditions_for(network: Network, conditions: dict) -> dict:
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


def train_and_write(store, network: Network, *, cell: str, settings: RunSettings | None = None,
                    out_dir: str | Path = "hmlm_runs", keep_history: bool = False, console=None) -> RunResult:
    """Train on ``network`` (the cell's subgraph) with ``training.train_run``, keep the
    subgraph manifest beside the checkpoint, and record the run with its crosstalk."""
    from hmlm_sb.crosstalk import Threshold, crosstalk_edges, model_crosstalk
    from hmlm_sb.models.training import train_run
    from hmlm_sb.sim.datasets import load_dataset

    settings = settings or RunSettings()
    dataset = settings.dataset
    if dataset is None:
        with _status(console, f"generating the dataset of the subgraph ({len(network.species)} species)"):
            dataset = str(generated_dataset(network, settings, Path(out_dir) / "datasets"))
    with _progress(console, f"training {settings.model}") as progress:
        run, model = train_run(None, cell, settings.model, dataset, settings.timepoints, settings.seed, out_dir,
                               params=settings.params, network=network, progress=progress, record=False)
    run.config.update(dataset_spec=settings.dataset_spec, threshold=settings.threshold)
    save_manifest(network, run.checkpoint)
    ground_truth = load_dataset(dataset) if Path(dataset).is_dir() else None
    train = _training_view(ground_truth.observed if ground_truth else None, model, settings, dataset)
    if ground_truth is not None:
        run.metrics.update(held_out_metrics(model, ground_truth.truth, train))
    edges = crosstalk_edges(model_crosstalk(model, train.conditions), train.species, network,
                            threshold=Threshold(**settings.threshold))
    if edges:
        written = store.write_crosstalk(run, edges, keep_history=keep_history)
    else:
        store.record_training_run(run)
        written = 0
    _say(console, f"{settings.model}: run {run.id}, {written} crosstalk edges written")
    return RunResult(run=run, model=model, dataset=ground_truth, train=train, edges_written=written)


def _training_view(observed, model, settings: RunSettings, dataset: str):
    from hmlm_sb.models.training import observed_mask
    from hmlm_sb.trajectories import Trajectories

    data = observed if observed is not None else Trajectories.load(dataset)
    return data.with_observed(observed_mask(data, settings.timepoints))


def held_out_metrics(model, truth, train) -> dict[str, float]:
    """Mean Pearson r and MSE over conditions, on the points the model did not see."""
    from hmlm_sb.demo_report import held_out_scores

    truth = truth.with_observed(train.observed)
    pred = model.predict(truth.stimuli, truth.initial, truth.times, truth.conditions)
    scores = held_out_scores(truth, {"model": pred})
    return {"heldout_r": float(scores["pearson_r"].mean()), "heldout_mse": float(scores["mse"].mean())}


@contextmanager
def _progress(console, label: str) -> Iterator[Any]:
    if console is None:
        yield None
        return
    from hmlm_sb.cli.common import progress_bar
    from hmlm_sb.models.training import progress_printer

    with progress_bar(console) as bar:
        _, update = progress_printer(bar, label)
        yield update


@contextmanager
def _status(console, message: str) -> Iterator[None]:
    if console is None:
        yield
        return
    with console.status(message):
        yield


def _say(console, message: str) -> None:
    if console is not None:
        console.print(message)
