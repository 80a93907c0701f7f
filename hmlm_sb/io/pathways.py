"""The ``--pathways`` mapping file: one ``species,pathway`` pair a line (CSV or TSV).

A header line (``species,pathway``) is allowed. Species are matched by id, then by name.
A species may be in several pathways (several lines). Rows naming species the network
does not have are skipped with one warning; a file matching none of them is an error.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network, Pathway

_HEADER_WORDS = {"species", "species_id", "id", "node", "name", "gene"}


def read_pathway_mapping(path: str | Path) -> list[tuple[str, str, int]]:
    """``(species, pathway, line)`` rows of a mapping file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else (";" if ";" in first and "," not in first else ",")
    rows = []
    for number, fields in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        fields = [f.strip() for f in fields]
        if not any(fields) or fields[0].startswith("#"):
            continue
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise InputError("expected 'species,pathway'", file=str(path), element=f"line {number}")
        if number == 1 and fields[0].lower() in _HEADER_WORDS:
            continue
        rows.append((fields[0], fields[1], number))
    return rows


def apply_pathway_mapping(network: Network, path: str | Path) -> int:
    """Add the mapping's pathways to ``network``; returns the number of memberships added."""
    rows = read_pathway_mapping(path)
    by_name: dict[str, str] = {}
    for sid, sp in network.species.items():
        if sp.name:
            by_name.setdefault(sp.name, sid)
    model = network.models[0].id if len(network.models) == 1 else ""
    added, unknown = 0, []
    for name, pathway, _ in rows:
        sid = name if name in network.species else by_name.get(name)
        if sid is None:
            unknown.append(name)
            continue
        pw = network.pathways.get(pathway) or network.add_pathway(Pathway(id=pathway, name=pathway, model=model))
        if sid not in pw.members:
            pw.members.append(sid)
            added += 1
    if rows and len(unknown) == len(rows):
        raise InputError(f"none of its {len(rows)} species is in the model (first: {unknown[0]!r})",
                         file=str(path))
    if unknown:
        network.warnings.append(f"{Path(path).name}: {len(unknown)} mapped species not in the model "
                                f"(first: {unknown[0]!r}), skipped")
    return added
