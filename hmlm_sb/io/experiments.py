"""Measured experiments: reading (MIDAS, tidy CSV), name mapping, normalisation, and
experiments as what models train on.

An :class:`Experiment` (:mod:`hmlm_sb.io.experiment_table`) is one treatment pattern
(stimuli plus inhibitors) measured at a few time points on some readout species (NaN:
not measured); an :class:`ExperimentSet` is what one file holds. Readers
(:func:`read_experiments`: MIDAS or tidy CSV) keep the file's names;
:func:`map_to_network` renames readouts and treatments to a network's species ids
(case-insensitively, after an optional ``--map`` file) and refuses what does not match,
in one line; :func:`experiments_to_trajectories` turns them into what models train on.

Tidy CSV (see docs/experiments.md): ``experiment,time,species,value[,sd]`` with
optional ``cell_line`` and treatment columns ``stim:X`` / ``inh:X`` (level, constant
within an experiment; ``inh:X`` names the inhibited species itself). Without treatment
columns, a treatments table ``<stem>_treatments.csv`` beside the file gives them
(``experiment,stim:X,...,inh:Y,...``).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.io.experiment_table import (NAN_TOKENS, Experiment, ExperimentSet, _csv_frame, _header,
                                         numeric_column)

__all__ = ["Experiment", "ExperimentSet", "read_experiments", "detect_data_format", "map_to_network", "normalise",
           "experiments_to_trajectories", "read_name_map"]

DATA_FORMATS = ("midas", "tidy")
TIDY_REQUIRED = ("experiment", "time", "species", "value")


# ---- reading -------------------------------------------------------------------------------
def detect_data_format(path: str | Path) -> str | None:
    """``midas`` (a TR:/DA:/DV: header), ``tidy`` (experiment,time,species,value) or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192).decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    first = head.lstrip().split("\n", 1)[0].strip()
    fields = [f.strip().strip('"').lower() for f in first.split(",")]
    if len(fields) < 2:
        return None
    if any(f.startswith(("tr:", "da:", "dv:")) for f in fields):
        return "midas"
    if all(name in fields for name in TIDY_REQUIRED):
        return "tidy"
    return None


def read_experiments(path: str | Path, format: str = "auto", *, dataset_id: str | None = None) -> ExperimentSet:
    """Read a MIDAS or tidy CSV file (names as in the file)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    fmt = detect_data_format(path) if format == "auto" else format
    if fmt not in DATA_FORMATS:
        raise InputError("not a MIDAS table (TR:/DA:/DV: header) nor a tidy CSV "
                         f"({','.join(TIDY_REQUIRED)}[,sd])", file=str(path))
    data = path.read_bytes()
    if fmt == "midas":
        from hmlm_sb.io.midas import parse_midas

        out = parse_midas(data, path)
    else:
        out = parse_tidy(data, path)
    out.id = (dataset_id or path.stem).replace("/", "_")
    out.source_file = str(path)
    out.sha256 = hashlib.sha256(data).hexdigest()
    out.format = fmt
    return out


def parse_tidy(data: bytes, path: Path) -> ExperimentSet:
    import pandas as pd

    header = _header(data, path)
    lower = {c.lower(): c for c in header}
    for name in TIDY_REQUIRED:
        if name not in lower:
            raise InputError(f"no {name!r} column (a tidy CSV has {','.join(TIDY_REQUIRED)}[,sd])", file=str(path),
                             element="row 1")
    col = {name: lower[name] for name in (*TIDY_REQUIRED, "sd", "cell_line") if name in lower}
    frame = _csv_frame(data, path, typed=True,
                       text_columns=[col[k] for k in ("experiment", "species", "cell_line") if k in col])
    columns = list(frame.columns)
    position = {c: i + 1 for i, c in enumerate(columns)}
    times = numeric_column(frame[col["time"]], path, position[col["time"]], col["time"], allow_nan=False)
    values = numeric_column(frame[col["value"]], path, position[col["value"]], col["value"])
    sd = numeric_column(frame[col["sd"]], path, position[col["sd"]], col["sd"]) if "sd" in col else None
    treatments = _treatment_columns(columns, path)
    table = frame
    if not treatments:
        table, treatments = _treatments_table(path, frame[col["experiment"]])
    levels = {c: numeric_column(table[c], path, list(table.columns).index(c) + 1, c, allow_nan=False)
              for c in treatments}
    experiment_names = frame[col["experiment"]].astype(str).str.strip().to_numpy()
    species_names = frame[col["species"]].astype(str).str.strip().to_numpy()
    empty = pd.Series(species_names).str.lower().isin(NAN_TOKENS).to_numpy()
    if empty.any():
        raise InputError("empty species name", file=str(path),
                         element=f"row {int(np.flatnonzero(empty)[0]) + 2}, column {position[col['species']]} "
                                 f"({col['species']})")
    cells = frame[col["cell_line"]].astype(str).str.strip().to_numpy() if "cell_line" in col else None
    out = ExperimentSet(id=path.stem, experiments=[])
    out.columns = {c.split(":", 1)[1].strip(): f"row 1, column {position.get(c, 0)} ({c})" for c in treatments}
    names_found, first = np.unique(species_names, return_index=True)
    out.columns.update({name: f"row {k + 2}, column {position[col['species']]} ({col['species']})"
                        for name, k in zip(names_found, first)})
    if table is frame:
        table_rows = None
    else:
        table_names = table.iloc[:, 0].astype(str).str.strip().tolist()
        table_rows = {name: np.array([k]) for k, name in enumerate(table_names)}
    groups = pd.Series(np.arange(len(frame))).groupby(experiment_names, sort=False)
    for exp_id, rows in groups:
        rows = rows.to_numpy()
        treated = rows if table_rows is None else table_rows[str(exp_id)]
        stim, inh = _treatments_of(str(exp_id), treatments, levels, treated, path)
        readouts = list(dict.fromkeys(species_names[rows]))
        grid = np.unique(times[rows])
        r_index = {r: i for i, r in enumerate(readouts)}
        t_index = np.searchsorted(grid, times[rows])
        rr = np.fromiter((r_index[x] for x in species_names[rows]), dtype=np.int64, count=len(rows))
        sums = np.zeros((len(grid), len(readouts)))
        counts = np.zeros_like(sums)
        finite = np.isfinite(values[rows])
        np.add.at(sums, (t_index[finite], rr[finite]), values[rows][finite])
        np.add.at(counts, (t_index[finite], rr[finite]), 1)
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        sd_grid = None
        if sd is not None:
            sd_grid = np.full_like(sums, np.nan)
            sd_grid[t_index, rr] = sd[rows]
        cell = str(cells[rows[0]]) if cells is not None else ""
        names = {r: r for r in readouts} | {x: x for x in (*stim, *inh)}
        out.experiments.append(Experiment(str(exp_id), stim, inh, grid, readouts, mean, sd_grid, cell, names))
    return out


def _treatment_columns(columns: list[str], path: Path) -> list[str]:
    out = []
    for c in columns:
        kind, sep, name = c.partition(":")
        if sep and kind.strip().lower() in ("stim", "inh"):
            if not name.strip():
                raise InputError("treatment column without a species name", file=str(path),
                                 element=f"row 1, column {columns.index(c) + 1} ({c})")
            out.append(c)
    return out


def _treatments_table(path: Path, experiments):
    table_path = path.with_name(path.stem + "_treatments.csv")
    if not table_path.is_file():
        return None, []
    table = _csv_frame(table_path.read_bytes(), table_path)
    treatments = _treatment_columns(list(table.columns), table_path)
    known = set(table.iloc[:, 0].astype(str).str.strip())
    missing = [e for e in dict.fromkeys(experiments.astype(str).str.strip()) if e not in known]
    if missing:
        raise InputError(f"experiment {missing[0]!r} has no row in the treatments table", file=str(table_path))
    return table, treatments


def _treatments_of(exp_id: str, treatments: list[str], levels: dict[str, np.ndarray], rows: np.ndarray,
                   path: Path) -> tuple[dict[str, float], dict[str, float]]:
    stim: dict[str, float] = {}
    inh: dict[str, float] = {}
    for c in treatments:
        kind, _, species = c.partition(":")
        values = levels[c][rows]
        if len(set(values.tolist())) > 1:
            raise InputError(f"treatment {c} changes within experiment {exp_id!r}", file=str(path),
                             element=f"row {int(rows[np.flatnonzero(values != values[0])[0]]) + 2}")
        if len(values) and values[0] != 0:
            (stim if kind.strip().lower() == "stim" else inh)[species.strip()] = float(values[0])
    return stim, inh


# ---- names to species -------------------------------------------------------------------------
def read_name_map(path: str | Path) -> dict[str, str]:
    """``--map FILE``: two columns (file name, species id), CSV or TSV, header optional."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    out: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in (line.split("\t") if "\t" in line else line.split(","))]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise InputError("expected two columns: name in the data file, species id", file=str(path),
                             element=f"line {number}")
        if number == 1 and parts[0].lower() in ("name", "from", "data", "readout"):
            continue
        out[parts[0]] = parts[1]
    return out


def species_resolver(network, rename: dict[str, str] | None = None):
    """name -> species id of ``network`` (exact, then ignoring case; ``rename`` first), or None."""
    ids = list(network.species)
    by_lower: dict[str, list[str]] = {}
    for sid in ids:
        by_lower.setdefault(sid.lower(), []).append(sid)
        local = sid.rsplit("/", 1)[-1]
        if local != sid:
            by_lower.setdefault(local.lower(), []).append(sid)
    for sid, sp in network.species.items():
        if sp.name and sp.name.lower() not in by_lower:
            by_lower[sp.name.lower()] = [sid]
    lowered_rename = {k.lower(): v for k, v in (rename or {}).items()}

    def resolve(name: str) -> str | None:
        name = lowered_rename.get(name.lower(), name)
        if name in network.species:
            return name
        hits = by_lower.get(name.lower(), [])
        return hits[0] if len(set(hits)) == 1 else None

    return resolve


def map_to_network(experiments: ExperimentSet, network, rename: dict[str, str] | None = None) -> ExperimentSet:
    """The experiments with readouts and treatment targets renamed to ``network``'s
    species ids. Unknown names are refused in one line listing every miss."""
    resolve = species_resolver(network, rename)
    mapping: dict[str, str] = {}
    misses: list[str] = []
    for name in dict.fromkeys([*experiments.readouts, *experiments.stimuli, *experiments.inhibitors]):
        sid = resolve(name)
        if sid is None:
            misses.append(name)
        else:
            mapping[name] = sid
    if misses:
        first = experiments.columns.get(misses[0], "")
        also = f" (all unknown: {', '.join(misses)})" if len(misses) > 1 else ""
        what = "the inhibitor of nothing in the network" if misses[0] in experiments.inhibitors and \
            misses[0] not in experiments.readouts else "unknown species"
        raise InputError(f"{what} {misses[0]!r}{also}; rename with --map FILE (name,species)",
                         file=experiments.source_file or None, element=first or None)
    mapped = []
    for exp in experiments.experiments:
        readouts = [mapping[r] for r in exp.readouts]
        if len(set(readouts)) != len(readouts):
            dup = next(r for r in readouts if readouts.count(r) > 1)
            raise InputError(f"two readouts map to species {dup!r}", file=experiments.source_file or None,
                             element=experiments.columns.get(exp.readouts[readouts.index(dup)]))
        names = {mapping[k]: v for k, v in exp.names.items() if k in mapping}
        columns = {mapping[k]: v for k, v in exp.treatment_columns.items() if k in mapping}
        mapped.append(replace(exp, readouts=readouts, stimuli={mapping[k]: v for k, v in exp.stimuli.items()},
                              inhibitors={mapping[k]: v for k, v in exp.inhibitors.items()}, names=names,
                              treatment_columns=columns))
    return replace(experiments, experiments=mapped)


# ---- normalisation ----------------------------------------------------------------------------
NORMALISATIONS = ("none", "time", "minmax")
TIME_DEFAULTS = {"ec50_data": 0.5, "hill": 2.0, "ec50_noise": 0.0, "detection": 0.0, "saturation": math.inf,
                 "change_threshold": 0.0}


def normalise(experiments: ExperimentSet, method: str, **params: float) -> ExperimentSet:
    """Values scaled to 0..1.

    ``time``: CellNOpt's normalisation relative to t = 0 (CellNOptR ``normaliseCNOlist``,
    mode "time"; cellnopt.core defaults, see :data:`TIME_DEFAULTS`): values outside
    [detection, saturation] become NaN; fold change F = |X(t) - X(0)| / X(0); Hill
    H = F^h / (EC50data^h + F^h); noise penalty P = Xs / (EC50noise + Xs) with Xs = X
    over the readout's maximum; result H * P, negated where X fell, 0 where the change is
    within the threshold; a readout with negative values is rescaled to 0..1.
    ``minmax``: (X - min) / (max - min) per readout over every experiment and time.
    """
    if method == "none":
        return experiments
    if method not in NORMALISATIONS:
        raise InputError(f"unknown normalisation {method!r} (one of {', '.join(NORMALISATIONS)})",
                         element="--normalise")
    unknown = set(params) - set(TIME_DEFAULTS)
    if unknown:
        raise InputError(f"unknown normalisation parameter {sorted(unknown)[0]!r} "
                         f"(known: {', '.join(TIME_DEFAULTS)})", element="--normalise-param")
    opts = {**TIME_DEFAULTS, **params}
    by_readout: dict[str, list[np.ndarray]] = {}
    for exp in experiments.experiments:
        for r, name in enumerate(exp.readouts):
            by_readout.setdefault(name, []).append(exp.values[:, r])
    if method == "minmax":
        low = {k: np.nanmin(np.concatenate(v)) for k, v in by_readout.items()}
        high = {k: np.nanmax(np.concatenate(v)) for k, v in by_readout.items()}
        scaled = [_scaled(exp, lambda r, col: (col - low[r]) / (high[r] - low[r]) if high[r] > low[r]
                          else np.zeros_like(col)) for exp in experiments.experiments]
    else:
        scaled = _time_normalised(experiments, opts)
    label = method if method == "minmax" else "time(" + ",".join(f"{k}={v:g}" for k, v in opts.items()) + ")"
    return replace(experiments, experiments=scaled, normalisation=label)


def _scaled(exp: Experiment, fn) -> Experiment:
    values = np.stack([fn(r, exp.values[:, k]) for k, r in enumerate(exp.readouts)], axis=1) if exp.readouts \
        else exp.values
    return replace(exp, values=values, sd=None)


def _time_normalised(experiments: ExperimentSet, opts: dict[str, float]) -> list[Experiment]:
    masked = {}
    for exp in experiments.experiments:
        v = exp.values.copy()
        v[(v > opts["saturation"]) | (v < opts["detection"])] = np.nan
        masked[exp.id] = v
    maximum: dict[str, float] = {}
    for exp in experiments.experiments:
        for k, r in enumerate(exp.readouts):
            col = masked[exp.id][:, k]
            if np.isfinite(col).any():
                maximum[r] = max(maximum.get(r, -np.inf), float(np.nanmax(col)))
    raw = []
    for exp in experiments.experiments:
        v = masked[exp.id]
        zero = np.flatnonzero(exp.times == 0)
        if zero.size == 0:
            raise InputError(f"experiment {exp.id!r} has no t = 0 row: time normalisation needs one",
                             file=experiments.source_file or None, element="--normalise time")
        base = v[zero[0]]
        diff = v - base
        with np.errstate(divide="ignore", invalid="ignore"):
            fold = np.abs(diff) / base
            hill = fold ** opts["hill"] / (opts["ec50_data"] ** opts["hill"] + fold ** opts["hill"])
            top = np.array([maximum.get(r, np.nan) for r in exp.readouts])
            xs = v / top
            penalty = xs / (opts["ec50_noise"] + xs)
        out = hill * penalty
        out[diff < -opts["change_threshold"]] *= -1
        out[np.abs(diff) <= opts["change_threshold"]] = 0.0
        out[~np.isfinite(v)] = np.nan
        raw.append(out)
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for exp, out in zip(experiments.experiments, raw):
        for k, r in enumerate(exp.readouts):
            col = out[:, k]
            if np.isfinite(col).any():
                low[r] = min(low.get(r, np.inf), float(np.nanmin(col)))
                high[r] = max(high.get(r, -np.inf), float(np.nanmax(col)))
    result = []
    for exp, out in zip(experiments.experiments, raw):
        for k, r in enumerate(exp.readouts):
            if r in low and low[r] < 0 and low[r] != high[r]:
                out[:, k] = (out[:, k] - low[r]) / (high[r] - low[r])
        result.append(replace(exp, values=out, sd=None))
    return result


def raw_data_warning(experiments: ExperimentSet) -> str | None:
    """A line when values lie outside 0..1 and nothing normalised them."""
    if experiments.normalisation != "none":
        return None
    values = np.concatenate([e.values.ravel() for e in experiments.experiments]) if experiments.experiments \
        else np.zeros(0)
    values = values[np.isfinite(values)]
    if values.size and (values.min() < 0 or values.max() > 1):
        return (f"values outside 0..1 (min {values.min():g}, max {values.max():g}): raw data? "
                "--normalise time (CellNOpt) or --normalise minmax scales them")
    return None


# ---- experiments as what models train on ----------------------------------------------------------
INPUT_PREFIX = "input_"


def with_stimulus_inputs(network, stimulated: list[str]):
    """A copy of ``network`` where every stimulated species without an input reaction
    gets one (``=> X``, weight 1). The stored PKN is left as it is: the inputs are made
    when a data set is built from experiments, from the stimuli they name."""
    import copy

    from hmlm_sb.network import Participant, Reaction

    driven = set(network.input_species())
    missing = [s for s in dict.fromkeys(stimulated) if s not in driven]
    if not missing:
        return network
    out = copy.deepcopy(network)
    for sid in missing:
        rid = INPUT_PREFIX + sid.replace("/", "_")
        while rid in out.reactions:
            rid += "_"
        model = out.species[sid].model or (out.models[0].id if len(out.models) == 1 else "")
        out.add_reaction(Reaction(id=rid, kind="input", participants=[Participant(sid, "output", 1)],
                                  params={"weight": 1.0}, name=f"=> {sid} (stimulus)", model=model))
    return out


def experiments_to_trajectories(experiments: list[Experiment], network, *, name: str = "experiments"):
    """(Trajectories, prior) for experiments whose species are ``network``'s ids.

    Conditions are the experiments; inputs are the prior's input reactions (stimulated
    species get one, :func:`with_stimulus_inputs`), ``stimuli[c, i]`` the level of the
    species input i drives in experiment c (0 when not stimulated); ``inhibit[c, s]`` is
    ``1 - level`` for inhibited species (1 elsewhere); ``values`` NaN where not measured;
    ``observed[c, t]`` marks the times experiment c was measured at; ``initial`` is the
    t = 0 row (NaN for species not measured there).
    """
    from hmlm_sb.trajectories import Trajectories

    if not experiments:
        raise InputError("no experiments selected")
    stimulated = list(dict.fromkeys(s for e in experiments for s in e.stimuli))
    prior = with_stimulus_inputs(network, stimulated)
    species = list(prior.species)
    s_index = {s: k for k, s in enumerate(species)}
    unknown = [r for e in experiments for r in (*e.readouts, *e.stimuli, *e.inhibitors) if r not in s_index]
    if unknown:
        raise InputError(f"species {unknown[0]!r} of the experiments is not in the network", element=name)
    times = np.unique(np.concatenate([e.times for e in experiments]))
    inputs = [r.id for r in prior.input_reactions()]
    input_target = {r.id: [t.species for t in r.targets()] for r in prior.input_reactions()}
    c, t, s = len(experiments), len(times), len(species)
    values = np.full((c, t, s), np.nan)
    observed = np.zeros((c, t), dtype=bool)
    stimuli = np.zeros((c, len(inputs)))
    inhibit = np.ones((c, s))
    for k, exp in enumerate(experiments):
        t_idx = np.searchsorted(times, exp.times)
        r_idx = [s_index[r] for r in exp.readouts]
        values[k, t_idx[:, None], np.asarray(r_idx)[None, :]] = exp.values
        observed[k, t_idx] = np.isfinite(exp.values).any(axis=1) | (exp.times == 0)
        for i, rid in enumerate(inputs):
            levels = [exp.stimuli[sp] for sp in input_target[rid] if sp in exp.stimuli]
            stimuli[k, i] = max(levels) if levels else 0.0
        for sp, factor in exp.inhibit().items():
            inhibit[k, s_index[sp]] = factor
    initial = values[:, 0, :].copy() if times[0] == 0 else np.full((c, s), np.nan)
    meta = {"kind": "experiments", "experiments": [e.id for e in experiments]}
    traj = Trajectories([e.id for e in experiments], times, species, values, inputs=inputs, stimuli=stimuli,
                        initial=initial, observed=observed, meta=meta, inhibit=inhibit)
    return traj, prior


def fill_initial(traj, prior) -> None:
    """``traj.initial`` where NaN (species not measured at t = 0) set to the prior's
    initial state, as the model contract prescribes for a NaN initial value."""
    y0 = np.array([prior.species[s].initial for s in traj.species], dtype=float)
    traj.initial = np.where(np.isfinite(traj.initial), traj.initial, y0[None, :])
