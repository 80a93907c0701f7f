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

from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

import numpy as np

from hmlm_sb.data.prior import pathway_uid, species_uid  # noqa: F401  (the demo imports them here)
from hmlm_sb.network import Network
from hmlm_sb.store.base import CrosstalkEdge
from hmlm_sb.store.crosstalk_rows import (CROSSTALK_COLUMNS, crosstalk_query, crosstalk_rows,  # noqa: F401
                                         resolve_nodes, unidentifiable_note, ATTENTION)

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


# ---- confidence and identifiability -----------------------------------------------------------
LOCKSTEP_R = 0.95  # two candidate sources with |r| above this over the observed points cannot be told apart
MOVING_RANGE = 0.05  # a source whose observed range is below this barely moves: it cannot be attributed
DEFAULT_CONFIDENCE_TOP_K = 50


def edge_confidence(members: Sequence[np.ndarray], top_k: int = DEFAULT_CONFIDENCE_TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """(sign (S, S) in {-1, 0, 1}: of the members' median influence, confidence (S, S):
    fraction of members that rank the pair among their ``top_k`` off-diagonal |influence|)."""
    stack = np.stack([np.nan_to_num(np.asarray(m, dtype=float)) for m in members])
    n = stack.shape[1]
    off = ~np.eye(n, dtype=bool)
    hits = np.zeros((n, n))
    for m in stack:
        weights = np.where(off, np.abs(m), 0.0).ravel()
        k = min(top_k, int((weights > 0).sum()))
        if k:
            top = np.argpartition(-weights, k - 1)[:k]
            hits.ravel()[top] += 1
    return np.sign(np.median(stack, axis=0)).astype(int), hits / len(stack)


def identifiable_sources(values: np.ndarray, known: set[tuple[int, int]] | None = None,
                         r_threshold: float = LOCKSTEP_R, min_range: float = MOVING_RANGE) -> np.ndarray:
    """(S, S) bool from observed states ``values`` (N, S): ``[i, j]`` when source j moves
    (range > ``min_range``) and no other candidate source k of target i (k not i or j,
    (k -> i) not in ``known``: (source, target) index pairs) is in lockstep with j
    (|r| > ``r_threshold``). Partial readouts: unmeasured species never qualify."""
    values = np.asarray(values, dtype=float)
    n = values.shape[1]
    measured = np.isfinite(values).all(axis=0)
    filled = np.where(np.isfinite(values), values, 0.0)
    centred = filled - filled.mean(axis=0)
    norm = np.sqrt((centred ** 2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.abs((centred.T @ centred) / np.outer(norm, norm))
    corr[~np.isfinite(corr)] = 0.0
    lock = (corr > r_threshold) & ~np.eye(n, dtype=bool)
    moving = measured & (np.ptp(filled, axis=0) > min_range)
    known = known or set()
    out = np.zeros((n, n), dtype=bool)
    for i in range(n):
        candidates = np.array([(k, i) not in known for k in range(n)])
        candidates[i] = False
        for j in np.flatnonzero(moving):
            if j == i:
                continue
            others = candidates.copy()
            others[j] = False
            out[i, j] = not (lock[j] & others).any()
    return out


def design_identifiability(data, network: Network) -> tuple[np.ndarray, str | None]:
    """(identifiable (S, S) of the data's observed points, one-line warning or None).

    The warning is given when fewer than half of the moving candidate sources can be told
    apart from the others: then the data cannot say which species acts, and ranked edges
    would present noise as findings."""
    values = data.values[data.observed]
    index = {s: k for k, s in enumerate(data.species)}
    known = {(index[a], index[b]) for a, b in known_species_pairs(network) if a in index and b in index}
    ident = identifiable_sources(values, known)
    filled = np.where(np.isfinite(values), values, 0.0)
    moving = np.isfinite(values).all(axis=0) & (np.ptp(filled, axis=0) > MOVING_RANGE)
    possible = np.outer(np.ones(len(index), dtype=bool), moving) & ~np.eye(len(index), dtype=bool)
    share = float(ident[possible].mean()) if possible.any() else 0.0
    if share >= 0.5:
        return ident, None
    return ident, (f"warning: this design cannot identify crosstalk sources: only {share:.0%} of candidate "
                   f"source species move apart from the others (|r| <= {LOCKSTEP_R}) at the observed points; "
                   "add single-input or perturbation conditions (inhibitions, knockdowns) before reading the edges")


def confident_crosstalk_edges(members: Sequence[Mapping[str, np.ndarray]], species: Sequence[str], network: Network, *,
                              method: str = "jacobian", identifiable: np.ndarray | None = None,
                              top_k: int = DEFAULT_CONFIDENCE_TOP_K,
                              threshold: Threshold = Threshold()) -> list[CrosstalkEdge]:
    """Edges of an ensemble: ``members`` are condition -> (S, S) signed influence (one
    dict per member, e.g. :func:`hmlm_sb.models.influence.ensemble_influence`); weights are
    the members' mean |influence| ranked as :func:`crosstalk_edges`; species edges carry
    ``sign``, ``confidence`` (:func:`edge_confidence`), ``identifiable`` and ``method``;
    pathway edges carry ``method`` only."""
    conditions = list(members[0]) if members else []
    mean = {c: np.mean([np.abs(m[c]) for m in members], axis=0) for c in conditions}
    edges = crosstalk_edges(mean, species, network, threshold=threshold)
    index = {species_uid(network, s) if s in network.species else s: k for k, s in enumerate(species)}
    scored = {c: edge_confidence([m[c] for m in members], top_k) for c in conditions}
    out = []
    for edge in edges:
        if edge.level != "species":
            out.append(replace(edge, method=method))
            continue
        i, j = index[edge.target], index[edge.source]
        sign, confidence = scored[edge.condition]
        out.append(replace(edge, sign=int(sign[i, j]), confidence=float(confidence[i, j]), method=method,
                           identifiable=None if identifiable is None else bool(identifiable[i, j])))
    return out


def written_edge_method(model) -> str:
    """How a trained model's edges are read: its ``edge_method`` when it has what that
    needs (``"residual"``: a fitted backbone, ``"correlation"``: a learned correction;
    :data:`hmlm_sb.models.influence.POOLED_METHODS`), else ``"jacobian"`` (it has a vector
    field), else ``"view"``."""
    from hmlm_sb.models.influence import POOLED_METHODS

    wanted = getattr(model, "edge_method", "jacobian")
    if wanted in POOLED_METHODS and callable(getattr(model, POOLED_METHODS[wanted], None)):
        return wanted
    return "jacobian" if callable(getattr(model, "rate_jacobian", None)) else "view"


def trained_crosstalk_edges(model, train, network: Network, *, top_k: int = DEFAULT_CONFIDENCE_TOP_K,
                            threshold: Threshold = Threshold()) -> list[CrosstalkEdge]:
    """What a training run writes back without retraining. A model whose ``edge_method``
    is ``"residual"`` (the HMLM): the ridge attribution of what its fitted backbone leaves
    unexplained (:func:`hmlm_sb.models.influence.backbone_residual_ridge`), or
    ``"correlation"``: the correlation of its learned correction with each source; either
    pooled over the design and written under every condition with that ``method``,
    confidence = the fraction of leave-one-condition-out matrices that rank the pair among
    their ``top_k``. Another model with a vector
    field (``rate_jacobian``): its signed influence (:func:`hmlm_sb.models.influence.influence`,
    the learned correction) per condition, ``method="jacobian"``, confidence = the
    fraction of the run's conditions whose matrix ranks the pair among its ``top_k``;
    else its own ``crosstalk()`` view (``method="view"``).
    Species edges carry the sign of their matrix and ``identifiable``
    (:func:`design_identifiability`). One fit, no ensemble."""
    from hmlm_sb.models.influence import POOLED_METHODS, influence, jackknife_pooled

    members = None
    method = written_edge_method(model)
    if method in POOLED_METHODS:  # pooled over the design: one matrix, written under every condition
        pooled, members = jackknife_pooled(model, train, method)
        matrices = {name: pooled for name in train.conditions}
    elif method == "jacobian":
        matrices = influence(model, train, method="jacobian")
    else:
        matrices = model_crosstalk(model, train.conditions)
    if not matrices:
        return []
    species = list(train.species)
    identifiable, _ = design_identifiability(train, network)
    _, confidence = edge_confidence(members or list(matrices.values()), top_k)
    index = {species_uid(network, s) if s in network.species else s: k for k, s in enumerate(species)}
    out = []
    for edge in crosstalk_edges(matrices, species, network, threshold=threshold):
        if edge.level != "species":
            out.append(replace(edge, method=method))
            continue
        i, j = index[edge.target], index[edge.source]
        value = float(np.nan_to_num(np.asarray(matrices[edge.condition], dtype=float)[i, j]))
        out.append(replace(edge, sign=int(np.sign(value)), confidence=float(confidence[i, j]), method=method,
                           identifiable=bool(identifiable[i, j])))
    return out


def mark_hidden(table: "pd.DataFrame", hidden: Iterable[tuple[str, str]]) -> "pd.DataFrame":  # noqa: F821
    """``table`` (from :func:`crosstalk_table`) with a ``hidden`` column: True where the edge
    is one the dataset hid from the prior (``hidden``: (source uid, target uid)); for the
    demo, which knows its truth."""
    pairs = set(hidden)
    return table.assign(hidden=[(s, t) in pairs for s, t in zip(table["source"], table["target"])])


def hidden_edge_recovery(matrix: np.ndarray, species: Sequence[str], network: Network,
                         hidden: Iterable[tuple[str, str]]) -> dict[str, float]:
    """AUROC, AUPR and AUPR lift of |matrix| ([target, source]) for the ``hidden`` (source,
    target) species ids, among every pair absent from the prior ``network`` (self excluded)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    index = {s: k for k, s in enumerate(species)}
    n = len(species)
    candidates = ~np.eye(n, dtype=bool)
    for a, b in known_species_pairs(network):
        if a in index and b in index:
            candidates[index[b], index[a]] = False
    labels = np.zeros((n, n), dtype=int)
    for a, b in hidden:
        if a in index and b in index:
            labels[index[b], index[a]] = 1
    y = labels[candidates]
    score = np.abs(np.nan_to_num(np.asarray(matrix, dtype=float)))[candidates]
    if y.sum() == 0 or y.sum() == y.size:
        return {"auroc": float("nan"), "aupr": float("nan"), "aupr_lift": float("nan"), "n_hidden": int(y.sum())}
    aupr = float(average_precision_score(y, score))
    return {"auroc": float(roc_auc_score(y, score)), "aupr": aupr, "aupr_lift": aupr / float(y.mean()),
            "n_hidden": int(y.sum())}


# ---- reading back (the rows themselves: hmlm_sb.store.crosstalk_rows) -------------------------
def crosstalk_table(store, *, level: str = "species", species: str | None = None, pathway: str | None = None,
                    condition: str | None = None, novel: bool = False, top: int = 20,
                    min_confidence: float | None = None, method: str | None = None) -> "pd.DataFrame":  # noqa: F821
    """:func:`crosstalk_rows` as a DataFrame (columns :data:`CROSSTALK_COLUMNS`)."""
    import pandas as pd

    rows = crosstalk_rows(store, level=level, species=species, pathway=pathway, condition=condition,
                          novel=novel, top=top, min_confidence=min_confidence, method=method)
    return pd.DataFrame(rows, columns=CROSSTALK_COLUMNS)


def ensemble_crosstalk_edges(make_model, train, network: Network, *, members: int = 5, seed: int = 0,
                             method: str = "jacobian", top_k: int = DEFAULT_CONFIDENCE_TOP_K,
                             threshold: Threshold = Threshold()) -> tuple[list[CrosstalkEdge], str | None]:
    """What a training run writes back: (edges with sign / confidence / identifiable /
    method, the one-line design warning or None). ``make_model()`` builds one unfitted
    member; members are fitted on seeds and bootstraps of ``train``'s conditions
    (:func:`hmlm_sb.models.influence.ensemble_influence`); ``network`` is the prior the
    models see (its ids are the species of ``train``)."""
    from hmlm_sb.models.influence import ensemble_influence, influence_method

    fits = ensemble_influence(make_model, train, network, members=members, seed=seed, method=method)
    identifiable, warning = design_identifiability(train, network)
    label = method if method == ATTENTION else influence_method(make_model(), method)
    edges = confident_crosstalk_edges(fits, list(train.species), network, method=label, identifiable=identifiable,
                                      top_k=top_k, threshold=threshold)
    return edges, warning
