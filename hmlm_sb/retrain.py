"""Keep learned crosstalk current: retrain when a cell's subgraph changed since its last run.

The last TrainingRun of a cell holds the fingerprint of the subgraph it was trained on
and a manifest (``subgraph.json`` beside its checkpoint: species, reaction and pathway
uids). When the cell's subgraph now has another fingerprint (a model imported, replaced
or removed), the run's config is trained again on the current subgraph and its
crosstalk written; what changed is reported from the manifest. A run trained on stored
experiments (``hmlm train --experiments``) is retrained too when the cell's experiments
changed since (its config keeps their uids and digest: hmlm_sb.store.experiments).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hmlm_sb.errors import HmlmError
from hmlm_sb.network import Network
from hmlm_sb.pipeline import (MANIFEST_NAME, RunResult, RunSettings, SubgraphChange, compare, generated_dataset,
                              load_manifest, run_pipeline, run_records, save_manifest, subgraph_manifest)
from hmlm_sb.reporting import Reporter

__all__ = ["MANIFEST_NAME", "RetrainOutcome", "RunResult", "RunSettings", "SubgraphChange", "compare",
           "crosstalk_edge_count", "generated_dataset", "latest_runs", "load_manifest", "retrain_cell",
           "save_manifest", "subgraph_manifest", "train_and_write"]


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
    rows, seen = [], set()
    for record in run_records(store, cell):
        row = dict(vars(record))
        row["config"] = _parsed(row.get("config"))
        row["metrics"] = _parsed(row.get("metrics"))
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
                 keep_history: bool = False, out_dir: str | Path = "hmlm_runs",
                 reporter: Reporter | None = None) -> RetrainOutcome:
    """Retrain, with its own config, the newest run of each model kind of ``cell`` whose
    subgraph fingerprint differs from the cell's now, or that trained on stored experiments
    the cell's experiments changed since (every one when ``force``). Kinds whose runs
    write crosstalk go first."""
    from hmlm_sb.store.experiments import experiment_change, experiments_changed

    runs = latest_runs(store, cell, model_kind)
    cell = cell if cell is not None else (runs[0].get("cell") or "")
    network = store.load_network(cell=cell) if cell else store.load_network()
    current = subgraph_manifest(network)
    stale = [r for r in runs if r.get("fingerprint") != current["fingerprint"]
             or experiments_changed(store, cell, r["config"])]
    todo = runs if force else stale
    outcome = RetrainOutcome(status="unchanged", cell=cell, previous_runs=[str(r["id"]) for r in runs])
    if not todo:
        return outcome
    reference = todo[0]
    old = load_manifest(reference.get("checkpoint", "")) or {
        "fingerprint": reference.get("fingerprint"), "models": list(reference.get("model_ids") or [])}
    outcome.change = compare(old, current)
    outcome.change.counts.update(experiment_change(store, cell, reference["config"]))
    outcome.status = "retrained" if stale else "forced"
    for run in sorted(todo, key=lambda r: crosstalk_edge_count(store, str(r["id"])) == 0):
        settings = RunSettings.from_config(run["config"], run.get("model_kind") or "hmlm")
        result = train_and_write(store, network, cell=cell, settings=settings, out_dir=out_dir,
                                 keep_history=keep_history, reporter=reporter,
                                 fingerprint=current["fingerprint"])
        outcome.new_runs.append(result.run.id)
        outcome.edges_written += result.edges_written
    return outcome


def crosstalk_edge_count(store, run_id: str) -> int:
    frame = store.query("MATCH ()-[c:CROSSTALK]->() WHERE c.run = $run RETURN count(c) AS n", {"run": run_id})
    return int(frame["n"].iloc[0]) if not frame.empty else 0


# ---- one training run, written back ---------------------------------------------------------
def train_and_write(store, network: Network, *, cell: str, settings: RunSettings | None = None,
                    out_dir: str | Path = "hmlm_runs", keep_history: bool = False,
                    reporter: Reporter | None = None, fingerprint: str | None = None) -> RunResult:
    """The run pipeline on ``network`` (the cell's subgraph), crosstalk written and recorded."""
    return run_pipeline(store, network, settings or RunSettings(), cell=cell, out_dir=out_dir,
                        reporter=reporter, keep_history=keep_history, fingerprint=fingerprint)
