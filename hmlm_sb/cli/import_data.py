"""The data-file branch of `hmlm import`: MIDAS and tidy CSV measurements into the store."""
from __future__ import annotations

import time
from pathlib import Path

import click

from hmlm_sb.errors import InputError

NETWORK_EXTENSIONS = (".xml", ".sbml", ".xlsx", ".xlsm", ".sif")


def is_data_file(path: Path, fmt: str) -> bool:
    """``--format midas|tidy``, or auto on a file that is not named as a network and
    whose header is MIDAS or tidy CSV."""
    if fmt in ("midas", "tidy"):
        return True
    if fmt != "auto" or path.suffix.lower() in NETWORK_EXTENSIONS:
        return False
    from hmlm_sb.io.experiments import detect_data_format

    return detect_data_format(path) is not None


def _params(items: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise InputError(f"--normalise-param expects NAME=NUMBER, got {item!r}", element="--normalise-param")
    return out


def read_data_files(paths: list[Path], fmt: str, name_map: Path | None, normalise: str,
                    normalise_params: tuple[str, ...]) -> list[tuple]:
    """(ExperimentSet, rename map, read seconds) per file, normalised as asked."""
    from hmlm_sb.io.experiments import normalise as scale, raw_data_warning, read_experiments, read_name_map

    rename = read_name_map(name_map) if name_map else {}
    params = _params(normalise_params)
    if params and normalise != "time":
        raise InputError("--normalise-param needs --normalise time", element="--normalise-param")
    out = []
    for path in paths:
        started = time.perf_counter()
        data = read_experiments(path, fmt if fmt in ("midas", "tidy") else "auto")
        data = scale(data, normalise, **params)
        warning = raw_data_warning(data)
        if warning:
            click.echo(f"{path.name}: warning: {warning}", err=True)
        out.append((data, rename, time.perf_counter() - started))
    return out


def target_network(store, pending: list, cell: str | None):
    """The network measurements map onto: the cell's models in the store plus the
    networks of this command, else the store's only model."""
    from hmlm_sb.network import union

    networks = list(pending)
    ids = {n.model.id for n in networks}
    if cell and store._read("cell", {"cell": cell}):
        stored = [row["uid"] for row in store._read("models_in_cell", {"cell": cell}) if row["uid"]]
        networks += [store.load_network(model=m) for m in sorted(set(stored)) if m not in ids]
    elif not networks:
        models = list(store.list_models()["id"])
        if len(models) != 1:
            where = f"cell {cell!r} has no model" if cell else f"the store holds {len(models)} models"
            raise InputError(f"{where}: import the network first or name its cell with --cell",
                             element="data file")
        networks = [store.load_network(model=models[0])]
    if not networks:
        raise InputError(f"cell {cell!r} has no model: import its network first (or in the same command)",
                         element="--cell")
    return networks[0] if len(networks) == 1 else union(networks)


def map_data_files(store, data_sets: list[tuple], pending: list, cell: str | None) -> list[tuple]:
    """Each data set renamed to the target network's species (refused before any write)."""
    from hmlm_sb.io.experiments import map_to_network

    if not data_sets:
        return []
    network = target_network(store, pending, cell)
    return [(map_to_network(data, network, rename), network, read_s) for data, rename, read_s in data_sets]


def save_data_files(store, mapped: list[tuple], cell: str | None, *, replace: bool) -> None:
    for data, network, read_s in mapped:
        started = time.perf_counter()
        result = store.save_experiments(data, network, cell=cell, replace=replace)
        click.echo(f"{result.status} experiments {result.dataset} ({data.format}): {result.experiments} experiments, "
                   f"{result.measurements} measurements of {len(result.readouts)} readouts "
                   f"[read {read_s:.2f} s, store {time.perf_counter() - started:.2f} s]")


@click.command("experiments")
@click.option("--cell", default=None, help="Only the experiments of this cell.")
@click.option("--remove", "remove_dataset", default=None, metavar="DATASET",
              help="Remove this data set (an imported file's id) and its experiments.")
@click.option("--output", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def experiments(ctx: click.Context, cell: str | None, remove_dataset: str | None, fmt: str) -> None:
    """List stored experiments (one row each), or remove a data set."""
    from hmlm_sb.cli.common import open_store_from, print_frame

    if remove_dataset:
        with open_store_from(ctx) as store:
            n = store.remove_experiments(remove_dataset)
        click.echo(f"removed data set {remove_dataset} ({n} experiments)")
        return
    with open_store_from(ctx, read_only=True) as store:
        frame = store.list_experiments(cell)
    print_frame(frame, fmt, title="experiments")
