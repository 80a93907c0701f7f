"""Literature validation of a trained model through the simulator's scorer.

The scorer wants ``simulate(weights) -> final activities``. A trained model runs the
same two-stage protocol within the time span it was trained on: from the training
initial state at the baseline (control) stimuli to the end of the span, then from that
state with one input raised to the protocol's stimulus weight.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

VALIDATION_FILE = "validation/Rogers2022_literature_validation.xlsx"


def default_literature_path() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    base = Path(os.environ.get("HMLM_SHARED_DATA", root.parent / "shared" / "data"))
    path = base / VALIDATION_FILE
    return path if path.is_file() else None


def model_simulator(model, data: Trajectories, prior: Network):
    """(simulate, input species, baseline weights) for a trained model."""
    species_of_input = {}
    for rid in data.inputs:
        rxn = prior.reactions.get(rid)
        if rxn is not None and rxn.targets():
            species_of_input[rxn.targets()[0].species] = rid
    inputs = list(species_of_input)
    base_row = data.condition_index("control") if "control" in data.conditions else 0
    baseline = {sid: float(data.stimuli[base_row, data.inputs.index(rid)]) for sid, rid in species_of_input.items()}
    span = np.array([data.times[0], data.times[-1]])

    def stimuli_of(weights: dict[str, float]) -> np.ndarray:
        row = data.stimuli[base_row].copy()
        for sid, value in weights.items():
            row[data.inputs.index(species_of_input[sid])] = value
        return row[None, :]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = np.asarray(model.predict(stimuli_of(baseline), data.initial[base_row:base_row + 1], span,
                                         conditions=None))[0, -1]

    def simulate(weights: dict[str, float]) -> dict[str, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            final = np.asarray(model.predict(stimuli_of(weights), start[None, :], span, conditions=None))[0, -1]
        return dict(zip(data.species, np.nan_to_num(final).tolist()))

    return simulate, inputs, baseline


def score_model(model, data: Trajectories, prior: Network, path: Path | None = None) -> dict | None:
    from hmlm_sb.sim.literature import read_literature, score_literature

    path = path or default_literature_path()
    if path is None:
        return None
    simulate, inputs, baseline = model_simulator(model, data, prior)
    score = score_literature(read_literature(path), simulate, inputs, baseline=baseline)
    return {"agreement": score.agreement, "n": int(len(score.table)), "skipped": int(len(score.skipped))}
