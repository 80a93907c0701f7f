"""Experiments in the graph: saved, listed, loaded and removed, on either store.

Layout (docs/stores.md): one ``Experiment`` node per treatment pattern holding its
measurements as arrays (``times``, ``readouts``, row-major ``values`` and ``sd``), linked
to the Species it measures (``MEASURES``) and treats (``PERTURBS``) and to its Cell and
Models (``EXPERIMENT_OF``). A file is one data set (``dataset``): imported in one
transaction, unchanged when imported again with the same sha256, refused with other
content unless ``replace``.

The functions take a :class:`~hmlm_sb.store.common.CypherStore` (its ``_read`` and
``_write_tx``); :class:`~hmlm_sb.store.base.GraphStore` exposes them as methods.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network, element_uid
from hmlm_sb.store import records
from hmlm_sb.store.schema import GraphSchema

LABEL = "Experiment"
LIST_COLUMNS = ["dataset", "id", "cell", "stimuli", "inhibitors", "readouts", "times", "measurements",
                "source_file"]


def experiment_reads(schema: GraphSchema) -> dict[str, str]:
    props = ", ".join(f"e.{p} AS {p}" for p in schema.node(LABEL).property_names)
    return {
        "experiments_of_dataset": "MATCH (e:Experiment) WHERE e.dataset = $dataset RETURN e.uid AS uid, "
                                  "e.sha256 AS sha256, e.cell AS cell, e.normalisation AS normalisation",
        "experiments": f"MATCH (e:Experiment) RETURN {props} ORDER BY dataset, position",
        "experiments_of_cell": f"MATCH (e:Experiment) WHERE e.cell = $cell RETURN {props} ORDER BY dataset, position",
    }


def experiment_writes(schema: GraphSchema) -> dict[str, str]:
    return {"delete_experiments": "MATCH (e:Experiment) WHERE e.dataset = $dataset DETACH DELETE e"}


@dataclass
class ExperimentImport:
    dataset: str
    status: str  # imported | unchanged | replaced
    experiments: int = 0
    measurements: int = 0
    readouts: list[str] = field(default_factory=list)


def species_uid(network: Network, sid: str) -> str:
    """The Species uid of a network id (a network of one model uses local ids)."""
    if len(network.models) == 1 and not sid.startswith(network.models[0].id + "/"):
        return element_uid(network.models[0].id, sid)
    return sid


def network_id(network: Network, uid: str) -> str | None:
    """Inverse of :func:`species_uid` (None when the species is not in ``network``)."""
    if uid in network.species:
        return uid
    if len(network.models) == 1:
        head, _, local = uid.partition("/")
        if head == network.models[0].id and local in network.species:
            return local
    return None


def save_experiments(store, experiments, network: Network, *, cell: str | None = None,
                     replace: bool = False) -> ExperimentImport:
    """Write ``experiments`` (an :class:`~hmlm_sb.experiment.ExperimentSet` already
    mapped to ``network``'s species) in one transaction."""
    store._require_writable()
    dataset = experiments.id
    summary = ExperimentImport(dataset, "imported", len(experiments.experiments), experiments.n_measurements,
                               experiments.readouts)
    existing = store._read("experiments_of_dataset", {"dataset": dataset})
    same = [r["sha256"] == experiments.sha256 and (r["cell"] or "") == (cell or "")
            and (r["normalisation"] or "none") == experiments.normalisation for r in existing]
    if existing and all(same):
        summary.status = "unchanged"
        return summary
    if existing and not replace:
        raise InputError("data set already in the store with other content (sha256, cell or normalisation "
                         "differs); "
                         "replace it with --replace", file=experiments.source_file or None,
                         element=f"data set {dataset}")
    columns, rels = _tables(experiments, network, cell or "")
    with store._write_tx() as w:
        if existing:
            w.run("delete_experiments", {"dataset": dataset})
        if cell:
            w.run("merge_cell", {"uid": cell, "name": cell, "cell_type": "", "organism": ""})
        w.create_nodes(LABEL, columns)
        for (rel, target), cols in rels.items():
            if records.column_length(cols):
                w.create_rels(rel, LABEL, target, cols)
    summary.status = "replaced" if existing else "imported"
    return summary


def _tables(experiments, network: Network, cell: str):
    now = records.now_iso()
    models = [m.id for m in network.models]
    rows = []
    measures: dict[str, list] = {"from": [], "to": [], "position": []}
    perturbs: dict[str, list] = {"from": [], "to": [], "kind": [], "level": []}
    of_cell: dict[str, list] = {"from": [], "to": []}
    of_model: dict[str, list] = {"from": [], "to": []}
    for k, exp in enumerate(experiments.experiments):
        uid = f"{experiments.id}/{exp.id}"
        readouts = [species_uid(network, r) for r in exp.readouts]
        stimuli = [species_uid(network, s) for s in exp.stimuli]
        inhibitors = [species_uid(network, s) for s in exp.inhibitors]
        names = [exp.names.get(r, r) for r in exp.readouts] + \
            [exp.treatment_columns.get(s) or exp.names.get(s, s) for s in exp.stimuli] + \
            [exp.treatment_columns.get(s) or exp.names.get(s, s) for s in exp.inhibitors]
        rows.append({
            "uid": uid, "id": exp.id, "dataset": experiments.id, "position": k, "cell": cell,
            "cell_line": exp.cell_line, "models": models, "stimuli": stimuli,
            "stimulus_levels": [float(v) for v in exp.stimuli.values()], "inhibitors": inhibitors,
            "inhibitor_levels": [float(v) for v in exp.inhibitors.values()], "readouts": readouts, "names": names,
            "times": [float(t) for t in exp.times], "values": [float(v) for v in exp.values.ravel()],
            "sd": [] if exp.sd is None else [float(v) for v in exp.sd.ravel()],
            "source_file": experiments.source_file, "format": experiments.format, "sha256": experiments.sha256,
            "normalisation": experiments.normalisation, "imported_at": now,
        })
        for position, r in enumerate(readouts):
            measures["from"].append(uid)
            measures["to"].append(r)
            measures["position"].append(position)
        for kind, targets, levels in (("stimulus", stimuli, exp.stimuli.values()),
                                      ("inhibitor", inhibitors, exp.inhibitors.values())):
            for target, level in zip(targets, levels):
                perturbs["from"].append(uid)
                perturbs["to"].append(target)
                perturbs["kind"].append(kind)
                perturbs["level"].append(float(level))
        if cell:
            of_cell["from"].append(uid)
            of_cell["to"].append(cell)
        for model in models:
            of_model["from"].append(uid)
            of_model["to"].append(model)
    from hmlm_sb.store.schema import graph_schema

    names = graph_schema().node(LABEL).property_names
    columns = records.columns_of(rows, names)
    rels = {("MEASURES", "Species"): measures, ("PERTURBS", "Species"): perturbs,
            ("EXPERIMENT_OF", "Cell"): of_cell, ("EXPERIMENT_OF", "Model"): of_model}
    return columns, rels


# ---- reading back ---------------------------------------------------------------------------------
@dataclass
class StoredExperiment:
    """An Experiment node: the experiment (species as uids) and where it came from."""

    uid: str
    dataset: str
    cell: str
    experiment: Any  # hmlm_sb.experiment.Experiment
    sha256: str = ""
    source_file: str = ""
    format: str = ""
    normalisation: str = ""


def load_experiments(store, *, cell: str | None = None, ids: Sequence[str] | None = None,
                     dataset: str | None = None) -> list[StoredExperiment]:
    """Stored experiments (of ``cell``, of ``dataset``, or all), optionally only ``ids``
    (experiment ids or uids ``dataset/id``; unknown or ambiguous ids are refused)."""
    rows = store._read("experiments_of_cell", {"cell": cell}) if cell else store._read("experiments")
    found = [_from_row(r) for r in rows if dataset is None or r["dataset"] == dataset]
    if not ids:
        return found
    chosen = []
    for wanted in ids:
        hits = [e for e in found if e.uid == wanted] or [e for e in found if e.experiment.id == wanted]
        where = f" of cell {cell}" if cell else ""
        if not hits:
            raise InputError(f"no experiment {wanted!r} in the store{where}", element="--experiments")
        if len(hits) > 1:
            raise InputError(f"experiment id {wanted!r} is in several data sets "
                             f"({', '.join(h.dataset for h in hits)}): give dataset/id", element="--experiments")
        chosen.append(hits[0])
    return chosen


def _from_row(row: dict[str, Any]) -> StoredExperiment:
    from hmlm_sb.experiment import Experiment

    readouts = list(row.get("readouts") or [])
    stimuli = list(row.get("stimuli") or [])
    inhibitors = list(row.get("inhibitors") or [])
    names = list(row.get("names") or [])
    times = np.array(row.get("times") or [], dtype=float)
    values = np.array([np.nan if v is None else v for v in (row.get("values") or [])], dtype=float)
    sd = row.get("sd") or []
    treatments = names[len(readouts):]
    exp = Experiment(
        id=row["id"], stimuli=dict(zip(stimuli, row.get("stimulus_levels") or [])),
        inhibitors=dict(zip(inhibitors, row.get("inhibitor_levels") or [])), times=times, readouts=readouts,
        values=values.reshape(len(times), len(readouts)),
        sd=np.array([np.nan if v is None else v for v in sd], dtype=float) if sd else None,
        cell_line=row.get("cell_line") or "", names=dict(zip(readouts, names[:len(readouts)])),
        treatment_columns=dict(zip([*stimuli, *inhibitors], treatments)))
    for s, column in zip(stimuli, treatments):
        exp.names[s] = column
    return StoredExperiment(uid=row["uid"], dataset=row["dataset"], cell=row.get("cell") or "", experiment=exp,
                            sha256=row.get("sha256") or "", source_file=row.get("source_file") or "",
                            format=row.get("format") or "", normalisation=row.get("normalisation") or "")


def list_experiments(store, cell: str | None = None):
    import pandas as pd

    rows = []
    for stored in load_experiments(store, cell=cell):
        e = stored.experiment
        rows.append({"dataset": stored.dataset, "id": e.id, "cell": stored.cell,
                     "stimuli": ",".join(s.rsplit("/", 1)[-1] for s in e.stimuli),
                     "inhibitors": ",".join(s.rsplit("/", 1)[-1] for s in e.inhibitors),
                     "readouts": len(e.readouts), "times": ",".join(f"{t:g}" for t in e.times),
                     "measurements": e.n_measurements, "source_file": stored.source_file})
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def remove_experiments(store, dataset: str) -> int:
    store._require_writable()
    existing = store._read("experiments_of_dataset", {"dataset": dataset})
    if not existing:
        raise InputError("no such data set in the store", element=f"data set {dataset}")
    with store._write_tx() as w:
        w.run("delete_experiments", {"dataset": dataset})
    return len(existing)


def experiments_digest(stored: Sequence[StoredExperiment]) -> str:
    """sha256 over the uids and file digests: changes when experiments are added,
    removed or re-imported with other content."""
    blob = "\n".join(sorted(f"{e.uid}\t{e.sha256}" for e in stored)).encode()
    return hashlib.sha256(blob).hexdigest()


def as_network_experiments(stored: Sequence[StoredExperiment], network: Network) -> list:
    """The experiments with species uids turned into ``network``'s ids; species the
    network lacks (a model removed since) are refused naming the experiment."""
    from dataclasses import replace

    out = []
    for item in stored:
        e = item.experiment

        def local(uid: str) -> str:
            sid = network_id(network, uid)
            if sid is None:
                raise InputError(f"species {uid!r} is not in the selected network", element=f"experiment {item.uid}")
            return sid

        out.append(replace(e, readouts=[local(r) for r in e.readouts],
                           stimuli={local(k): v for k, v in e.stimuli.items()},
                           inhibitors={local(k): v for k, v in e.inhibitors.items()},
                           names={local(k): v for k, v in e.names.items()},
                           treatment_columns={local(k): v for k, v in e.treatment_columns.items()}))
    return out


# ---- what a training run on stored experiments sees --------------------------------------------
def parse_selection(items: Sequence[str] | str | None) -> str | list[str] | None:
    """``--experiments all`` / ``ID,ID`` / repeated: ``"all"``, a list of ids, or None."""
    if items is None:
        return None
    if isinstance(items, str):
        items = [items]
    ids = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    if not ids:
        return None
    return "all" if ids == ["all"] else ids


def experiments_changed(store, cell: str | None, config: dict[str, Any]) -> bool:
    """True when a run trained on stored experiments would now see other ones: new
    experiments imported for the cell (selection "all"), or its own re-imported or gone."""
    recorded = config.get("experiments")
    if not isinstance(recorded, dict) or "digest" not in recorded:
        return False
    selection = recorded.get("selection", "all")
    stored = load_experiments(store, cell=cell or None)
    if selection != "all":
        wanted = set(recorded.get("uids") or [])
        stored = [s for s in stored if s.uid in wanted]
    return experiments_digest(stored) != recorded["digest"]


def experiment_change(store, cell: str | None, config: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """``{"experiments": (added, removed)}`` since a run on stored experiments ({} for
    other runs); re-imported ones count as removed and added."""
    recorded = config.get("experiments")
    if not isinstance(recorded, dict) or "uids" not in recorded:
        return {}
    before = set(recorded.get("uids") or [])
    stored = load_experiments(store, cell=cell or None)
    if recorded.get("selection", "all") != "all":
        stored = [s for s in stored if s.uid in before]
    after = {s.uid for s in stored}
    if experiments_digest(stored) != recorded.get("digest") and after == before:
        return {"experiments": (len(after), len(before))}
    return {"experiments": (len(after - before), len(before - after))}
