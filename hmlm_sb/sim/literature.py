"""Qualitative validation against published experiments (Netflux-style literature validation).

Each experiment stimulates one input and reports the measured change of one output
(Increase / Decrease / No Change). A model is any callable ``simulate(weights) ->
activities``: ``weights`` maps every input species to its weight, ``activities`` maps
species to their final activity. For each experiment the model is run at the baseline
weights and with the stimulated input raised; the change of the output beyond
``threshold`` gives the predicted class. Defaults follow the authors' validation script
for Rogers 2022 (ValidationSimulations.m: stimulus weight 0.8, threshold 0.05).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network

CLASSES = ("Increase", "Decrease", "No Change")
Simulator = Callable[[dict[str, float]], Mapping[str, float]]


@dataclass(frozen=True)
class Experiment:
    id: str
    input: str
    output: str
    measurement: str
    input_code: str = ""
    reference: str = ""


@dataclass
class LiteratureProtocol:
    stimulus_weight: float = 0.8
    threshold: float = 0.05  # |change| above this is an Increase / Decrease
    baseline_weights: dict[str, float] = field(default_factory=dict)  # overrides of the network's own
    t_baseline: float = 80.0  # mechanistic model: baseline run from y0
    t_stimulus: float = 240.0  # then the stimulated run from the baseline state


@dataclass
class LiteratureScore:
    table: pd.DataFrame  # one row per scored experiment
    skipped: pd.DataFrame  # experiments the model cannot simulate, with the reason
    threshold: float

    @property
    def agreement(self) -> float:
        return float(self.table["match"].mean()) if len(self.table) else float("nan")

    def per_input(self) -> pd.DataFrame:
        grouped = self.table.groupby("input", sort=True)["match"]
        return pd.DataFrame({"experiments": grouped.size(), "agree": grouped.sum().astype(int),
                             "agreement": grouped.mean().round(3)}).reset_index()

    def confusion(self) -> pd.DataFrame:
        """Rows: measured class; columns: predicted class."""
        matrix = pd.crosstab(pd.Categorical(self.table["measurement"], CLASSES),
                             pd.Categorical(self.table["prediction"], CLASSES), dropna=False)
        matrix.index.name, matrix.columns.name = "measured", "predicted"
        return matrix

    def to_json(self) -> dict:
        conf = self.confusion()
        return {
            "agreement": self.agreement, "scored": int(len(self.table)),
            "agree": int(self.table["match"].sum()), "skipped": int(len(self.skipped)),
            "threshold": self.threshold,
            "per_input": self.per_input().to_dict(orient="records"),
            "confusion": {m: {p: int(conf.loc[m, p]) for p in CLASSES} for m in CLASSES},
            "experiments": self.table.to_dict(orient="records"),
            "skipped_experiments": self.skipped.to_dict(orient="records"),
        }


def read_literature(path: str | Path) -> list[Experiment]:
    """Experiments from a Netflux validation sheet (columns ID, Input, Output, Measurement)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pd.read_excel(path) if path.suffix.lower() in (".xlsx", ".xls") else pd.read_csv(path)
    except Exception as exc:  # pandas/openpyxl raise many types for unreadable files
        raise InputError(f"cannot read validation table ({exc.__class__.__name__})", file=str(path)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = {"Input", "Output", "Measurement"} - set(frame.columns)
    if missing:
        raise InputError(f"validation table lacks columns: {', '.join(sorted(missing))}", file=str(path))
    experiments = []
    for i, row in frame.iterrows():
        if all(_blank(row.get(c)) for c in ("Input", "Output", "Measurement")):
            continue
        ident = str(row.get("ID", f"row{i + 2}")).strip()
        measurement = " ".join(str(row["Measurement"]).split()).title()
        if measurement not in CLASSES:
            raise InputError(f"measurement {row['Measurement']!r} is not one of {', '.join(CLASSES)}",
                             file=str(path), element=f"experiment {ident}")
        experiments.append(Experiment(ident, str(row["Input"]).strip(), str(row["Output"]).strip(),
                                      measurement, str(row.get("InputCode", "") or "").strip(),
                                      "" if _blank(row.get("Reference")) else str(row.get("Reference"))))
    return experiments


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def classify(change: float, threshold: float) -> str:
    if change > threshold:
        return "Increase"
    if change < -threshold:
        return "Decrease"
    return "No Change"


def score_literature(experiments: list[Experiment], simulate: Simulator, inputs: list[str],
                     *, protocol: LiteratureProtocol | None = None,
                     baseline: Mapping[str, float] | None = None) -> LiteratureScore:
    """Score ``simulate`` on the experiments whose input is in ``inputs``.

    ``baseline`` gives every input's baseline weight (default 0 for inputs not named),
    then ``protocol.baseline_weights`` overrides it."""
    protocol = protocol or LiteratureProtocol()
    base_weights = {i: float((baseline or {}).get(i, 0.0)) for i in inputs}
    for key, value in protocol.baseline_weights.items():
        if key not in base_weights:
            raise InputError(f"baseline weight for {key!r}, which is not an input (inputs: {', '.join(inputs)})")
        base_weights[key] = float(value)
    cache: dict[str, Mapping[str, float]] = {"": simulate(dict(base_weights))}
    rows, skipped = [], []
    for exp in experiments:
        reason = _cannot_score(exp, inputs, cache[""])
        if reason:
            skipped.append({"id": exp.id, "input": exp.input, "output": exp.output, "reason": reason})
            continue
        if exp.input not in cache:
            cache[exp.input] = simulate({**base_weights, exp.input: protocol.stimulus_weight})
        change = float(cache[exp.input][exp.output]) - float(cache[""][exp.output])
        prediction = classify(change, protocol.threshold)
        rows.append({"id": exp.id, "input": exp.input, "output": exp.output, "measurement": exp.measurement,
                     "prediction": prediction, "change": round(change, 6),
                     "match": prediction == exp.measurement})
    columns = ["id", "input", "output", "measurement", "prediction", "change", "match"]
    return LiteratureScore(pd.DataFrame(rows, columns=columns),
                           pd.DataFrame(skipped, columns=["id", "input", "output", "reason"]),
                           protocol.threshold)


def _cannot_score(exp: Experiment, inputs: list[str], activities: Mapping[str, float]) -> str:
    if exp.input not in inputs:
        return f"{exp.input} is not an input of the model"
    if exp.output not in activities:
        return f"{exp.output} is not a species of the model"
    return ""


# ---- the mechanistic model as a simulator ------------------------------------------------
def netflux_simulator(network: Network, protocol: LiteratureProtocol | None = None) -> tuple[Simulator, list[str], dict[str, float]]:
    """(simulate, input species, published input weights) for the logic-based ODE.

    ``simulate(weights)`` runs ``t_baseline`` at the protocol's baseline weights from the
    network's y0, then ``t_stimulus`` at ``weights`` and returns the final activities."""
    from hmlm_sb.sim.conditions import require_inputs
    from hmlm_sb.sim.netflux_ode import compile_network, simulate

    protocol = protocol or LiteratureProtocol()
    compiled = compile_network(network)
    require_inputs(compiled)
    inputs = compiled.input_species
    published = {sid: float(compiled.weight[row]) for sid, row in zip(inputs, compiled.input_rows)}
    baseline = {**published, **protocol.baseline_weights}

    def vector(weights: Mapping[str, float]) -> np.ndarray:
        return np.array([[weights[i] for i in inputs]], dtype=float)

    params0 = compiled.params(1)
    start = simulate(compiled, np.array([0.0, protocol.t_baseline]),
                     params0.with_input_weights(compiled, vector(baseline)))[0, -1]

    def run(weights: dict[str, float]) -> dict[str, float]:
        params = params0.with_input_weights(compiled, vector(weights))
        final = simulate(compiled, np.array([0.0, protocol.t_stimulus]), params, start)[0, -1]
        return dict(zip(compiled.species, final.tolist()))

    return run, inputs, published


def validate_network(network: Network, path: str | Path,
                     protocol: LiteratureProtocol | None = None) -> LiteratureScore:
    protocol = protocol or LiteratureProtocol()
    run, inputs, published = netflux_simulator(network, protocol)
    return score_literature(read_literature(path), run, inputs, protocol=protocol, baseline=published)
