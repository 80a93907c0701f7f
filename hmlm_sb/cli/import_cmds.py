"""`hmlm import` and `hmlm models`."""
from __future__ import annotations

import time
from pathlib import Path

import click

from hmlm_sb.cli.common import open_store_from, print_frame

FORMAT_CHOICES = ("auto", "sbml", "sbml-qual", "netflux", "sif", "midas", "tidy")
WARNINGS_SHOWN = 3


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="auto", show_default=True,
              help="Input format (auto: by extension, then content).")
@click.option("--cell", default=None, help="Attach the model's pathways to this Cell node.")
@click.option("--cell-type", default="", help="Cell type recorded on the Cell node.")
@click.option("--organism", default=None, help="Organism (overrides hasTaxon), e.g. taxonomy:10116 or 'rat'.")
@click.option("--pathways", "pathways_file", type=click.Path(path_type=Path), default=None,
              help="CSV/TSV species,pathway mapping for files without groups/modules.")
@click.option("--model-id", default=None, help="Model id (default: the SBML model id or the file name).")
@click.option("--replace", is_flag=True, help="Replace a model of the same id whose content changed.")
@click.option("--strict", is_flag=True, help="Refuse SBML files libsbml reports any error for.")
@click.option("--allow-empty", is_flag=True, help="Import a SIF file that yields no reaction (warns).")
@click.option("--map", "name_map", type=click.Path(path_type=Path), default=None,
              help="Data files: CSV/TSV of file name,species id renaming readouts and treatments.")
@click.option("--normalise", type=click.Choice(["none", "time", "minmax"]), default="none", show_default=True,
              help="Data files: scale raw values to 0..1 (time: CellNOpt's normaliseCNOlist; minmax: per readout).")
@click.option("--normalise-param", "normalise_params", multiple=True, metavar="NAME=VALUE",
              help="--normalise time parameters: ec50_data, hill, ec50_noise, detection, saturation, "
                   "change_threshold.")
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], fmt: str, cell: str | None, cell_type: str,
            organism: str | None, pathways_file: Path | None, model_id: str | None, replace: bool,
            strict: bool, allow_empty: bool, name_map: Path | None, normalise: str,
            normalise_params: tuple[str, ...]) -> None:
    """Import FILE... into the store, one transaction per file.

    Networks (SBML, SBML-qual, Netflux, SIF) and measurements (MIDAS, tidy CSV: see
    docs/experiments.md; they map onto the --cell's network, or the store's only model).
    Every file is read and checked before anything is written; importing the same file
    twice changes nothing.
    """
    from rich.console import Console

    from hmlm_sb.cli.import_data import is_data_file, map_data_files, read_data_files, save_data_files
    from hmlm_sb.io import read_network

    console = Console(stderr=True)
    data_files = [p for p in files if is_data_file(p, fmt)]
    files = tuple(p for p in files if p not in data_files)
    if model_id and len(files) > 1:
        raise click.UsageError("--model-id names one model: give one network file")
    data_sets = read_data_files(data_files, fmt, name_map, normalise, normalise_params)
    networks = []
    for path in files:
        started = time.perf_counter()
        with console.status(f"reading {path.name}"):
            network = read_network(path, fmt, strict=strict, pathways=pathways_file, organism=organism,
                                   model_id=model_id, allow_empty=allow_empty)
        networks.append((network, time.perf_counter() - started))
        _print_warnings(path, network.warnings)
    with open_store_from(ctx) as store:
        mapped = map_data_files(store, data_sets, [n for n, _ in networks], cell)  # checked before any write
        for network, read_s in networks:
            started = time.perf_counter()
            with console.status(f"saving {network.model.id} ({len(network.species)} species)"):
                result = store.save_network(network, replace=replace, cell=cell, cell_type=cell_type,
                                            organism=organism or network.model.organism)
            counts = result.counts
            click.echo(f"{result.status} {result.model_id} ({network.model.format}): {counts.get('species', 0)} "
                       f"species, {counts.get('reactions', 0)} reactions, {counts.get('pathways', 0)} pathways "
                       f"[read {read_s:.2f} s, store {time.perf_counter() - started:.2f} s]")
        save_data_files(store, mapped, cell, replace=replace)


def _print_warnings(path: Path, warnings: list[str]) -> None:
    if not warnings:
        return
    click.echo(f"{path.name}: {len(warnings)} warning(s):", err=True)
    for line in warnings[:WARNINGS_SHOWN]:
        click.echo(f"  {line}", err=True)
    if len(warnings) > WARNINGS_SHOWN:
        click.echo(f"  ... and {len(warnings) - WARNINGS_SHOWN} more", err=True)


@click.command("models")
@click.option("--remove", "remove_id", default=None, metavar="ID", help="Remove this model and its elements.")
@click.option("--output", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def models(ctx: click.Context, remove_id: str | None, fmt: str) -> None:
    """List imported models, or remove one."""
    if remove_id:
        with open_store_from(ctx) as store:
            store.remove_model(remove_id)
        click.echo(f"removed {remove_id}")
        return
    with open_store_from(ctx, read_only=True) as store:
        frame = store.list_models()
    print_frame(frame, fmt, title="models")
