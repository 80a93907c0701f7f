"""Learned crosstalk: from a model's (S, S) influence matrix to ``CROSSTALK`` edges.

A matrix ``m`` follows the model contract: ``m[i, j]`` is how much species ``j`` acts on
species ``i``, so the edge runs ``j -> i``. Edge weight is ``|m[i, j]|``; self-influence
(the diagonal) is not crosstalk and is never written.

Threshold (the default, per condition and level): an edge is kept when its weight is at
least ``relative_threshold`` (0.05) times the largest off-diagonal weight of that
condition, and at most ``top_k`` edges are kept (species level 500, pathway level 100),
the strongest first. Ranks start at 1 within (condition, level).

Pathway crosstalk aggregates the species matrix through the species-to-pathway
assignment: the weight from pathway B to pathway A is the mean of ``|m[i, j]|`` over
species ``i`` in A and ``j`` in B (``i != j``); A == B is not crosstalk. A pathway edge is
``known`` when any known species edge (``REGULATES``) runs from a member of B to a
member of A.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from hmlm_sb.network import Network, element_uid
from hmlm_sb.store.base import CrosstalkEdge
from hmlm_sb.store.crosstalk_rows import CROSSTALK_COLUMNS, crosstalk_query, crosstalk_rows, resolve_nodes  # noqa: F401

DEFAULT_RELATIVE_THRESHOLD = 0.05
DEFAULT_TOP_K_SPECIES = 500
DEFAULT_TOP_K_PATHWAY = 100


@dataclass(frozen=True)
class Threshold:
    """Which edges are written: weight >= relative * max weight, at most top_k of them."""

    relative: float = DEFAULT_RELATIVE_THRESHOLD
    top_k_species: int = DEFAULT_TOP_K_SPECIES
    top_k_pathway: int = DEFAULT_TOP_K_PATHWAY

    def __post_init__(self) -> None:
        if not 0.0 <= self.relative <= 1.0:
            raise ValueError(f"relative threshold must lie in [0, 1], got {self.relative}")
        if self.top_k_species < 0 or self.top_k_pathway < 0:
            raise ValueError("top_k must not be negative")


# ---- uids --------------------------------------------------------------------------------
def species_uid(network: Network, species_id: str) -> str:
    """The graph key of a species of ``network`` (ids may already be ``model/local``)."""
    return _uid(network.species[species_id].model, species_id, network)


def pathway_uid(network: Network, pathway_id: str) -> str:
    return _uid(network.pathways[pathway_id].model, pathway_id, network)


def _uid(model: str, local_id: str, network: Network) -> str:
    model = model or (network.models[0].id if len(network.models) == 1 else "")
    if not model or local_id.startswith(f"{model}/"):
        return local_id
    return element_uid(model, local_id)


def known_species_pairs(network: Network) -> set[tuple[str, str]]:
    """(source id, target id) of every REGULATES edge of the prior, self-loops excluded."""
    return {(r.source, r.target) for r in network.regulations() if r.source != r.target}


# ---- species level ------------------------------------------------------------------------
def _check_matrix(matrix: np.ndarray, n: int) -> np.ndarray:
    m = np.abs(np.asarray(matrix, dtype=float))
    if m.shape != (n, n):
        raise ValueError(f"crosstalk matrix shape {m.shape} != ({n}, {n}) species")
    m = np.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0)
    np.fill_diagonal(m, 0.0)
    return m


def _select(weights: np.ndarray, relative: float, top_k: int) -> list[tuple[int, int]]:
    """(row, col) of kept cells, strongest first (ties broken by position, stable)."""
    peak = float(weights.max()) if weights.size else 0.0
    if peak <= 0.0 or top_k == 0:
        return []
    rows, cols = np.nonzero(weights >= relative * peak)
    keep = weights[rows, cols] > 0.0
    rows, cols = rows[keep], cols[keep]
    order = np.argsort(-weights[rows, cols], kind="stable")[:top_k]
    return list(zip(rows[order].tolist(), cols[order].tolist()))


def species_edges(matrix: np.ndarray, species: Sequence[str], condition: str, *,
                  uids: Mapping[str, str] | None = None,
                  known: set[tuple[str, str]] | None = None,
                  threshold: Threshold = Threshold()) -> list[CrosstalkEdge]:
    """Species-to-species edges of one condition. ``species`` orders the matrix;
    ``uids`` maps them to graph keys; ``known`` holds (source, target) species ids."""
    m = _check_matrix(matrix, len(species))
    return _ranked_edges(m, species, "species", condition, uids or {}, known or set(),
                         threshold.relative, threshold.top_k_species)


def _ranked_edges(weights: np.ndarray, names: Sequence[str], level: str, condition: str,
                  uids: Mapping[str, str], known: set[tuple[str, str]], relative: float,
                  top_k: int) -> list[CrosstalkEdge]:
    """The kept cells of ``weights`` ([target, source], as attention) as edges, ranked."""
    edges = []
    for rank, (i, j) in enumerate(_select(weights, relative, top_k), start=1):
        src, tgt = names[j], names[i]
        edges.append(CrosstalkEdge(
            source=uids.get(src, src), target=uids.get(tgt, tgt), level=level,
            weight=float(weights[i, j]), rank=rank, condition=condition, known=(src, tgt) in known))
    return edges


# ---- pathway level -------------------------------------------------------------------------
def membership(species: Sequence[str], pathways: Mapping[str, Iterable[str]]) -> tuple[list[str], np.ndarray]:
    """(pathway ids, 0/1 matrix (S, P)) for pathways with at least one listed species."""
    index = {s: k for k, s in enumerate(species)}
    names, columns = [], []
    for pid, members in pathways.items():
        col = np.zeros(len(species))
        for sid in members:
            if sid in index:
                col[index[sid]] = 1.0
        if col.any():
            names.append(pid)
            columns.append(col)
    matrix = np.stack(columns, axis=1) if columns else np.zeros((len(species), 0))
    return names, matrix


def pathway_matrix(matrix: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """(P, P): [a, b] = mean |m[i, j]| over i in a, j in b, i != j; diagonal zero."""
    m = _check_matrix(matrix, assignment.shape[0])
    off_diagonal = np.ones_like(m)
    np.fill_diagonal(off_diagonal, 0.0)
    totals = assignment.T @ m @ assignment
    pairs = assignment.T @ off_diagonal @ assignment
    out = np.divide(totals, pairs, out=np.zeros_like(totals), where=pairs > 0)
    np.fill_diagonal(out, 0.0)
    return out


def known_pathway_pairs(pathway_ids: Sequence[str], assignment: np.ndarray, species: Sequence[str],
                        known: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(source pathway, target pathway) joined by at least one known species edge."""
    index = {s: k for k, s in enumerate(species)}
    out = set()
    for src, tgt in known:
        if src not in index or tgt not in index:
            continue
        for b in np.nonzero(assignment[index[src]])[0]:
            for a in np.nonzero(assignment[index[tgt]])[0]:
                if a != b:
                    out.add((pathway_ids[b], pathway_ids[a]))
    return out


def pathway_edges(matrix: np.ndarray, species: Sequence[str], pathways: Mapping[str, Iterable[str]],
                  condition: str, *, uids: Mapping[str, str] | None = None,
                  known: set[tuple[str, str]] | None = None,
                  threshold: Threshold = Threshold()) -> list[CrosstalkEdge]:
    """Pathway-to-pathway edges of one condition (``pathways``: id -> member species ids)."""
    names, assignment = membership(species, pathways)
    if len(names) < 2:
        return []
    pm = pathway_matrix(matrix, assignment)
    known_pw = known_pathway_pairs(names, assignment, species, known or set())
    return _ranked_edges(pm, names, "pathway", condition, uids or {}, known_pw,
                         threshold.relative, threshold.top_k_pathway)


# ---- a whole network ------------------------------------------------------------------------
def crosstalk_edges(matrices: Mapping[str, np.ndarray], species: Sequence[str], network: Network, *,
                    threshold: Threshold = Threshold()) -> list[CrosstalkEdge]:
    """Species and pathway edges for every condition. ``matrices``: condition -> (S, S) in
    the order of ``species`` (ids of ``network``); species the network lacks are dropped."""
    in_network = [k for k, s in enumerate(species) if s in network.species]
    kept = [species[k] for k in in_network]
    known = known_species_pairs(network)
    uids = {s: species_uid(network, s) for s in kept}
    uids.update({p: pathway_uid(network, p) for p in network.pathways})
    pathways = {pid: pw.members for pid, pw in network.pathways.items()}
    edges: list[CrosstalkEdge] = []
    for condition, matrix in matrices.items():
        m = np.asarray(matrix, dtype=float)
        if m.shape != (len(species), len(species)):
            raise ValueError(f"condition {condition!r}: crosstalk matrix shape {m.shape} "
                             f"!= ({len(species)}, {len(species)})")
        m = m[np.ix_(in_network, in_network)]
        edges += species_edges(m, kept, condition, uids=uids, known=known, threshold=threshold)
        edges += pathway_edges(m, kept, pathways, condition, uids=uids, known=known, threshold=threshold)
    return edges


def model_crosstalk(model, conditions: Sequence[str]) -> dict[str, np.ndarray]:
    """condition -> the model's (S, S) matrix; empty when the model has none."""
    out = {}
    for condition in conditions:
        matrix = model.crosstalk(condition)
        if matrix is not None:
            out[condition] = np.asarray(matrix, dtype=float)
    return out


# ---- reading back (the rows themselves: hmlm_sb.store.crosstalk_rows) -------------------------
def crosstalk_table(store, *, level: str = "species", species: str | None = None, pathway: str | None = None,
                    condition: str | None = None, novel: bool = False, top: int = 20) -> "pd.DataFrame":  # noqa: F821
    """:func:`crosstalk_rows` as a DataFrame (columns :data:`CROSSTALK_COLUMNS`)."""
    import pandas as pd

    rows = crosstalk_rows(store, level=level, species=species, pathway=pathway, condition=condition,
                          novel=novel, top=top)
    return pd.DataFrame(rows, columns=CROSSTALK_COLUMNS)
