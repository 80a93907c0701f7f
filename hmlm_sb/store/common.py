"""What both stores share: the read side and the write plans, over named Cypher statements.

A store supplies ``_read(name, params)`` (a statement of :data:`cypher.READS`, rows as
dicts) and ``_write_tx()``, a context manager yielding a :class:`Writer` bound to one
transaction that commits when the block ends and rolls back when it raises.
"""
from __future__ import annotations

import json
from abc import abstractmethod
from collections import defaultdict
from contextlib import AbstractContextManager
from typing import Any, Iterable, Mapping, Protocol, Sequence

from hmlm_sb.errors import InputError, SchemaVersionError, StoreError
from hmlm_sb.network import Cell, Network, element_uid, union
from hmlm_sb.store import records
from hmlm_sb.store.base import CrosstalkEdge, GraphStore, ImportResult, TrainingRunRecord
from hmlm_sb.store.cypher import MODEL_ELEMENT_LABELS
from hmlm_sb.store.schema import META_UID, graph_schema

NODE_WRITE_ORDER = ("Model", "Compartment", "Species", "Reaction", "Pathway", "Xref")
CROSSTALK_LABELS = {"species": "Species", "pathway": "Pathway"}
MODEL_COLUMNS = ["id", "name", "format", "source_file", "sha256", "imported_at", "organism"]
RUN_COLUMNS = ["id", "model_kind", "cell", "fingerprint", "config", "metrics", "checkpoint", "created_at",
               "model_ids"]


class Writer(Protocol):
    def read(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]: ...

    def run(self, name: str, params: Mapping[str, Any]) -> None: ...

    def create_nodes(self, label: str, columns: records.Columns) -> None: ...

    def create_rels(self, rel: str, source: str, target: str, columns: records.Columns) -> None: ...


class CypherStore(GraphStore):
    url: str
    read_only: bool

    # ---- what each backend supplies ---------------------------------------------------------
    @abstractmethod
    def _read(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    @abstractmethod
    def _write_tx(self) -> AbstractContextManager[Writer]: ...

    # ---- schema -------------------------------------------------------------------------------
    def schema_version(self) -> str:
        rows = self._read("schema_version", {"uid": META_UID})
        return str(rows[0]["version"]) if rows else ""

    def _check_schema_version(self, found: str | None = None) -> None:
        found = self.schema_version() if found is None else found
        expected = graph_schema().version
        if found != expected:
            hint = ("open it once for writing to upgrade it" if _older_minor(found, expected)
                    else "use a new store (--db) or the matching hmlm-sb version")
            raise SchemaVersionError(f"{self.url} holds graph schema {found or 'none'}, this hmlm-sb uses "
                                     f"{expected}: {hint}")

    def _schema_upgradable(self) -> bool:
        """An older minor version of the same major: the change was additive (new labels,
        types, properties), so the store is upgraded in place when opened for writing."""
        return not self.read_only and _older_minor(self.schema_version(), graph_schema().version)

    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.url} is open read-only")

    # ---- networks -----------------------------------------------------------------------------
    def save_network(self, network: Network, *, replace: bool = False, cell: str | None = None,
                     cell_type: str = "", organism: str = "") -> ImportResult:
        self._require_writable()
        info = _single_model(network)
        try:
            network.check()
        except ValueError as exc:
            raise InputError(str(exc), file=info.source_file or None, element=info.id) from None
        sha256 = info.sha256 or network.fingerprint()
        cell_row = _cell_row(cell, cell_type, organism, network.cell)
        regulations = network.regulations()
        summary = network.summary(regulations=regulations)
        existing = self._read("model_sha256", {"model": info.id})
        if existing and existing[0]["sha256"] == sha256:
            if cell_row:
                self._attach_cell(info.id, cell_row)
            return ImportResult(info.id, "unchanged", summary)
        if existing and not replace:
            raise InputError("already in the store with other content (sha256 differs); "
                             "replace it with --replace (replace=True)", element=f"model {info.id}")
        # a replaced model stays in the cells it was in
        cells = [row["uid"] for row in self._read("cells_of_model", {"model": info.id})] if existing else []
        if cell_row and cell_row["uid"] not in cells:
            cells.append(cell_row["uid"])
        tables = records.network_columns(network, sha256=sha256, imported_at=info.imported_at or records.now_iso(),
                                         cells=cells, regulations=regulations)
        with self._write_tx() as w:
            if existing:
                _delete_model(w, info.id)
            _refuse_taken_uids(w, tables)
            _write_tables(w, tables, cell_row)
            if existing:
                w.run("delete_orphan_xrefs", {})
        return ImportResult(info.id, "replaced" if existing else "imported", summary)

    def _attach_cell(self, model_id: str, cell_row: dict[str, Any]) -> None:
        attached = {row["uid"] for row in self._read("cells_of_model", {"model": model_id})}
        if cell_row["uid"] in attached:
            return
        pathways = [row["uid"] for row in self._read("nodes_of_model:Pathway", {"model": model_id})]
        with self._write_tx() as w:
            w.run("merge_cell", cell_row)
            w.create_rels("IN_CELL", "Model", "Cell", {"from": [model_id], "to": [cell_row["uid"]]})
            w.create_rels("IN_CELL", "Pathway", "Cell", {"from": pathways, "to": [cell_row["uid"]] * len(pathways)})

    def remove_model(self, model_id: str) -> None:
        self._require_writable()
        if not self._read("model_sha256", {"model": model_id}):
            raise InputError("no such model in the store", element=f"model {model_id}")
        with self._write_tx() as w:
            _delete_model(w, model_id)
            w.run("delete_orphan_xrefs", {})

    def model_ids(self, cell: str | None = None) -> list[str]:
        """Ids of the stored models (of ``cell``'s models when given; [] for an unknown cell)."""
        if cell is None:
            return [row["uid"] for row in self._read("all_model_ids")]
        return sorted({row["uid"] for row in self._read("models_in_cell", {"cell": cell}) if row["uid"]})

    def crosstalk_of_model(self, model_id: str) -> dict[str, int]:
        """Run id -> number of CROSSTALK edges with an end in ``model_id`` (removing the model deletes them)."""
        return {str(row["run"]): int(row["edges"]) for row in self._read("crosstalk_of_model", {"model": model_id})}

    def list_models(self) -> "pd.DataFrame":  # noqa: F821
        import pandas as pd

        return pd.DataFrame(self._read("list_models"), columns=MODEL_COLUMNS)

    def load_network(self, *, model: str | None = None, cell: str | None = None,
                     pathways: Sequence[str] | None = None) -> Network:
        model_ids = self._selected_models(model, cell)
        pathway_uids = self._selected_pathways(model_ids, pathways) if pathways else None
        if pathway_uids is not None:
            model_ids = sorted({uid_model for uid_model in pathway_uids.values()})
        networks = [self._load_model(mid, pathway_uids) for mid in model_ids]
        if len(networks) == 1:
            network = networks[0]
        else:
            network = union(networks) if networks else Network()
        network.cell = self._cell(cell) if cell else (networks[0].cell if len(networks) == 1 else None)
        return network

    def _selected_models(self, model: str | None, cell: str | None) -> list[str]:
        if model and not self._read("model_sha256", {"model": model}):
            raise InputError("no such model in the store", element=f"model {model}")
        if cell:
            if not self._read("cell", {"cell": cell}):
                raise InputError("no such cell in the store", element=f"cell {cell}")
            in_cell = sorted({row["uid"] for row in self._read("models_in_cell", {"cell": cell}) if row["uid"]})
            if model and model not in in_cell:
                raise InputError(f"model {model} is not in cell {cell}", element=f"cell {cell}")
            return [model] if model else in_cell
        if model:
            return [model]
        return [row["uid"] for row in self._read("all_model_ids")]

    def _selected_pathways(self, model_ids: list[str], names: Sequence[str]) -> dict[str, str]:
        """Pathway uid -> model id for names given as uids or local ids."""
        rows = self._read("pathways_named", {"models": model_ids, "names": list(names)})
        found = {row["uid"]: row["model"] for row in rows}
        known = set(found) | {row["id"] for row in rows}
        missing = [name for name in names if name not in known]
        if missing:
            raise InputError("no such pathway in the selection", element=f"pathway {missing[0]}")
        return found

    def _cell(self, cell: str) -> Cell | None:
        rows = self._read("cell", {"cell": cell})
        if not rows:
            return None
        row = rows[0]
        return Cell(name=row.get("name") or row["uid"], cell_type=row.get("cell_type") or "",
                    organism=row.get("organism") or "")

    def _load_model(self, model_id: str, pathway_uids: dict[str, str] | None) -> Network:
        if pathway_uids is None:
            by_model = {"model": model_id}
            nodes = {label: self._read(f"nodes_of_model:{label}", by_model) for label in MODEL_ELEMENT_LABELS}
            participants = self._read("participants_of_model", by_model)
            members = self._read("pathway_members_of_model", by_model)
            xrefs = {label: self._read(f"xrefs_of_model:{label}", by_model)
                     for label in ("Species", "Pathway", "Compartment")}
            return self._network_from(model_id, nodes, participants, members, xrefs)
        mine = [uid for uid, mid in pathway_uids.items() if mid == model_id]
        species_uids = [row["uid"] for row in self._read("species_in_pathways", {"pathways": mine})]
        reaction_uids = [row["uid"] for row in
                         self._read("reactions_within", {"model": model_id, "pathways": mine})]
        nodes = {"Pathway": self._read("nodes_by_uid:Pathway", {"uids": mine}),
                 "Species": self._read("nodes_by_uid:Species", {"uids": species_uids}),
                 "Reaction": self._read("nodes_by_uid:Reaction", {"uids": reaction_uids})}
        wanted = {row["compartment"] for row in nodes["Species"] if row.get("compartment")}
        nodes["Compartment"] = self._read("nodes_by_uid:Compartment",
                                          {"uids": [element_uid(model_id, c) for c in wanted]})
        participants = self._read("participants", {"reactions": reaction_uids})
        members = self._read("pathway_members", {"pathways": mine})
        xrefs = {label: self._read(f"xrefs:{label}", {"uids": [row["uid"] for row in nodes[label]]})
                 for label in ("Species", "Pathway", "Compartment")}
        return self._network_from(model_id, nodes, participants, members, xrefs)

    def _network_from(self, model_id: str, nodes: dict[str, list[dict]], participant_rows: list[dict],
                      member_rows: list[dict], xref_rows: dict[str, list[dict]]) -> Network:
        participants: dict[str, list] = defaultdict(list)
        for row in participant_rows:
            participants[row["reaction"]].append(records.participant_from(row))
        members: dict[str, list[str]] = defaultdict(list)
        for row in member_rows:
            members[row["pathway"]].append(row["species"])
        xrefs = {label: records.grouped_xrefs(rows) for label, rows in xref_rows.items()}
        model_row = self._read("models", {"models": [model_id]})[0]
        model_xrefs = records.grouped_xrefs(self._read("xrefs:Model", {"uids": [model_id]}))
        net = Network(models=[records.model_info(model_row, model_xrefs.get(model_id, []))])
        for row in nodes["Compartment"]:
            net.compartments[row["id"]] = records.compartment_from(row, xrefs["Compartment"].get(row["id"], []))
        for row in nodes["Species"]:
            net.add_species(records.species_from(row, xrefs["Species"].get(row["id"], [])))
        for row in nodes["Reaction"]:
            net.add_reaction(records.reaction_from(row, participants.get(row["id"], [])))
        for row in nodes["Pathway"]:
            net.add_pathway(records.pathway_from(row, members.get(row["id"], []), xrefs["Pathway"].get(row["id"], [])))
        cells = self._read("cells_of_model", {"model": model_id})
        net.cell = self._cell(cells[0]["uid"]) if cells else None
        return net

    # ---- queries ------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        schema = graph_schema()
        out = {label: int(self._read(f"count_nodes:{label}")[0]["count"]) for label in schema.data_labels}
        out.update({rel: int(self._read(f"count_rels:{rel}")[0]["count"]) for rel in schema.relationships})
        return out

    # ---- training runs and crosstalk ------------------------------------------------------------
    def record_training_run(self, run: TrainingRunRecord) -> None:
        self._require_writable()
        with self._write_tx() as w:
            _record_run(w, run)

    def training_runs(self, cell: str | None = None) -> "pd.DataFrame":  # noqa: F821
        import pandas as pd

        rows = self._read("training_runs_of_cell", {"cell": cell}) if cell else self._read("training_runs")
        out = [{"id": r["uid"], "model_kind": r.get("model_kind") or "", "cell": r.get("cell") or "",
                "fingerprint": r.get("fingerprint") or "", "config": json.loads(r.get("config_json") or "{}"),
                "metrics": json.loads(r.get("metrics_json") or "{}"), "checkpoint": r.get("checkpoint") or "",
                "created_at": r.get("created_at") or "", "model_ids": list(r.get("model_ids") or [])}
               for r in rows]
        return pd.DataFrame(out, columns=RUN_COLUMNS)

    def write_crosstalk(self, run: TrainingRunRecord, edges: Sequence[CrosstalkEdge], *,
                        keep_history: bool = False) -> int:
        self._require_writable()
        by_label = _crosstalk_by_label(edges)
        with self._write_tx() as w:
            _record_run(w, run)
            for label, group in by_label.items():
                _refuse_missing_ends(w, label, group)
            conditions = sorted({e.condition for e in edges})
            if not keep_history and conditions:
                runs = [row["uid"] for row in w.read("run_ids_of_cell", {"cell": run.cell})]
                w.run("delete_crosstalk", {"conditions": conditions, "runs": runs})
            for label, group in by_label.items():
                rows = [_crosstalk_row(e, run) for e in group]
                w.create_rels("CROSSTALK", label, label, records.columns_of(rows, rows[0]))
        return len(edges)


def _older_minor(found: str, expected: str) -> bool:
    try:
        (f_major, f_minor), (e_major, e_minor) = (tuple(int(x) for x in v.split(".")[:2]) for v in (found, expected))
    except ValueError:
        return False
    return f_major == e_major and f_minor < e_minor


# ---- write plans ----------------------------------------------------------------------------------
def _single_model(network: Network):
    try:
        return network.model
    except ValueError as exc:
        raise InputError(f"save_network takes a network of one model: {exc}") from None


def _cell_row(cell: str | None, cell_type: str, organism: str, network_cell: Cell | None) -> dict[str, Any] | None:
    if cell:
        return {"uid": cell, "name": cell, "cell_type": cell_type, "organism": organism}
    if network_cell is not None and network_cell.name:
        return {"uid": network_cell.name, "name": network_cell.name,
                "cell_type": cell_type or network_cell.cell_type, "organism": organism or network_cell.organism}
    return None


def _delete_model(w: Writer, model_id: str) -> None:
    for label in MODEL_ELEMENT_LABELS:
        w.run(f"delete_elements:{label}", {"model": model_id})
    w.run("delete_model", {"model": model_id})


def _refuse_taken_uids(w: Writer, tables: records.GraphColumns) -> None:
    """A model's uids are ``model/local`` and model ids never contain '/' (importers
    replace it), so uids of two models cannot meet, unless a model was saved with a
    '/' in its id: only then is each uid looked up (a taken key would crash a COPY)."""
    model_id = tables.uids("Model")[0]
    if "/" not in model_id and not w.read("model_ids_with_slash", {}):
        return
    for label in NODE_WRITE_ORDER:
        if label == "Xref" or not tables.nodes.get(label):
            continue
        taken = w.read(f"existing_uids:{label}", {"uids": tables.uids(label)})
        if taken:
            raise InputError("uid already used by another model (ids containing '/' can collide)",
                             element=f"{label} {taken[0]['uid']}")


def _write_tables(w: Writer, tables: records.GraphColumns, cell_row: dict[str, Any] | None) -> None:
    for label in NODE_WRITE_ORDER:
        columns = tables.nodes.get(label, {})
        if label == "Xref" and columns:
            known = {row["uid"] for row in w.read("existing_uids:Xref", {"uids": columns["uid"]})}
            columns = records.select(columns, [uid not in known for uid in columns["uid"]])
        if records.column_length(columns):
            w.create_nodes(label, columns)
    if cell_row:
        w.run("merge_cell", cell_row)
    for (rel, source, target), columns in tables.rels.items():
        w.create_rels(rel, source, target, columns)


def _run_params(run: TrainingRunRecord) -> dict[str, Any]:
    if not run.created_at:
        run.created_at = records.now_iso("microseconds")
    return {"uid": run.id, "model_kind": run.model_kind, "cell": run.cell, "fingerprint": run.fingerprint,
            "config_json": json.dumps(run.config, sort_keys=True, default=str),
            "metrics_json": json.dumps(run.metrics, sort_keys=True, default=str),
            "checkpoint": run.checkpoint, "created_at": run.created_at, "model_ids": [str(m) for m in run.model_ids]}


def _record_run(w: Writer, run: TrainingRunRecord) -> None:
    if not run.id:
        raise InputError("a training run needs an id")
    w.run("record_run", _run_params(run))
    if run.cell:
        w.run("merge_cell", {"uid": run.cell, "name": run.cell, "cell_type": "", "organism": ""})
        w.run("link_run_to_cell", {"run": run.id, "cell": run.cell})


def _crosstalk_by_label(edges: Iterable[CrosstalkEdge]) -> dict[str, list[CrosstalkEdge]]:
    out: dict[str, list[CrosstalkEdge]] = defaultdict(list)
    for edge in edges:
        if edge.level not in CROSSTALK_LABELS:
            raise InputError(f"level must be 'species' or 'pathway', not {edge.level!r}",
                             element=f"crosstalk {edge.source} -> {edge.target}")
        out[CROSSTALK_LABELS[edge.level]].append(edge)
    return out


def _refuse_missing_ends(w: Writer, label: str, edges: list[CrosstalkEdge]) -> None:
    wanted = sorted({e.source for e in edges} | {e.target for e in edges})
    found = {row["uid"] for row in w.read(f"existing_uids:{label}", {"uids": wanted})}
    for edge in edges:
        for end in (edge.source, edge.target):
            if end not in found:
                raise InputError(f"no {label} node with uid {end!r}",
                                 element=f"crosstalk {edge.source} -> {edge.target}")


def _crosstalk_row(edge: CrosstalkEdge, run: TrainingRunRecord) -> dict[str, Any]:
    return {"from": edge.source, "to": edge.target, "weight": float(edge.weight), "rank": int(edge.rank),
            "condition": edge.condition, "run": run.id, "model_kind": run.model_kind, "known": bool(edge.known),
            "created_at": run.created_at, "sign": edge.sign, "confidence": edge.confidence,
            "identifiable": edge.identifiable, "method": edge.method}
