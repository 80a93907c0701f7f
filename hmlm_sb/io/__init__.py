"""Importers and exporters: SBML core / qual / groups, Netflux .xlsx, SIF.

:func:`read_network` is the one entry point: it picks the reader from the extension
(or, failing that, the first bytes), adds ``--pathways`` and ``--organism``, checks
references, and raises only :class:`~hmlm_sb.errors.InputError` on bad input. Hostile
input is refused before a parser builds anything: XML by :mod:`hmlm_sb.io.xml_guard`,
workbooks by :mod:`hmlm_sb.io.workbook_guard`, ids and names by :mod:`hmlm_sb.io.checks`
(limits in :mod:`hmlm_sb.io.limits`).
"""
from __future__ import annotations

from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network

FORMATS = ("auto", "sbml", "sbml-qual", "netflux", "sif")
_EXTENSIONS = {".xml": "sbml", ".sbml": "sbml", ".xlsx": "netflux", ".xlsm": "netflux",
               ".sif": "sif", ".txt": None, ".tsv": "sif"}


def detect_format(path: str | Path) -> str:
    """``sbml`` (core or qual: one reader), ``netflux`` or ``sif``."""
    path = Path(path)
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext:
        return by_ext
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError as exc:
        raise InputError(f"cannot open ({exc.strerror})", file=str(path)) from None
    if head.startswith(b"PK"):
        return "netflux"
    if b"<sbml" in head or head.lstrip().startswith(b"<?xml"):
        return "sbml"
    if b"\t" in head or b" " in head:
        return "sif"
    raise InputError("cannot tell the format; pass --format", file=str(path))


def read_network(path: str | Path, format: str = "auto", *, strict: bool = False,
                 pathways: str | Path | None = None, organism: str | None = None,
                 model_id: str | None = None, allow_empty: bool = False) -> Network:
    """Read one file into a single-model Network.

    ``strict`` refuses files libsbml reports any error for (SBML only). ``pathways``
    names a species,pathway mapping file whose pathways are added. ``organism``
    overrides the organism found in the file (``hasTaxon``). ``allow_empty`` accepts a SIF
    file that yields no reaction (with a warning) instead of refusing it.
    """
    path = Path(path)
    if format not in FORMATS:
        raise InputError(f"unknown format {format!r} (one of {', '.join(FORMATS)})", file=str(path))
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    fmt = detect_format(path) if format == "auto" else format
    if model_id is not None:
        from hmlm_sb.io.limits import check_id

        check_id(model_id, "--model-id", file=str(path))
    try:
        network = _read(path, fmt, strict=strict, model_id=model_id, organism=organism, allow_empty=allow_empty)
        if pathways:
            from hmlm_sb.io.pathways import apply_pathway_mapping

            apply_pathway_mapping(network, pathways)
    except InputError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a reader bug must still reach the user as one line
        err = InputError(f"cannot read as {fmt}: {exc.__class__.__name__}: {exc}", file=str(path))
        err.unexpected = True
        raise err from exc
    if organism:
        network.model.organism = organism
    if fmt not in ("sbml", "sbml-qual") or pathways:
        _check(network, path)
    return network


def _read(path: Path, fmt: str, *, strict: bool, model_id: str | None, organism: str | None,
          allow_empty: bool = False) -> Network:
    """The file's network (the SBML readers check references themselves)."""
    if fmt in ("sbml", "sbml-qual"):
        from hmlm_sb.io.sbml import read_sbml

        network = read_sbml(path, strict=strict, model_id=model_id, organism=organism)
        if fmt == "sbml-qual" and network.model.format != "sbml-qual":
            raise InputError("no qualitative species (not SBML-qual); try --format sbml", file=str(path))
        return network
    if fmt == "netflux":
        from hmlm_sb.io.netflux import read_netflux

        return read_netflux(path, model_id=model_id)
    from hmlm_sb.io.sif import read_sif

    return read_sif(path, model_id=model_id, allow_empty=allow_empty)


def _check(network: Network, path: Path) -> None:
    from hmlm_sb.io.checks import check_network

    check_network(network, path)


__all__ = ["read_network", "detect_format", "FORMATS"]
