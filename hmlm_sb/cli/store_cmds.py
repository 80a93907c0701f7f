"""`hmlm info` and `hmlm query`: look into the store."""
from __future__ import annotations

import json
import re
from typing import Any

import click

from hmlm_sb.cli.common import open_store_from, print_frame, print_rows, shown_db_url
from hmlm_sb.errors import shorten

_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+|inf|nan)$", re.IGNORECASE)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def info(ctx: click.Context, fmt: str) -> None:
    """Store, schema version and counts per label and relationship type (creates the store if missing)."""
    import pandas as pd

    from hmlm_sb.store import is_neo4j_url

    with open_store_from(ctx) as store:
        version = store.schema_version()
        counts = store.counts()
    backend = "Neo4j" if is_neo4j_url(shown_db_url(ctx)) else "LadybugDB"
    from hmlm_sb.store.schema import graph_schema

    labels = set(graph_schema().nodes)
    frame = pd.DataFrame([{"kind": "label" if name in labels else "relationship", "name": name, "count": n}
                          for name, n in counts.items()], columns=["kind", "name", "count"])
    if fmt == "json":
        click.echo(json.dumps({"store": shown_db_url(ctx), "backend": backend, "schema_version": version,
                               "counts": counts}, indent=2))
        return
    if fmt == "table":
        click.echo(f"store: {shown_db_url(ctx)} ({backend})")
        click.echo(f"schema version: {version}")
    print_frame(frame, fmt, title="counts")


@click.command()
@click.argument("cypher")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter ($NAME); numbers, true/false and JSON lists are parsed, "
                   "anything else is a string (quote it as JSON, \"42\", to force a string).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--write", is_flag=True, help="Allow the query to change the store.")
@click.pass_context
def query(ctx: click.Context, cypher: str, params: tuple[str, ...], fmt: str, write: bool) -> None:
    """Run a Cypher query; read-only unless --write. Values go in only as parameters.

    Without --write a query can neither change the store nor touch a file (COPY, LOAD
    FROM, EXPORT, CALL of a file reader...); with it, what the query touches is said first.
    """
    from hmlm_sb.store.statements import check_user_query

    values = parse_params(params)
    plan = check_user_query(cypher, values, write=write)
    if plan.file_access:
        click.echo(f"note: {plan.describe_files()}", err=True)
    with open_store_from(ctx, read_only=not write) as store:
        columns, rows = store.query_rows(cypher, values, write=write)
    if not columns and fmt == "table":
        click.echo("ok (the query returns nothing)", err=True)
        return
    print_rows(columns, rows, fmt)


def parse_params(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as query parameters."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().lstrip("$")
        if not sep or not _PARAM_NAME.match(name):
            raise click.BadParameter(f"{shorten(item)!r} is not NAME=VALUE", param_hint="--param")
        if name in out:
            raise click.BadParameter(f"parameter {shorten(name)!r} given twice", param_hint="--param")
        out[name] = parse_value(text)
    return out


def parse_value(text: str) -> Any:
    """42 -> int, 0.5 / 1e-3 -> float, true/false -> bool, [..] or "..." -> JSON, else the text."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(stripped):
        return int(stripped)
    if _FLOAT.match(stripped):
        return float(stripped)
    if stripped[:1] in ("[", '"'):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            raise click.BadParameter(f"{shorten(text)!r} looks like JSON but does not parse",
                                     param_hint="--param") from None
    return text
