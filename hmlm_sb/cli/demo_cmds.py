"""`hmlm demo`: the main job end to end on the embedded store."""
from __future__ import annotations

import click


@click.command("demo")
@click.option("--db", "db", default=None, metavar="PATH",
              help="Store to use (default: the global --db, ./hmlm.lbdb).")
@click.option("--out", "out_dir", default="demo_out", show_default=True, type=click.Path(file_okay=False),
              help="Where figures, scores and checkpoints go.")
@click.option("--tiny", is_flag=True, help="Tiny model settings: the same path in seconds (a smoke test).")
@click.pass_context
def demo(ctx: click.Context, db: str | None, out_dir: str, tiny: bool) -> None:
    """Import the bundled fibroblast network, train the HMLM and a baseline on 4 time
    points, write crosstalk to the graph, print scores and the top novel crosstalk, save
    figures. A second run reuses the import and the trained runs."""
    import time

    from rich.console import Console

    from hmlm_sb.cli.common import db_url
    from hmlm_sb.cli.reporting import ConsoleReporter
    from hmlm_sb.demo import DemoConfig, run_demo

    console = Console()
    start = time.perf_counter()
    config = DemoConfig.tiny() if tiny else DemoConfig()
    result = run_demo(db or db_url(ctx), out_dir, config, reporter=ConsoleReporter(console))
    reused = [kind for kind, flag in result.reused.items() if flag]
    console.rule("[bold]done")
    if reused:
        console.print(f"reused: {', '.join(reused)} (same subgraph and config)")
    console.print(f"finished in {time.perf_counter() - start:.0f} s; figures and scores in {out_dir}/; "
                  "next: `hmlm crosstalk --novel --condition TGFB`")
