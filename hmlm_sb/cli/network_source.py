"""One way to name the network a command works on: from the store (the graph is the
source of truth) or from a file, for ``simulate``, ``validate``, ``dataset make``,
``benchmark`` and ``train``.

``--model ID``, ``--cell NAME`` and ``--pathway ID`` (repeatable) select a subgraph of
the store (``--db``); ``--network FILE`` reads any format ``hmlm import`` reads (format
detected from the content, as ``hmlm import`` does); ``--network bundled`` is the bundled
Rogers 2022 network. Store selectors and ``--network`` together are refused in one line.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import click

BUNDLED = "bundled"
NETWORK_HELP = ("A network file (SBML, SBML-qual, Netflux .xlsx, SIF; detected as `hmlm import` does) "
                "or 'bundled' (Rogers 2022).")


@dataclass
class NetworkSource:
    """What the user named: a file / 'bundled', or a store selection."""

    network: str | None = None
    model: str | None = None
    cell: str | None = None
    pathways: tuple[str, ...] = ()

    @property
    def from_store(self) -> bool:
        return bool(self.model or self.cell or self.pathways)

    def describe(self) -> str:
        if self.from_store:
            parts = [f"model {self.model}" if self.model else "", f"cell {self.cell}" if self.cell else "",
                     f"pathways {', '.join(self.pathways)}" if self.pathways else ""]
            return "store " + ", ".join(p for p in parts if p)
        return self.network or BUNDLED


def resolve_network(ctx: click.Context, source: NetworkSource, *, default: str | None = BUNDLED):
    """The Network ``source`` names (``default`` when it names nothing: 'bundled', or None
    for the whole store)."""
    from hmlm_sb.errors import InputError

    if source.from_store and source.network:
        raise InputError("give either --network or a store selection (--model/--cell/--pathway), not both",
                         element="--network")
    if source.from_store or (source.network is None and default is None):
        from hmlm_sb.cli.common import db_url, open_store_from
        from hmlm_sb.store import is_neo4j_url

        url = db_url(ctx)
        if not is_neo4j_url(url) and not Path(url).exists():
            raise InputError(f"no store at {url} to select {source.describe()} from (import a network first)",
                             element="--db")
        with open_store_from(ctx, read_only=True) as store:
            network = store.load_network(model=source.model, cell=source.cell,
                                         pathways=list(source.pathways) or None)
        if not network.species:
            raise InputError(f"the store has no species for {source.describe()}", element="--cell")
        return network
    spec = source.network or default
    if spec == BUNDLED:
        from hmlm_sb.resources import reference_network

        return reference_network()
    from hmlm_sb.io import read_network

    return read_network(spec)


def network_options(*, store_model: bool = True, cell: bool = True) -> Callable:
    """Click options ``--network``, ``--model`` (unless the command uses that name),
    ``--cell`` (unless the command has its own) and ``--pathway``; the command receives one
    ``source: NetworkSource``."""
    def decorate(command: Callable) -> Callable:
        import functools

        @functools.wraps(command)
        def wrapper(*args, network=None, graph_model=None, graph_cell=None, pathways=(), **kwargs):
            kwargs["source"] = NetworkSource(network, graph_model, graph_cell if cell else kwargs.get("cell"),
                                             tuple(pathways))
            return command(*args, **kwargs)

        options = [click.option("--network", "network", default=None, metavar="FILE|bundled", help=NETWORK_HELP),
                   click.option("--pathway", "pathways", multiple=True, metavar="ID",
                                help="Select the store's subgraph of these pathways (repeatable).")]
        if store_model:
            options.append(click.option("--model", "graph_model", default=None, metavar="ID",
                                        help="Select this imported model from the store."))
        if cell:
            options.append(click.option("--cell", "graph_cell", default=None, metavar="NAME",
                                        help="Select this cell's subgraph from the store."))
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate
