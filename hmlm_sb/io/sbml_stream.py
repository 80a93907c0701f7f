"""A streaming SBML L2/L3 reader (core, qual, groups, MIRIAM) for large files.

libsbml builds a full object tree: about 80 kB of memory and 150 us per qualitative
transition, so a 100k-species file would need ~8 GB. This reader walks the XML once
with expat (``xml.etree.ElementTree.iterparse``), builds the same :class:`Network` as
:func:`hmlm_sb.io.sbml.read_sbml` and frees each element when done. It does not run
libsbml's validation: the network records a warning saying so (``--strict`` uses libsbml).
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import MODEL_QUALIFIER_PREFIX, normalise_uri, taxon_of
from hmlm_sb.io.sbml import (HMLM_NS, SPECIES_KIND_SBO, MemberResolver, check_network, file_sha256,
                             modifier_sign, restore_ids)
from hmlm_sb.io.sbml_qual import (apply_reaction_data, apply_species_data, level_relation,
                                  raise_levels_to_results, _flat, _negate, _xor)
from hmlm_sb.logic import Const, Expr, Literal
from hmlm_sb.network import Compartment, ModelInfo, Network, Participant, Pathway, Reaction, Species, Xref

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
    out: list[Xref] = []
    seen: set[tuple[str, str]] = set()
    for ann in el:
        if _local(ann.tag) != "annotation":
            continue
        for desc in ann.iter(f"{{{RDF}}}Description"):
            for qual in desc:
                ns, _, name = qual.tag[1:].partition("}")
                if ns == BQBIOL:
                    qualifier = name
                elif ns == BQMODEL:
                    qualifier = MODEL_QUALIFIER_PREFIX + name
                else:
                    continue
                for li in qual.iter(f"{{{RDF}}}li"):
                    uri = li.get(f"{{{RDF}}}resource")
                    if uri:
                        key = (normalise_uri(uri), qualifier)
                        if key not in seen:
                            seen.add(key)
                            out.append(Xref(*key))
    return out


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
    def __init__(self, path: Path, model_id: str | None, organism: str | None):
        self.path, self.model_id, self.organism = path, model_id, organism
        self.net = Network()
        self.renames: dict[str, dict[str, str]] = {"species": {}, "reactions": {}, "pathways": {}, "compartments": {}}
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
            if rxn.id in self.net.reactions:
                raise InputError("duplicate transition id", file=str(self.path), element=f"transition {rxn.id}")
            self.net.reactions[rxn.id] = rxn
        elif name == "group":
            self._group(el)

    def _model(self, el: ET.Element) -> None:
        data, _ = _hmlm(el)
        data = data or {}
        xrefs = _xrefs(el)
        mid = self.model_id or el.get("id") or self.path.stem
        citation = data.get("citation") or next((x.resource for x in xrefs if x.qualifier == "model:isDescribedBy"), "")
        self.net.models.append(ModelInfo(
            id=mid.replace("/", "_"), name=data.get("name") or el.get("name", ""), source_file=str(self.path),
            sha256=file_sha256(self.path), organism=data.get("organism") or taxon_of(xrefs), citation=citation,
            sbml_level=self.level, sbml_version=self.version, xrefs=xrefs))

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
        if sid in self.net.species:
            self.net.warnings.append(f"qualitative species {sid!r} has the id of a core species: skipped")
            return
        initial = _int(_attr(el, "initialLevel"), None, el, "initialLevel", self)
        sp = Species(id=sid, name=_attr(el, "name", "") or "", compartment=_attr(el, "compartment"),
                     initial=float(initial) if initial is not None else 0.0,
                     max_level=_int(_attr(el, "maxLevel"), 1, el, "maxLevel", self),
                     constant=_bool(_attr(el, "constant")), sbo=_sbo(el), notes=_notes(el), xrefs=_xrefs(el))
        data, notes = _hmlm(el)
        if data:
            apply_species_data(sp, data, notes, self.renames["species"])
        self.net.species[sid] = sp

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
        convert = _MathToExpr(max_levels, thresholds, self, tid)
        for term in _children(el, "functionTerm"):
            math_el = term.find(f"{{{MATHML}}}math")
            level = _int(_attr(term, "resultLevel"), 1, term, "resultLevel", self)
            if math_el is not None and len(math_el):
                terms.append((level, convert(math_el[0])))
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
        for cid in self.placeholders:
            net.compartments.pop(cid, None)
            for sp in net.species.values():
                if sp.compartment == cid:
                    sp.compartment = None
        info.organism = self.organism or info.organism or _species_taxon(net)
        net.warnings.append("large file read by the streaming reader, without libsbml validation "
                            "(--strict validates with libsbml)")
        if any(self.renames.values()):
            net = restore_ids(net, self.renames)
        check_network(net, self.path)
        return net

    def _pathways(self, mid: str) -> None:
        groups = {gid: refs for gid, (refs, *_rest) in self.groups.items()}
        resolver = MemberResolver(self.net, groups, self.path, lambda ref: ref in self.other_ids)
        for gid, (refs, name, sbo, xrefs, data) in self.groups.items():
            if data.get("id"):
                self.renames["pathways"][gid] = data["id"]
            self.net.pathways[gid] = Pathway(id=gid, name=name, members=resolver.species_of_group(gid, ()),
                                             sbo=sbo, xrefs=xrefs, model=data.get("model") or mid)


class _Levels:
    """Max level of each species read so far (qual species precede transitions)."""

    def __init__(self, net: Network):
        self.species = net.species

    def __contains__(self, sid: str) -> bool:
        return sid in self.species

    def __getitem__(self, sid: str) -> int:
        return self.species[sid].max_level


def _species_taxon(net: Network) -> str:
    from collections import Counter

    taxa = Counter(x.resource for sp in net.species.values() for x in sp.xrefs if x.qualifier == "hasTaxon")
    return taxa.most_common(1)[0][0] if taxa else ""


def _formula(math_el: ET.Element) -> str | None:
    import libsbml

    ast = libsbml.readMathMLFromString(_mathml_text(math_el))
    return libsbml.formulaToL3String(ast) if ast is not None else None


class _MathToExpr:
    """SBML-qual MathML (ElementTree) to a logic expression; mirrors sbml_qual._MathToExpr."""

    def __init__(self, max_levels: dict[str, int], thresholds: dict[str, int], reader: _Reader, tid: str):
        self.max_levels, self.thresholds, self.reader, self.tid = max_levels, thresholds, reader, tid

    def fail(self, message: str) -> InputError:
        return InputError(message, file=str(self.reader.path), element=f"transition {self.tid}")

    def __call__(self, el: ET.Element) -> Expr:
        name = _local(el.tag)
        if name == "ci":
            return Literal(self._species((el.text or "").strip()), 1)
        if name in ("true", "false"):
            return Const(name == "true")
        if name != "apply" or not len(el):
            raise self.fail(f"unsupported MathML <{name}> in function term")
        op, args = _local(el[0].tag), list(el)[1:]
        if op in ("and", "or"):
            from hmlm_sb.logic import And, Or

            return _flat(And if op == "and" else Or, [self(a) for a in args])
        if op == "not":
            if len(args) != 1:
                raise self.fail("<not> needs one argument")
            return _negate(self(args[0]))
        if op == "xor":
            return _xor([self(a) for a in args])
        if op in ("eq", "neq", "geq", "gt", "leq", "lt"):
            return self._relation(op, args)
        raise self.fail(f"unsupported MathML <{op}> in function term")

    def _species(self, sid: str) -> str:
        if sid not in self.max_levels:
            raise self.fail(f"function term refers to unknown species {sid!r}")
        return sid

    def _relation(self, op: str, args: list[ET.Element]) -> Expr:
        from hmlm_sb.io.sbml_qual import _FLIP

        if len(args) != 2:
            raise self.fail(f"<{op}> needs two arguments")
        left, right = args
        if _local(left.tag) != "ci" or (left.text or "").strip() in self.thresholds:
            left, right, op = right, left, _FLIP[op]
        if _local(left.tag) != "ci":
            raise self.fail(f"<{op}> compares no species")
        species = self._species((left.text or "").strip())
        return level_relation(species, op, self._value(right), self.max_levels[species])

    def _value(self, el: ET.Element) -> int:
        name, text = _local(el.tag), (el.text or "").strip()
        if name == "ci" and text in self.thresholds:
            return self.thresholds[text]
        if name == "cn":
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if math.isfinite(value) and value == int(value):
                return int(value)
        raise self.fail(f"level must be an integer or an input id, not <{name}>{text}")


def read_sbml_stream(path: str | Path, *, model_id: str | None = None, organism: str | None = None) -> Network:
    return _Reader(Path(path), model_id, organism).read()

