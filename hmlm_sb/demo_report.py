"""What the demo shows: held-out scores per condition and the figures (PNG, Agg)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from hmlm_sb.trajectories import Trajectories


def held_out_scores(truth: Trajectories, predictions: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Pearson r and MSE per model and condition over the held-out points
    (``~truth.observed``, finite values). ``predictions``: model -> (C, T, S)."""
    rows = []
    for model, pred in predictions.items():
        pred = np.asarray(pred, dtype=float)
        if pred.shape != truth.values.shape:
            raise ValueError(f"{model}: predictions shape {pred.shape} != data {truth.values.shape}")
        for c, condition in enumerate(truth.conditions):
            held = ~truth.observed[c]
            y, p = truth.values[c, held].ravel(), pred[c, held].ravel()
            ok = np.isfinite(y) & np.isfinite(p)
            y, p = y[ok], p[ok]
            rows.append({"model": model, "condition": condition, "points": int(ok.sum()),
                         "pearson_r": _pearson(y, p), "mse": float(np.mean((y - p) ** 2)) if y.size else np.nan})
    return pd.DataFrame(rows, columns=["model", "condition", "points", "pearson_r", "mse"])


def _pearson(y: np.ndarray, p: np.ndarray) -> float:
    if y.size < 2 or np.std(y) == 0 or np.std(p) == 0:
        return float("nan")
    return float(np.corrcoef(y, p)[0, 1])


def pick_key_species(truth: Trajectories, preferred: Sequence[str], count: int = 6) -> list[str]:
    """``preferred`` species present in the data (matching the id or its local part), then
    the most dynamic others, up to ``count``."""
    local = {s.rsplit("/", 1)[-1].strip().lower(): s for s in truth.species}
    chosen = [local[p.lower()] for p in preferred if p.lower() in local]
    spread = np.nanmax(truth.values, axis=(0, 1)) - np.nanmin(truth.values, axis=(0, 1))
    for k in np.argsort(-np.nan_to_num(spread)):
        if len(chosen) >= count:
            break
        if truth.species[k] not in chosen:
            chosen.append(truth.species[k])
    return chosen[:count]


def plot_trajectories(truth: Trajectories, predictions: Mapping[str, np.ndarray], species: Sequence[str],
                      path: str | Path, observations: Trajectories | None = None) -> Path:
    """Grid: rows = conditions, columns = species; truth line, the points the models saw
    (``observations``, noisy; else the truth at the observed times), each model dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = len(truth.conditions), len(species)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.0 * rows), squeeze=False, sharex=True)
    index = {s: k for k, s in enumerate(truth.species)}
    seen_values = (observations if observations is not None else truth).values
    for c, condition in enumerate(truth.conditions):
        seen = truth.observed[c]
        for k, sid in enumerate(species):
            ax = axes[c, k]
            s = index[sid]
            ax.plot(truth.times, truth.values[c, :, s], color="black", lw=1.5, label="truth")
            ax.plot(truth.times[seen], seen_values[c, seen, s], "o", color="black", ms=4, label="observed")
            for model, pred in predictions.items():
                ax.plot(truth.times, np.asarray(pred)[c, :, s], "--", lw=1.2, label=model)
            if c == 0:
                ax.set_title(sid.rsplit("/", 1)[-1], fontsize=9)
            if k == 0:
                ax.set_ylabel(condition, fontsize=9)
            ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=6, loc="best")
    fig.supxlabel("time")
    fig.tight_layout()
    return _save(fig, path)


def plot_pathway_heatmap(matrix: np.ndarray, pathways: Sequence[str], path: str | Path,
                         title: str = "pathway crosstalk", label: str = "mean |attention|") -> Path:
    """Heatmap of a (P, P) pathway matrix, [a, b] = pathway b acts on pathway a (the
    diagonal, not crosstalk, left blank); ``pathways`` are the labels, ``label`` the colour bar's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = max(4.0, 0.45 * len(pathways) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    shown = np.ma.masked_array(matrix, mask=np.eye(len(matrix), dtype=bool))
    image = ax.imshow(shown, cmap="viridis")
    labels = list(pathways)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("source pathway")
    ax.set_ylabel("target pathway")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.8, label=label)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
