"""SBML core (Levels 1 to 3) into a :class:`Network`, with groups and MIRIAM annotations.

Reactions become ``Reaction(kind="sbml")``: reactants (sign +1), products, modifiers
(sign from the SBO term: inhibitor family -1, stimulator / catalyst / activator family
+1, else 0 unknown). The kinetic law is kept as an SBML L3 formula string. A file with
SBML-qual content is read by the same pass (:mod:`hmlm_sb.io.sbml_qual` adds the
qualitative species and transitions), so one reader serves both formats.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import libsbml

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import taxon_of, xrefs_of
from hmlm_sb.network import Compartment, ModelInfo, Network, Participant, Pathway, Reaction, Species

# SBO terms (Systems Biology Ontology) of modifiers, with their descendants.
INHIBITOR_SBO = {"SBO:0000020", "SBO:0000206", "SBO:0000207", "SBO:0000536", "SBO:0000537",
                 "SBO:0000638", "SBO:0000639", "SBO:0000640", "SBO:0000169", "SBO:0000407"}
STIMULATOR_SBO = {"SBO:0000459", "SBO:0000013", "SBO:0000460", "SBO:0000461", "SBO:0000462",
                  "SBO:0000533", "SBO:0000534", "SBO:0000535", "SBO:0000021", "SBO:0000636",
                  "SBO:0000637", "SBO:0000170", "SBO:0000171", "SBO:0000172", "SBO:0000411",
                  "SBO:0000656"}
SPECIES_KIND_SBO = {"SBO:0000252": "protein", "SBO:0000245": "macromolecule", "SBO:0000247": "small molecule",
                    "SBO:0000327": "small molecule", "SBO:0000253": "complex", "SBO:0000296": "complex",
                    "SBO:0000278": "mRNA", "SBO:0000250": "RNA", "SBO:0000251": "DNA", "SBO:0000354": "gene",
                    "SBO:0000243": "gene", "SBO:0000375": "process", "SBO:0000358": "phenotype",
                    "SBO:0000291": "empty set", "SBO:0000240": "material entity"}

HMLM_NS = "https://hmlm-sb.org/ns/sbml/1"  # our own annotations (written by write_sbml_qual)
# libsbml XML-level error ids that mean the file's structure is broken (unreadable), as
# opposed to complaints about a declaration or an attribute (1001 missing XML declaration...).
BROKEN_XML_ERRORS = set(range(0, 1000)) | {1005, 1006, 1007, 1008, 1009, 1011, 1012,
                                           1017, 1022, 1024, 1027, 1028, 1029, 1035}
_TAGS = re.compile(r"<[^>]+>")


def modifier_sign(sbo: str | None) -> int:
    if sbo in INHIBITOR_SBO:
        return -1
    if sbo in STIMULATOR_SBO:
        return 1
    return 0


# ---- the document ------------------------------------------------------------------------------

def read_document(path: str | Path, *, strict: bool = False):
    """Parse with libsbml; unreadable XML or no model raises InputError.

    Returns ``(document, warnings)``: a short summary of libsbml's complaints. With
    ``strict`` any libsbml error (reading or consistency check) raises InputError.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
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


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hmlm_data(sbase) -> dict[str, str] | None:
    """The attributes of our own ``<hmlm:data>`` annotation on an element, if any."""
    if not sbase.isSetAnnotation():
        return None
    ann = sbase.getAnnotation()
    for i in range(ann.getNumChildren()):
        child = ann.getChild(i)
        if child.getURI() == HMLM_NS:
            attrs = child.getAttributes()
            return {attrs.getName(j): attrs.getValue(j) for j in range(attrs.getLength())}
    return None


def sbo_of(sbase) -> str | None:
    return sbase.getSBOTermID() if sbase.isSetSBOTerm() else None


def notes_text(sbase) -> str:
    if not sbase.isSetNotes():
        return ""
    return " ".join(_TAGS.sub(" ", sbase.getNotesString()).split())


# ---- the reader ----------------------------------------------------------------------------------

STREAM_ABOVE_BYTES = 16 << 20  # larger files are read by the streaming reader (libsbml's tree is too big)


def read_sbml(path: str | Path, *, strict: bool = False, model_id: str | None = None,
              organism: str | None = None, engine: str = "auto") -> Network:
    """An SBML file (core, qual, or both) as a single-model Network.

    ``engine``: ``libsbml`` (validates, summarises libsbml's complaints in warnings),
    ``stream`` (:mod:`hmlm_sb.io.sbml_stream`: same network, a fraction of the time and
    memory, no validation) or ``auto`` (stream above 16 MB unless ``strict``).
    """
    from hmlm_sb.io import sbml_qual

    path = Path(path)
    if engine not in ("auto", "libsbml", "stream"):
        raise ValueError(f"unknown SBML engine {engine!r}")
    big = path.is_file() and path.stat().st_size > STREAM_ABOVE_BYTES
    if engine == "stream" or (engine == "auto" and big and not strict):
        from hmlm_sb.io.sbml_stream import NotStreamable, read_sbml_stream

        try:
            return read_sbml_stream(path, model_id=model_id, organism=organism)
        except NotStreamable:
            pass
    doc, warnings = read_document(path, strict=strict)
    model = doc.getModel()
    net = Network(warnings=list(warnings))
    info = _model_info(doc, model, path, model_id)
    net.models.append(info)
    renames: dict[str, dict[str, str]] = {"species": {}, "reactions": {}, "pathways": {}, "compartments": {}}
    _read_compartments(model, net, renames)
    _read_species(model, net, info.id)
    _read_reactions(model, net, info.id, path)
    has_qual = sbml_qual.add_qual(model, net, info.id, path, renames)
    info.format = "sbml-qual" if has_qual else "sbml"
    _read_groups(model, net, info.id, path, renames)
    _drop_placeholder_compartments(model, net)
    if any(renames.values()):
        net = restore_ids(net, renames)
    info.organism = organism or info.organism or _species_taxon(net)
    check_network(net, path)
    return net


def check_network(net: Network, path: Path) -> None:
    try:
        net.check()
    except ValueError as exc:
        element, _, message = str(exc).partition(" refers to ")
        raise InputError(f"refers to {message}" if message else str(exc), file=str(path),
                         element=element if message else None) from None


def _model_info(doc, model, path: Path, model_id: str | None) -> ModelInfo:
    data = hmlm_data(model) or {}
    xrefs = xrefs_of(model)
    mid = model_id or model.getId() or path.stem
    citation = data.get("citation") or next(
        (x.resource for x in xrefs if x.qualifier == "model:isDescribedBy"), "")
    return ModelInfo(id=mid.replace("/", "_"), name=data.get("name") or model.getName(),
                     source_file=str(path), sha256=file_sha256(path),
                     organism=data.get("organism") or taxon_of(xrefs), citation=citation,
                     sbml_level=doc.getLevel(), sbml_version=doc.getVersion(), xrefs=xrefs)


def restore_ids(net: Network, renames: dict[str, dict[str, str]]) -> Network:
    """The network with the original ids our writer kept in annotations (SIds replaced)."""
    from dataclasses import replace

    from hmlm_sb.logic import rename

    sp_map, rx_map = renames["species"], renames["reactions"]
    pw_map, cp_map = renames["pathways"], renames["compartments"]
    out = Network(models=net.models, cell=net.cell, warnings=net.warnings)
    for cid, comp in net.compartments.items():
        new = cp_map.get(cid, cid)
        out.compartments[new] = replace(comp, id=new)
    for sid, sp in net.species.items():
        new = sp_map.get(sid, sid)
        out.species[new] = replace(sp, id=new, compartment=cp_map.get(sp.compartment, sp.compartment))
    for rid, rxn in net.reactions.items():
        new = rx_map.get(rid, rid)
        parts = [replace(p, species=sp_map.get(p.species, p.species)) for p in rxn.participants]
        terms = [(lvl, rename(e, sp_map)) for lvl, e in rxn.function_terms]
        out.reactions[new] = replace(rxn, id=new, participants=parts, function_terms=terms)
    for pid, pw in net.pathways.items():
        new = pw_map.get(pid, pid)
        out.pathways[new] = replace(pw, id=new, members=[sp_map.get(m, m) for m in pw.members])
    return out


def _read_compartments(model, net: Network, renames: dict[str, dict[str, str]]) -> None:
    for comp in model.getListOfCompartments():
        data = hmlm_data(comp)
        if data and data.get("id"):
            renames["compartments"][comp.getId()] = data["id"]
        size = comp.getSize() if comp.isSetSize() else None
        net.compartments[comp.getId()] = Compartment(
            comp.getId(), comp.getName(), None if size is None or math.isnan(size) else size, xrefs_of(comp))


def _drop_placeholder_compartments(model, net: Network) -> None:
    """A compartment our writer had to invent (qual requires one) is not part of the model."""
    for comp in model.getListOfCompartments():
        if (hmlm_data(comp) or {}).get("placeholder") == "true":
            net.compartments.pop(comp.getId(), None)
            for sp in net.species.values():
                if sp.compartment == comp.getId():
                    sp.compartment = None


def _read_species(model, net: Network, mid: str) -> None:
    get_species = model.getSpecies
    for i in range(model.getNumSpecies()):
        sp = get_species(i)
        sbo = sbo_of(sp)
        if sp.isSetInitialAmount():
            initial = sp.getInitialAmount()
        elif sp.isSetInitialConcentration():
            initial = sp.getInitialConcentration()
        else:
            initial = 0.0
        sid = sp.getId()
        net.species[sid] = Species(
            id=sid, name=sp.getName(), kind=SPECIES_KIND_SBO.get(sbo, ""),
            compartment=sp.getCompartment() or None, initial=0.0 if math.isnan(initial) else initial,
            constant=sp.getConstant(), boundary=sp.getBoundaryCondition(), sbo=sbo,
            notes=notes_text(sp), model=mid, xrefs=xrefs_of(sp))


def _read_reactions(model, net: Network, mid: str, path: Path) -> None:
    # index-based getters bound once: libsbml's ListOf iteration costs twice as much per
    # element, and these calls are most of the reader's time on a BioModels file
    get_reaction, to_formula = model.getReaction, libsbml.formulaToL3String
    for i in range(model.getNumReactions()):
        rxn = get_reaction(i)
        get = rxn.getReactant
        parts = [_participant(get(j), "reactant", 1) for j in range(rxn.getNumReactants())]
        get = rxn.getProduct
        parts += [_participant(get(j), "product", 0) for j in range(rxn.getNumProducts())]
        get = rxn.getModifier
        parts += [_modifier(get(j)) for j in range(rxn.getNumModifiers())]
        law = rxn.getKineticLaw()
        formula = to_formula(law.getMath()) if law is not None and law.isSetMath() else None
        rid = rxn.getId()
        if not rid:
            raise InputError("reaction without an id", file=str(path), element="reaction")
        net.reactions[rid] = Reaction(
            id=rid, kind="sbml", participants=parts, kinetic_law=formula, name=rxn.getName(),
            sbo=sbo_of(rxn), reversible=rxn.getReversible(), notes=notes_text(rxn), model=mid)


def _participant(ref, role: str, sign: int) -> Participant:
    return Participant(ref.getSpecies(), role, sign, _stoichiometry(ref), sbo=sbo_of(ref))


def _modifier(ref) -> Participant:
    sbo = sbo_of(ref)
    return Participant(ref.getSpecies(), "modifier", modifier_sign(sbo), sbo=sbo)


def _stoichiometry(ref) -> float:
    value = ref.getStoichiometry()
    return 1.0 if value is None or math.isnan(value) else float(value)


def _species_taxon(net: Network) -> str:
    taxa = Counter(x.resource for sp in net.species.values() for x in sp.xrefs if x.qualifier == "hasTaxon")
    return taxa.most_common(1)[0][0] if taxa else ""


# ---- groups -------------------------------------------------------------------------------------------

def _read_groups(model, net: Network, mid: str, path: Path, renames: dict[str, dict[str, str]]) -> None:
    plugin = model.getPlugin("groups")
    if plugin is None or plugin.getNumGroups() == 0:
        return
    groups: dict[str, list[str | None]] = {}
    elements = []
    for i, group in enumerate(plugin.getListOfGroups()):
        gid = group.getId() or f"group{i + 1}"
        refs: list[str | None] = []
        for member in group.getListOfMembers():
            ref = member.getIdRef() if member.isSetIdRef() else None
            if ref is None and member.isSetMetaIdRef():
                element = model.getElementByMetaId(member.getMetaIdRef())
                if element is None:
                    raise InputError(f"member refers to unknown metaid {member.getMetaIdRef()!r}",
                                     file=str(path), element=f"group {gid}")
                ref = element.getId()
            refs.append(ref)
        groups[gid] = refs
        elements.append((gid, group))
    resolver = MemberResolver(net, groups, path, lambda ref: model.getElementBySId(ref) is not None)
    for gid, group in elements:
        data = hmlm_data(group) or {}
        if data.get("id"):
            renames["pathways"][gid] = data["id"]
        net.pathways[gid] = Pathway(id=gid, name=group.getName(), members=resolver.species_of_group(gid, ()),
                                    sbo=sbo_of(group), xrefs=xrefs_of(group), model=data.get("model") or mid)


class MemberResolver:
    """Expands group members (species, groups, reactions, transitions, compartments) to species.

    ``groups``: group id -> member ids; ``is_other``: whether an id names another kind of
    element (a parameter, a rule...) that has no species to contribute."""

    def __init__(self, net: Network, groups: dict[str, list[str | None]], path: Path, is_other=lambda ref: False):
        self.net, self.groups, self.path, self.is_other = net, groups, path, is_other
        self.cache: dict[str, list[str]] = {}

    def species_of_group(self, gid: str, stack: tuple[str, ...]) -> list[str]:
        if gid in self.cache:
            return self.cache[gid]
        if gid in stack:
            raise InputError(f"groups contain each other ({' > '.join(stack + (gid,))})",
                             file=str(self.path), element=f"group {gid}")
        out: dict[str, None] = {}
        for ref in self.groups[gid]:
            for sid in self._expand(ref, gid, stack + (gid,)):
                out.setdefault(sid, None)
        self.cache[gid] = list(out)
        return self.cache[gid]

    def _expand(self, ref: str | None, gid: str, stack: tuple[str, ...]) -> list[str]:
        net = self.net
        if ref is None:
            return []
        if ref in net.species:
            return [ref]
        if ref in self.groups:
            return self.species_of_group(ref, stack)
        if ref in net.reactions:
            return [p.species for p in net.reactions[ref].participants]
        if ref in net.compartments:
            return [sid for sid, sp in net.species.items() if sp.compartment == ref]
        if self.is_other(ref):
            return []
        raise InputError(f"member refers to unknown element {ref!r}", file=str(self.path),
                         element=f"group {gid}")


# ---- writing (structure only; `hmlm export sbml --ode netflux` writes the ODE) ---------------------

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


def write_sbml(network: Network, path: str | Path) -> Path:
    """SBML core L3V2 structure: compartments, species, reactions with reactants, products
    and modifiers (SBO inhibitor / stimulator from the sign), kinetic laws where the
    formula only names species and compartments, MIRIAM annotations. Logic rules and
    Netflux parameters are not SBML core: use write_sbml_qual or write_sbml_ode for them."""
    from hmlm_sb.io.annotations import add_cvterms

    ns = libsbml.SBMLNamespaces(3, 2, "groups", 1)
    doc = libsbml.SBMLDocument(ns)
    doc.setPackageRequired("groups", False)
    model = doc.createModel()
    ids = SIds()
    model.setId(ids.make(network.models[0].id if len(network.models) == 1 else "network"))
    comp_ids = {cid: ids.make(cid) for cid in network.compartments}
    for cid, comp in network.compartments.items():
        c = model.createCompartment()
        c.setId(comp_ids[cid])
        c.setConstant(True)
        c.setSize(comp.size if comp.size is not None else 1.0)
        if comp.name:
            c.setName(comp.name)
    if any(sp.compartment not in comp_ids for sp in network.species.values()):
        c = model.createCompartment()
        comp_ids[None] = ids.make("default_compartment")
        c.setId(comp_ids[None])
        c.setConstant(True)
        c.setSize(1.0)
        c.appendAnnotation(data_node({"placeholder": "true"}))
    species_ids = {sid: ids.make(sid) for sid in network.species}
    for sid, sp in network.species.items():
        s = model.createSpecies()
        s.setId(species_ids[sid])
        s.setName(sp.name or sid)
        s.setCompartment(comp_ids.get(sp.compartment, comp_ids.get(None, "")))
        s.setInitialConcentration(float(sp.initial))
        s.setHasOnlySubstanceUnits(False)
        s.setBoundaryCondition(bool(sp.boundary))
        s.setConstant(bool(sp.constant))
        if sp.sbo and re.match(r"^SBO:\d{7}$", sp.sbo):
            s.setSBOTerm(sp.sbo)
        if sp.xrefs:
            s.setMetaId(f"meta_{species_ids[sid]}")
            add_cvterms(s, sp.xrefs)
    known = set(species_ids.values()) | set(comp_ids.values())
    signs = {(g.reaction, g.source): g.sign for g in network.regulations()}
    for rxn in network.reactions.values():
        _write_core_reaction(model, rxn, ids, species_ids, known, signs)
    groups = model.getPlugin("groups")
    for pw in network.pathways.values():
        group = groups.createGroup()
        group.setId(ids.make(pw.id))
        group.setKind(libsbml.GROUP_KIND_COLLECTION)
        group.setName(pw.name or pw.id)
        for sid in pw.members:
            group.createMember().setIdRef(species_ids[sid])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not libsbml.writeSBMLToFile(doc, str(path)):
        raise OSError(f"libsbml could not write {path}")
    return path


def _write_core_reaction(model, rxn: Reaction, ids: SIds, species_ids: dict[str, str], known: set[str],
                         signs: dict[tuple[str, str], int]) -> None:
    r = model.createReaction()
    r.setId(ids.make(rxn.id))
    r.setReversible(bool(rxn.reversible))
    if rxn.name:
        r.setName(rxn.name)
    for p in rxn.participants:
        sid = species_ids[p.species]
        if p.role == "reactant":
            ref = r.createReactant()
        elif p.role in ("product", "output"):
            ref = r.createProduct()
        else:
            ref = r.createModifier()
            ref.setSpecies(sid)
            sign = p.sign or signs.get((rxn.id, p.species), 0)
            sbo = p.sbo if p.role == "modifier" and p.sbo else {1: "SBO:0000459", -1: "SBO:0000020"}.get(sign)
            if sbo:
                ref.setSBOTerm(sbo)
            continue
        ref.setSpecies(sid)
        ref.setStoichiometry(float(p.stoichiometry))
        ref.setConstant(True)
    if rxn.kinetic_law:
        math = libsbml.parseL3Formula(rxn.kinetic_law)
        names = _names_in(math) if math is not None else None
        if names is not None and names <= known:
            r.createKineticLaw().setMath(math)


def _names_in(node) -> set[str]:
    names = {node.getName()} if node.getType() == libsbml.AST_NAME else set()
    for i in range(node.getNumChildren()):
        names |= _names_in(node.getChild(i))
    return names
