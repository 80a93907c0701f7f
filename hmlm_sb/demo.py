"""The main job end to end: network -> store -> dataset -> HMLM and baseline -> crosstalk
in the graph -> table, Cypher answer and figures. A second run reuses what is there."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hmlm_sb.network import Network
from hmlm_sb.pipeline import DATASETS_FOLDER
from hmlm_sb.reporting import Reporter

KEY_SPECIES = ["TGFB", "tension", "smad3", "aSMA", "proCI", "periostin"]


@dataclass
class DemoConfig:
    """The demo's settings; :meth:`tiny` runs the same path in seconds (tests)."""

    cell: str = "cardiac_fibroblast"
    hmlm_params: dict[str, Any] = field(default_factory=dict)  # the HMLM's defaults (about a minute)
    # Strongest baseline on the demo's task (held-out points between 4 observed ones),
    # measured on dataset seed 0: interp r 0.95 / MSE 0.0067, ode-fitted 0.79 / 0.025,
    # ode-default 0.53 / 0.088 (docs/crosstalk.md).
    baseline: str = "interp"
    baseline_params: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=lambda: {"seed": 0, "n_times": 50})
    time_points: int = 4
    seed: int = 0
    top: int = 10
    novel_condition: str = "TGFB"
    key_species: list[str] = field(default_factory=lambda: list(KEY_SPECIES))

    @classmethod
    def tiny(cls) -> "DemoConfig":
        return cls(hmlm_params={"dim": 8, "heads": 2, "n_steps": 12, "max_epochs": 4, "patience": 4, "threads": 1},
                   baseline="interp", dataset={"seed": 0, "n_times": 20}, top=5)

    def run_settings(self, kind: str) -> "RunSettings":  # noqa: F821
        from hmlm_sb.pipeline import RunSettings

        params = self.hmlm_params if kind == "hmlm" else self.baseline_params
        return RunSettings(model=kind, params=dict(params), seed=self.seed, timepoints=self.time_points,
                           dataset_spec=dict(self.dataset))


@dataclass
class DemoResult:
    scores: pd.DataFrame
    novel: pd.DataFrame
    figures: list[Path]
    runs: dict[str, str]  # model kind -> run id
    reused: dict[str, bool]
    import_status: str
    recovery: dict[str, float] = field(default_factory=dict)  # hidden-edge AUROC / AUPR of the HMLM


def run_demo(db: str, out_dir: str | Path = "demo_out", config: DemoConfig | None = None,
             reporter: Reporter | None = None) -> DemoResult:
    from hmlm_sb.demo_report import held_out_scores
    from hmlm_sb.models.training import TrainingData, observed_mask
    from hmlm_sb.pipeline import generated_dataset
    from hmlm_sb.resources import reference_network
    from hmlm_sb.sim.datasets import load_dataset
    from hmlm_sb.crosstalk import species_uid
    from hmlm_sb.store import open_store

    config = config or DemoConfig()
    say = reporter or Reporter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open_store(db) as store:
        say.section("1. network")
        imported = store.save_network(reference_network(), cell=config.cell, cell_type="cardiac fibroblast",
                                      organism="taxonomy:10116")
        verb = "already imported, unchanged" if imported.status == "unchanged" else imported.status
        say.say(f"Rogers 2022 fibroblast network -> cell {config.cell}: {verb} "
                f"({imported.counts.get('species', '?')} species, {imported.counts.get('reactions', '?')} reactions)")
        network = store.load_network(cell=config.cell)
        fingerprint = network.fingerprint()
        say.section("2. dataset")
        with say.status("simulating the ground truth (4 conditions) and hiding 20% of the edges"):
            folder = generated_dataset(network, config.run_settings("hmlm"), out_dir / "runs" / DATASETS_FOLDER,
                                       fingerprint)
            data = load_dataset(folder)
        train = data.observed.with_observed(observed_mask(data.observed, config.time_points))
        prepared = (TrainingData(train, data.prior, data.truth, str(folder)), data)  # read once, for every run
        say.say(f"dataset {folder}: {len(data.hidden_edges)} prior edges hidden from the models")
        say.say(f"{len(train.conditions)} conditions x {len(train.times)} times x {len(train.species)} species; "
                f"models see {config.time_points} time points per condition (+ the initial state)")
        say.section("3. training")
        runs, reused, models = {}, {}, {}
        for kind in ("hmlm", config.baseline):
            result, was_reused = _trained(store, network, fingerprint, config, kind, out_dir, prepared, say)
            runs[kind], reused[kind], models[kind] = result.run.id, was_reused, result.model
        say.section("4. held-out scores")
        truth = data.truth.with_observed(train.observed)
        predictions = {kind: m.predict(truth.stimuli, truth.initial, truth.times, truth.conditions)
                       for kind, m in models.items()}
        scores = held_out_scores(truth, predictions)
        say.table(_score_table(scores), "held-out points (not seen in training): Pearson r / MSE")
        say.section("5. crosstalk in the graph")
        hidden = [(e.source, e.target) for e in data.hidden_edges]
        novel = _top_novel(store, config, say, hidden=[(species_uid(network, a), species_uid(network, b))
                                                       for a, b in hidden if a in network.species
                                                       and b in network.species])
        recovery = hidden_edge_auroc(models["hmlm"], train, data.prior, hidden)
        label = {"residual": "a joint ridge fit of what its fitted backbone leaves on every source",
                 "correlation": "the correlation of its learned correction with each source",
                 "jacobian": "mean |d rate_i / d y_j| over conditions"}.get(recovery["method"], recovery["method"])
        say.say(f"hidden-edge recovery of the HMLM's written edges ({label}): "
                f"AUROC {recovery['auroc']:.3f}, AUPR {recovery['aupr']:.4f} (lift {recovery['aupr_lift']:.1f}) "
                f"over {recovery['n_hidden']} hidden edges among the pairs absent from the prior")
        say.section("6. figures")
        figures = _figures(truth, predictions, models["hmlm"], network, config, out_dir, train)
        for path in figures:
            say.say(f"saved {path}")
        scores.to_csv(out_dir / "scores.csv", index=False)
        (out_dir / "runs.json").write_text(json.dumps({"runs": runs, "reused": reused, "config": asdict(config)},
                                                      indent=1))
    return DemoResult(scores, novel, figures, runs, reused, imported.status, recovery)


def hidden_edge_auroc(model, train, prior: Network, hidden) -> dict[str, float]:
    """AUROC / AUPR / lift of the edges ``model`` writes (its ``edge_method``, the HMLM's
    backbone residual; else the jacobian when it has one, else its crosstalk view) for the
    dataset's ``hidden`` (source, target) species ids
    (:func:`hmlm_sb.crosstalk.hidden_edge_recovery`), with ``method`` saying which."""
    from hmlm_sb.crosstalk import hidden_edge_recovery, written_edge_method
    from hmlm_sb.models.influence import influence, mean_abs_influence

    method = written_edge_method(model).replace("view", "attention")  # the view is influence's "attention"
    matrix = mean_abs_influence(influence(model, train, method=method))
    if matrix is None:
        return {"auroc": float("nan"), "aupr": float("nan"), "aupr_lift": float("nan"), "n_hidden": len(hidden),
                "method": method}
    return {**hidden_edge_recovery(matrix, list(train.species), prior, hidden), "method": method}


def _trained(store, network: Network, fingerprint: str, config: DemoConfig, kind: str, out_dir: Path, prepared,
             say: Reporter):
    """A run of ``kind`` on this subgraph with these settings: reused when the store has
    one whose checkpoint is still on disk (its crosstalk written if missing), else made
    by the run pipeline."""
    from hmlm_sb.models.base import model_class
    from hmlm_sb.pipeline import RunResult, run_pipeline, run_records, write_run
    from hmlm_sb.retrain import crosstalk_edge_count

    wanted = config.run_settings(kind)
    train = prepared[0].train
    for run in run_records(store, config.cell):
        if not (run.model_kind == kind and run.fingerprint == fingerprint and _same(run.config, wanted)
                and run.checkpoint and Path(run.checkpoint).is_file()):
            continue
        model = model_class(kind).load(run.checkpoint)
        say.say(f"{kind}: reusing run {run.id} (same subgraph fingerprint and settings; checkpoint {run.checkpoint})")
        if crosstalk_edge_count(store, run.id) == 0:
            written = write_run(store, run, model, train, network, wanted.threshold)
            if written:
                say.say(f"{kind}: wrote {written} crosstalk edges of run {run.id}")
        elif kind == "hmlm":
            say.say(f"{kind}: crosstalk of run {run.id} already in the graph")
        return RunResult(run=run, model=model, dataset=None, train=train, reused=True), True
    result = run_pipeline(store, network, wanted, cell=config.cell, out_dir=out_dir / "runs", reporter=say,
                          fingerprint=fingerprint, prepared=prepared, warn_design=kind == "hmlm")
    return result, False


def _same(stored: dict, wanted: "RunSettings") -> bool:  # noqa: F821
    """Whether a recorded run was made with ``wanted`` (stored params hold every default)."""
    from hmlm_sb.pipeline import RunSettings

    made = RunSettings.from_config(stored, stored.get("model", ""))
    params_match = all(made.params.get(k) == v for k, v in wanted.params.items())
    return params_match and (made.model, made.seed, made.timepoints, made.dataset_spec, made.threshold,
                             made.dataset) == (wanted.model, wanted.seed, wanted.timepoints, wanted.dataset_spec,
                                               wanted.threshold, wanted.dataset)


def _score_table(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per condition, r and MSE columns per model."""
    rows = []
    for condition in dict.fromkeys(scores["condition"]):
        row = {"condition": condition}
        for model in dict.fromkeys(scores["model"]):
            hit = scores[(scores["model"] == model) & (scores["condition"] == condition)].iloc[0]
            row[f"{model} r"], row[f"{model} MSE"] = f"{hit.pearson_r:.3f}", f"{hit.mse:.4f}"
        rows.append(row)
    return pd.DataFrame(rows)


def _top_novel(store, config: DemoConfig, say: Reporter, hidden=()) -> pd.DataFrame:
    """The top novel edges under the demo's condition, each marked whether it is one of the
    dataset's ``hidden`` (source uid, target uid) edges: the demo knows its truth."""
    from hmlm_sb.crosstalk import crosstalk_query, crosstalk_table, mark_hidden, unidentifiable_note

    cypher, params = crosstalk_query(condition=config.novel_condition, novel=True, top=config.top)
    say.say(cypher.replace(" WHERE", "\nWHERE").replace(" RETURN", "\nRETURN").replace(" ORDER", "\nORDER"))
    say.say(f"parameters: {params}")
    frame = mark_hidden(crosstalk_table(store, condition=config.novel_condition, novel=True, top=config.top), hidden)
    shown = pd.DataFrame({
        "source": frame["source"].str.split("/", n=1).str[-1],  # local ids: the run and model are above
        "target": frame["target"].str.split("/", n=1).str[-1],
        "weight": frame["weight"].map(lambda w: f"{w:.4g}"),
        "sign": frame["sign"].map(_sign_text),
        "confidence": frame["confidence"].map(lambda c: "" if c is None or c != c else f"{c:.2f}"),
        "rank": frame["rank"],
        "true hidden": frame["hidden"].map(lambda h: "yes" if h else ""),
        "source name": frame["source_name"],
        "target name": frame["target_name"],
    })
    say.table(shown, f"top novel crosstalk under {config.novel_condition} (not in the prior; "
                     f"{int(frame['hidden'].sum())} of {len(frame)} are edges the dataset hid)")
    note = unidentifiable_note(frame)
    if note:
        say.say(note)
    return frame


def _sign_text(sign) -> str:
    if sign is None or sign != sign:
        return ""
    return {1: "+", -1: "-", 0: "0"}.get(int(sign), "?")


def _figures(truth, predictions, hmlm, network: Network, config: DemoConfig, out_dir: Path,
             train) -> list[Path]:
    from hmlm_sb.crosstalk import membership, pathway_matrix
    from hmlm_sb.demo_report import pick_key_species, plot_pathway_heatmap, plot_trajectories
    from hmlm_sb.models.influence import influence

    figures = [plot_trajectories(truth, predictions, pick_key_species(truth, config.key_species),
                                 out_dir / "trajectories.png", observations=train)]
    pathways = {pid: pw.members for pid, pw in network.pathways.items()}
    names, assignment = membership(truth.species, pathways)
    jacobian = callable(getattr(hmlm, "rate_jacobian", None))
    matrices = influence(hmlm, train, method="jacobian") if jacobian else {}
    for condition in truth.conditions:
        matrix = matrices.get(condition) if jacobian else hmlm.crosstalk(condition)
        if matrix is None or len(names) < 2:
            continue
        pm = pathway_matrix(np.asarray(matrix), assignment)
        figures.append(plot_pathway_heatmap(pm, [network.pathways[p].name or p for p in names],
                                            out_dir / f"pathway_crosstalk_{_slug(condition)}.png",
                                            title=f"HMLM pathway crosstalk: {condition}",
                                            label="mean |influence|" if jacobian else "mean |attention|"))
    return figures


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)
