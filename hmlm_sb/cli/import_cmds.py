"""`hmlm import` and `hmlm models`."""
from __future__ import annotations

import time
from pathlib import Path

import click

from hmlm_sb.cli.common import open_store_from, print_frame

FORMAT_CHOICES = ("auto", "sbml", "sbml-qual", "netflux", "sif")
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
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], fmt: str, cell: str | None, cell_type: str,
            organism: str | None, pathways_file: Path | None, model_id: str | None, replace: bool,
            strict: bool) -> None:
    """Import FILE... into the store, one transaction per file.

    Every file is read and checked before anything is written; importing the same file
    twice changes nothing.
    """
    from rich.console import Console

    from hmlm_sb.io import read_network

    if model_id and len(files) > 1:
        raise click.UsageError("--model-id names one model: give one file")
    console = Console(stderr=True)
    networks = []
    for path in files:
        started = time.perf_counter()
        with console.status(f"reading {path.name}"):
            network = read_network(path, fmt, strict=strict, pathways=pathways_file, organism=organism,
                                   model_id=model_id)
        networks.append((network, time.perf_counter() - started))
        _print_warnings(path, network.warnings)
    with open_store_from(ctx) as store:
        for network, read_s in networks:
            started = time.perf_counter()
            with console.status(f"saving {network.model.id} ({len(network.species)} species)"):
                result = store.save_network(network, replace=replace, cell=cell, cell_type=cell_type,
                                            organism=organism or network.model.organism)
            counts = result.counts
            click.echo(f"{result.status} {result.model_id} ({network.model.format}): {counts.get('species', 0)} "
                       f"species, {counts.get('reactions', 0)} reactions, {counts.get('pathways', 0)} pathways "
                       f"[read {read_s:.2f} s, store {time.perf_counter() - started:.2f} s]")


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
