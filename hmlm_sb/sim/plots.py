"""Trajectory figures (matplotlib, Agg backend)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hmlm_sb.trajectories import Trajectories

DEFAULT_SPECIES = ("proCI", "proCIII", "fibronectin", "aSMA", "periostin", "CTGF")


def plot_trajectories(traj: Trajectories, species: list[str] | None, path: str | Path, *,
                      title: str = "") -> Path:
    """One panel per condition, one line per species; activity (0..1) against model time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chosen = species or [s for s in DEFAULT_SPECIES if s in traj.species] or traj.species[:6]
    index = [traj.species.index(s) for s in chosen]
    count = len(traj.conditions)
    cols = min(count, 2)
    rows = int(np.ceil(count / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(max(5.2 * cols, 6.8), 3.6 * rows), squeeze=False,
                             sharey=True, layout="constrained")
    colours = plt.get_cmap("tab10")
    for c, name in enumerate(traj.conditions):
        ax = axes[c // cols][c % cols]
        for k, s in enumerate(index):
            ax.plot(traj.times, traj.values[c, :, s], color=colours(k % 10), lw=2,
                    ls=("-", "--", "-.", ":")[k % 4], label=traj.species[s])
        ax.set_title(name)
        ax.set_xlabel("time (model units; tau = 1)")
        ax.set_ylabel("fractional activity")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for extra in range(count, rows * cols):
        axes[extra // cols][extra % cols].axis("off")
    axes[0][0].legend(loc="best", fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11, wrap=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
