"""Time courses of a network under named conditions: what models learn from and predict.

Dense arrays for computation, a tidy table (condition, replicate, time, species, value,
observed) for files and the CLI.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["condition", "replicate", "time", "species", "value", "observed"]


@dataclass
class Trajectories:
    """``values[c, t, s]`` for conditions c, times t, species s.

    ``stimuli[c, i]`` are the weights of the network's input reactions (order:
    ``inputs``) that define condition c; ``initial[c, s]`` is the state at ``times[0]``
    (which a model may always use). ``observed[c, t]`` marks the time points a model may
    train on; the rest are held out for scoring. ``values`` may hold NaN where nothing
    was measured (partial readouts): models train on ``observed & isfinite(values)``.

    Perturbations, one factor per condition and species (1 = untouched):
    ``inhibit[c, s]`` scales the state of s as the rules it appears in read it (0 =
    complete inhibition, as a MIDAS inhibitor ``TR:mek12i``); ``knockdown[c, s]`` scales
    its ymax (0 = knockout).
    """

    conditions: list[str]
    times: np.ndarray  # (T,)
    species: list[str]
    values: np.ndarray  # (C, T, S)
    inputs: list[str] = field(default_factory=list)  # input reaction ids
    stimuli: np.ndarray | None = None  # (C, I)
    initial: np.ndarray | None = None  # (C, S)
    observed: np.ndarray | None = None  # (C, T) bool
    meta: dict = field(default_factory=dict)
    inhibit: np.ndarray | None = None  # (C, S) remaining output fraction, 1 = none
    knockdown: np.ndarray | None = None  # (C, S) ymax factor, 1 = none

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=float)
        self.values = np.asarray(self.values, dtype=float)
        c, t, s = len(self.conditions), len(self.times), len(self.species)
        if self.values.shape != (c, t, s):
            raise ValueError(f"values shape {self.values.shape} != (conditions, times, species) {(c, t, s)}")
        if self.stimuli is None:
            self.stimuli = np.zeros((c, len(self.inputs)))
        self.stimuli = np.asarray(self.stimuli, dtype=float)
        if self.stimuli.shape != (c, len(self.inputs)):
            raise ValueError(f"stimuli shape {self.stimuli.shape} != {(c, len(self.inputs))}")
        if self.initial is None:
            self.initial = np.nan_to_num(self.values[:, 0, :].copy())
        self.initial = np.asarray(self.initial, dtype=float)
        if self.observed is None:
            self.observed = np.ones((c, t), dtype=bool)
        self.observed = np.asarray(self.observed, dtype=bool)
        self.inhibit = _factors(self.inhibit, (c, s), "inhibit")
        self.knockdown = _factors(self.knockdown, (c, s), "knockdown")

    @property
    def perturbed(self) -> bool:
        """True when any condition inhibits or knocks down a species."""
        return bool((self.inhibit != 1).any() or (self.knockdown != 1).any())

    @property
    def measured(self) -> np.ndarray:
        """(C, T, S) entries a model may train on: observed time points with a value."""
        return self.observed[:, :, None] & np.isfinite(self.values)

    def _replace(self, **changes) -> "Trajectories":
        fields = dict(
            conditions=list(self.conditions), times=self.times.copy(), species=list(self.species),
            values=self.values.copy(), inputs=list(self.inputs), stimuli=self.stimuli.copy(),
            initial=self.initial.copy(), observed=self.observed.copy(), meta=dict(self.meta),
            inhibit=self.inhibit.copy(), knockdown=self.knockdown.copy(),
        )
        fields.update(changes)
        return Trajectories(**fields)

    # ---- selections ------------------------------------------------------------------
    def condition_index(self, name: str) -> int:
        try:
            return self.conditions.index(name)
        except ValueError:
            raise KeyError(f"unknown condition {name!r}; known: {', '.join(self.conditions)}") from None

    def subset(self, conditions: list[str]) -> "Trajectories":
        idx = [self.condition_index(c) for c in conditions]
        return self._replace(conditions=list(conditions), values=self.values[idx], stimuli=self.stimuli[idx],
                             initial=self.initial[idx], observed=self.observed[idx],
                             inhibit=self.inhibit[idx], knockdown=self.knockdown[idx])

    def with_observed(self, observed: np.ndarray) -> "Trajectories":
        return self._replace(observed=np.asarray(observed, dtype=bool))

    def observed_only(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, values[T_obs, S]) of the observed points of condition index c."""
        mask = self.observed[c]
        return self.times[mask], self.values[c, mask]

    # ---- tidy form ------------------------------------------------------------------------
    def to_frame(self, replicate: int = 0) -> pd.DataFrame:
        c, t, s = self.values.shape
        frame = pd.DataFrame({
            "condition": np.repeat(np.array(self.conditions, dtype=object), t * s),
            "replicate": replicate,
            "time": np.tile(np.repeat(self.times, s), c),
            "species": np.tile(np.array(self.species, dtype=object), c * t),
            "value": self.values.reshape(-1),
            "observed": np.repeat(self.observed.reshape(-1), s),
        })
        return frame[TIDY_COLUMNS]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, inputs: list[str] | None = None,
                   stimuli: dict[str, dict[str, float]] | None = None,
                   inhibit: dict[str, dict[str, float]] | None = None,
                   knockdown: dict[str, dict[str, float]] | None = None) -> "Trajectories":
        """Build from a tidy table (irregular times allowed: the union of times is used,
        missing points are NaN and unobserved). Replicates are averaged. ``stimuli``,
        ``inhibit`` and ``knockdown`` map a condition to {input or species: value}."""
        missing = {"condition", "time", "species", "value"} - set(frame.columns)
        if missing:
            raise ValueError(f"tidy table lacks columns: {', '.join(sorted(missing))}")
        frame = frame.copy()
        if "observed" not in frame:
            frame["observed"] = True
        conditions = list(dict.fromkeys(frame["condition"].astype(str)))
        species = list(dict.fromkeys(frame["species"].astype(str)))
        times = np.sort(frame["time"].astype(float).unique())
        grid = frame.groupby(["condition", "time", "species"], sort=False).agg(
            value=("value", "mean"), observed=("observed", "max")).reset_index()
        ci = {c: i for i, c in enumerate(conditions)}
        ti = {t: i for i, t in enumerate(times)}
        si = {s: i for i, s in enumerate(species)}
        values = np.full((len(conditions), len(times), len(species)), np.nan)
        observed = np.zeros((len(conditions), len(times)), dtype=bool)
        cidx = grid["condition"].astype(str).map(ci).to_numpy()
        tidx = grid["time"].astype(float).map(ti).to_numpy()
        sidx = grid["species"].astype(str).map(si).to_numpy()
        values[cidx, tidx, sidx] = grid["value"].to_numpy(dtype=float)
        observed[cidx, tidx] |= grid["observed"].to_numpy(dtype=bool)
        inputs = list(inputs or [])
        stim = np.zeros((len(conditions), len(inputs)))
        for name, weights in (stimuli or {}).items():
            if name in ci:
                for j, inp in enumerate(inputs):
                    stim[ci[name], j] = weights.get(inp, 0.0)
        return cls(conditions, times, species, values, inputs=inputs, stimuli=stim,
                   initial=np.nan_to_num(values[:, 0, :]), observed=observed,
                   inhibit=_factor_table(inhibit, conditions, species),
                   knockdown=_factor_table(knockdown, conditions, species))

    # ---- files -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """One .npz holding everything (arrays and metadata)."""
        import json

        np.savez_compressed(
            path, conditions=np.array(self.conditions), times=self.times,
            species=np.array(self.species), values=self.values, inputs=np.array(self.inputs),
            stimuli=self.stimuli, initial=self.initial, observed=self.observed,
            inhibit=self.inhibit, knockdown=self.knockdown,
            meta=np.array(json.dumps(self.meta, default=str)),
        )

    @classmethod
    def load(cls, path: str | Path) -> "Trajectories":
        import json

        with np.load(path, allow_pickle=False) as z:
            return cls(
                conditions=[str(x) for x in z["conditions"]], times=z["times"],
                species=[str(x) for x in z["species"]], values=z["values"],
                inputs=[str(x) for x in z["inputs"]], stimuli=z["stimuli"], initial=z["initial"],
                observed=z["observed"], meta=json.loads(str(z["meta"])),
                inhibit=z["inhibit"] if "inhibit" in z else None,
                knockdown=z["knockdown"] if "knockdown" in z else None,
            )


def _factors(value: np.ndarray | None, shape: tuple[int, int], what: str) -> np.ndarray:
    """A (C, S) array of perturbation factors (ones when None), checked finite and >= 0."""
    if value is None:
        return np.ones(shape)
    out = np.asarray(value, dtype=float)
    if out.shape != shape:
        raise ValueError(f"{what} shape {out.shape} != (conditions, species) {shape}")
    if not np.all(np.isfinite(out)) or (out < 0).any():
        raise ValueError(f"{what} factors must be finite and non-negative")
    return out


def _factor_table(table: dict[str, dict[str, float]] | None, conditions: list[str],
                  species: list[str]) -> np.ndarray:
    out = np.ones((len(conditions), len(species)))
    index = {s: i for i, s in enumerate(species)}
    for c, name in enumerate(conditions):
        for sid, value in (table or {}).get(name, {}).items():
            if sid not in index:
                raise ValueError(f"condition {name}: perturbed species {sid!r} is not in the table")
            out[c, index[sid]] = float(value)
    return out
