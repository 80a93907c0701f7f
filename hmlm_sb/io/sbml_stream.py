"""A streaming SBML L2/L3 reader (core, qual, groups, MIRIAM) for large files.

libsbml builds a full object tree: about 80 kB of memory and 150 us per qualitative
transition, so a 100k-species file would need ~8 GB. This reader walks the XML once
with expat (``xml.etree.ElementTree.iterparse``), builds the same :class:`Network` as
:func:`hmlm_sb.io.sbml.read_sbml` and frees each element when done. It does not run
libsbml's validation: the network records a warning saying so (``--strict`` uses libsbml).
The file passes the XML guard (:mod:`hmlm_sb.io.xml_guard`) before the walk; what the
walk finds goes through the same rooms as libsbml's (:mod:`hmlm_sb.io.sbml_network`,
:mod:`hmlm_sb.io.sbml_rules`, :func:`hmlm_sb.io.annotations.collect_xrefs`).
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import collect_xrefs, qualifier_name
from hmlm_sb.io.sbml_network import (HMLM_NS, SPECIES_KIND_SBO, MemberResolver, add_qual_species, add_transition,
                                     apply_reaction_data, apply_species_data, drop_placeholder_compartments,
                                     finish_network, model_info, modifier_sign, new_renames,
                                     raise_levels_to_results)
from hmlm_sb.io.sbml_rules import ElementMath, RuleBuilder
from hmlm_sb.io.xml_guard import CheckedXml, check_xml_file
from hmlm_sb.logic import Expr
from hmlm_sb.network import Compartment, Network, Participant, Pathway, Reaction, Species, Xref

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
BQBIOL = "http://biomodels.net/biology-qualifiers/"
BQMODEL = "http://biomodels.net/model-qualifiers/"
MATHML = "http://www.w3.org/1998/Math/MathML"
QUAL = "{http://www.sbml.org/sbml/level3/version1/qual/version1}"
GROUPS = "{http://www.sbml.org/sbml/level3/version1/groups/version1}"
_SIGNS = {"positive": 1, "negative": -1}
_ITEMS = {"compartment", "species", "reaction", "qualitativeSpecies", "transition", "group"}
_OTHER_WITH_IDS = {"parameter", "functionDefinition", "event", "unitDefinition", "constraint"}
_LOCAL: dict[str, str] = {}


def _local(tag: str) -> str:
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rsplit("}", 1)[-1]
    return name


def _attr(el: ET.Element, name: str, default: str | None = None) -> str | None:
    """An attribute with or without a package prefix (``qual:id`` or ``id``)."""
    value = el.get(QUAL + name)
    if value is None:
        value = el.get(name)
        if value is None:
            value = el.get(GROUPS + name)
    return default if value is None else value


def _bool(value: str | None, default: bool = False) -> bool:
    return default if value is None else value.strip().lower() in ("true", "1")


def _float(value: str | None, default: float) -> float:
    try:
        out = float(value) if value is not None else default
    except ValueError:
        return default
    return default if math.isnan(out) else out


def _int(value: str | None, default: int | None, el: ET.Element, what: str, ctx: "_Reader") -> int | None:
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ctx.fail(f"{what} is not an integer: {value!r}", el) from None


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    """Descendants named ``name`` in the qual or groups namespace (or none)."""
    return list(el.iter(QUAL + name)) or list(el.iter(GROUPS + name)) or list(el.iter(name))


def _xrefs(el: ET.Element) -> list[Xref]:
    return collect_xrefs(_rdf_pairs(el))


def _rdf_pairs(el: ET.Element):
    """``(qualifier, uri)`` of the MIRIAM RDF in an element's annotation."""
    for ann in el:
        if _local(ann.tag) != "annotation":
            continue
        for desc in ann.iter(f"{{{RDF}}}Description"):
            for qual in desc:
                ns, _, name = qual.tag[1:].partition("}")
                if ns not in (BQBIOL, BQMODEL):
                    continue
                qualifier = qualifier_name(name, model=ns == BQMODEL)
                for li in qual.iter(f"{{{RDF}}}li"):
                    uri = li.get(f"{{{RDF}}}resource")
                    if uri:
                        yield qualifier, uri


def _hmlm(el: ET.Element) -> tuple[dict[str, str] | None, str]:
    for ann in el:
        if _local(ann.tag) == "annotation":
            data = ann.find(f"{{{HMLM_NS}}}data")
            if data is not None:
                notes = data.find(f"{{{HMLM_NS}}}notes")
                return dict(data.attrib), (notes.text or "") if notes is not None else ""
    return None, ""


def _notes(el: ET.Element) -> str:
    for child in el:
        if _local(child.tag) == "notes":
            return " ".join("".join(child.itertext()).split())
    return ""


def _sbo(el: ET.Element) -> str | None:
    return el.get("sboTerm")


def _mathml_text(el: ET.Element) -> str:
    """MathML re-serialised with the default namespace (libsbml reads it back)."""
    def ser(node: ET.Element) -> str:
        name = _local(node.tag)
        attrs = "".join(f' {_local(k)}="{v}"' for k, v in node.attrib.items())
        body = (node.text or "").strip()
        inner = "".join(ser(c) + (c.tail or "").strip() for c in node)
        return f"<{name}{attrs}>{body}{inner}</{name}>"
    return ser(el).replace("<math>", f'<math xmlns="{MATHML}">', 1)


class NotStreamable(Exception):
    """The file needs libsbml (SBML Level 1)."""


class _Reader:
    def __init__(self, path: Path, model_id: str | None, organism: str | None, checked: CheckedXml | None):
        self.path, self.model_id, self.organism, self.checked = path, model_id, organism, checked
        self.net = Network()
        self.renames = new_renames()
        self.qual_ids: set[str] = set()
        self.level = 3
        self.groups: dict[str, tuple[list[str], str, str | None, list[Xref], dict]] = {}
        self.n_transitions = 0
        self.has_qual = False
        self.placeholders: list[str] = []
        self.other_ids: set[str] = set()  # parameters, rules...: group members without species
        self.levels = _Levels(self.net)

    def fail(self, message: str, el: ET.Element | None = None) -> InputError:
        element = None
        if el is not None:
            element = f"{_local(el.tag)} {_attr(el, 'id') or ''}".strip()
        return InputError(message, file=str(self.path), element=element)

    # ---- the walk -------------------------------------------------------------------------------
    def read(self) -> Network:
        model_seen = False
        try:
            self._read_level()
            if self.checked is None:
                self.checked = check_xml_file(self.path)
            kinds: dict[str, str | None] = {}  # tag -> what to do with it
            for _, el in ET.iterparse(self.path, events=("end",)):
                kind = kinds.get(el.tag, "")
                if kind == "":
                    name = _local(el.tag)
                    kind = kinds[el.tag] = (name if name in _ITEMS or name == "model"
                                            else "other" if name in _OTHER_WITH_IDS else None)
                if kind is None:
                    continue
                if kind == "other":
                    if el.get("id"):
                        self.other_ids.add(el.get("id"))
                elif kind == "model":
                    model_seen = True
                    self._model(el)
                else:
                    self._item(kind, el)
                    el.clear()
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else "?"
            raise InputError(f"unreadable XML: {exc.msg if hasattr(exc, 'msg') else exc}", file=str(self.path),
                             element=f"line {line}") from None
        if not model_seen:
            raise InputError("no <model> element", file=str(self.path), element="sbml")
        return self._finish()

    def _read_level(self) -> None:
        with open(self.path, "rb") as fh:
            head = fh.read(4096)
        root = re.search(rb"<(?:\w+:)?sbml\b[^>]*>", head)
        if root is None:
            raise InputError("no <sbml> element at the start of the file", file=str(self.path), element="sbml")
        level = re.search(rb"""\slevel\s*=\s*["'](\d+)""", root.group(0))
        version = re.search(rb"""\sversion\s*=\s*["'](\d+)""", root.group(0))
        self.level = int(level.group(1)) if level else 3
        self.version = int(version.group(1)) if version else 1
        if self.level < 2:
            raise NotStreamable("SBML Level 1")

    def _item(self, name: str, el: ET.Element) -> None:
        if name == "compartment":
            self._compartment(el)
        elif name == "species":
            self._species(el)
        elif name == "reaction":
            self._reaction(el)
        elif name == "qualitativeSpecies":
            self._qual_species(el)
        elif name == "transition":
            self.has_qual = True
            rxn = self._transition(el, self.n_transitions, self.levels)
            self.n_transitions += 1
            add_transition(self.net, rxn, self.path)
        elif name == "group":
            self._group(el)

    def _model(self, el: ET.Element) -> None:
        data, _ = _hmlm(el)
        self.net.models.append(model_info(
            given_id=self.model_id, file_id=el.get("id") or "", name=el.get("name", ""), data=data or {},
            xrefs=_xrefs(el), path=self.path, sha256=self.checked.sha256, level=self.level, version=self.version))

    @property
    def mid(self) -> str:
        return self.model_id or ""

    def _compartment(self, el: ET.Element) -> None:
        cid = el.get("id") or ""
        data, _ = _hmlm(el)
        if data and data.get("placeholder") == "true":
            self.placeholders.append(cid)
        elif data and data.get("id"):
            self.renames["compartments"][cid] = data["id"]
        size = el.get("size") if self.level > 1 else el.get("volume")
        self.net.compartments[cid] = Compartment(cid, el.get("name", ""), _float(size, math.nan) if size else None,
                                                 _xrefs(el))
        if self.net.compartments[cid].size is not None and math.isnan(self.net.compartments[cid].size):
            self.net.compartments[cid].size = None

    def _species(self, el: ET.Element) -> None:
        sbo = _sbo(el)
        initial = el.get("initialAmount") or el.get("initialConcentration")
        sid = el.get("id") or ""
        self.net.species[sid] = Species(
            id=sid, name=el.get("name", ""), kind=SPECIES_KIND_SBO.get(sbo, ""), compartment=el.get("compartment"),
            initial=_float(initial, 0.0), constant=_bool(el.get("constant")),
            boundary=_bool(el.get("boundaryCondition")), sbo=sbo, notes=_notes(el), xrefs=_xrefs(el))

    def _reaction(self, el: ET.Element) -> None:
        parts: list[Participant] = []
        law = None
        for child in el:
            name = _local(child.tag)
            if name in ("listOfReactants", "listOfProducts"):
                role = "reactant" if name == "listOfReactants" else "product"
                for ref in child:
                    parts.append(Participant(ref.get("species") or "", role, 1 if role == "reactant" else 0,
                                             _float(ref.get("stoichiometry"), 1.0), sbo=_sbo(ref)))
            elif name == "listOfModifiers":
                for ref in child:
                    sbo = _sbo(ref)
                    parts.append(Participant(ref.get("species") or "", "modifier", modifier_sign(sbo), sbo=sbo))
            elif name == "kineticLaw":
                law = child.find(f"{{{MATHML}}}math")
        rid = el.get("id")
        if not rid:
            raise self.fail("reaction without an id", el)
        self.net.reactions[rid] = Reaction(
            id=rid, kind="sbml", participants=parts, kinetic_law=_formula(law) if law is not None else None,
            name=el.get("name", ""), sbo=_sbo(el), reversible=_bool(el.get("reversible"), self.level < 3),
            notes=_notes(el))

    def _qual_species(self, el: ET.Element) -> None:
        self.has_qual = True
        sid = _attr(el, "id") or ""
        initial = _int(_attr(el, "initialLevel"), None, el, "initialLevel", self)
        sp = Species(id=sid, name=_attr(el, "name", "") or "", compartment=_attr(el, "compartment"),
                     initial=float(initial) if initial is not None else 0.0,
                     max_level=_int(_attr(el, "maxLevel"), 1, el, "maxLevel", self),
                     constant=_bool(_attr(el, "constant")), sbo=_sbo(el), notes=_notes(el), xrefs=_xrefs(el))
        data, notes = _hmlm(el)
        if data:
            apply_species_data(sp, data, notes, self.renames["species"])
        add_qual_species(self.net, sp, self.qual_ids, self.path)

    def _transition(self, el: ET.Element, index: int, max_levels: dict[str, int]) -> Reaction:
        tid = _attr(el, "id") or f"tr{index + 1}"
        parts: list[Participant] = []
        part_data: list[dict | None] = []
        thresholds: dict[str, int] = {}
        terms: list[tuple[int, Expr]] = []
        default = 0
        for inp in _children(el, "input"):
            threshold = _int(_attr(inp, "thresholdLevel"), None, inp, "thresholdLevel", self)
            parts.append(Participant(_attr(inp, "qualitativeSpecies") or "", "input",
                                     _SIGNS.get(_attr(inp, "sign") or "", 0), threshold=threshold, sbo=_sbo(inp)))
            part_data.append(_hmlm(inp)[0])
            if _attr(inp, "id") and threshold is not None:
                thresholds[_attr(inp, "id")] = threshold
        for out in _children(el, "output"):
            parts.append(Participant(_attr(out, "qualitativeSpecies") or "", "output", 0, sbo=_sbo(out)))
            part_data.append(_hmlm(out)[0])
        rules = RuleBuilder(_ELEMENT_MATH, max_levels, thresholds,
                            lambda message: InputError(message, file=str(self.path), element=f"transition {tid}"))
        for term in _children(el, "functionTerm"):
            math_el = term.find(f"{{{MATHML}}}math")
            level = _int(_attr(term, "resultLevel"), 1, term, "resultLevel", self)
            if math_el is not None and len(math_el):
                terms.append((level, rules.convert(math_el[0])))
        for term in _children(el, "defaultTerm"):
            default = _int(_attr(term, "resultLevel"), 0, term, "resultLevel", self)
        rxn = Reaction(id=tid, kind="qual", participants=parts, function_terms=terms, default_level=default,
                       name=_attr(el, "name", "") or "", sbo=_sbo(el), notes=_notes(el))
        data, notes = _hmlm(el)
        if data:
            apply_reaction_data(rxn, data, notes, part_data)
            if "id" in data:
                self.renames["reactions"][rxn.id] = data["id"]
        return rxn

    def _group(self, el: ET.Element) -> None:
        gid = _attr(el, "id") or f"group{len(self.groups) + 1}"
        refs = [_attr(m, "idRef") for m in _children(el, "member")]
        data, _ = _hmlm(el)
        self.groups[gid] = (refs, _attr(el, "name", "") or "", _sbo(el), _xrefs(el), data or {})

    # ---- after the walk ---------------------------------------------------------------------------------
    def _finish(self) -> Network:
        net = self.net
        if not net.models:
            raise InputError("no <model> element", file=str(self.path), element="sbml")
        info = net.models[0]
        for item in list(net.species.values()) + list(net.reactions.values()):
            item.model = item.model or info.id
        if self.has_qual:
            raise_levels_to_results(net)
        info.format = "sbml-qual" if self.has_qual else "sbml"
        self._pathways(info.id)
        drop_placeholder_compartments(net, self.placeholders)
        net.warnings.append("large file read by the streaming reader, without libsbml validation "
                            "(--strict validates with libsbml)")
        return finish_network(net, self.renames, self.organism, self.path)

    def _pathways(self, mid: str) -> None:
        groups = {gid: refs for gid, (refs, *_rest) in self.groups.items()}
        resolver = MemberResolver(self.net, groups, self.path, lambda ref: ref in self.other_ids)
        for gid, (refs, name, sbo, xrefs, data) in self.groups.items():
            if data.get("id"):
                self.renames["pathways"][gid] = data["id"]
            self.net.pathways[gid] = Pathway(id=gid, name=name, members=resolver.species_of_group(gid),
                                             sbo=sbo, xrefs=xrefs, model=data.get("model") or mid)


class _Levels:
    """Max level of each species read so far (qual species precede transitions)."""

    def __init__(self, net: Network):
        self.species = net.species

    def __contains__(self, sid: str) -> bool:
        return sid in self.species

    def __getitem__(self, sid: str) -> int:
        return self.species[sid].max_level


def _formula(math_el: ET.Element) -> str | None:
    import libsbml

    ast = libsbml.readMathMLFromString(_mathml_text(math_el))
    return libsbml.formulaToL3String(ast) if ast is not None else None


_ELEMENT_MATH = ElementMath()


def read_sbml_stream(path: str | Path, *, model_id: str | None = None, organism: str | None = None,
                     checked: CheckedXml | None = None) -> Network:
    """The file's network; ``checked``: the XML guard's answer when the caller already has it."""
    return _Reader(Path(path), model_id, organism, checked).read()

