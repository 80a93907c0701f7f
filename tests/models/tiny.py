"""A small Netflux network and a generated dataset for fast model tests (from the
package: :mod:`hmlm_sb.models.checks` uses the same ones)."""
from __future__ import annotations

from hmlm_sb.models.checks import PATHWAYS, RULES, tiny_dataset, tiny_network  # noqa: F401
from hmlm_sb.trajectories import Trajectories


def copy_of(data: Trajectories) -> Trajectories:
    return data.subset(list(data.conditions))
