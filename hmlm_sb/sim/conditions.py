"""Named conditions (input weights, optional knockdowns) and simulating a network under them."""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network
from hmlm_sb.sim.netflux_ode import CompiledNetwork, OdeParams, compile_network, simulate
from hmlm_sb.trajectories import Trajectories

BUNDLED_CONDITIONS = Path(__file__).resolve().parents[1] / "resources" / "conditions.toml"
STANDARD_CONDITIONS = ("control", "TGFB", "strain", "combined")


@dataclass
class Condition:
    """Input weights by input species or input reaction id; ``ymax`` overrides for knockdowns."""

    name: str
    weights: dict[str, float] = field(default_factory=dict)
    ymax: dict[str, float] = field(default_factory=dict)
    description: str = ""

    def with_weights(self, extra: dict[str, float], name: str | None = None) -> "Condition":
        return Condition(name or self.name, {**self.weights, **extra}, dict(self.ymax), self.description)


def _checked_value(value: object, what: str, file: str | None) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what} is not a number: {value!r}", file=file) from None
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise InputError(f"{what} must be a finite non-negative number, got {value!r}", file=file)
    return number


def load_conditions(path: str | Path | None = None, *, include_bundled: bool = True) -> dict[str, Condition]:
    """Bundled conditions, then those of ``path`` (same TOML form) added or replacing them."""
    conditions: dict[str, Condition] = {}
    files = ([BUNDLED_CONDITIONS] if include_bundled else []) + ([Path(path)] if path else [])
    for file in files:
        if not file.is_file():
            raise InputError("conditions file not found", file=str(file))
        try:
            data = tomllib.loads(file.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML: {exc}", file=str(file)) from None
        table = data.get("conditions")
        if not isinstance(table, dict) or not table:
            raise InputError("no [conditions.NAME] tables", file=str(file))
        for name, spec in table.items():
            if not isinstance(spec, dict):
                raise InputError("a condition must be a table", file=str(file), element=name)
            weights = {str(k): _checked_value(v, f"condition {name}: weight of {k}", str(file))
                       for k, v in dict(spec.get("weights", {})).items()}
            ymax = {str(k): _checked_value(v, f"condition {name}: ymax of {k}", str(file))
                    for k, v in dict(spec.get("ymax", {})).items()}
            conditions[name] = Condition(name, weights, ymax, str(spec.get("description", "")))
    return conditions


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, float]:
    """``["TGFB=0.7", ...]`` (from ``--set``) to a dict; bad items raise InputError."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set expects INPUT=WEIGHT, got {item!r}")
        out[key.strip()] = _checked_value(value.strip(), f"--set {key.strip()}", None)
    return out


def require_inputs(compiled: CompiledNetwork, network_label: str = "network") -> None:
    if len(compiled.input_rows) == 0:
        raise InputError("the network has no input reactions ('=> X'); conditions cannot be applied",
                         element=network_label)


def input_weights(compiled: CompiledNetwork, condition: Condition) -> np.ndarray:
    """(I,) input weights of a condition; unknown inputs raise InputError naming them."""
    require_inputs(compiled)
    weights = compiled.weight[compiled.input_rows].copy()
    by_name = {}
    for k, row in enumerate(compiled.input_rows):
        by_name[compiled.reactions[row]] = k
        for e in np.flatnonzero(compiled.edge_row == row):
            by_name.setdefault(compiled.species[compiled.edge_species[e]], k)
    for key, value in condition.weights.items():
        if key not in by_name:
            known = ", ".join(compiled.input_species)
            raise InputError(f"{key!r} is not an input of the network (inputs: {known})",
                             element=f"condition {condition.name}")
        weights[by_name[key]] = _checked_value(value, f"weight of {key}", None)
    return weights


def condition_params(compiled: CompiledNetwork, conditions: list[Condition],
                     base: OdeParams | None = None) -> OdeParams:
    """Parameters (one batch row per condition) from ``base`` (default: the network's own)."""
    params = (base or compiled.params(1)).take([0] * len(conditions))
    params = params.with_input_weights(compiled, np.stack([input_weights(compiled, c) for c in conditions]))
    for b, cond in enumerate(conditions):
        for sid, value in cond.ymax.items():
            if sid not in compiled.species_index:
                raise InputError(f"unknown species {sid!r}", element=f"condition {cond.name}")
            params.ymax[b, compiled.species_index[sid]] = value
    return params


def simulate_conditions(network: Network | CompiledNetwork, conditions: list[Condition],
                        times: np.ndarray, *, params: OdeParams | None = None,
                        y0: np.ndarray | None = None) -> Trajectories:
    """Noise-free trajectories of each condition from ``y0`` (default: the network's y0)."""
    compiled = network if isinstance(network, CompiledNetwork) else compile_network(network)
    batch = condition_params(compiled, conditions, params)
    values = simulate(compiled, np.asarray(times, dtype=float), batch, y0)
    return Trajectories(
        conditions=[c.name for c in conditions], times=np.asarray(times, dtype=float),
        species=list(compiled.species), values=values, inputs=compiled.inputs,
        stimuli=batch.weight[:, compiled.input_rows], initial=values[:, 0, :].copy(),
    )
