"""The experiment data classes and the CSV helpers both data readers share.

The bottom room of the measurement readers: :mod:`hmlm_sb.io.midas` and
:mod:`hmlm_sb.io.experiments` import it, it imports neither.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.experiment import Experiment, ExperimentSet  # noqa: F401  (re-exported)

NAN_TOKENS = {"", "nan", "na", "n/a", "null", "none"}
CONTROL_ID = "control"


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
