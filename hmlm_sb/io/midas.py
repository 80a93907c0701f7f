"""MIDAS tables (CellNOpt, caspo, the DREAM signaling challenges), read and written.

Columns (Saez-Rodriguez et al. 2008; CellNOptR ``readMIDAS``):

* ``TR:<cell>:CellLine`` a tag naming the cell line (its values are ignored);
* ``TR:X`` a treatment (level, usually 0/1). ``TR:X:Stimuli`` / ``TR:X:Inhibitors``
  say which it is; otherwise a name ending in ``i`` is an inhibitor of species ``X``
  without the ``i`` (``TR:mek12i`` inhibits ``mek12``), any other a stimulus;
* ``DA:X`` the time of the measurement of readout X (``DA:ALL``: of every readout);
* ``DV:X`` the measured value (NaN or empty: not measured);
* ``ID:...`` and ``NOINHIB``/``NOCYTO`` tags are ignored.

An experiment is one distinct treatment pattern; rows with the same pattern and time are
replicates (averaged, their standard deviation kept). An experiment without a t = 0 row
takes the t = 0 row of the experiment with the same inhibitors and no stimuli, else of
the untreated one (CellNOpt measures t = 0 once per inhibitor set).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.io.experiment_table import CONTROL_ID, Experiment, ExperimentSet, _csv_frame, numeric_column

IGNORED_TAGS = ("NOINHIB", "NOCYTO", "NOLIG", "NO-INHIB", "NO-CYTO", "NO-LIG")


def parse_midas(data: bytes, path: Path) -> ExperimentSet:
    frame = _csv_frame(data, path, typed=True)
    header = list(frame.columns)
    cell_line, treatments, times, values = _classify(header, path)
    if not values:
        raise InputError("no DV: (measured value) column", file=str(path), element="row 1")
    if not times:
        raise InputError("no time column (DA:)", file=str(path), element="row 1")
    readouts = [name for _, name in values]
    missing = [r for r in readouts if r not in times and "ALL" not in times]
    if missing:
        col = next(k for k, name in values if name == missing[0])
        raise InputError(f"readout {missing[0]!r} has no time column DA:{missing[0]}", file=str(path),
                         element=f"row 1, column {col + 1} ({header[col]})")
    levels = np.stack([numeric_column(frame.iloc[:, k], path, k + 1, header[k], allow_nan=False)
                       for k, _, _ in treatments], axis=1) if treatments else np.zeros((len(frame), 0))
    value = np.stack([numeric_column(frame.iloc[:, k], path, k + 1, header[k]) for k, _ in values], axis=1)
    time_col = {name: numeric_column(frame.iloc[:, k], path, k + 1, header[k], allow_nan=False)
                for name, k in times.items()}
    when = np.stack([time_col[r] if r in time_col else time_col["ALL"] for r in readouts], axis=1)
    out = ExperimentSet(id=path.stem, experiments=[])
    out.columns = {name: f"row 1, column {k + 1} ({header[k]})" for k, name, _ in treatments}
    out.columns.update({name: f"row 1, column {k + 1} ({header[k]})" for k, name in values})
    out.experiments = _experiments(levels, when, value, treatments, readouts, cell_line)
    _fill_missing_t0(out.experiments, treatments)
    return out


def _classify(header: list[str], path: Path):
    cell_line = ""
    treatments: list[tuple[int, str, str]] = []  # (column, target name, kind)
    times: dict[str, int] = {}
    values: list[tuple[int, str]] = []
    for k, raw in enumerate(header):
        parts = [p.strip() for p in raw.split(":")]
        tag = parts[0].upper()
        where = f"row 1, column {k + 1} ({raw})"
        if tag == "TR" and len(parts) >= 3 and parts[-1].lower() == "cellline":
            cell_line = parts[1]
        elif tag == "TR" and len(parts) >= 2 and parts[1]:
            kind = parts[2].lower() if len(parts) > 2 else ""
            name = parts[1]
            ends_in_i = name.lower().endswith("i") and len(name) > 1
            if kind.startswith("inhib") or (not kind and ends_in_i):
                treatments.append((k, name[:-1] if ends_in_i else name, "inhibitor"))
            elif not kind or kind.startswith("stim"):
                treatments.append((k, name, "stimulus"))
            else:
                raise InputError(f"unknown treatment kind {parts[2]!r} (Stimuli, Inhibitors or CellLine)",
                                 file=str(path), element=where)
        elif tag == "DA" and len(parts) >= 2 and parts[1]:
            times[parts[1]] = k
        elif tag == "DV" and len(parts) >= 2 and parts[1]:
            values.append((k, parts[1]))
        elif tag == "ID" or raw.strip().upper() in IGNORED_TAGS:
            continue
        else:
            raise InputError("not a MIDAS column (TR:, DA:, DV: or ID:)", file=str(path), element=where)
    names = [name for _, name, _ in treatments]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise InputError(f"two treatment columns target {dup!r}", file=str(path), element="row 1")
    return cell_line, treatments, times, values


def experiment_id(stimuli: dict[str, float], inhibitors: dict[str, float], columns: dict[str, str]) -> str:
    """``EGF+TNFa+PI3Ki``; ``control`` when untreated; ``=level`` where a level is not 1."""
    parts = [f"{columns.get(s, s)}" + ("" if v == 1 else f"={v:g}") for s, v in stimuli.items()]
    parts += [f"{columns.get(s, s + 'i')}" + ("" if v == 1 else f"={v:g}") for s, v in inhibitors.items()]
    return "+".join(parts) or CONTROL_ID


def _experiments(levels: np.ndarray, when: np.ndarray, value: np.ndarray, treatments, readouts: list[str],
                 cell_line: str) -> list[Experiment]:
    patterns, inverse = np.unique(levels, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(patterns) + 1))
    groups = [order[bounds[p]:bounds[p + 1]] for p in range(len(patterns))]
    groups.sort(key=lambda rows: int(rows[0]))  # experiments in the order of their first row
    columns = {name: f"{name}i" if kind == "inhibitor" else name for _, name, kind in treatments}
    out: list[Experiment] = []
    used: set[str] = set()
    for rows in groups:
        pattern = levels[rows[0]]
        stim = {name: float(v) for (_, name, kind), v in zip(treatments, pattern) if kind == "stimulus" and v}
        inh = {name: float(v) for (_, name, kind), v in zip(treatments, pattern) if kind == "inhibitor" and v}
        exp_id = experiment_id(stim, inh, columns)
        while exp_id in used:
            exp_id += "_"
        used.add(exp_id)
        mean, sd, grid = _replicate_stats(when[rows], value[rows])
        names = {r: r for r in readouts} | {name: name for name in (*stim, *inh)}
        out.append(Experiment(exp_id, stim, inh, grid, list(readouts), mean, sd, cell_line, names,
                              {name: columns[name] for name in (*stim, *inh)}))
    return out


def _replicate_stats(when: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Mean and sample sd (None when no replicates) per (time, readout) of one experiment's rows."""
    grid = np.unique(when)
    t_idx = np.searchsorted(grid, when)
    r_idx = np.broadcast_to(np.arange(value.shape[1]), value.shape)
    finite = np.isfinite(value)
    shape = (len(grid), value.shape[1])
    n, total, squares = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(n, (t_idx[finite], r_idx[finite]), 1)
    np.add.at(total, (t_idx[finite], r_idx[finite]), value[finite])
    np.add.at(squares, (t_idx[finite], r_idx[finite]), value[finite] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        var = np.where(n > 1, (squares - n * mean ** 2) / np.maximum(n - 1, 1), np.nan)
    sd = np.sqrt(np.maximum(var, 0.0))
    return mean, (sd if np.isfinite(sd).any() else None), grid


def _fill_missing_t0(experiments: list[Experiment], treatments) -> None:
    with_t0 = {e.id: e for e in experiments if e.times.size and e.times[0] == 0}
    for exp in experiments:
        if exp.id in with_t0:
            continue
        donor = next((d for d in with_t0.values() if not d.stimuli and d.inhibitors == exp.inhibitors), None)
        donor = donor or next((d for d in with_t0.values() if not d.stimuli and not d.inhibitors), None)
        if donor is None or donor.readouts != exp.readouts:
            continue
        exp.times = np.concatenate([[0.0], exp.times])
        exp.values = np.vstack([donor.values[:1], exp.values])
        if exp.sd is not None:
            exp.sd = np.vstack([np.full((1, exp.sd.shape[1]), np.nan), exp.sd])


# ---- writing ---------------------------------------------------------------------------------
def write_midas(experiments: ExperimentSet, path: str | Path) -> Path:
    """One row per experiment and time point; names as read (``names`` of each
    experiment), inhibitors as ``TR:<target>i``. Reading it back gives the same
    experiments (same ids, treatments, times and values)."""
    import csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exps = experiments.experiments
    cell = next((e.cell_line for e in exps if e.cell_line), "") or "cell"
    stim_cols: dict[str, str] = {}
    inh_cols: dict[str, str] = {}
    readouts: dict[str, str] = {}
    for e in exps:
        for s in e.stimuli:
            stim_cols.setdefault(s, e.treatment_columns.get(s) or e.names.get(s, s))
        for s in e.inhibitors:
            inh_cols.setdefault(s, e.treatment_columns.get(s) or e.names.get(s, s) + "i")
        for r in e.readouts:
            readouts.setdefault(r, e.names.get(r, r))
    header = [f"TR:{cell}:CellLine"] + [f"TR:{n}" for n in stim_cols.values()] + \
        [f"TR:{n}" for n in inh_cols.values()] + [f"DA:{n}" for n in readouts.values()] + \
        [f"DV:{n}" for n in readouts.values()]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for t_first in (True, False):  # t = 0 rows first, as CellNOpt writes them
            for e in exps:
                treat = [_fmt(e.stimuli.get(s, 0.0)) for s in stim_cols] + \
                    [_fmt(e.inhibitors.get(s, 0.0)) for s in inh_cols]
                index = {r: k for k, r in enumerate(e.readouts)}
                for t, time in enumerate(e.times):
                    if (time == 0) != t_first:
                        continue
                    vals = [_fmt(e.values[t, index[r]]) if r in index else "NaN" for r in readouts]
                    writer.writerow(["1", *treat, *([_fmt(time)] * len(readouts)), *vals])
    return path


def _fmt(value: float) -> str:
    value = float(value)
    if np.isnan(value):
        return "NaN"
    return repr(int(value)) if value.is_integer() else repr(value)
