"""Scores: trajectory agreement and edge recovery."""
from __future__ import annotations

import numpy as np

RESPONSIVE_RANGE = 0.05  # a species is responsive when its true range over the scored points exceeds this


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a), np.ravel(b)
    if a.size < 2 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def pooled_r(pred: np.ndarray, truth: np.ndarray) -> float:
    """Pearson r over every (time, species) value: the paper's number."""
    return pearson(pred, truth)


def species_r(pred: np.ndarray, truth: np.ndarray, min_range: float = RESPONSIVE_RANGE) -> float:
    """Mean over responsive species (true range > ``min_range``) of the per-species r over time.

    Not inflated by differences of level between species, which dominate the pooled r.
    NaN when no species is responsive."""
    values = [pearson(pred[:, s], truth[:, s]) for s in range(truth.shape[1])
              if np.ptp(truth[:, s]) > min_range]
    values = [v for v in values if np.isfinite(v)] or ([0.0] if values else [])
    return float(np.mean(values)) if values else float("nan")


def mse(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((np.asarray(pred) - np.asarray(truth)) ** 2))


def edge_scores(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """AUROC, AUPR and AUPR over the positive rate (lift) of |scores| against 0/1 labels."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores, labels = np.abs(np.ravel(scores)), np.ravel(labels).astype(int)
    if labels.sum() == 0 or labels.sum() == labels.size:
        return {"auroc": float("nan"), "aupr": float("nan"), "aupr_lift": float("nan"), "n_positive": int(labels.sum())}
    rate = labels.mean()
    aupr = float(average_precision_score(labels, scores))
    return {"auroc": float(roc_auc_score(labels, scores)), "aupr": aupr, "aupr_lift": aupr / rate,
            "n_positive": int(labels.sum())}


def candidate_pairs(known: np.ndarray) -> np.ndarray:
    """Mask of (target, source) pairs that could be a hidden edge: not known, not self."""
    mask = ~(known > 0)
    np.fill_diagonal(mask, False)
    return mask


def species_nrmse(pred: np.ndarray, truth: np.ndarray, min_range: float = RESPONSIVE_RANGE) -> np.ndarray:
    """Per-species RMSE over every leading axis divided by the species' true range; NaN for
    species that are not responsive (true range <= ``min_range``) or never measured.

    ``pred`` and ``truth`` are ``(..., S)``; NaN in ``truth`` (not measured) is skipped."""
    pred = np.asarray(pred, dtype=float).reshape(-1, np.shape(pred)[-1])
    truth = np.asarray(truth, dtype=float).reshape(-1, np.shape(truth)[-1])
    out = np.full(truth.shape[1], np.nan)
    for s in range(truth.shape[1]):
        measured = np.isfinite(truth[:, s])
        if measured.sum() < 2:
            continue
        span = float(np.ptp(truth[measured, s]))
        if span > min_range:
            out[s] = float(np.sqrt(np.mean((pred[measured, s] - truth[measured, s]) ** 2))) / span
    return out


def nrmse_summary(pred: np.ndarray, truth: np.ndarray, species: list[str], worst: int = 10) -> dict:
    """Median per-species nRMSE over responsive species, and the ``worst`` species by it."""
    values = species_nrmse(pred, truth)
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 0:
        return {"nrmse_median": float("nan"), "nrmse_worst": [], "n_responsive": 0}
    order = finite[np.argsort(-values[finite], kind="stable")][:worst]
    return {"nrmse_median": float(np.median(values[finite])),
            "nrmse_worst": [[species[s], round(float(values[s]), 4)] for s in order],
            "n_responsive": int(finite.size)}
