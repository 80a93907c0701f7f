"""`hmlm crosstalk` (ranked learned crosstalk) and `hmlm retrain` (keep it current)."""
from __future__ import annotations

import click

from hmlm_sb.cli.common import open_store_from, print_rows


@click.command("crosstalk")
@click.option("--species", "species", metavar="ID", help="Edges to or from this species (uid, id or name).")
@click.option("--pathway", "pathway", metavar="NAME",
              help="Pathway-level edges to or from this pathway (uid, id or name).")
@click.option("--level", type=click.Choice(["species", "pathway"]), default=None,
              help="Species or pathway edges (default: pathway with --pathway, else species).")
@click.option("--condition", metavar="NAME", help="Only this condition.")
@click.option("--novel", is_flag=True, help="Only edges that are not a known REGULATES edge.")
@click.option("--top", "top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--min-confidence", "min_confidence", type=click.FloatRange(0.0, 1.0), default=None,
              help="Only edges that at least this fraction of the ensemble ranks in its top k.")
@click.option("--method", "method", default=None, metavar="NAME",
              help="Only edges read this way: residual (the HMLM: what its fitted backbone leaves, ridge-attributed), "
                   "correlation, jacobian, finite-difference, view, attention (the raw attention view) "
                   "(default: every method but attention).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.pass_context
def crosstalk(ctx: click.Context, species: str | None, pathway: str | None, level: str | None,
              condition: str | None, novel: bool, top: int, fmt: str, min_confidence: float | None = None,
              method: str | None = None) -> None:
    """Ranked learned crosstalk edges, strongest first."""
    from hmlm_sb.errors import InputError
    from hmlm_sb.store.crosstalk_rows import CROSSTALK_COLUMNS, crosstalk_rows, unidentifiable_note

    level = level or ("pathway" if pathway else "species")
    if species and level == "pathway":
        raise InputError("--species selects species-level edges; drop --level pathway", element="--species")
    if pathway and level == "species":
        raise InputError("--pathway selects pathway-level edges; drop --level species", element="--pathway")
    with open_store_from(ctx, read_only=True) as store:
        rows = crosstalk_rows(store, level=level, species=species, pathway=pathway,
                              condition=condition, novel=novel, top=top, min_confidence=min_confidence,
                              method=method)
    if not rows and fmt == "table":
        click.echo("no crosstalk edges match (train a model and write crosstalk first: "
                   "`hmlm demo` or `hmlm retrain --force`)", err=True)
        return
    title = f"{'novel ' if novel else ''}{level} crosstalk" + (f" under {condition}" if condition else "")
    print_rows(CROSSTALK_COLUMNS, rows, fmt, title=title)
    note = unidentifiable_note(rows)
    if note:
        click.echo(note, err=True)


@click.command("retrain")
@click.option("--cell", default=None, metavar="NAME",
              help="Cell whose subgraph to check (default: the cell of the newest run).")
@click.option("--model", "model_kind", default=None, metavar="KIND",
              help="Only the runs of this model kind (default: the newest run of every kind).")
@click.option("--force", is_flag=True, help="Retrain even when nothing changed.")
@click.option("--keep-history", is_flag=True, help="Keep earlier runs' CROSSTALK edges too.")
@click.option("--out", "out_dir", default="hmlm_runs", show_default=True,
              type=click.Path(file_okay=False), help="Where checkpoints go.")
@click.pass_context
def retrain(ctx: click.Context, cell: str | None, model_kind: str | None, force: bool, keep_history: bool,
            out_dir: str) -> None:
    """Retrain with the last run's config when the cell's subgraph changed since that run."""
    from rich.console import Console

    from pathlib import Path

    from hmlm_sb.cli.common import db_url
    from hmlm_sb.cli.reporting import ConsoleReporter
    from hmlm_sb.errors import HmlmError, StoreError
    from hmlm_sb.retrain import latest_runs, retrain_cell
    from hmlm_sb.store import is_neo4j_url

    url = db_url(ctx)
    if not is_neo4j_url(url) and not Path(url).exists():
        raise StoreError(f"no store at {url}: nothing was trained there (run `hmlm demo` or `hmlm train`)")
    console = Console(stderr=True)
    with open_store_from(ctx) as store:
        runs = latest_runs(store, cell, model_kind)
        target = cell if cell is not None else (runs[0].get("cell") or "")
        if not store.model_ids(target or None):
            where = f"cell {target}" if target else "the store"
            raise HmlmError(f"{where} holds no model any more (removed with `hmlm models --remove`?), so there is "
                            f"nothing to retrain on: import the models again{f' with --cell {target}' if target else ''}, "
                            "then run `hmlm retrain`")
        outcome = retrain_cell(store, cell=cell, model_kind=model_kind, force=force, keep_history=keep_history,
                               out_dir=out_dir, reporter=ConsoleReporter(console))
    click.echo(outcome.describe())
