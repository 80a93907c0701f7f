"""The `hmlm` command line. Each command lives in its own module, imported on use."""
from __future__ import annotations

import os
import sys

import click

from hmlm_sb.cli.lazy import LAZY_HELP, LazyGroup

COMMANDS = {
    # name: ("module:attr", one-line help)
    "info": ("hmlm_sb.cli.store_cmds:info", "Store, schema version and counts per label and type."),
    "query": ("hmlm_sb.cli.store_cmds:query", "Run a Cypher query (read-only unless --write)."),
    "import": ("hmlm_sb.cli.import_cmds:import_", "Import networks (SBML, qual, Netflux, SIF) or measurements (MIDAS, CSV)."),
    "models": ("hmlm_sb.cli.import_cmds:models", "List or remove imported models."),
    "experiments": ("hmlm_sb.cli.import_data:experiments", "List or remove imported experiments (MIDAS, CSV)."),
    "export": ("hmlm_sb.cli.export_cmds:export", "Export a model or cell (SBML, SBML-qual, SIF, PyG) or its experiments (MIDAS)."),
    "simulate": ("hmlm_sb.cli.sim_cmds:simulate", "Simulate the logic-based ODE under a condition."),
    "dataset": ("hmlm_sb.cli.sim_cmds:dataset", "Make ground-truth datasets for training and benchmarks."),
    "validate": ("hmlm_sb.cli.sim_cmds:validate", "Score predictions against published experiments."),
    "train": ("hmlm_sb.cli.model_cmds:train", "Train the HMLM or a baseline on a dataset."),
    "predict": ("hmlm_sb.cli.model_cmds:predict", "Predict trajectories with a trained run."),
    "benchmark": ("hmlm_sb.cli.benchmark_cmds:benchmark", "Run baselines and the HMLM side by side."),
    "crosstalk": ("hmlm_sb.cli.crosstalk_cmds:crosstalk", "Ranked learned crosstalk from the store."),
    "retrain": ("hmlm_sb.cli.crosstalk_cmds:retrain", "Retrain when the graph changed since the last run."),
    "demo": ("hmlm_sb.cli.demo_cmds:demo", "The main job end to end on the embedded store."),
}
LAZY_HELP.update({target: text for target, text in COMMANDS.values()})


@click.group(cls=LazyGroup, lazy_subcommands={k: v[0] for k, v in COMMANDS.items()},
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="HMLM_DB", default="./hmlm.lbdb", show_default=True,
              help="Store: a LadybugDB path, or neo4j://host:7687 / bolt://... (env HMLM_DB).")
@click.option("--buffer-pool", "buffer_pool_mb", type=click.IntRange(min=64), envvar="HMLM_BUFFER_POOL_MB",
              default=None, metavar="MB", help="LadybugDB memory bound in MB (env HMLM_BUFFER_POOL_MB; default 1024).")
@click.option("--neo4j-timeout", "neo4j_timeout_s", type=click.FloatRange(min=0, min_open=True),
              envvar="HMLM_NEO4J_TIMEOUT", default=None, metavar="SECS",
              help="Seconds to connect to Neo4j and to get a connection (env HMLM_NEO4J_TIMEOUT; default 5).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="hmlm-sb")
@click.pass_context
def _group(ctx: click.Context, db: str, buffer_pool_mb: int | None, neo4j_timeout_s: float | None,
           debug: bool) -> None:
    """hmlm: learn signaling dynamics and crosstalk, kept in a graph database."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["buffer_pool_mb"] = buffer_pool_mb
    ctx.obj["neo4j_timeout_s"] = neo4j_timeout_s
    ctx.obj["debug"] = debug


def cli(argv: list[str] | None = None) -> None:
    """Entry point: HmlmError becomes one clear line and exit code 2 (traceback with --debug);
    Ctrl-C exits 130 (what a shell reports for SIGINT)."""
    from hmlm_sb.errors import LINE_LIMIT, HmlmError, shorten

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("HMLM_DEBUG") == "1"
    try:
        _group.main(args=args, prog_name="hmlm", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.message = shorten(exc.message, LINE_LIMIT)
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C inside a command into Abort
        interrupted = isinstance(exc.__context__, KeyboardInterrupt)
        click.echo("interrupted" if interrupted else "aborted", err=True)
        sys.exit(130 if interrupted else 1)
    except HmlmError as exc:
        if debug:
            raise
        click.echo(f"error: {shorten(exc, LINE_LIMIT)}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    cli()
