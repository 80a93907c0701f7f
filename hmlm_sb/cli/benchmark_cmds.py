"""`hmlm benchmark`: every registered model through the benchmark tasks."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from hmlm_sb.cli.common import progress_bar
from hmlm_sb.cli.network_source import network_options, resolve_network


@click.command("benchmark")
@click.option("--quick", is_flag=True, help="One seed, fewer settings and epochs (CI: under 5 minutes).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="benchmark_out", show_default=True,
              help="Folder for results.json, report.md and the figures.")
@click.option("--models", default="", help="Comma-separated model names (default: every registered model).")
@click.option("--seeds", type=int, default=None, help="Number of seeds (default 3, or 1 with --quick).")
@network_options()
@click.option("--no-literature", is_flag=True, help="Skip the literature validation task.")
@click.option("--workers", type=int, default=2, show_default=True,
              help="Models fitted side by side in separate processes (1: in this process).")
@click.option("--task", type=click.Choice(["synthetic", "real"]), default="synthetic", show_default=True,
              help="real: leave one experiment out on MIDAS data (../shared/data/midas, or --midas/--pkn).")
@click.option("--midas", "midas_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="--task real: your MIDAS table (with --pkn).")
@click.option("--pkn", "pkn_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="--task real: the prior-knowledge network of --midas (SIF, SBML-qual, Netflux).")
@click.option("--datasets", default="", help="--task real: comma-separated data sets of ../shared/data/midas "
              "(default: all; ToyMMB with --quick).")
@click.option("--designs", default="", metavar="LIST",
              help="Run the design benchmark instead: comma-separated standard,single,single+kd.")
@click.option("--networks", "network_names", default="", metavar="LIST",
              help="Design benchmark networks: rogers,zeigler,kraeutler (../shared/data/netflux) or files "
                   "(default: the network options, else Rogers 2022).")
@click.option("--generators", default="netflux", show_default=True, metavar="LIST",
              help="Design benchmark truth: netflux (the backbone's family) and/or mismatch.")
@click.option("--points", type=click.IntRange(min=1), default=4, show_default=True,
              help="Design benchmark: observed points per condition.")
@click.option("--first-seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Design benchmark: seeds FIRST .. FIRST + --seeds - 1 (dataset seed 1000 + s), to add seeds "
                   "to an earlier run.")
@click.pass_context
def benchmark(ctx: click.Context, quick: bool, out_dir: str, models: str, seeds: int | None, source,
              no_literature: bool, workers: int, task: str, midas_file: str | None, pkn_file: str | None,
              datasets: str, designs: str = "", network_names: str = "", generators: str = "netflux",
              points: int = 4, first_seed: int = 0) -> None:
    """Run baselines and the HMLM side by side; write results.json, report.md and PNGs."""
    import torch

    from hmlm_sb.benchmark.data import dataset_source
    from hmlm_sb.benchmark.report import write_report, write_results
    from hmlm_sb.benchmark.runner import BenchmarkConfig, run_benchmark
    from hmlm_sb.errors import InputError
    from hmlm_sb.models.base import MODEL_REGISTRY, available_models

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    chosen = [m.strip() for m in models.split(",") if m.strip()] or available_models()
    unknown = [m for m in chosen if m not in MODEL_REGISTRY]
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODEL_REGISTRY)}",
                         element="--models")
    missing = [m for m in chosen if m not in available_models()]
    if missing:
        raise InputError(f"model(s) not installed in this build: {', '.join(missing)}", element="--models")
    if seeds is not None and seeds < 1:
        raise InputError("--seeds must be at least 1", element="--seeds")
    if designs:
        default = None if network_names else resolve_network(ctx, source)
        _design_benchmark(quick, Path(out_dir), chosen, seeds, default, workers, designs, network_names,
                          generators, points, first_seed)
        return
    if task == "real" or midas_file or pkn_file:
        from hmlm_sb.cli.benchmark_real import run_real_task

        names = [d.strip() for d in datasets.split(",") if d.strip()]
        run_real_task(chosen, quick, out_dir, midas_file, pkn_file, names)
        return
    config = BenchmarkConfig.quick(chosen) if quick else BenchmarkConfig(models=chosen)
    if seeds is not None:
        if seeds < 1:
            raise InputError("--seeds must be at least 1", element="--seeds")
        config.seeds = seeds
    config.literature = not no_literature
    config.workers = max(1, workers)
    network = resolve_network(ctx, source)
    total = _count_fits(config, len(set(["interp"] + chosen)))
    start = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("benchmark", total=total)

        def progress(message: str, advance: int) -> None:
            bar.update(task, description=message, advance=advance)

        records, artefacts = run_benchmark(config, dataset_source(network, config.n_times), progress)
    out = Path(out_dir)
    meta = {"command": "hmlm benchmark " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "hmlm benchmark",
            "seeds": config.seeds, "profile": config.profile, "models": chosen,
            "seconds": time.perf_counter() - start, "network": network.models[0].id if network.models else ""}
    write_results(records, out, meta)
    report = write_report(records, artefacts, out, meta)
    click.echo(f"wrote {out / 'results.json'} and {report} ({len(records)} records, {meta['seconds']:.0f} s)")


def _count_fits(config, n_models: int) -> int:
    loco = len(config.loco_conditions) if config.loco_conditions else 4
    return config.seeds * n_models * (len(config.settings) + loco + len(config.paper_settings))


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _design_benchmark(quick: bool, out: Path, chosen: list[str], seeds: int | None, default_network,
                      workers: int, designs: str, network_names: str, generators: str, points: int,
                      first_seed: int = 0) -> None:
    from hmlm_sb.benchmark.data import network_path
    from hmlm_sb.benchmark.designs import DesignConfig, run_design_benchmark, tuning_budget
    from hmlm_sb.benchmark.report import write_design_report, write_results
    from hmlm_sb.errors import InputError
    from hmlm_sb.models.base import MODEL_REGISTRY
    from hmlm_sb.sim.datasets import DESIGNS, GENERATORS

    wanted, kinds = _split(designs), _split(generators)
    for value, known, option in ((wanted, DESIGNS, "--designs"), (kinds, GENERATORS, "--generators")):
        bad = [v for v in value if v not in known]
        if bad or not value:
            raise InputError(f"unknown {option[2:-1]} {', '.join(bad) or '(none)'}; known: {', '.join(known)}",
                             element=option)
    from hmlm_sb.io import read_network

    networks = {}
    for name in _split(network_names):
        path = network_path(name)
        networks[path.stem] = read_network(path)
    if not networks:
        networks[default_network.models[0].id if default_network.models else "network"] = default_network
    notes = [] if "ude-mlp" in MODEL_REGISTRY else ["ude-mlp is not registered in this build: skipped."]
    config = DesignConfig(networks=networks, models=chosen, designs=tuple(wanted), generators=tuple(kinds),
                          seeds=tuple(range(first_seed, first_seed + (seeds or (1 if quick else 3)))), points=points,
                          profile="quick" if quick else "full", workers=max(1, workers))
    start = time.perf_counter()
    meta = {"command": "hmlm benchmark " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "hmlm benchmark",
            "seeds": list(config.seeds), "profile": config.profile, "models": chosen, "networks": list(networks),
            "designs": wanted, "generators": kinds, "points": points, "seconds": 0.0,
            "budget": tuning_budget(list(dict.fromkeys(["interp"] + chosen)), config.profile), "notes": notes}

    def write(records: list[dict]) -> Path:
        meta["seconds"] = time.perf_counter() - start
        write_results(records, out, meta)
        return write_design_report(records, out, meta)

    with progress_bar() as bar:
        task = bar.add_task("design benchmark", total=config.count() * len(set(["interp"] + chosen)))

        def progress(message: str, advance: int) -> None:
            bar.update(task, description=message, advance=advance)

        records = run_design_benchmark(config, progress, on_cell=write)
    report = write(records)
    click.echo(f"wrote {out / 'results.json'} and {report} ({len(records)} records, {meta['seconds']:.0f} s)")
