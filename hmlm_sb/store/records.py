"""A Network as graph columns (one table per label and relationship pair) and back.

A table is a dict of equal-length lists, one per schema property (absent values as
None): LadybugDB COPYs it as an Arrow table, Neo4j sends it as rows (``SET n = row``).
Building columns with one comprehension per property keeps an import of a
BioModels-sized file a few milliseconds of Python.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from hmlm_sb.network import (Compartment, ModelInfo, Network, Participant, Pathway, Reaction, Regulation, Species,
                             Xref, element_uid, parse_rule_text)
from hmlm_sb.store.schema import GraphSchema, graph_schema

NETFLUX_PARAM_COLUMNS = ("weight", "n", "ec50")
RelKey = tuple[str, str, str]  # (type, from label, to label)
Columns = dict[str, list[Any]]  # one list per column, all of one length


def now_iso(timespec: str = "seconds") -> str:
    return datetime.now(timezone.utc).isoformat(timespec=timespec)


# ---- tables as columns -----------------------------------------------------------------------
def column_length(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def rows_of(columns: Columns) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*columns.values())]


def columns_of(rows: Sequence[dict[str, Any]], names: Iterable[str]) -> Columns:
    return {name: [row.get(name) for row in rows] for name in names}


def complete(columns: Columns, names: Iterable[str]) -> Columns:
    """``columns`` with exactly ``names``, in that order; a missing one is all None."""
    n = column_length(columns)
    return {name: columns[name] if name in columns else [None] * n for name in names}


def select(columns: Columns, keep: Sequence[bool]) -> Columns:
    return {name: [v for v, k in zip(values, keep) if k] for name, values in columns.items()}


@dataclass
class GraphColumns:
    """The tables of one network by label and relationship pair; a table with no rows is never added."""

    schema: GraphSchema
    nodes: dict[str, Columns] = field(default_factory=dict)
    rels: dict[RelKey, Columns] = field(default_factory=dict)

    def add_nodes(self, label: str, **columns: list[Any]) -> None:
        self._extend(self.nodes, label, self.schema.node(label).property_names, columns)

    def add_rels(self, key: RelKey, sources: list[str], targets: list[str], **props: list[Any]) -> None:
        names = ["from", "to", *self.schema.rel(key[0]).property_names]
        self._extend(self.rels, key, names, {"from": sources, "to": targets, **props})

    def uids(self, label: str) -> list[str]:
        return list(self.nodes.get(label, {}).get("uid", []))

    @staticmethod
    def _extend(tables: dict, key: Any, names: list[str], columns: Columns) -> None:
        unknown = set(columns) - set(names)
        if unknown:
            raise KeyError(f"{key}: no such properties in the schema: {sorted(unknown)}")
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"{key}: columns of different lengths {sorted(lengths)}")
        if not columns or lengths == {0}:
            return
        table = complete(columns, names)
        if key in tables:
            for name in names:
                tables[key][name].extend(table[name])
        else:
            tables[key] = table


def network_columns(network: Network, *, sha256: str, imported_at: str, cells: list[str],
                    regulations: list[Regulation] | None = None, schema: GraphSchema | None = None) -> GraphColumns:
    """The tables of one single-model network, its model and pathways attached to ``cells``."""
    out = GraphColumns(schema or graph_schema())
    info = network.model
    mid = info.id
    out.add_nodes("Model", uid=[mid], name=[info.name], source_file=[info.source_file], format=[info.format],
                  sha256=[sha256], imported_at=[imported_at], organism=[info.organism], citation=[info.citation],
                  sbml_level=[info.sbml_level], sbml_version=[info.sbml_version])
    _compartment_columns(out, network, mid)
    _species_columns(out, network, mid)
    _reaction_columns(out, network, mid)
    regs = network.regulations() if regulations is None else regulations
    out.add_rels(("REGULATES", "Species", "Species"), [element_uid(mid, g.source) for g in regs],
                 [element_uid(mid, g.target) for g in regs], sign=[int(g.sign) for g in regs],
                 reaction=[element_uid(mid, g.reaction) for g in regs])
    _pathway_columns(out, network, mid, cells)
    out.add_rels(("IN_CELL", "Model", "Cell"), [mid] * len(cells), list(cells))
    _xref_columns(out, network)
    return out


def _compartment_columns(out: GraphColumns, network: Network, mid: str) -> None:
    comps = list(network.compartments.values())
    uids = [element_uid(mid, c.id) for c in comps]
    out.add_nodes("Compartment", uid=uids, id=[c.id for c in comps], model=[mid] * len(comps),
                  position=list(range(len(comps))), name=[c.name for c in comps],
                  size=[_float_or_none(c.size) for c in comps])
    out.add_rels(("IN_MODEL", "Compartment", "Model"), uids, [mid] * len(uids))


def _species_columns(out: GraphColumns, network: Network, mid: str) -> None:
    species = list(network.species.values())
    uids = [element_uid(mid, sp.id) for sp in species]
    out.add_nodes("Species", uid=uids, id=[sp.id for sp in species], model=[mid] * len(species),
                  position=list(range(len(species))), name=[sp.name for sp in species],
                  kind=[sp.kind for sp in species], compartment=[sp.compartment for sp in species],
                  initial=[float(sp.initial) for sp in species], ymax=[float(sp.ymax) for sp in species],
                  tau=[float(sp.tau) for sp in species], max_level=[int(sp.max_level) for sp in species],
                  constant=[bool(sp.constant) for sp in species], boundary=[bool(sp.boundary) for sp in species],
                  sbo=[sp.sbo for sp in species], gene=[sp.gene for sp in species],
                  notes=[sp.notes for sp in species])
    out.add_rels(("IN_MODEL", "Species", "Model"), uids, [mid] * len(uids))
    placed = [(uid, element_uid(mid, sp.compartment)) for uid, sp in zip(uids, species)
              if sp.compartment and sp.compartment in network.compartments]
    out.add_rels(("IN_COMPARTMENT", "Species", "Compartment"), [a for a, _ in placed], [b for _, b in placed])


def _reaction_columns(out: GraphColumns, network: Network, mid: str) -> None:
    reactions = list(network.reactions.values())
    uids = [element_uid(mid, rxn.id) for rxn in reactions]
    params = [{k: float(v) for k, v in rxn.params.items()} for rxn in reactions]
    others = [{k: v for k, v in p.items() if k not in NETFLUX_PARAM_COLUMNS} for p in params]
    out.add_nodes("Reaction", uid=uids, id=[r.id for r in reactions], model=[mid] * len(reactions),
                  position=list(range(len(reactions))), kind=[r.kind for r in reactions],
                  name=[r.name for r in reactions], rule=[r.rule_text for r in reactions],
                  default_level=[int(r.default_level) for r in reactions],
                  weight=[p.get("weight") for p in params], n=[p.get("n") for p in params],
                  ec50=[p.get("ec50") for p in params],
                  params_json=[json.dumps(o, sort_keys=True) if o else None for o in others],
                  kinetic_law=[r.kinetic_law for r in reactions], sbo=[r.sbo for r in reactions],
                  reversible=[bool(r.reversible) for r in reactions], module=[r.module for r in reactions],
                  notes=[r.notes for r in reactions], references=[list(r.references) for r in reactions])
    out.add_rels(("IN_MODEL", "Reaction", "Model"), uids, [mid] * len(uids))
    flat = [(uid, position, part) for uid, rxn in zip(uids, reactions)
            for position, part in enumerate(rxn.participants)]
    out.add_rels(("PARTICIPATES", "Species", "Reaction"), [element_uid(mid, part.species) for _, _, part in flat],
                 [uid for uid, _, _ in flat], role=[part.role for _, _, part in flat],
                 sign=[int(part.sign) for _, _, part in flat],
                 stoichiometry=[float(part.stoichiometry) for _, _, part in flat],
                 threshold=[None if part.threshold is None else int(part.threshold) for _, _, part in flat],
                 sbo=[part.sbo for _, _, part in flat], position=[position for _, position, _ in flat])


def _pathway_columns(out: GraphColumns, network: Network, mid: str, cells: list[str]) -> None:
    pathways = list(network.pathways.values())
    uids = [element_uid(mid, pw.id) for pw in pathways]
    out.add_nodes("Pathway", uid=uids, id=[pw.id for pw in pathways], model=[mid] * len(pathways),
                  position=list(range(len(pathways))), name=[pw.name for pw in pathways],
                  sbo=[pw.sbo for pw in pathways])
    out.add_rels(("IN_MODEL", "Pathway", "Model"), uids, [mid] * len(uids))
    members = [(element_uid(mid, member), uid, position) for uid, pw in zip(uids, pathways)
               for position, member in enumerate(pw.members)]
    out.add_rels(("IN_PATHWAY", "Species", "Pathway"), [m for m, _, _ in members], [p for _, p, _ in members],
                 position=[position for _, _, position in members])
    out.add_rels(("IN_CELL", "Pathway", "Cell"), [uid for uid in uids for _ in cells],
                 [cell for _ in uids for cell in cells])


def _xref_columns(out: GraphColumns, network: Network) -> None:
    mid = network.model.id
    seen: dict[str, Xref] = {}
    links: dict[str, list[tuple[str, Xref, int]]] = {}
    positions: dict[tuple[str, str], int] = {}
    for kind, local, xref in network.iter_xrefs():
        seen.setdefault(xref.resource, xref)
        owner = mid if kind == "Model" else element_uid(mid, local)
        position = positions.get((kind, owner), 0)
        positions[(kind, owner)] = position + 1
        links.setdefault(kind, []).append((owner, xref, position))
    xrefs = list(seen.values())
    out.add_nodes("Xref", uid=[x.resource for x in xrefs], namespace=[x.namespace for x in xrefs],
                  accession=[x.accession for x in xrefs])
    for kind, group in links.items():
        out.add_rels(("HAS_XREF", kind, "Xref"), [owner for owner, _, _ in group],
                     [x.resource for _, x, _ in group], qualifier=[x.qualifier for _, x, _ in group],
                     position=[position for _, _, position in group])


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
