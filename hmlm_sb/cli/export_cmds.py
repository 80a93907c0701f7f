"""`hmlm export sbml-qual | sbml | sif | pyg`: a model or a cell's subgraph out of the store."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from hmlm_sb.cli.common import open_store_from
from hmlm_sb.cli.lazy import LAZY_HELP, LazyGroup

PYG_TARGET = "hmlm_sb.cli.export_pyg:pyg"
LAZY_HELP.setdefault(PYG_TARGET, "The selection as PyTorch Geometric HeteroData (torch.save file).")


class _ExportGroup(LazyGroup):
    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_subcommands:
                rows.append((name, LAZY_HELP.get(self.lazy_subcommands[name], "")))
            else:
                rows.append((name, self.commands[name].get_short_help_str()))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _lazy_exports() -> dict[str, str]:
    return {"pyg": PYG_TARGET} if importlib.util.find_spec(PYG_TARGET.split(":")[0]) else {}


@click.group("export", cls=_ExportGroup, lazy_subcommands=_lazy_exports())
def export() -> None:
    """Export a model or a cell's subgraph from the store."""


def _selection(f):
    f = click.option("--cell", default=None, help="Export the models attached to this cell.")(f)
    f = click.option("--model", default=None, help="Export this model (default: the only one in the store).")(f)
    return click.argument("out", type=click.Path(dir_okay=False, path_type=Path))(f)


def _load(ctx: click.Context, model: str | None, cell: str | None):
    if model and cell:
        raise click.UsageError("give --model or --cell, not both")
    with open_store_from(ctx, read_only=True) as store:
        if not model and not cell:
            ids = list(store.list_models()["id"])
            if len(ids) != 1:
                raise click.UsageError(f"the store holds {len(ids)} models: choose one with --model or --cell")
            model = ids[0]
        return store.load_network(model=model, cell=cell)


def _report(out: Path, network) -> None:
    click.echo(f"wrote {out}: {len(network.species)} species, {len(network.reactions)} reactions, "
               f"{len(network.pathways)} pathways")


@export.command("sbml-qual")
@_selection
@click.pass_context
def sbml_qual(ctx: click.Context, out: Path, model: str | None, cell: str | None) -> None:
    """SBML L3V1 qual with one group per pathway (libsbml-valid; re-imports unchanged)."""
    from hmlm_sb.io.sbml_qual import write_sbml_qual

    network = _load(ctx, model, cell)
    write_sbml_qual(network, out)
    _report(out, network)


@export.command("sbml")
@_selection
@click.option("--ode", type=click.Choice(["netflux"]), default=None,
              help="Write the Netflux logic-based ODE as rate rules (runs in any SBML simulator).")
@click.pass_context
def sbml(ctx: click.Context, out: Path, model: str | None, cell: str | None, ode: str | None) -> None:
    """SBML core L3V2: structure only, or with --ode netflux the simulatable ODE."""
    network = _load(ctx, model, cell)
    if ode == "netflux":
        from hmlm_sb.io.sbml_ode import write_sbml_ode

        write_sbml_ode(network, out)
    else:
        from hmlm_sb.io.sbml import write_sbml

        write_sbml(network, out)
    _report(out, network)


@export.command("sif")
@_selection
@click.pass_context
def sif(ctx: click.Context, out: Path, model: str | None, cell: str | None) -> None:
    """Cytoscape SIF (signs 1 / -1) plus OUT_nodeAttributes.txt; reaction nodes for AND rules."""
    from hmlm_sb.io.sif import write_sif

    network = _load(ctx, model, cell)
    write_sif(network, out)
    _report(out, network)


@export.command("midas")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cell", default=None, help="The experiments of this cell (default: every stored experiment).")
@click.option("--dataset", default=None, help="Only this data set (an imported file's id).")
@click.pass_context
def midas(ctx: click.Context, out: Path, cell: str | None, dataset: str | None) -> None:
    """Stored experiments as a MIDAS table (names as imported; reads back unchanged)."""
    from hmlm_sb.errors import InputError
    from hmlm_sb.io.experiments import ExperimentSet
    from hmlm_sb.io.midas import write_midas

    with open_store_from(ctx, read_only=True) as store:
        stored = store.load_experiments(cell=cell, dataset=dataset)
    if not stored:
        raise InputError("no experiments in the selection", element=f"cell {cell}" if cell else "store")
    data = ExperimentSet(id=dataset or "experiments", experiments=[s.experiment for s in stored])
    write_midas(data, out)
    click.echo(f"wrote {out}: {len(stored)} experiments, {data.n_measurements} measurements")
