"""A Network as graph rows (one list per label and relationship pair) and back.

Rows carry every schema property of their label or relationship type (absent values as
None), so LadybugDB can COPY them column by column and Neo4j can ``SET n = row``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from hmlm_sb.network import (Compartment, ModelInfo, Network, Participant, Pathway, Reaction, Species, Xref,
                             element_uid, parse_rule_text)
from hmlm_sb.store.schema import GraphSchema, graph_schema

NETFLUX_PARAM_COLUMNS = ("weight", "n", "ec50")
RelKey = tuple[str, str, str]  # (type, from label, to label)


def now_iso(timespec: str = "seconds") -> str:
    return datetime.now(timezone.utc).isoformat(timespec=timespec)


@dataclass
class GraphRows:
    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    rels: dict[RelKey, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def node(self, label: str, schema: GraphSchema, **values: Any) -> None:
        self.nodes[label].append({p: values.get(p) for p in schema.node(label).property_names})

    def rel(self, key: RelKey, schema: GraphSchema, source: str, target: str, **values: Any) -> None:
        props = {p: values.get(p) for p in schema.rel(key[0]).property_names}
        self.rels[key].append({"from": source, "to": target, **props})

    def uids(self, label: str) -> list[str]:
        return [row["uid"] for row in self.nodes.get(label, [])]


def network_rows(network: Network, *, sha256: str, imported_at: str, cells: list[str],
                 schema: GraphSchema | None = None) -> GraphRows:
    """The rows of one single-model network, its model and pathways attached to ``cells``."""
    schema = schema or graph_schema()
    info = network.model
    mid = info.id
    rows = GraphRows()
    uid = lambda local: element_uid(mid, local)  # noqa: E731
    rows.node("Model", schema, uid=mid, name=info.name, source_file=info.source_file, format=info.format,
              sha256=sha256, imported_at=imported_at, organism=info.organism, citation=info.citation,
              sbml_level=info.sbml_level, sbml_version=info.sbml_version)
    for position, comp in enumerate(network.compartments.values()):
        rows.node("Compartment", schema, uid=uid(comp.id), id=comp.id, model=mid, position=position, name=comp.name,
                  size=_float_or_none(comp.size))
        rows.rel(("IN_MODEL", "Compartment", "Model"), schema, uid(comp.id), mid)
    for position, sp in enumerate(network.species.values()):
        rows.node("Species", schema, uid=uid(sp.id), id=sp.id, model=mid, position=position, name=sp.name,
                  kind=sp.kind,
                  compartment=sp.compartment, initial=float(sp.initial), ymax=float(sp.ymax), tau=float(sp.tau),
                  max_level=int(sp.max_level), constant=bool(sp.constant), boundary=bool(sp.boundary),
                  sbo=sp.sbo, gene=sp.gene, notes=sp.notes)
        rows.rel(("IN_MODEL", "Species", "Model"), schema, uid(sp.id), mid)
        if sp.compartment and sp.compartment in network.compartments:
            rows.rel(("IN_COMPARTMENT", "Species", "Compartment"), schema, uid(sp.id), uid(sp.compartment))
    for position, rxn in enumerate(network.reactions.values()):
        _reaction_rows(rows, schema, rxn, mid, position)
    for reg in network.regulations():
        rows.rel(("REGULATES", "Species", "Species"), schema, uid(reg.source), uid(reg.target),
                 sign=int(reg.sign), reaction=uid(reg.reaction))
    for position, pw in enumerate(network.pathways.values()):
        rows.node("Pathway", schema, uid=uid(pw.id), id=pw.id, model=mid, position=position, name=pw.name,
                  sbo=pw.sbo)
        rows.rel(("IN_MODEL", "Pathway", "Model"), schema, uid(pw.id), mid)
        for position, member in enumerate(pw.members):
            rows.rel(("IN_PATHWAY", "Species", "Pathway"), schema, uid(member), uid(pw.id), position=position)
        for cell in cells:
            rows.rel(("IN_CELL", "Pathway", "Cell"), schema, uid(pw.id), cell)
    for cell in cells:
        rows.rel(("IN_CELL", "Model", "Cell"), schema, mid, cell)
    _xref_rows(rows, schema, network)
    return rows


def _reaction_rows(rows: GraphRows, schema: GraphSchema, rxn: Reaction, mid: str, position: int) -> None:
    params = {k: float(v) for k, v in rxn.params.items()}
    others = {k: v for k, v in params.items() if k not in NETFLUX_PARAM_COLUMNS}
    rows.node("Reaction", schema, uid=element_uid(mid, rxn.id), id=rxn.id, model=mid, position=position,
              kind=rxn.kind,
              name=rxn.name, rule=rxn.rule_text, default_level=int(rxn.default_level),
              weight=params.get("weight"), n=params.get("n"), ec50=params.get("ec50"),
              params_json=json.dumps(others, sort_keys=True) if others else None,
              kinetic_law=rxn.kinetic_law, sbo=rxn.sbo, reversible=bool(rxn.reversible), module=rxn.module,
              notes=rxn.notes, references=list(rxn.references))
    rows.rel(("IN_MODEL", "Reaction", "Model"), schema, element_uid(mid, rxn.id), mid)
    for position, part in enumerate(rxn.participants):
        rows.rel(("PARTICIPATES", "Species", "Reaction"), schema, element_uid(mid, part.species),
                 element_uid(mid, rxn.id), role=part.role, sign=int(part.sign),
                 stoichiometry=float(part.stoichiometry),
                 threshold=None if part.threshold is None else int(part.threshold), sbo=part.sbo, position=position)


def _xref_rows(rows: GraphRows, schema: GraphSchema, network: Network) -> None:
    mid = network.model.id
    seen: set[str] = set()
    positions: dict[tuple[str, str], int] = defaultdict(int)
    for kind, local, xref in network.iter_xrefs():
        if xref.resource not in seen:
            seen.add(xref.resource)
            rows.node("Xref", schema, uid=xref.resource, namespace=xref.namespace, accession=xref.accession)
        owner = mid if kind == "Model" else element_uid(mid, local)
        position = positions[(kind, owner)]
        positions[(kind, owner)] += 1
        rows.rel(("HAS_XREF", kind, "Xref"), schema, owner, xref.resource, qualifier=xref.qualifier, position=position)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


# ---- rows back to a Network ----------------------------------------------------------------
def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def model_info(row: dict[str, Any], xrefs: list[Xref]) -> ModelInfo:
    return ModelInfo(id=row["uid"], name=_or(row.get("name"), ""), source_file=_or(row.get("source_file"), ""),
                     format=_or(row.get("format"), ""), sha256=_or(row.get("sha256"), ""),
                     imported_at=_or(row.get("imported_at"), ""), organism=_or(row.get("organism"), ""),
                     citation=_or(row.get("citation"), ""), sbml_level=row.get("sbml_level"),
                     sbml_version=row.get("sbml_version"), xrefs=xrefs)


def species_from(row: dict[str, Any], xrefs: list[Xref]) -> Species:
    return Species(id=row["id"], name=_or(row.get("name"), ""), kind=_or(row.get("kind"), ""),
                   compartment=row.get("compartment"), initial=float(_or(row.get("initial"), 0.0)),
                   ymax=float(_or(row.get("ymax"), 1.0)), tau=float(_or(row.get("tau"), 1.0)),
                   max_level=int(_or(row.get("max_level"), 1)), constant=bool(row.get("constant")),
                   boundary=bool(row.get("boundary")), sbo=row.get("sbo"), gene=_or(row.get("gene"), ""),
                   notes=_or(row.get("notes"), ""), model=row["model"], xrefs=xrefs)


def reaction_from(row: dict[str, Any], participants: list[Participant]) -> Reaction:
    params = {k: float(row[k]) for k in NETFLUX_PARAM_COLUMNS if row.get(k) is not None}
    if row.get("params_json"):
        params.update(json.loads(row["params_json"]))
    return Reaction(id=row["id"], kind=_or(row.get("kind"), ""), participants=participants,
                    function_terms=parse_rule_text(row.get("rule") or ""),
                    default_level=int(_or(row.get("default_level"), 0)), params=params,
                    kinetic_law=row.get("kinetic_law"), name=_or(row.get("name"), ""), sbo=row.get("sbo"),
                    reversible=bool(row.get("reversible")), module=_or(row.get("module"), ""),
                    notes=_or(row.get("notes"), ""), references=list(row.get("references") or []),
                    model=row["model"])


def participant_from(row: dict[str, Any]) -> Participant:
    return Participant(species=row["species"], role=row["role"], sign=int(_or(row.get("sign"), 0)),
                       stoichiometry=float(_or(row.get("stoichiometry"), 1.0)), threshold=row.get("threshold"),
                       sbo=row.get("sbo"))


def pathway_from(row: dict[str, Any], members: list[str], xrefs: list[Xref]) -> Pathway:
    return Pathway(id=row["id"], name=_or(row.get("name"), ""), members=members, sbo=row.get("sbo"),
                   xrefs=xrefs, model=row["model"])


def compartment_from(row: dict[str, Any], xrefs: list[Xref]) -> Compartment:
    return Compartment(id=row["id"], name=_or(row.get("name"), ""), size=row.get("size"), xrefs=xrefs)


def grouped_xrefs(rows: list[dict[str, Any]]) -> dict[str, list[Xref]]:
    out: dict[str, list[Xref]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["owner"], _or(r.get("position"), 0))):
        out[row["owner"]].append(Xref(row["resource"], _or(row.get("qualifier"), "is")))
    return out
