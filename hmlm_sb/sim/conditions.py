"""Named conditions (input weights plus perturbations: inhibitions, knockdowns) and
simulating a network under them."""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
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
    """Stimuli and perturbations of one experiment.

    ``weights``: input weights by input species or input reaction id. ``inhibit``: species
    -> remaining output fraction (0 = complete inhibition). ``knockdown``: species -> ymax
    factor (0 = knockout). ``ymax``: absolute ymax overrides (older form of a knockdown).
    """

    name: str
    weights: dict[str, float] = field(default_factory=dict)
    ymax: dict[str, float] = field(default_factory=dict)
    description: str = ""
    inhibit: dict[str, float] = field(default_factory=dict)
    knockdown: dict[str, float] = field(default_factory=dict)

    def with_weights(self, extra: dict[str, float], name: str | None = None) -> "Condition":
        return replace(self, name=name or self.name, weights={**self.weights, **extra})

    def with_perturbations(self, inhibit: dict[str, float] | None = None,
                           knockdown: dict[str, float] | None = None, name: str | None = None) -> "Condition":
        return replace(self, name=name or self.name, inhibit={**self.inhibit, **(inhibit or {})},
                       knockdown={**self.knockdown, **(knockdown or {})})


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
            def table_of(key: str) -> dict[str, float]:
                return {str(k): _checked_value(v, f"condition {name}: {key} of {k}", str(file))
                        for k, v in dict(spec.get(key, {})).items()}

            conditions[name] = Condition(name, table_of("weights"), table_of("ymax"),
                                         str(spec.get("description", "")), table_of("inhibit"),
                                         table_of("knockdown"))
    return conditions


def parse_assignments(items: list[str] | tuple[str, ...], option: str = "--set",
                      what: str = "INPUT=WEIGHT") -> dict[str, float]:
    """``["TGFB=0.7", ...]`` (from ``--set``, ``--inhibit``, ``--knockdown``) to a dict; bad
    items raise InputError."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} expects {what}, got {item[:200]!r}")
        out[key.strip()] = _checked_value(value.strip(), f"{option} {key.strip()[:200]}", None)
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


def condition_perturbations(species: list[str], conditions: list[Condition]) -> tuple[np.ndarray, np.ndarray]:
    """(inhibit, knockdown), each (C, S) factors (1 = untouched), of ``conditions`` over
    ``species``; a perturbed species not in the list raises InputError naming it."""
    index = {s: i for i, s in enumerate(species)}
    inhibit = np.ones((len(conditions), len(species)))
    knockdown = np.ones((len(conditions), len(species)))
    for c, cond in enumerate(conditions):
        for table, out in ((cond.inhibit, inhibit), (cond.knockdown, knockdown)):
            for sid, value in table.items():
                if sid not in index:
                    raise InputError(f"perturbed species {sid[:200]!r} is not in the network",
                                     element=f"condition {cond.name}")
                out[c, index[sid]] = value
    return inhibit, knockdown


def condition_params(compiled: CompiledNetwork, conditions: list[Condition],
                     base: OdeParams | None = None) -> OdeParams:
    """Parameters (one batch row per condition) from ``base`` (default: the network's own),
    with each condition's stimuli and perturbations applied."""
    params = (base or compiled.params(1)).take([0] * len(conditions))
    params = params.with_input_weights(compiled, np.stack([input_weights(compiled, c) for c in conditions]))
    for b, cond in enumerate(conditions):
        for sid, value in cond.ymax.items():
            if sid not in compiled.species_index:
                raise InputError(f"unknown species {sid!r}", element=f"condition {cond.name}")
            params.ymax[b, compiled.species_index[sid]] = value
    inhibit, knockdown = condition_perturbations(compiled.species, conditions)
    return params.with_perturbations(inhibit, knockdown)


def simulate_conditions(network: Network | CompiledNetwork, conditions: list[Condition],
                        times: np.ndarray, *, params: OdeParams | None = None,
                        y0: np.ndarray | None = None) -> Trajectories:
    """Noise-free trajectories of each condition from ``y0`` (default: the network's y0)."""
    compiled = network if isinstance(network, CompiledNetwork) else compile_network(network)
    batch = condition_params(compiled, conditions, params)
    values = simulate(compiled, np.asarray(times, dtype=float), batch, y0)
    base_ymax = (params or compiled.params(1)).ymax[[0] * len(conditions)]
    with np.errstate(divide="ignore", invalid="ignore"):
        knockdown = np.where(base_ymax > 0, batch.ymax / base_ymax, 1.0)  # ymax overrides count too
    return Trajectories(
        conditions=[c.name for c in conditions], times=np.asarray(times, dtype=float),
        species=list(compiled.species), values=values, inputs=compiled.inputs,
        stimuli=batch.weight[:, compiled.input_rows], initial=values[:, 0, :].copy(),
        inhibit=batch.inhibit.copy(), knockdown=knockdown,
    )
