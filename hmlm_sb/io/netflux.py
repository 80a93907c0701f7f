"""Read Netflux .xlsx models (Kraeutler et al. 2010) into a :class:`Network`.

A Netflux workbook has a ``species`` and a ``reactions`` sheet; row 1 is a title, row 2
the header. Each reaction row is one logic rule ``A & !B => C``; several rows with the
same product are OR-ed by the simulator; ``=> X`` is an input reaction.

Quirks of real files handled here: ids with trailing spaces, the deprecated ``+`` for
AND (recorded in ``network.warnings``), ``=>X`` without a space, repeated spaces, empty
parameter cells (Netflux defaults), PubMed ids spread over several columns.
"""
from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any, Iterable

from hmlm_sb.errors import InputError
from hmlm_sb.io.limits import workbook_limits
from hmlm_sb.io.workbook_guard import bounded_rows, check_sheet_size, check_workbook
from hmlm_sb.logic import And, Expr, Literal, Not
from hmlm_sb.network import (NETFLUX_DEFAULTS, ModelInfo, Network, Participant, Pathway, Reaction,
                             Species)

_ID = re.compile(r"^[A-Za-z0-9_.:\-]+$")
_REFERENCE_HEADERS = ("pmid", "ref id", "reference")


def read_netflux(path: str | Path, *, model_id: str | None = None) -> Network:
    """Parse a Netflux workbook; bad rows raise :class:`InputError` naming file and row."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    sheets = _load_sheets(path)
    network = Network()
    network.models.append(ModelInfo(
        id=model_id or path.stem, name=path.stem, source_file=str(path), format="netflux",
        sha256=hashlib.sha256(path.read_bytes()).hexdigest()))
    _read_species(network, sheets["species"], path)
    _read_reactions(network, sheets["reactions"], path)
    for item in list(network.species.values()) + list(network.reactions.values()):
        item.model = network.model.id
    for pathway in network.pathways.values():
        pathway.model = network.model.id
    return network


# ---- workbook --------------------------------------------------------------------------
def _load_sheets(path: Path) -> dict[str, list[dict[str, Any]]]:
    import warnings

    import openpyxl

    limits = workbook_limits()
    check_workbook(path, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for bad files
        raise InputError(f"not a readable .xlsx workbook ({exc.__class__.__name__})", file=str(path)) from None
    names = {name.strip().lower(): name for name in book.sheetnames}
    sheets = {}
    try:
        for wanted in ("species", "reactions"):
            if wanted not in names:
                raise InputError(f"no '{wanted}' sheet (sheets: {', '.join(book.sheetnames)})", file=str(path))
            sheet = book[names[wanted]]
            check_sheet_size(sheet, wanted, str(path), limits)
            sheet.reset_dimensions()  # files written without a dimension record read as one column
            try:
                sheets[wanted] = _sheet_rows(bounded_rows(sheet, wanted, str(path), limits))
            except InputError:
                raise
            except Exception as exc:  # read-only sheets parse lazily: broken sheet XML surfaces here
                raise InputError(f"unreadable sheet ({exc.__class__.__name__}: {exc})",
                                 file=str(path), element=f"sheet '{wanted}'") from None
    finally:
        book.close()
    return sheets


def _sheet_rows(values: Iterable[tuple]) -> list[dict[str, Any]]:
    """Rows after the header (row 2) as dicts; ``_row`` is the 1-based Excel row number.

    Repeated headers (several ``PMID`` columns) get the column number appended."""
    rows = list(values)
    if len(rows) < 2:
        return []
    header: list[str] = []
    for col, cell in enumerate(rows[1]):
        name = str(cell).strip().lower() if cell is not None else f"_col{col}"
        header.append(name if name not in header else f"{name}#{col}")
    out = []
    for number, row in enumerate(rows[2:], start=3):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        record = {header[i]: v for i, v in enumerate(row) if i < len(header)}
        record["_row"] = number
        out.append(record)
    return out


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


# ---- species ---------------------------------------------------------------------------
def _read_species(network: Network, rows: list[dict[str, Any]], path: Path) -> None:
    for row in rows:
        sid = _text(row.get("id"))
        where = f"species row {row['_row']}"
        if not sid:
            raise InputError("species row without an ID", file=str(path), element=where)
        if not _ID.match(sid):
            raise InputError(f"species id {sid!r} has characters Netflux does not allow",
                             file=str(path), element=where)
        if sid in network.species:
            raise InputError(f"duplicate species id {sid!r}", file=str(path), element=where)
        network.add_species(Species(
            id=sid, name=_text(row.get("name")) or sid, kind=_text(row.get("type")),
            initial=_number(row.get("yinit"), "y0", path, f"species {sid} ({where})"),
            ymax=_number(row.get("ymax"), "ymax", path, f"species {sid} ({where})"),
            tau=_number(row.get("tau"), "tau", path, f"species {sid} ({where})"),
            gene=_text(row.get("gene name")), notes=_text(row.get("notes")),
        ))
        module = _text(row.get("module"))
        if module:
            network.pathways.setdefault(module, Pathway(id=module, name=module)).members.append(sid)


def _number(value: Any, key: str, path: Path, element: str) -> float:
    """A non-negative finite parameter; empty cells take the Netflux default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return float(NETFLUX_DEFAULTS[key])
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{key} is not a number: {value!r}", file=str(path), element=element) from None
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise InputError(f"{key} must be a finite non-negative number, got {value!r}",
                         file=str(path), element=element)
    if key == "tau" and number == 0:
        raise InputError("tau must be positive, got 0", file=str(path), element=element)
    return number


# ---- reactions -------------------------------------------------------------------------
def _read_reactions(network: Network, rows: list[dict[str, Any]], path: Path) -> None:
    for row in rows:
        rule = _text(row.get("rule"))
        rid = _text(row.get("id"))
        if not rule and not rid:
            continue
        where = f"reaction {rid or '?'} (row {row['_row']})"
        if not rule:
            raise InputError("reaction without a rule", file=str(path), element=where)
        if not rid:
            rid = f"row{row['_row']}"
            network.warnings.append(f"{path.name}: reaction at row {row['_row']} has no ID; named {rid}")
        if rid in network.reactions:
            raise InputError(f"duplicate reaction id {rid!r}", file=str(path), element=where)
        reaction = _parse_rule(rid, rule, network, path, where)
        reaction.params = {
            "weight": _number(row.get("weight"), "weight", path, where),
            "n": _number(row.get("n"), "n", path, where),
            "ec50": _number(row.get("ec50"), "ec50", path, where),
        }
        reaction.module = _text(row.get("module"))
        reaction.notes = _text(row.get("notes"))
        reaction.references = _pubmed_ids(row)
        network.add_reaction(reaction)


def _parse_rule(rid: str, rule: str, network: Network, path: Path, where: str) -> Reaction:
    if rule.count("=>") != 1:
        raise InputError(f"rule {rule!r} needs exactly one '=>'", file=str(path), element=where)
    left, right = (side.strip() for side in rule.split("=>"))
    if "+" in left:
        network.warnings.append(f"{path.name}: {where}: '+' in {rule!r} read as AND (deprecated Netflux syntax)")
        left = left.replace("+", "&")
    products = [p.strip() for p in re.split(r"[&,]", right) if p.strip()]
    if not products:
        raise InputError(f"rule {rule!r} has no product", file=str(path), element=where)
    literals: list[tuple[str, bool]] = []
    for token in (t.strip() for t in left.split("&")) if left else []:
        negated = token.startswith("!")
        sid = token.lstrip("!").strip()
        if not sid or not _ID.match(sid) or token.count("!") > 1:
            raise InputError(f"cannot parse term {token!r} of rule {rule!r}", file=str(path), element=where)
        literals.append((sid, negated))
    for sid in [s for s, _ in literals] + products:
        if sid not in network.species:
            raise InputError(f"rule {rule!r} names unknown species {sid!r}", file=str(path), element=where)
    participants = [Participant(sid, "input", -1 if neg else 1) for sid, neg in literals]
    participants += [Participant(sid, "output", 1) for sid in products]
    terms = [(1, _rule_expr(literals))] if literals else []
    return Reaction(id=rid, kind="netflux", participants=participants, function_terms=terms,
                    name=rule)


def _rule_expr(literals: list[tuple[str, bool]]) -> Expr:
    parts: list[Expr] = [Not(Literal(sid)) if neg else Literal(sid) for sid, neg in literals]
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _pubmed_ids(row: dict[str, Any]) -> list[str]:
    refs: dict[str, None] = {}
    for key, value in row.items():
        if key.startswith("_") or value is None:
            continue
        if any(h in key for h in _REFERENCE_HEADERS):
            for number in re.findall(r"\d{5,9}", str(value).replace(".0", "")):
                refs.setdefault(f"pubmed:{number}", None)
    return list(refs)
