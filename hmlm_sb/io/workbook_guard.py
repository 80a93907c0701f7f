"""Bounds on an .xlsx workbook, checked before openpyxl reads it (zip bombs).

An .xlsx is a zip of XML parts. A 1.5 MB file can unpack to gigabytes (five million
rows, a 2 GB shared-strings table). Before openpyxl opens it: the zip's own directory
(member count, uncompressed sizes: Python's zipfile never inflates a member past its
recorded size, so the directory bounds what can come out), then each XML part through
the XML guard (:mod:`hmlm_sb.io.xml_guard`: no DTD, bounded depth and element count).
While the sheets are read: declared dimensions, then counted rows, columns and cells.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.io.limits import WorkbookLimits, workbook_limits
from hmlm_sb.io.xml_guard import check_xml_stream

_XML_PARTS = (".xml", ".rels", ".vml")


def check_workbook(path: str | Path, limits: WorkbookLimits | None = None) -> None:
    """Refuse a workbook whose zip or XML parts are over the limits (one InputError)."""
    path, limits = Path(path), limits or workbook_limits()
    file = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"not a readable .xlsx workbook ({exc.__class__.__name__})", file=file) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.members.value:
            raise limits.members.exceeded(f"the workbook has {len(infos):,} parts", file=file)
        total = sum(info.file_size for info in infos)
        if total > limits.unpacked_bytes.value:
            biggest = max(infos, key=lambda info: info.file_size)
            raise limits.unpacked_bytes.exceeded(
                f"the workbook unpacks to {total:,} bytes ({_short(biggest.filename)}: {biggest.file_size:,})",
                file=file)
        for info in infos:
            if info.filename.lower().endswith(_XML_PARTS) and not info.is_dir():
                try:
                    with archive.open(info) as member:
                        check_xml_stream(member, f"{file}: {_short(info.filename)}", limits.xml)
                except InputError:
                    raise
                except Exception as exc:  # a corrupt member: BadZipFile (CRC), zlib.error, EOFError...
                    raise InputError(f"not a readable .xlsx workbook ({exc.__class__.__name__})",
                                     file=f"{file}: {_short(info.filename)}") from None


def check_sheet_size(sheet, name: str, file: str, limits: WorkbookLimits) -> None:
    """Refuse a sheet whose declared dimension is over the row / column / cell limits."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    where = f"sheet '{name}'"
    if rows > limits.rows.value:
        raise limits.rows.exceeded(f"declares {rows:,} rows", file=file, element=where)
    if columns > limits.columns.value:
        raise limits.columns.exceeded(f"declares {columns:,} columns", file=file, element=where)
    if rows * columns > limits.cells.value:
        raise limits.cells.exceeded(f"declares {rows * columns:,} cells", file=file, element=where)


def bounded_rows(sheet, name: str, file: str, limits: WorkbookLimits):
    """The sheet's rows (values), refused as soon as a count passes its limit."""
    where = f"sheet '{name}'"
    cells = 0
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > limits.rows.value:
            raise limits.rows.exceeded(f"has more than {limits.rows.value:,} rows", file=file, element=where)
        if len(row) > limits.columns.value:
            raise limits.columns.exceeded(f"row {number} has {len(row):,} columns", file=file, element=where)
        cells += len(row)
        if cells > limits.cells.value:
            raise limits.cells.exceeded(f"has more than {limits.cells.value:,} cells", file=file, element=where)
        yield row


def _short(name: str) -> str:
    return name if len(name) <= 80 else name[:80] + "..."
