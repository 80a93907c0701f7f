"""libsbml helpers shared by the SBML readers and writers: the guarded document read,
libsbml's complaints summarised, our ``<hmlm:data>`` annotation, SBO terms, notes, SIds."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import libsbml

from hmlm_sb.errors import InputError
from hmlm_sb.io.sbml_network import HMLM_NS
from hmlm_sb.io.xml_guard import CheckedXml, check_xml_file

# libsbml XML-level error ids that mean the file's structure is broken (unreadable), as
# opposed to complaints about a declaration or an attribute (1001 missing XML declaration...).
BROKEN_XML_ERRORS = set(range(0, 1000)) | {1005, 1006, 1007, 1008, 1009, 1011, 1012,
                                           1017, 1022, 1024, 1027, 1028, 1029, 1035}
_TAGS = re.compile(r"<[^>]+>")


def read_document(path: str | Path, *, strict: bool = False, checked: CheckedXml | None = None):
    """Guard the file (:mod:`hmlm_sb.io.xml_guard`), then parse it with libsbml.

    Returns ``(document, warnings)``: a short summary of libsbml's complaints. Unreadable
    XML or no model raises InputError; with ``strict`` so does any libsbml error (reading
    or consistency check). ``checked``: the guard's answer when the caller already has it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    if checked is None:
        check_xml_file(path)
    doc = libsbml.readSBMLFromFile(str(path))
    errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    for err in errors:
        if err.getErrorId() in BROKEN_XML_ERRORS and err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            raise InputError(f"unreadable XML: {err.getShortMessage()}", file=str(path),
                             element=f"line {err.getLine()}")
    if doc.getModel() is None:
        raise InputError("no <model> element", file=str(path), element="sbml")
    if strict:
        doc.checkConsistency()
        errors = [doc.getError(i) for i in range(doc.getNumErrors())]
        serious = [e for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
        if serious:
            first = serious[0]
            raise InputError(f"{len(serious)} libsbml error(s) under --strict; first: "
                             f"{first.getShortMessage()} ({_first_line(first.getMessage())})",
                             file=str(path), element=f"line {first.getLine()}")
    return doc, summarise_errors(errors)


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def summarise_errors(errors) -> list[str]:
    """One line per kind of libsbml complaint, most frequent first."""
    kinds = Counter((e.getSeverityAsString(), e.getErrorId(), e.getShortMessage()) for e in errors)
    return [f"libsbml {sev.lower()} {eid} x{n}: {msg}" for (sev, eid, msg), n in kinds.most_common()]


# ---- reading elements --------------------------------------------------------------------------

def _hmlm_node(sbase):
    if not sbase.isSetAnnotation():
        return None
    ann = sbase.getAnnotation()
    for i in range(ann.getNumChildren()):
        child = ann.getChild(i)
        if child.getURI() == HMLM_NS:
            return child
    return None


def hmlm_data(sbase) -> dict[str, str] | None:
    """The attributes of our own ``<hmlm:data>`` annotation on an element, if any."""
    node = _hmlm_node(sbase)
    if node is None:
        return None
    attrs = node.getAttributes()
    return {attrs.getName(j): attrs.getValue(j) for j in range(attrs.getLength())}


def hmlm_notes(sbase) -> str:
    """The text of ``<hmlm:notes>`` inside our annotation ('' if none)."""
    node = _hmlm_node(sbase)
    if node is None:
        return ""
    for j in range(node.getNumChildren()):
        note = node.getChild(j)
        if note.getName() == "notes":
            return "".join(note.getChild(k).getCharacters() for k in range(note.getNumChildren()))
    return ""


def sbo_of(sbase) -> str | None:
    return sbase.getSBOTermID() if sbase.isSetSBOTerm() else None


def notes_text(sbase) -> str:
    if not sbase.isSetNotes():
        return ""
    return " ".join(_TAGS.sub(" ", sbase.getNotesString()).split())


# ---- writing ---------------------------------------------------------------------------------------

_SID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SIds:
    """Valid, unique SBML ids for arbitrary local ids."""

    def __init__(self):
        self.used: set[str] = set()

    def make(self, raw: str) -> str:
        sid = raw if _SID.match(raw) else re.sub(r"[^A-Za-z0-9_]", "_", raw)
        if not sid or not (sid[0].isalpha() or sid[0] == "_"):
            sid = "_" + sid
        base, n = sid, 1
        while sid in self.used:
            n += 1
            sid = f"{base}_{n}"
        self.used.add(sid)
        return sid


def data_node(attrs: dict[str, object], notes: str = ""):
    body = " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items() if v not in (None, ""))
    inner = f"<hmlm:notes>{escape(notes)}</hmlm:notes>" if notes else ""
    node = libsbml.XMLNode.convertStringToXMLNode(
        f'<hmlm:data xmlns:hmlm="{HMLM_NS}" {body}>{inner}</hmlm:data>')
    if node is None:
        raise ValueError(f"cannot write annotation {attrs!r}")
    return node


def check_libsbml(code: int, what: str) -> None:
    if code not in (libsbml.LIBSBML_OPERATION_SUCCESS, None):
        raise ValueError(f"libsbml refused {what}: {libsbml.OperationReturnValue_toString(code)}")


def sbo_ok(sbo: str) -> bool:
    return bool(re.match(r"^SBO:\d{7}$", sbo))
