"""The pre-parse guard every XML input passes before libsbml or ElementTree reads it.

One streaming pass with expat (``xml.parsers.expat``, the parser Python ships) that
refuses what a signalling model never needs and a hostile file uses:

* a DTD (``<!DOCTYPE``): SBML has none, and its entity declarations are how a 300-byte
  file expands to megabytes (internal entities are refused, never expanded; external
  ones were never fetched);
* elements nested deeper than a limit (libsbml recurses on the C stack: 10,000 nested
  ``<apply>`` end the process with a segfault);
* more elements than a limit, and text (or one tag with its attributes) longer than a
  limit between two tags;
* ids and names longer than the id / name limits (a 500,000-character model id would be
  copied into every uid);
* anything not well-formed (a duplicated attribute, an unclosed tag), reported with its
  line and column.

Each refusal is one :class:`~hmlm_sb.errors.InputError` naming the file and the limit.
The pass also returns the file's SHA-256, so the readers need not read the file again.
"""
from __future__ import annotations

import hashlib
import xml.parsers.expat as expat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hmlm_sb.errors import InputError
from hmlm_sb.io.limits import ID_ATTRIBUTES, NAME_ATTRIBUTES, XmlLimits, xml_limits

_CHUNK = 1 << 20


@dataclass(frozen=True)
class CheckedXml:
    """What the guard saw of a file it let through."""

    sha256: str
    elements: int
    max_depth: int


class _Refused(Exception):
    """Raised inside an expat handler; carries the InputError out of the parser."""

    def __init__(self, error: InputError):
        self.error = error


def check_xml_file(path: str | Path, limits: XmlLimits | None = None) -> CheckedXml:
    """Guard one XML file; raises InputError, returns the file's digest and counts."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            return check_xml_stream(fh, str(path), limits)
    except OSError as exc:
        raise InputError(f"cannot open ({exc.strerror})", file=str(path)) from None


def check_xml_stream(fh: BinaryIO, file: str, limits: XmlLimits | None = None) -> CheckedXml:
    """Guard an XML byte stream; ``file`` names it in messages (``book.xlsx: xl/sharedStrings.xml``)."""
    return _Guard(file, limits or xml_limits()).run(fh)


class _Guard:
    def __init__(self, file: str, limits: XmlLimits):
        self.file, self.limits = file, limits
        self.parser = expat.ParserCreate()
        self.depth = self.max_depth = self.count = 0
        self.last_at = 0  # byte offset of the last tag seen
        self.last_tag: tuple[str, dict[str, str]] | None = None

    def refuse(self, message: str) -> _Refused:
        return _Refused(InputError(message, file=self.file, element=f"line {self.parser.CurrentLineNumber}"))

    def over(self, limit, message: str) -> _Refused:
        return _Refused(limit.exceeded(message, file=self.file, element=f"line {self.parser.CurrentLineNumber}"))

    def run(self, fh: BinaryIO) -> CheckedXml:
        p = self.parser
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.StartElementHandler, p.EndElementHandler = self._handlers()
        digest, fed, run_limit = hashlib.sha256(), 0, self.limits.run_bytes
        try:
            while block := fh.read(_CHUNK):
                digest.update(block)
                p.Parse(block, False)
                fed += len(block)
                if fed - self.last_at > run_limit.value + _CHUNK:  # one tag or text still open: expat buffers it
                    raise self.over(run_limit, f"more than {run_limit.value:,} bytes without a tag")
            p.Parse(b"", True)
        except _Refused as refused:
            raise refused.error from None
        except expat.ExpatError as exc:
            raise InputError(f"unreadable XML (not well-formed): {expat.ErrorString(exc.code)}, "
                             f"column {exc.offset + 1}", file=self.file, element=f"line {exc.lineno}") from None
        return CheckedXml(digest.hexdigest(), self.count, self.max_depth)

    def _doctype(self, name, system_id, public_id, has_internal_subset) -> None:
        raise self.refuse("refused: the file declares a DTD (<!DOCTYPE>); SBML needs none, and its "
                          "entities are not expanded")

    def _entity(self, name, *rest) -> None:
        raise self.refuse(f"refused: entity declaration {name[:40]!r} (entities are not expanded)")

    def _handlers(self):
        p, limits = self.parser, self.limits
        max_depth, max_elements, id_chars = limits.depth.value, limits.elements.value, limits.id_chars.value

        # Two hot closures: a few integer operations per tag. Attributes are looked at only
        # when a tag is long enough to hold an over-long id (the byte gap to the next tag).
        def start(name: str, attrs: dict[str, str]) -> None:
            at = p.CurrentByteIndex
            if at - self.last_at > id_chars:
                self._long_run(at)
            self.depth += 1
            self.count += 1
            if self.depth > max_depth or self.count > max_elements:
                self._too_many(name)
            self.last_at, self.last_tag = at, (name, attrs)

        def end(name: str) -> None:
            at = p.CurrentByteIndex
            if at - self.last_at > id_chars:
                self._long_run(at)
            if self.depth > self.max_depth:
                self.max_depth = self.depth
            self.depth -= 1
            self.last_at, self.last_tag = at, None

        return start, end

    def _too_many(self, name: str) -> None:
        if self.depth > self.limits.depth.value:
            raise self.over(self.limits.depth, f"<{_short(name)}> is nested {self.depth:,} elements deep")
        raise self.over(self.limits.elements, f"more than {self.limits.elements.value:,} elements")

    def _long_run(self, at: int) -> None:
        """The bytes since the last tag exceed the id limit: an over-long attribute, or text."""
        if self.last_tag is not None:
            name, attrs = self.last_tag
            for key, value in attrs.items():
                local = key.rpartition(":")[2]
                if local in ID_ATTRIBUTES and len(value) > self.limits.id_chars.value:
                    raise self.over(self.limits.id_chars,
                                    f"<{_short(name)}> {local} is {len(value):,} characters long")
                if local in NAME_ATTRIBUTES and len(value) > self.limits.name_chars.value:
                    raise self.over(self.limits.name_chars,
                                    f"<{_short(name)}> {local} is {len(value):,} characters long")
        if at - self.last_at > self.limits.run_bytes.value:
            raise self.over(self.limits.run_bytes, f"{at - self.last_at:,} bytes of text or markup between two tags")


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:40] + "..."
