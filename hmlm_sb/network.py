"""The in-memory network: the hub every part of hmlm-sb speaks.

Importers make a :class:`Network`, stores save and load one, the simulator and the
PyTorch Geometric exporter take one (as cobrapy's ``Model``).

Identity: inside a network, species, reactions, pathways and compartments are keyed by
their local id. In the graph each element's key (``uid``) is ``"{model_id}/{local_id}"``
so that several models live side by side; :func:`element_uid` builds it. A network
loaded from the store across several models uses the uids as its local ids.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace as _replace
from typing import Iterable, Iterator

from hmlm_sb.logic import Expr, format_expr, literals, parse_expr, rename, species_in

# Netflux defaults (Kraeutler et al. 2010): used where a sheet leaves a parameter empty.
NETFLUX_DEFAULTS = {"weight": 1.0, "n": 1.4, "ec50": 0.5, "y0": 0.0, "ymax": 1.0, "tau": 1.0}

ROLES = ("reactant", "product", "modifier", "input", "output")
SOURCE_ROLES = ("reactant", "modifier", "input")
TARGET_ROLES = ("product", "output")


def element_uid(model_id: str, local_id: str) -> str:
    return f"{model_id}/{local_id}"


@dataclass
class Xref:
    """An external identifier, normalised to ``namespace:accession`` (``uniprot:P00533``)."""

    resource: str
    qualifier: str = "is"  # MIRIAM biological qualifier: is, hasVersion, isVersionOf, hasPart...

    @property
    def namespace(self) -> str:
        return self.resource.split(":", 1)[0]

    @property
    def accession(self) -> str:
        return self.resource.split(":", 1)[1] if ":" in self.resource else ""


@dataclass
class ModelInfo:
    """Provenance of one imported file."""

    id: str
    name: str = ""
    source_file: str = ""
    format: str = ""  # netflux | sbml | sbml-qual | sif | bundled
    sha256: str = ""
    imported_at: str = ""  # ISO 8601, set by the store
    organism: str = ""  # e.g. "taxonomy:10116" or a free name from --organism
    citation: str = ""
    sbml_level: int | None = None
    sbml_version: int | None = None
    xrefs: list[Xref] = field(default_factory=list)


@dataclass
class Compartment:
    id: str
    name: str = ""
    size: float | None = None
    xrefs: list[Xref] = field(default_factory=list)


@dataclass
class Species:
    id: str
    name: str = ""
    kind: str = ""  # protein, small molecule, process, mRNA... (Netflux 'type', SBO in SBML)
    compartment: str | None = None
    initial: float = 0.0  # Netflux y0 / SBML initial amount or concentration / qual initial level
    ymax: float = 1.0
    tau: float = 1.0
    max_level: int = 1  # SBML-qual maxLevel (1 = Boolean)
    constant: bool = False
    boundary: bool = False
    sbo: str | None = None
    gene: str = ""
    notes: str = ""
    model: str = ""  # id of the model the species came from
    xrefs: list[Xref] = field(default_factory=list)


@dataclass
class Participant:
    """A species' part in a reaction. ``sign``: +1 activates, -1 inhibits, 0 unknown."""

    species: str
    role: str
    sign: int = 0
    stoichiometry: float = 1.0
    threshold: int | None = None
    sbo: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown participant role {self.role!r}")


@dataclass
class Reaction:
    """One logic rule (Netflux row), transition (SBML-qual) or SBML reaction.

    ``function_terms`` holds ``(result_level, rule)`` pairs tried in order; when none
    is true the output takes ``default_level``. A Netflux row is one term
    ``(1, A & !B)``; an input reaction (``=> X``) has no terms and no sources.
    """

    id: str
    kind: str  # netflux | qual | sbml | sif
    participants: list[Participant] = field(default_factory=list)
    function_terms: list[tuple[int, Expr]] = field(default_factory=list)
    default_level: int = 0
    params: dict[str, float] = field(default_factory=dict)  # netflux: weight, n, ec50
    kinetic_law: str | None = None  # SBML MathML, kept as text
    name: str = ""
    sbo: str | None = None
    reversible: bool = False
    module: str = ""  # the reaction sheet's module column (Netflux)
    notes: str = ""
    references: list[str] = field(default_factory=list)  # e.g. "pubmed:10362677"
    model: str = ""

    def sources(self) -> list[Participant]:
        return [p for p in self.participants if p.role in SOURCE_ROLES]

    def targets(self) -> list[Participant]:
        return [p for p in self.participants if p.role in TARGET_ROLES]

    @property
    def rule(self) -> Expr | None:
        """The activating rule of a single-term (Boolean) reaction."""
        return self.function_terms[0][1] if self.function_terms else None

    @property
    def rule_text(self) -> str:
        return " ; ".join(f"{lvl}: {format_expr(e)}" if lvl != 1 or len(self.function_terms) > 1
                          else format_expr(e) for lvl, e in self.function_terms)

    @property
    def is_input(self) -> bool:
        return not self.sources() and not self.function_terms


def parse_rule_text(text: str) -> list[tuple[int, Expr]]:
    """Inverse of :attr:`Reaction.rule_text`."""
    if not text.strip():
        return []
    terms = []
    for part in text.split(" ; "):
        level, sep, rest = part.partition(": ")
        if sep and level.strip().lstrip("-").isdigit():
            terms.append((int(level), parse_expr(rest)))
        else:
            terms.append((1, parse_expr(part)))
    return terms


@dataclass
class Pathway:
    """A module (Netflux module column, SBML group, --pathways mapping)."""

    id: str
    name: str = ""
    members: list[str] = field(default_factory=list)  # species ids
    sbo: str | None = None
    xrefs: list[Xref] = field(default_factory=list)
    model: str = ""


@dataclass
class Cell:
    """The cell context a model's pathways are attached to (``--cell NAME``)."""

    name: str
    cell_type: str = ""
    organism: str = ""


@dataclass(frozen=True)
class Regulation:
    """A derived signed species-to-species edge (graph: ``REGULATES``)."""

    source: str
    target: str
    sign: int
    reaction: str


@dataclass
class Network:
    models: list[ModelInfo] = field(default_factory=list)
    species: dict[str, Species] = field(default_factory=dict)
    reactions: dict[str, Reaction] = field(default_factory=dict)
    pathways: dict[str, Pathway] = field(default_factory=dict)
    compartments: dict[str, Compartment] = field(default_factory=dict)
    cell: Cell | None = None
    warnings: list[str] = field(default_factory=list)

    # ---- identity -------------------------------------------------------------
    @property
    def model(self) -> ModelInfo:
        if len(self.models) != 1:
            raise ValueError(f"network holds {len(self.models)} models, not one")
        return self.models[0]

    @property
    def species_ids(self) -> list[str]:
        return list(self.species)

    # ---- building ---------------------------------------------------------------
    def add_species(self, species: Species) -> Species:
        self.species[species.id] = species
        return species

    def add_reaction(self, reaction: Reaction) -> Reaction:
        self.reactions[reaction.id] = reaction
        return reaction

    def add_pathway(self, pathway: Pathway) -> Pathway:
        self.pathways[pathway.id] = pathway
        return pathway

    # ---- derived views ------------------------------------------------------------
    def regulations(self) -> list[Regulation]:
        """Signed source->target edges, one per (reaction, source, target)."""
        edges: list[Regulation] = []
        for rxn in self.reactions.values():
            signs = _rule_signs(rxn)
            for src in rxn.sources():
                sign = src.sign if src.sign != 0 else signs.get(src.species, 0)
                for tgt in rxn.targets():
                    edges.append(Regulation(src.species, tgt.species, sign, rxn.id))
        return edges

    def input_reactions(self) -> list[Reaction]:
        return [r for r in self.reactions.values() if r.is_input]

    def input_species(self) -> list[str]:
        """Species driven by an input reaction (Netflux ``=> X``), in reaction order."""
        seen: dict[str, None] = {}
        for rxn in self.input_reactions():
            for tgt in rxn.targets():
                seen.setdefault(tgt.species, None)
        return list(seen)

    def pathways_of(self, species_id: str) -> list[str]:
        return [p.id for p in self.pathways.values() if species_id in p.members]

    def iter_xrefs(self) -> Iterator[tuple[str, str, Xref]]:
        """(element kind, local id, xref) for every annotated element."""
        for kind, items in (("Species", self.species), ("Pathway", self.pathways),
                            ("Compartment", self.compartments)):
            for key, item in items.items():
                for x in item.xrefs:
                    yield kind, key, x
        for model in self.models:
            for x in model.xrefs:
                yield "Model", model.id, x

    def check(self) -> None:
        """Raise ValueError naming the first dangling reference."""
        for rxn in self.reactions.values():
            for p in rxn.participants:
                if p.species not in self.species:
                    raise ValueError(f"reaction {rxn.id} refers to unknown species {p.species!r}")
            for _, expr in rxn.function_terms:
                for sid in species_in(expr):
                    if sid not in self.species:
                        raise ValueError(f"reaction {rxn.id} rule refers to unknown species {sid!r}")
        for pw in self.pathways.values():
            for sid in pw.members:
                if sid not in self.species:
                    raise ValueError(f"pathway {pw.id} refers to unknown species {sid!r}")
        for sp in self.species.values():
            if sp.compartment and self.compartments and sp.compartment not in self.compartments:
                raise ValueError(f"species {sp.id} refers to unknown compartment {sp.compartment!r}")

    def fingerprint(self) -> str:
        """sha256 of the content that training depends on (order-independent)."""
        payload = {
            "species": sorted((s.id, s.initial, s.ymax, s.tau, s.max_level) for s in self.species.values()),
            "reactions": sorted(
                (r.id, r.kind, r.rule_text, r.default_level, sorted(r.params.items()),
                 sorted((p.species, p.role, p.sign, p.stoichiometry) for p in r.participants))
                for r in self.reactions.values()
            ),
            "pathways": sorted((p.id, sorted(p.members)) for p in self.pathways.values()),
        }
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def summary(self, regulations: list[Regulation] | None = None) -> dict[str, int]:
        """Element counts; pass ``regulations`` when already computed (they are not cheap)."""
        return {
            "models": len(self.models),
            "species": len(self.species),
            "reactions": len(self.reactions),
            "pathways": len(self.pathways),
            "compartments": len(self.compartments),
            "regulations": len(self.regulations() if regulations is None else regulations),
        }

    def to_dict(self) -> dict:
        bare = {rid: _replace(r, function_terms=[]) for rid, r in self.reactions.items()}
        data = asdict(_replace(self, reactions=bare))
        for rid, rxn in self.reactions.items():
            data["reactions"][rid]["function_terms"] = [(lvl, format_expr(e)) for lvl, e in rxn.function_terms]
        return data


def _rule_signs(rxn: Reaction) -> dict[str, int]:
    """Sign of each species in a reaction's rules: +1, -1, or 0 where it appears both ways."""
    signs: dict[str, int] = {}
    for _, expr in rxn.function_terms:
        for lit, negated in literals(expr):
            sign = -1 if negated else 1
            prev = signs.get(lit.species)
            signs[lit.species] = sign if prev in (None, sign) else 0
    return signs


def union(networks: Iterable[Network]) -> Network:
    """Several single-model networks as one, ids qualified as ``model/local``."""
    merged = Network()
    for net in networks:
        mid = net.model.id
        q = {sid: element_uid(mid, sid) for sid in net.species}
        merged.models.append(net.model)
        for sid, sp in net.species.items():
            merged.species[q[sid]] = _replace(sp, id=q[sid], model=mid)
        for rid, rxn in net.reactions.items():
            parts = [_replace(p, species=q[p.species]) for p in rxn.participants]
            terms = [(lvl, rename(e, q)) for lvl, e in rxn.function_terms]
            uid = element_uid(mid, rid)
            merged.reactions[uid] = _replace(rxn, id=uid, participants=parts, function_terms=terms, model=mid)
        for pid, pw in net.pathways.items():
            uid = element_uid(mid, pid)
            merged.pathways[uid] = _replace(pw, id=uid, members=[q[m] for m in pw.members], model=mid)
        for cid, comp in net.compartments.items():
            uid = element_uid(mid, cid)
            merged.compartments[uid] = _replace(comp, id=uid)
        for sp in merged.species.values():
            if sp.model == mid and sp.compartment:
                sp.compartment = element_uid(mid, sp.compartment)
        merged.cell = merged.cell or net.cell
        merged.warnings.extend(net.warnings)
    return merged
