"""Small pieces every command uses: opening the store, printing tables, progress."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click


def db_url(ctx: click.Context) -> str:
    return ctx.find_root().obj["db"]


def shown_db_url(ctx: click.Context) -> str:
    """The store's address as it may be printed (no password)."""
    from hmlm_sb.store.urls import redact_url

    return redact_url(db_url(ctx))


def require_existing_store(ctx: click.Context, what: str) -> None:
    """Refuse (one line) when a LadybugDB path does not exist, instead of creating it."""
    from pathlib import Path

    from hmlm_sb.errors import StoreError
    from hmlm_sb.store.urls import is_neo4j_url

    url = db_url(ctx)
    if not is_neo4j_url(url) and not Path(url).exists():
        raise StoreError(f"no store at {url}: {what}")


@contextmanager
def open_store_from(ctx: click.Context, *, read_only: bool = False) -> Iterator["GraphStore"]:  # noqa: F821
    from hmlm_sb.store import open_store

    options = ctx.find_root().obj
    store = open_store(db_url(ctx), read_only=read_only, buffer_pool_mb=options.get("buffer_pool_mb"),
                       timeout_s=options.get("neo4j_timeout_s"))
    try:
        yield store
    finally:
        store.close()


def print_frame(frame, fmt: str = "table", title: str | None = None) -> None:
    """A DataFrame as a rich table, CSV or JSON (records) on stdout (see :func:`print_rows`)."""
    columns = [str(col) for col in frame.columns]
    rows = [dict(zip(columns, map(_plain_value, values))) for values in frame.itertuples(index=False)]
    print_rows(columns, rows, fmt, title=title)


def _plain_value(value):
    """numpy scalars as Python values, NaN and NaT as None."""
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    return value


def print_rows(columns: list[str], rows: list[dict], fmt: str = "table", title: str | None = None) -> None:
    """Rows of plain values (what ``GraphStore.query_rows`` returns) as a rich table, CSV or
    JSON (records) on stdout, without loading pandas; None prints as an empty cell."""
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if row.get(c) is None else row.get(c) for c in columns] for row in rows])
        click.echo(buffer.getvalue(), nl=False)
    elif fmt == "json":
        import json
        import math

        def plain(value):
            return None if isinstance(value, float) and not math.isfinite(value) else value

        click.echo(json.dumps([{c: plain(row.get(c)) for c in columns} for row in rows], indent=2, default=str))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for col in columns:
            table.add_column(str(col))
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        Console().print(table)


def progress_bar(console=None, **options):
    """A rich progress bar for long work (on ``console`` when given; ``options`` go to rich's Progress)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), transient=False, console=console, **options)
