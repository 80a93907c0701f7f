"""`hmlm benchmark --task real`: leave one experiment out on MIDAS data sets."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from hmlm_sb.cli.common import progress_bar

SHARED_MIDAS = Path("..") / "shared" / "data" / "midas"


def shared_midas_folder() -> Path:
    """``$HMLM_SHARED_DATA/midas``, else ``../shared/data/midas`` from here or from the package."""
    env = os.environ.get("HMLM_SHARED_DATA")
    candidates = [Path(env) / "midas"] if env else []
    candidates += [SHARED_MIDAS, Path(__file__).resolve().parents[2].parent / "shared" / "data" / "midas"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def run_real_task(models: list[str], quick: bool, out_dir: str, midas: str | None, pkn: str | None,
                  names: list[str] | None = None) -> None:
    """Leave one experiment out: ``quick`` uses the models' quick settings (and ToyMMB
    alone unless ``names`` says which data sets)."""
    from hmlm_sb.benchmark.real import (QUICK_DATASETS, RealConfig, plot_grid, report_markdown, resolve_datasets,
                                        run_real)

    names = names or (list(QUICK_DATASETS) if quick and not midas else None)
    datasets = resolve_datasets(shared_midas_folder(), midas, pkn, names)
    config = RealConfig(models=models, profile="quick" if quick else "full", max_folds=None)
    total = sum(len(d.data.conditions) for d in datasets) * len(models)
    started = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("real data", total=total)

        def progress(message: str, advance: int) -> None:
            bar.update(task, description=message, advance=advance)

        records, artefacts = run_real(config, datasets, progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": "hmlm " + " ".join(sys.argv[1:]), "profile": config.profile, "seed": config.seed,
            "seconds": time.perf_counter() - started, "models": models,
            "datasets": [d.name for d in datasets]}
    (out / "results_real.json").write_text(json.dumps({"meta": meta, "records": records}, indent=1, default=str))
    report = out / "report_real.md"
    report.write_text(report_markdown(records, meta))
    by_name = {d.name: d for d in datasets}
    figures = []
    for (name, model), art in artefacts.items():
        figures.append(plot_grid(by_name[name], art["times"], art["pred"], model, out / f"real_{name}_{model}.png"))
    for r in records:
        if r["kind"] != "external":
            status = f"error {r['error']}" if r.get("error") else f"{r['mse']:.4f}"
            click.echo(f"{r['dataset']:<20} {r['model']:<16} MSE {status}")
    click.echo(f"wrote {report}, {out / 'results_real.json'} and {len(figures)} figure(s) "
               f"({meta['seconds']:.0f} s)")
