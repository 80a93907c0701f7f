"""The experiment data classes and the CSV helpers both data readers share.

The bottom room of the measurement readers: :mod:`hmlm_sb.io.midas` and
:mod:`hmlm_sb.io.experiments` import it, it imports neither.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hmlm_sb.errors import InputError

NAN_TOKENS = {"", "nan", "na", "n/a", "null", "none"}
CONTROL_ID = "control"


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


def numeric_column(texts, path: Path, column: int, header: str, *, first_row: int = 2,
                   allow_nan: bool = True) -> np.ndarray:
    """Strings to floats; a non-number raises naming file, row and column."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(getattr(texts, "dtype", None)):
        values = np.asarray(texts, dtype=float)
        if not allow_nan and np.isnan(values).any():
            k = int(np.flatnonzero(np.isnan(values))[0])
            raise InputError("empty value", file=str(path), element=f"row {k + first_row}, column {column} ({header})")
        return values
    series = pd.Series(texts, dtype=object).astype(str).str.strip()
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & ~series.str.lower().isin(NAN_TOKENS).to_numpy()
    if not allow_nan:
        bad |= np.isnan(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"not a number: {series.iloc[k]!r}", file=str(path),
                         element=f"row {k + first_row}, column {column} ({header})")
    return values


def _header(data: bytes, path: Path) -> list[str]:
    import csv

    first = data[:65536].decode("utf-8-sig", errors="replace").splitlines()
    return [c.strip() for c in next(csv.reader(first[:1]), [])] if first else []


def _csv_frame(data: bytes, path: Path, *, typed: bool = False, text_columns: list[str] | None = None):
    """The CSV as strings, or with ``typed`` as numbers where a column parses (NaN for the
    tokens of :data:`NAN_TOKENS`), strings elsewhere and in ``text_columns``."""
    import io

    import pandas as pd

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    options = ({"na_values": sorted(NAN_TOKENS | {t.upper() for t in NAN_TOKENS} | {"NaN"}), "keep_default_na": False,
                "dtype": {c: str for c in text_columns or []}}
               if typed else {"dtype": str, "keep_default_na": False})
    try:
        frame = pd.read_csv(io.StringIO(text), skipinitialspace=True, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a CSV table: {str(exc).strip().splitlines()[0]}", file=str(path)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
