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
        from hmlm_sb.retrain import RunSettings

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


def run_demo(db: str, out_dir: str | Path = "demo_out", config: DemoConfig | None = None,
             console=None) -> DemoResult:
    from rich.console import Console

    from hmlm_sb.resources import reference_network
    from hmlm_sb.retrain import generated_dataset
    from hmlm_sb.sim.datasets import load_dataset
    from hmlm_sb.store import open_store

    config = config or DemoConfig()
    console = console or Console(stderr=True)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open_store(db) as store:
        console.rule("[bold]1. network")
        imported = store.save_network(reference_network(), cell=config.cell, cell_type="cardiac fibroblast",
                                      organism="taxonomy:10116")
        verb = "already imported, unchanged" if imported.status == "unchanged" else imported.status
        console.print(f"Rogers 2022 fibroblast network -> cell {config.cell}: {verb} "
                      f"({imported.counts.get('species', '?')} species, {imported.counts.get('reactions', '?')} reactions)")
        network = store.load_network(cell=config.cell)
        console.rule("[bold]2. dataset")
        with console.status("simulating the ground truth (4 conditions) and hiding 20% of the edges"):
            folder = generated_dataset(network, config.run_settings("hmlm"), out_dir / "runs" / "datasets")
            data = load_dataset(folder)
        from hmlm_sb.models.training import observed_mask

        train = data.observed.with_observed(observed_mask(data.observed, config.time_points))
        console.print(f"dataset {folder}: {len(data.hidden_edges)} prior edges hidden from the models")
        console.print(f"{len(train.conditions)} conditions x {len(train.times)} times x {len(train.species)} species; "
                      f"models see {config.time_points} time points per condition (+ the initial state)")
        console.rule("[bold]3. training")
        runs, reused, models = {}, {}, {}
        for kind in ("hmlm", config.baseline):
            result, was_reused = _trained(store, network, config, kind, out_dir, train, console)
            runs[kind], reused[kind], models[kind] = result.run.id, was_reused, result.model
        console.rule("[bold]4. held-out scores")
        truth = data.truth.with_observed(train.observed)
        predictions = {kind: m.predict(truth.stimuli, truth.initial, truth.times, truth.conditions)
                       for kind, m in models.items()}
        from hmlm_sb.demo_report import held_out_scores

        scores = held_out_scores(truth, predictions)
        _print_scores(console, scores)
        console.rule("[bold]5. crosstalk in the graph")
        novel = _top_novel(store, config, console)
        console.rule("[bold]6. figures")
        figures = _figures(truth, predictions, models["hmlm"], network, config, out_dir, train)
        for path in figures:
            console.print(f"saved {path}")
        scores.to_csv(out_dir / "scores.csv", index=False)
        (out_dir / "runs.json").write_text(json.dumps({"runs": runs, "reused": reused, "config": asdict(config)},
                                                      indent=1))
    return DemoResult(scores, novel, figures, runs, reused, imported.status)


def _trained(store, network: Network, config: DemoConfig, kind: str, out_dir: Path, train, console):
    """A run of ``kind`` on this subgraph with these settings: reused when the store has
    one whose checkpoint is still on disk, else trained and written."""
    from hmlm_sb.crosstalk import Threshold, crosstalk_edges, model_crosstalk
    from hmlm_sb.models.base import model_class
    from hmlm_sb.retrain import RunResult, crosstalk_edge_count, train_and_write
    from hmlm_sb.store.base import TrainingRunRecord

    wanted = config.run_settings(kind)
    fingerprint = network.fingerprint()
    for row in store.training_runs(config.cell).itertuples():
        if not (row.model_kind == kind and row.fingerprint == fingerprint and _same(row.config, wanted)
                and row.checkpoint and Path(row.checkpoint).is_file()):
            continue
        model = model_class(kind).load(row.checkpoint)
        console.print(f"{kind}: reusing run {row.id} (same subgraph fingerprint and settings; "
                      f"checkpoint {row.checkpoint})")
        run = TrainingRunRecord(id=row.id, model_kind=kind, cell=row.cell, fingerprint=row.fingerprint,
                                config=row.config, metrics=row.metrics, checkpoint=row.checkpoint,
                                created_at=row.created_at, model_ids=list(row.model_ids))
        if crosstalk_edge_count(store, row.id) == 0:
            edges = crosstalk_edges(model_crosstalk(model, train.conditions), train.species, network,
                                    threshold=Threshold(**wanted.threshold))
            if edges:
                store.write_crosstalk(run, edges)
                console.print(f"{kind}: wrote {len(edges)} crosstalk edges of run {row.id}")
        elif kind == "hmlm":
            console.print(f"{kind}: crosstalk of run {row.id} already in the graph")
        return RunResult(run=run, model=model, dataset=None, train=train, reused=True), True
    result = train_and_write(store, network, cell=config.cell, settings=wanted, out_dir=out_dir / "runs",
                             console=console)
    return result, False


def _same(stored: dict, wanted: "RunSettings") -> bool:  # noqa: F821
    """Whether a recorded run was made with ``wanted`` (stored params hold every default)."""
    from hmlm_sb.retrain import RunSettings

    made = RunSettings.from_config(stored, stored.get("model", ""))
    params_match = all(made.params.get(k) == v for k, v in wanted.params.items())
    return params_match and (made.model, made.seed, made.timepoints, made.dataset_spec, made.threshold,
                             made.dataset) == (wanted.model, wanted.seed, wanted.timepoints, wanted.dataset_spec,
                                               wanted.threshold, wanted.dataset)


def _print_scores(console, scores: pd.DataFrame) -> None:
    from rich.table import Table

    table = Table(title="held-out points (not seen in training): Pearson r / MSE")
    table.add_column("condition")
    models = list(dict.fromkeys(scores["model"]))
    for model in models:
        table.add_column(f"{model} r", justify="right")
        table.add_column(f"{model} MSE", justify="right")
    for condition in dict.fromkeys(scores["condition"]):
        cells = []
        for model in models:
            row = scores[(scores["model"] == model) & (scores["condition"] == condition)].iloc[0]
            cells += [f"{row.pearson_r:.3f}", f"{row.mse:.4f}"]
        table.add_row(condition, *cells)
    console.print(table)


def _top_novel(store, config: DemoConfig, console) -> pd.DataFrame:
    from rich.syntax import Syntax

    from hmlm_sb.cli.common import print_frame
    from hmlm_sb.crosstalk import crosstalk_table, crosstalk_query

    cypher, params = crosstalk_query(condition=config.novel_condition, novel=True, top=config.top)
    console.print(Syntax(cypher.replace(" WHERE", "\nWHERE").replace(" RETURN", "\nRETURN")
                         .replace(" ORDER", "\nORDER"), "cypher", word_wrap=True))
    console.print(f"parameters: {params}")
    frame = crosstalk_table(store, condition=config.novel_condition, novel=True, top=config.top)
    shown = pd.DataFrame({
        "source": frame["source"].str.split("/", n=1).str[-1],  # local ids: the run and model are above
        "target": frame["target"].str.split("/", n=1).str[-1],
        "weight": frame["weight"].map(lambda w: f"{w:.4f}"),
        "rank": frame["rank"],
        "source name": frame["source_name"],
        "target name": frame["target_name"],
    })
    print_frame(shown, "table", title=f"top novel crosstalk under {config.novel_condition} (not in the prior)")
    return frame


def _figures(truth, predictions, hmlm, network: Network, config: DemoConfig, out_dir: Path,
             train) -> list[Path]:
    from hmlm_sb.crosstalk import membership, pathway_matrix
    from hmlm_sb.demo_report import pick_key_species, plot_pathway_heatmap, plot_trajectories

    figures = [plot_trajectories(truth, predictions, pick_key_species(truth, config.key_species),
                                 out_dir / "trajectories.png", observations=train)]
    pathways = {pid: pw.members for pid, pw in network.pathways.items()}
    names, assignment = membership(truth.species, pathways)
    for condition in truth.conditions:
        matrix = hmlm.crosstalk(condition)
        if matrix is None or len(names) < 2:
            continue
        pm = pathway_matrix(np.asarray(matrix), assignment)
        figures.append(plot_pathway_heatmap(pm, [network.pathways[p].name or p for p in names],
                                            out_dir / f"pathway_crosstalk_{_slug(condition)}.png",
                                            title=f"HMLM pathway crosstalk: {condition}"))
    return figures


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)
