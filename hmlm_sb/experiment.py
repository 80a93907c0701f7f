"""Measured experiments, in memory: what the MIDAS and tidy-CSV readers produce, the store
keeps as Experiment nodes and training turns into Trajectories (as :mod:`hmlm_sb.network`
is for networks)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Experiment:
    """One treatment pattern measured over time.

    ``stimuli``: stimulated species -> level (MIDAS: 1). ``inhibitors``: inhibited
    species -> inhibitor level (1 = full inhibition: the species' output is scaled by
    ``1 - level``, see :meth:`inhibit`). ``values[t, r]`` of ``readouts[r]`` at
    ``times[t]``; NaN = not measured. ``names`` keeps the file's name of each species
    (readouts and treatment targets) and ``treatment_columns`` the treatment column a
    target came from (``mek12i``), for writing the file back.
    """

    id: str
    stimuli: dict[str, float]
    inhibitors: dict[str, float]
    times: np.ndarray
    readouts: list[str]
    values: np.ndarray
    sd: np.ndarray | None = None
    cell_line: str = ""
    names: dict[str, str] = field(default_factory=dict)
    treatment_columns: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=float)
        self.values = np.asarray(self.values, dtype=float).reshape(len(self.times), len(self.readouts))
        if self.sd is not None:
            self.sd = np.asarray(self.sd, dtype=float).reshape(self.values.shape)

    def inhibit(self) -> dict[str, float]:
        """Remaining output fraction of each inhibited species (0 = complete)."""
        return {sid: max(0.0, 1.0 - level) for sid, level in self.inhibitors.items()}

    @property
    def n_measurements(self) -> int:
        return int(np.isfinite(self.values).sum())


@dataclass
class ExperimentSet:
    """The experiments of one file (``id``: the data set id, default the file stem)."""

    id: str
    experiments: list[Experiment]
    source_file: str = ""
    sha256: str = ""
    format: str = ""  # midas | tidy
    normalisation: str = "none"
    warnings: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # name -> "row 1, column N (header)" for errors

    @property
    def readouts(self) -> list[str]:
        return list(dict.fromkeys(r for e in self.experiments for r in e.readouts))

    @property
    def stimuli(self) -> list[str]:
        return list(dict.fromkeys(s for e in self.experiments for s in e.stimuli))

    @property
    def inhibitors(self) -> list[str]:
        return list(dict.fromkeys(s for e in self.experiments for s in e.inhibitors))

    @property
    def n_measurements(self) -> int:
        return sum(e.n_measurements for e in self.experiments)

    def experiment(self, exp_id: str) -> Experiment:
        for exp in self.experiments:
            if exp.id == exp_id:
                return exp
        raise KeyError(exp_id)
