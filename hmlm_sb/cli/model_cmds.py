"""`hmlm train` and `hmlm predict` (torch is imported only when a command runs)."""
from __future__ import annotations

from pathlib import Path

import click

from hmlm_sb.cli.common import open_store_from
from hmlm_sb.cli.network_source import network_options, resolve_network
from hmlm_sb.errors import InputError


def _parse_params(items: tuple[str, ...]) -> dict:
    import json

    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param expects NAME=VALUE, got {item!r}")
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


@click.command()
@click.option("--model", "model_name", default="hmlm", show_default=True,
              help="Registered model: hmlm, rf-ensemble or a baseline.")
@click.option("--cell", default=None, help="Train on the store's subgraph of this cell.")
@click.option("--dataset", type=click.Path(exists=True, path_type=Path), default=None,
              help="Dataset folder from `hmlm dataset` (or a Trajectories .npz); generated when absent.")
@click.option("--timepoints", type=int, default=4, show_default=True,
              help="Observed points per condition besides the initial state (0: all).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
              help="Folder for the run's checkpoint.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Model hyper-parameter (JSON value).")
@click.option("--no-record", is_flag=True, help="Do not record a TrainingRun in the store.")
@click.option("--experiments", "experiments", multiple=True, metavar="all|ID[,ID...]",
              help="Train on the cell's stored measurements (imported MIDAS / tidy CSV) instead of a dataset.")
@network_options(store_model=False, cell=False)
@click.pass_context
def train(ctx: click.Context, model_name: str, cell: str | None, dataset: Path | None, timepoints: int,
          seed: int, out_dir: Path, params: tuple[str, ...], no_record: bool, experiments: tuple[str, ...],
          source) -> None:
    """Train the HMLM or a baseline; save a checkpoint and record a TrainingRun."""
    from hmlm_sb.models.base import MODEL_REGISTRY
    from hmlm_sb.cli.reporting import ConsoleReporter
    from hmlm_sb.pipeline import train_run

    if model_name not in MODEL_REGISTRY:
        raise InputError(f"unknown model {model_name!r}; known: {', '.join(MODEL_REGISTRY)}", element="--model")
    if timepoints < 0:
        raise InputError("--timepoints must be 0 or more", element="--timepoints")
    from hmlm_sb.store.experiments import parse_selection

    selection = parse_selection(experiments or None)
    if selection is not None and dataset is not None:
        raise InputError("give --dataset or --experiments, not both", element="--experiments")
    network = None if not (source.network or source.pathways) else resolve_network(ctx, source)
    with open_store_from(ctx) as store:
        run, _ = train_run(store, cell, model_name, dataset, timepoints, seed, out_dir, network=network,
                           params=_parse_params(params), progress_reporter=ConsoleReporter(),
                           record=not no_record, experiments=selection)
    click.echo(f"run {run.id}")
    click.echo(f"checkpoint {run.checkpoint}")
    for key in ("fit_seconds", "train_mse", "truth_mse", "epochs", "best_epoch"):
        if key in run.metrics:
            click.echo(f"{key} {run.metrics[key]}")
    if "truth_r" in run.metrics:
        click.echo("truth_r " + " ".join(f"{c}={r:.3f}" for c, r in run.metrics["truth_r"].items()))


def _parse_times(text: str | None, default: list[float]) -> list[float]:
    """``0,10,20`` or ``start:stop:count`` (inclusive linspace); the training grid when absent."""
    if not text:
        return default
    try:
        if ":" in text:
            start, stop, count = text.split(":")
            import numpy as np

            return np.linspace(float(start), float(stop), int(count)).tolist()
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InputError(f"--times expects 't1,t2,...' or 'start:stop:count', got {text!r}", element="--times") from None


@click.command()
@click.option("--run", "run", required=True, help="TrainingRun id, or a run folder / checkpoint path.")
@click.option("--condition", "conditions", multiple=True, required=True,
              help="Condition name (training or bundled); repeat for several.")
@click.option("--set", "assignments", multiple=True, metavar="INPUT=WEIGHT",
              help="Input weights over the published ones (makes a new condition named by --condition).")
@click.option("--inhibit", "inhibit", multiple=True, metavar="SPECIES=F",
              help="Inhibit a species in every --condition: the rules read F x its state (0 = complete).")
@click.option("--knockdown", "knockdown", multiple=True, metavar="SPECIES=F",
              help="Knock a species down in every --condition: ymax times F (0 = knockout).")
@click.option("--times", default=None, help="'t1,t2,...' or 'start:stop:count'; default the training grid.")
@click.option("--out", "out_csv", type=click.Path(path_type=Path), required=True, help="CSV: condition,time,species,value.")
@click.option("--plot", "plot_png", type=click.Path(path_type=Path), default=None, help="PNG of the predicted trajectories.")
@click.option("--species", "species", multiple=True, help="Species to plot (default: the 8 that move most).")
@click.pass_context
def predict(ctx: click.Context, run: str, conditions: tuple[str, ...], assignments: tuple[str, ...],
            inhibit: tuple[str, ...], knockdown: tuple[str, ...], times: str | None, out_csv: Path, plot_png: Path | None, species: tuple[str, ...]) -> None:
    """Predict trajectories with a trained run."""
    import numpy as np
    import pandas as pd

    from hmlm_sb.models.training import open_run, saved_inhibit
    from hmlm_sb.sim.conditions import parse_assignments

    store_ctx = open_store_from(ctx, read_only=True) if not Path(run).exists() else None
    if store_ctx is not None:
        with store_ctx as store:
            saved = open_run(store, run)
    else:
        saved = open_run(None, run)
    weights = parse_assignments(assignments) if assignments else None
    grid = np.array(_parse_times(times, saved.conditions["times"]), dtype=float)
    rows = [saved.condition(name, weights) for name in conditions]
    model = saved.model()
    names = list(saved.conditions["species"])
    factors = {}
    stored_inhibit = saved_inhibit(saved, list(conditions)) if weights is None else None
    if stored_inhibit is not None:
        factors["inhibit"] = stored_inhibit  # a stored experiment's inhibitors
    for option, items in (("inhibit", inhibit), ("knockdown", knockdown)):
        table = factors.get(option, np.ones((len(rows), len(names))))
        for sid, value in parse_assignments(items, f"--{option}", "SPECIES=F").items():
            if sid not in names:
                raise InputError(f"{sid!r} is not a species of the trained network", element=f"--{option}")
            table[:, names.index(sid)] = value
        if items:
            factors[option] = table
    perturbed = bool(inhibit or knockdown)
    pred = model.predict(np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]), grid,
                         conditions=list(conditions) if weights is None and not perturbed else None, **factors)
    c, t, s = pred.shape
    frame = pd.DataFrame({
        "condition": np.repeat(np.array(conditions, dtype=object), t * s),
        "time": np.tile(np.repeat(grid, s), c),
        "species": np.tile(np.array(names, dtype=object), c * t),
        "value": pred.reshape(-1),
    })
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out_csv, index=False)
    click.echo(f"wrote {len(frame)} rows to {out_csv}")
    if plot_png is not None:
        plot_prediction(pred, grid, names, list(conditions), list(species), plot_png)
        click.echo(f"wrote {plot_png}")


def plot_prediction(pred, times, species: list[str], conditions: list[str], chosen: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    unknown = [s for s in chosen if s not in species]
    if unknown:
        raise InputError(f"unknown species {', '.join(unknown)}", element="--species")
    index = [species.index(s) for s in chosen] or list(np.argsort(-np.ptp(pred, axis=1).max(axis=0))[:8])
    fig, axes = plt.subplots(1, len(conditions), figsize=(4.5 * len(conditions), 3.6), squeeze=False, sharey=True)
    for ax, c, name in zip(axes[0], range(len(conditions)), conditions):
        for s in index:
            ax.plot(times, pred[c, :, s], label=species[s])
        ax.set_title(name)
        ax.set_xlabel("time")
    axes[0][0].set_ylabel("predicted activity")
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
