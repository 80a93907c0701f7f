"""`hmlm import` and `hmlm models`."""
from __future__ import annotations

import glob
import string
import sys
import time
from pathlib import Path

import click

from hmlm_sb.cli.common import open_store_from, print_frame, progress_bar, require_existing_store
from hmlm_sb.errors import HmlmError, InputError, shorten

FORMAT_CHOICES = ("auto", "sbml", "sbml-qual", "netflux", "sif", "midas", "tidy")
IMPORT_SUFFIXES = (".xml", ".sbml", ".xlsx", ".xlsm", ".sif", ".tsv")
TEMPLATE_FIELDS = ("stem", "name", "parent", "n")
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
@click.option("--model-id", "model_id", default=None, metavar="ID|TEMPLATE",
              help="Model id (default: the SBML model id or the file name); with several files a template "
                   "such as '{stem}' (also {name}, {parent}, {n}).")
@click.option("--replace", is_flag=True, help="Replace a model of the same id whose content changed.")
@click.option("--strict", is_flag=True, help="Refuse SBML files libsbml reports any error for.")
@click.option("--fail-fast", is_flag=True, help="With several files, stop at the first refused file "
                                                "(default: report it and go on).")
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
            strict: bool, fail_fast: bool, allow_empty: bool, name_map: Path | None, normalise: str,
            normalise_params: tuple[str, ...]) -> None:
    """Import FILE... (files, folders or glob patterns) into the store.

    Each file is read, checked and written in its own transaction: a refused file
    changes nothing. With several files a refused one is reported with its reason and
    the others go on (--fail-fast stops instead); the last line sums up what was
    imported, replaced, unchanged and refused, and the exit code is 2 if any file was
    refused. Importing the same file twice changes nothing.

    Measurements (MIDAS, tidy CSV; docs/experiments.md) go in after the networks, onto
    the --cell's network (or the store's only model); they are all read and checked
    before any of them is written.
    """
    from rich.console import Console

    from hmlm_sb.cli.import_data import is_data_file, map_data_files, read_data_files, save_data_files

    paths = expand_inputs(files)
    data_paths = [p for p in paths if is_data_file(p, fmt)]
    paths = [p for p in paths if p not in data_paths]
    data_sets = read_data_files(data_paths, fmt, name_map, normalise, normalise_params)
    console = Console(stderr=True)
    options = {"fmt": fmt, "cell": cell, "cell_type": cell_type, "organism": organism,
               "pathways_file": pathways_file, "replace": replace, "strict": strict, "allow_empty": allow_empty}
    refused = _import_networks(ctx, paths, model_id, options, fail_fast, console) if paths else False
    if data_sets:
        with open_store_from(ctx) as store:
            save_data_files(store, map_data_files(store, data_sets, [], cell), cell, replace=replace)
    if refused:
        raise SystemExit(2)


def _import_networks(ctx: click.Context, paths: list[Path], model_id: str | None, options: dict,
                     fail_fast: bool, console) -> bool:
    """The network files, each in its own transaction; True when one was refused."""
    ids = model_id_template(model_id, len(paths))
    if len(paths) == 1:  # read and checked before the store is even opened
        with console.status(f"reading {paths[0].name}"):
            network, read_s = _read_one(paths[0], ids(paths[0], 1), **options)
        with open_store_from(ctx) as store, console.status(f"saving {network.model.id}"):
            line, _ = _save_one(store, paths[0], network, read_s, {}, **options)
        click.echo(line)
        return False
    tally = ImportTally()
    seen: dict[str, tuple[Path, str]] = {}
    # lines to a redirected stdout stay there; on a terminal rich prints them above the bar
    with open_store_from(ctx) as store, progress_bar(console, redirect_stdout=sys.stdout.isatty(),
                                                              disable=not console.is_terminal) as bar:
        task = bar.add_task("importing", total=len(paths))
        try:
            for n, path in enumerate(paths, 1):
                bar.update(task, description=f"importing {shorten(path.name, 40)}")
                try:
                    network, read_s = _read_one(path, ids(path, n), **options)
                    line, status = _save_one(store, path, network, read_s, seen, **options)
                except HmlmError as exc:
                    line, status = f"refused {_named(exc, path)}", "refused"
                    tally.refused_files.append(path)
                tally.add(status)
                click.echo(line)
                bar.advance(task)
                if status == "refused" and fail_fast:
                    break
        except KeyboardInterrupt:
            click.echo(tally.summary(len(paths), interrupted=True))
            raise
    click.echo(tally.summary(len(paths)))
    return bool(tally.refused_files)


class ImportTally:
    """What a multi-file import did, file by file."""

    STATUSES = ("imported", "replaced", "unchanged", "refused")

    def __init__(self):
        self.counts = {status: 0 for status in self.STATUSES}
        self.refused_files: list[Path] = []

    def add(self, status: str) -> None:
        self.counts[status] += 1

    def summary(self, total: int, *, interrupted: bool = False) -> str:
        done = sum(self.counts.values())
        head = f"interrupted after {done} of {total} files" if interrupted else f"{total} files"
        parts = ", ".join(f"{self.counts[s]} {s}" for s in self.STATUSES)
        refused = ""
        if self.refused_files:
            names = ", ".join(shorten(p.name, 60) for p in self.refused_files[:5])
            more = f" and {len(self.refused_files) - 5} more" if len(self.refused_files) > 5 else ""
            refused = f" (refused: {names}{more})"
        return f"{head}: {parts}{refused}"


def _read_one(path: Path, model_id: str | None, *, fmt: str, organism: str | None, pathways_file: Path | None,
              strict: bool, allow_empty: bool = False, **_: object) -> tuple["Network", float]:  # noqa: F821
    """The file's network, checked, and the seconds it took; warnings printed."""
    from hmlm_sb.io import read_network

    started = time.perf_counter()
    network = read_network(path, fmt, strict=strict, pathways=pathways_file, organism=organism, model_id=model_id,
                           allow_empty=allow_empty)
    _print_warnings(path, network.warnings)
    return network, time.perf_counter() - started


def _save_one(store, path: Path, network, read_s: float, seen: dict[str, tuple[Path, str]], *, cell: str | None,
              cell_type: str, organism: str | None, replace: bool, **_: object) -> tuple[str, str]:
    """Save one network (one transaction): (the line to print, its status)."""
    mid = network.model.id
    sha256 = network.model.sha256 or network.fingerprint()
    if mid in seen and seen[mid][1] != sha256:
        raise InputError(f"model id {shorten(mid, 80)!r} is also the id of {shorten(seen[mid][0], 120)}, "
                         "imported just before with other content: give each file its own id with "
                         "--model-id '{stem}'", file=str(path))
    started = time.perf_counter()
    try:
        result = store.save_network(network, replace=replace, cell=cell, cell_type=cell_type,
                                    organism=organism or network.model.organism)
    except InputError as exc:
        if "already in the store with other content" in exc.message:
            raise InputError(f"{exc.message}, or keep both with --model-id '{{stem}}'", file=str(path),
                             element=exc.element) from None
        raise
    seen[mid] = (path, sha256)
    counts = result.counts
    line = (f"{result.status} {result.model_id} ({network.model.format}): {counts.get('species', 0)} "
            f"species, {counts.get('reactions', 0)} reactions, {counts.get('pathways', 0)} pathways "
            f"[read {read_s:.2f} s, store {time.perf_counter() - started:.2f} s]")
    return line, result.status


def _named(exc: HmlmError, path: Path) -> str:
    """The error, prefixed with the file unless it already names it."""
    return str(exc) if getattr(exc, "file", None) else f"{path}: {exc}"


def expand_inputs(items: tuple[Path, ...] | list[Path]) -> list[Path]:
    """Files as given; a folder: its files with a known extension (sorted); a pattern with
    ``*``, ``?`` or ``[`` that is no existing path: its matches (sorted). Each path once."""
    out: list[Path] = []
    for item in items:
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in IMPORT_SUFFIXES)
            if not found:
                raise InputError(f"no file to import in this folder (looked for {', '.join(IMPORT_SUFFIXES)})",
                                 file=str(item))
            out.extend(found)
        elif not item.exists() and any(ch in str(item) for ch in "*?["):
            found = sorted(Path(p) for p in glob.glob(str(item), recursive=True) if Path(p).is_file())
            if not found:
                raise InputError("no file matches this pattern", file=str(item))
            out.extend(found)
        else:
            out.append(item)
    unique: dict[Path, Path] = {}
    for path in out:
        unique.setdefault(path.resolve() if path.exists() else path, path)
    return list(unique.values())


def model_id_template(template: str | None, n_files: int):
    """``(path, n) -> model id or None``; with several files the id must be a template."""
    if template is None:
        return lambda path, n: None
    if not template.strip():
        raise click.BadParameter("the model id is empty", param_hint="--model-id")
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise click.BadParameter(f"{shorten(template)!r}: {exc}", param_hint="--model-id") from None
    unknown = fields - set(TEMPLATE_FIELDS)
    if unknown:
        raise click.BadParameter(f"unknown field {{{sorted(unknown)[0]}}} (known: "
                                 f"{', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)})", param_hint="--model-id")
    if n_files > 1 and not fields:
        raise click.BadParameter("one id for several files: use a template such as '{stem}'",
                                 param_hint="--model-id")

    def model_id(path: Path, n: int) -> str:
        return template.format(stem=path.stem, name=path.name, parent=path.parent.name, n=n)
    return model_id


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
@click.option("--yes", is_flag=True, help="Remove without asking, even when learned crosstalk goes with it.")
@click.option("--output", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def models(ctx: click.Context, remove_id: str | None, yes: bool, fmt: str) -> None:
    """List imported models, or remove one (asks first when learned crosstalk would go too)."""
    if remove_id is not None:
        _remove_model(ctx, remove_id, yes)
        return
    with open_store_from(ctx, read_only=True) as store:
        frame = store.list_models()
    print_frame(frame, fmt, title="models")


def _remove_model(ctx: click.Context, model_id: str, yes: bool) -> None:
    if not model_id.strip():
        raise click.BadParameter("the model id is empty", param_hint="--remove")
    require_existing_store(ctx, "nothing to remove")
    with open_store_from(ctx) as store:
        if model_id not in store.model_ids():
            raise InputError("no such model in the store (see `hmlm models`)", element=f"model {model_id}")
        by_run = store.crosstalk_of_model(model_id)
        if by_run and not yes:
            runs = ", ".join(shorten(run, 60) for run in list(by_run)[:3]) + (" ..." if len(by_run) > 3 else "")
            question = (f"model {model_id}: removing it also deletes {sum(by_run.values())} learned CROSSTALK "
                        f"edge(s) of run(s) {runs}. Remove?")
            if not sys.stdin.isatty():
                raise InputError(f"{question[:-len(' Remove?')]}: pass --yes to remove it anyway",
                                 element="--remove")
            if not click.confirm(question, default=False, err=True):
                click.echo("nothing removed", err=True)
                return
        store.remove_model(model_id)
    click.echo(f"removed {model_id}" + (f" and {sum(by_run.values())} crosstalk edge(s)" if by_run else ""))
