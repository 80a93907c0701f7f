"""Keep learned crosstalk current: retrain when a cell's subgraph changed since its last run.

The last TrainingRun of a cell holds the fingerprint of the subgraph it was trained on
and a manifest (``subgraph.json`` beside its checkpoint: species, reaction and pathway
uids). When the cell's subgraph now has another fingerprint (a model imported, replaced
or removed), the run's config is trained again on the current subgraph and its
crosstalk written; what changed is reported from the manifest.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hmlm_sb.errors import HmlmError
from hmlm_sb.network import Network

MANIFEST_NAME = "subgraph.json"


# ---- what a subgraph holds, and what changed -----------------------------------------------
def subgraph_manifest(network: Network) -> dict[str, Any]:
    """The uids a run was trained on, for telling later what changed."""
    from hmlm_sb.crosstalk import pathway_uid, species_uid

    return {
        "fingerprint": network.fingerprint(),
        "models": sorted(m.id for m in network.models),
        "species": sorted(species_uid(network, s) for s in network.species),
        "reactions": sorted(_reaction_uid(network, r) for r in network.reactions),
        "pathways": sorted(pathway_uid(network, p) for p in network.pathways),
    }


def _reaction_uid(network: Network, reaction_id: str) -> str:
    from hmlm_sb.crosstalk import _uid

    return _uid(network.reactions[reaction_id].model, reaction_id, network)


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
    previous_run: str
    new_run: str | None = None
    change: SubgraphChange | None = None
    edges_written: int = 0

    def describe(self) -> str:
        if self.status == "unchanged":
            return (f"cell {self.cell}: subgraph unchanged since run {self.previous_run}; "
                    "nothing to do (use --force to retrain anyway)")
        what = self.change.describe() if self.change else "no change"
        verb = "retrained (forced)" if self.status == "forced" else "retrained"
        return (f"cell {self.cell}: {what}; {verb}: new run {self.new_run} "
                f"(previous {self.previous_run} kept), {self.edges_written} crosstalk edges written")


def last_run(store, cell: str | None) -> dict[str, Any]:
    """The newest TrainingRun row of ``cell`` (or of any cell), config and metrics parsed."""
    runs = store.training_runs(cell)
    if runs.empty:
        where = f" for cell {cell!r}" if cell else ""
        raise HmlmError(f"no training run{where} yet: train first (`hmlm demo` or `hmlm train`)")
    row = runs.iloc[0].to_dict()
    row["config"] = _parsed(row.get("config", row.get("config_json")))
    row["metrics"] = _parsed(row.get("metrics", row.get("metrics_json")))
    row["id"] = row.get("id", row.get("uid"))
    return row


def _parsed(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        return json.loads(value)
    return {}


def retrain_cell(store, *, cell: str | None = None, force: bool = False, keep_history: bool = False,
                 out_dir: str | Path = "hmlm_runs", console=None) -> RetrainOutcome:
    """Retrain the newest run of ``cell`` when its subgraph changed (or when ``force``)."""
    previous = last_run(store, cell)
    cell = cell or previous.get("cell") or ""
    network = store.load_network(cell=cell)
    current = subgraph_manifest(network)
    old = load_manifest(previous.get("checkpoint", "")) or {
        "fingerprint": previous.get("fingerprint"), "models": list(previous.get("model_ids") or [])}
    outcome = RetrainOutcome(status="unchanged", cell=cell, previous_run=str(previous["id"]))
    if current["fingerprint"] == previous.get("fingerprint") and not force:
        return outcome
    outcome.change = compare(old, current)
    outcome.status = "retrained" if outcome.change.any else "forced"
    result = train_and_write(store, network, cell=cell, config=previous["config"],
                             model_kind=previous.get("model_kind") or "hmlm", out_dir=out_dir,
                             keep_history=keep_history, console=console)
    outcome.new_run = result.run.id
    outcome.edges_written = result.edges_written
    return outcome


# ---- one training run, written back ---------------------------------------------------------
DEFAULT_RUN_CONFIG: dict[str, Any] = {
    "params": {},  # model hyper-parameters (make_model(kind, **params))
    "dataset": {"seed": 0, "n_times": 40},  # DatasetSpec fields
    "time_points": 4,  # observed points per condition besides the initial state
    "seed": 0,
    "threshold": {},  # hmlm_sb.crosstalk.Threshold fields
}


@dataclass
class RunResult:
    run: Any  # TrainingRunRecord
    model: Any  # the fitted DynamicsModel
    dataset: Any  # GroundTruthDataset
    train: Any  # Trajectories the model saw (observed mask = the sparse scheme)
    edges_written: int = 0
    reused: bool = False


def run_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """``config`` over the defaults (one level deep)."""
    merged = json.loads(json.dumps(DEFAULT_RUN_CONFIG))
    for key, value in (config or {}).items():
        merged[key] = {**merged[key], **value} if isinstance(merged.get(key), dict) and isinstance(value, dict) else value
    return merged


def make_run_dataset(network: Network, config: dict[str, Any]):
    """(ground-truth dataset, training view with ``time_points`` observed per condition)."""
    from hmlm_sb.sim.conditions import load_conditions
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset, sparse_mask

    dataset = make_dataset(network, DatasetSpec(**config["dataset"]), conditions=_conditions_for(network, load_conditions()))
    train = dataset.observed.with_observed(sparse_mask(dataset.observed, int(config["time_points"])))
    return dataset, train


def _conditions_for(network: Network, conditions: dict) -> dict:
    """Named conditions with input names resolved to this network's ids (a network of
    several models uses ``model/local`` ids)."""
    from dataclasses import replace

    by_local: dict[str, list[str]] = {}
    for sid in network.species:
        by_local.setdefault(sid.rsplit("/", 1)[-1] if "/" in sid and sid.split("/", 1)[0] in
                            {m.id for m in network.models} else sid, []).append(sid)
    out = {}
    for name, cond in conditions.items():
        weights = {(key if key in network.species or len(by_local.get(key, [])) != 1 else by_local[key][0]): value
                   for key, value in cond.weights.items()}
        out[name] = replace(cond, weights=weights)
    return out


def new_run_id(kind: str, fingerprint: str) -> str:
    import uuid
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{fingerprint[:8]}-{uuid.uuid4().hex[:4]}"


def train_and_write(store, network: Network, *, cell: str, config: dict[str, Any] | None = None,
                    model_kind: str = "hmlm", out_dir: str | Path = "hmlm_runs", keep_history: bool = False,
                    console=None, dataset=None) -> RunResult:
    """Train ``model_kind`` on the dataset of ``network`` (the cell's subgraph), save the
    checkpoint and manifest, record the TrainingRun and write its crosstalk."""
    from hmlm_sb.crosstalk import Threshold, crosstalk_edges, model_crosstalk
    from hmlm_sb.models.base import make_model
    from hmlm_sb.store.base import TrainingRunRecord

    config = run_config(config)
    fingerprint = network.fingerprint()
    if dataset is None:
        _say(console, f"generating the dataset ({len(network.species)} species)")
        dataset = make_run_dataset(network, config)
    data, train = dataset
    model = make_model(model_kind, **config["params"])
    _fit(model, train, data.prior, seed=int(config["seed"]), console=console, label=model_kind)
    run_id = new_run_id(model_kind, fingerprint)
    checkpoint = Path(out_dir) / run_id / "model.pkl"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    model.save(checkpoint)
    save_manifest(network, checkpoint)
    run = TrainingRunRecord(id=run_id, model_kind=model_kind, cell=cell, fingerprint=fingerprint,
                            config={**config, "model_kind": model_kind}, metrics=held_out_metrics(model, data, train),
                            checkpoint=str(checkpoint), model_ids=sorted(m.id for m in network.models))
    edges = crosstalk_edges(model_crosstalk(model, train.conditions), train.species, network,
                            threshold=Threshold(**config["threshold"]))
    if edges:
        written = store.write_crosstalk(run, edges, keep_history=keep_history)
    else:
        store.record_training_run(run)
        written = 0
    _say(console, f"run {run_id}: {written} crosstalk edges written")
    return RunResult(run=run, model=model, dataset=data, train=train, edges_written=written)


def held_out_metrics(model, data, train) -> dict[str, float]:
    """Mean Pearson r and MSE over conditions, on the points the model did not see."""
    from hmlm_sb.demo_report import held_out_scores

    truth = data.truth.with_observed(train.observed)
    pred = model.predict(truth.stimuli, truth.initial, truth.times, truth.conditions)
    scores = held_out_scores(truth, {"model": pred})
    return {"pearson_r": float(scores["pearson_r"].mean()), "mse": float(scores["mse"].mean()),
            "time_points": int(train.observed[0].sum()) - 1}


def _fit(model, train, prior: Network, *, seed: int, console, label: str) -> None:
    if console is None:
        model.fit(train, prior, seed=seed)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(f"[bold]training {label}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[note]}"), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task(label, total=None, note="")

        def progress(step: int, total: int, message: str) -> None:
            bar.update(task, completed=step, total=total, note=message)

        model.fit(train, prior, seed=seed, progress=progress)


def _say(console, message: str) -> None:
    if console is not None:
        console.print(message)
