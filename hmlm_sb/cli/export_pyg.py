"""`hmlm export pyg`: a store selection as PyTorch Geometric HeteroData (a torch.save file)."""
from __future__ import annotations

from pathlib import Path

import click

from hmlm_sb.cli.common import open_store_from


@click.command("pyg")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cell", default=None, help="Select the pathways attached to this cell.")
@click.option("--pathway", "pathways", multiple=True, help="Select this pathway (repeatable).")
@click.option("--model", default=None, help="Select this imported model.")
@click.option("--max-hops", default=3, show_default=True, type=click.IntRange(1, 6),
              help="Longest path counted in the topology prior.")
@click.option("--dense-limit", default=5000, show_default=True, type=click.IntRange(0),
              help="Also write dense (S, S) prior matrices up to this many species.")
@click.pass_context
def pyg(ctx: click.Context, out: Path, cell: str | None, pathways: tuple[str, ...], model: str | None,
        max_hops: int, dense_limit: int) -> None:
    """Write the selected subgraph as HeteroData; load with torch.load(OUT, weights_only=False)."""
    import torch

    from hmlm_sb.data.hetero import export_subgraph
    from hmlm_sb.errors import InputError

    from rich.console import Console

    with open_store_from(ctx, read_only=True) as store, Console(stderr=True).status("exporting the selection"):
        data = export_subgraph(store, cell=cell, pathways=list(pathways) or None, model=model,
                               max_hops=max_hops, dense_limit=dense_limit)
    if data["species"].num_nodes == 0:
        raise InputError("the selection holds no species", element=_selection_text(cell, pathways, model))
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(data, out)
    click.echo(f"wrote {out}: {_summary(data)}")


def _selection_text(cell: str | None, pathways: tuple[str, ...], model: str | None) -> str:
    parts = [f"--cell {cell}"] if cell else []
    parts += [f"--pathway {p}" for p in pathways]
    parts += [f"--model {model}"] if model else []
    return " ".join(parts) or "the whole store"


def _summary(data) -> str:
    counts = [f"{data[t].num_nodes} {t if t == 'species' or data[t].num_nodes == 1 else t + 's'}"
              for t in ("species", "pathway", "cell")]
    edges = sum(data["species", rel, "species"].edge_index.shape[1]
                for rel in ("activates", "inhibits", "regulates"))
    prior = data["species", "prior", "species"].edge_index.shape[1]
    return ", ".join(counts + [f"{edges} regulation edges", f"{prior} prior pairs"])
