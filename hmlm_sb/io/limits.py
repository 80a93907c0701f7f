"""Limits on what an input file may ask of the importer, and the id / name rules.

Each limit has a default far above any real model (docs/importers.md, "Hostile input")
and an environment variable that raises it for a file that needs more. A file over a
limit is refused with one line naming the file, the limit and the variable.
"""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from hmlm_sb.errors import InputError


@dataclass(frozen=True)
class Limit:
    value: int
    env: str
    what: str  # "XML nesting depth", used in messages

    def exceeded(self, message: str, *, file: str, element: str | None = None) -> InputError:
        return InputError(f"{message} (limit {self.value:,} {self.what}; set {self.env} to raise it)",
                          file=file, element=element)


def _limit(env: str, default: int, what: str) -> Limit:
    raw = os.environ.get(env, "").strip()
    try:
        value = int(raw.replace("_", "")) if raw else default
    except ValueError:
        value = default
    return Limit(value if value > 0 else default, env, what)


@dataclass(frozen=True)
class XmlLimits:
    depth: Limit
    elements: Limit
    run_bytes: Limit  # text, or one tag with its attributes, between two tags
    id_chars: Limit
    name_chars: Limit


@dataclass(frozen=True)
class WorkbookLimits:
    unpacked_bytes: Limit  # all members of the .xlsx zip, uncompressed
    members: Limit
    rows: Limit  # per sheet
    columns: Limit
    cells: Limit  # per sheet
    xml: XmlLimits  # each XML member of the workbook


ID_ATTRIBUTES = frozenset({"id", "metaid", "idRef", "metaIdRef", "species", "qualitativeSpecies", "compartment"})
NAME_ATTRIBUTES = frozenset({"name"})


def xml_limits() -> XmlLimits:
    """The limits in force (read from the environment at each call, so tests can set them)."""
    return XmlLimits(
        depth=_limit("HMLM_MAX_XML_DEPTH", 256, "levels of nesting"),
        elements=_limit("HMLM_MAX_XML_ELEMENTS", 20_000_000, "elements"),
        run_bytes=_limit("HMLM_MAX_XML_TEXT_BYTES", 8 << 20, "bytes of text or one tag"),
        id_chars=_limit("HMLM_MAX_ID_CHARS", 256, "characters in an id"),
        name_chars=_limit("HMLM_MAX_NAME_CHARS", 4096, "characters in a name"))


def workbook_limits() -> WorkbookLimits:
    xml = xml_limits()
    return WorkbookLimits(
        unpacked_bytes=_limit("HMLM_MAX_WORKBOOK_BYTES", 32 << 20, "bytes unpacked"),
        members=_limit("HMLM_MAX_WORKBOOK_PARTS", 1000, "parts in the zip"),
        rows=_limit("HMLM_MAX_SHEET_ROWS", 20_000, "rows per sheet"),
        columns=_limit("HMLM_MAX_SHEET_COLUMNS", 256, "columns per sheet"),
        cells=_limit("HMLM_MAX_SHEET_CELLS", 500_000, "cells per sheet"),
        xml=XmlLimits(depth=xml.depth, elements=_limit("HMLM_MAX_WORKBOOK_ELEMENTS", 2_000_000, "XML elements"),
                      run_bytes=xml.run_bytes, id_chars=xml.id_chars, name_chars=xml.name_chars))


# ---- ids and names ---------------------------------------------------------------------------

# Characters no id or name may hold: controls (a name may keep tab and newline), format
# characters (bidi overrides, zero-width joiners: they make two ids look alike), surrogates,
# line and paragraph separators.
_BAD_IN_ID = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_NAME_WHITESPACE = {"\t", "\n", "\r"}


def bad_character(text: str, *, name: bool = False) -> str | None:
    """The first character an id (or, with ``name``, a name) may not hold, or None."""
    if text.isascii() and text.isprintable():
        return None
    for ch in text:
        if unicodedata.category(ch) in _BAD_IN_ID and not (name and ch in _NAME_WHITESPACE):
            return ch
    return None


def check_id(value: str, what: str, *, file: str, element: str | None = None,
             limits: XmlLimits | None = None) -> None:
    """Refuse an id that is too long or holds a control / format character."""
    limit = (limits or xml_limits()).id_chars
    if len(value) > limit.value:
        raise limit.exceeded(f"{what} is {len(value):,} characters long", file=file, element=element)
    ch = bad_character(value)
    if ch is not None:
        raise InputError(f"{what} holds the character U+{ord(ch):04X} ({unicodedata.name(ch, 'a control')}), "
                         "not allowed in an id", file=file, element=element)


def check_name(value: str, what: str, *, file: str, element: str | None = None,
               limits: XmlLimits | None = None) -> None:
    limit = (limits or xml_limits()).name_chars
    if len(value) > limit.value:
        raise limit.exceeded(f"{what} is {len(value):,} characters long", file=file, element=element)
    ch = bad_character(value, name=True)
    if ch is not None:
        raise InputError(f"{what} holds the character U+{ord(ch):04X} ({unicodedata.name(ch, 'a control')}), "
                         "not allowed in a name", file=file, element=element)
