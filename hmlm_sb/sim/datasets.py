"""Ground-truth datasets that do not hand the models the answer.

The truth is simulated with parameters perturbed around the published ones; the models
get the published network with part of its edges hidden, and noisy observations. See
docs/simulator.md for the defaults and the reasons behind them.
"""
from __future__ import annotations

import copy
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hmlm_sb.errors import InputError
from hmlm_sb.logic import And, Literal, Not, format_expr, parse_expr
from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species, Xref
from hmlm_sb.sim.conditions import (STANDARD_CONDITIONS, Condition, condition_params, load_conditions,
                                    require_inputs)
from hmlm_sb.sim.netflux_ode import CompiledNetwork, OdeParams, compile_network, simulate, steady_state
from hmlm_sb.trajectories import Trajectories

# log-normal sigma of the multiplicative perturbation of each parameter kind
PERTURBATION_SIGMA = {"weight": 0.2, "n": 0.15, "ec50": 0.15, "tau": 0.3}
EC50_RANGE = (0.1, 0.9)  # the normalised Hill curve needs 0 < EC50 < 1
STIMULUS_WEIGHT = 0.7
KNOCKDOWN_YMAX = 0.1
SPARSE_SCHEMES = (4, 8, 16)


@dataclass
class DatasetSpec:
    seed: int = 0
    hidden_fraction: float = 0.2
    noise_sd: float = 0.02
    protocol: str = "zero"  # zero: from the network's y0 | steady: from the control steady state
    n_times: int = 100
    t_end: float | None = None  # None: settling time of the published network x 1.1, up to 10
    conditions: list[str] = field(default_factory=lambda: list(STANDARD_CONDITIONS))
    single_inputs: bool = False  # add one condition per input: that input at STIMULUS_WEIGHT
    knockdowns: list[str] = field(default_factory=list)  # species knocked down under 'combined'
    replicates: int = 1
    perturbation: dict[str, float] = field(default_factory=lambda: dict(PERTURBATION_SIGMA))

    def check(self) -> None:
        if not 0 <= self.hidden_fraction < 1:
            raise InputError(f"hidden fraction must be in [0, 1), got {self.hidden_fraction}")
        if not (self.noise_sd >= 0 and math.isfinite(self.noise_sd)):
            raise InputError(f"noise sd must be a finite non-negative number, got {self.noise_sd}")
        if self.protocol not in ("zero", "steady"):
            raise InputError(f"protocol must be 'zero' or 'steady', got {self.protocol!r}")
        if self.n_times < 2 or self.replicates < 1:
            raise InputError("need at least 2 time points and 1 replicate")
        for key, sigma in self.perturbation.items():
            if key not in PERTURBATION_SIGMA or not (sigma >= 0 and math.isfinite(sigma)):
                raise InputError(f"bad perturbation {key}={sigma}")


@dataclass(frozen=True)
class HiddenEdge:
    source: str
    target: str
    sign: int
    reaction: str


@dataclass
class GroundTruthDataset:
    truth: Trajectories  # noise-free, all time points
    observed: Trajectories  # noisy replicate 0 (what models train on)
    replicates: list[Trajectories]  # every noisy replicate (observed is replicates[0])
    prior: Network  # the published network with the hidden edges removed
    hidden_edges: list[HiddenEdge]
    truth_params: OdeParams  # (1 row) the perturbed parameters that made the truth
    compiled: CompiledNetwork  # of the full network (parameter order of truth_params)
    spec: DatasetSpec
    network: Network | None = None  # the full published network (for scoring only)

    def tidy(self) -> pd.DataFrame:
        """condition, replicate, time, species, value, observed (noisy values)."""
        return pd.concat([r.to_frame(replicate=i) for i, r in enumerate(self.replicates)], ignore_index=True)

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.tidy().to_csv(folder / "observed.csv", index=False)
        self.truth.to_frame().to_csv(folder / "truth.csv", index=False)
        self.truth.save(folder / "truth.npz")
        for i, rep in enumerate(self.replicates):
            rep.save(folder / f"observed_{i}.npz")
        pd.DataFrame([asdict(e) for e in self.hidden_edges],
                     columns=["source", "target", "sign", "reaction"]).to_csv(folder / "hidden_edges.csv", index=False)
        (folder / "prior_network.json").write_text(json.dumps(network_to_json(self.prior), indent=1))
        if self.network is not None:  # scoring only: models must read prior_network.json
            (folder / "truth_network.json").write_text(json.dumps(network_to_json(self.network)))
        params = {k: getattr(self.truth_params, k)[0].tolist() for k in ("weight", "n", "ec50", "tau", "ymax")}
        params.update(rows=self.compiled.reactions, species=self.compiled.species)
        (folder / "truth_params.json").write_text(json.dumps(params))
        (folder / "spec.json").write_text(json.dumps(asdict(self.spec), indent=1))
        return folder


# ---- pieces --------------------------------------------------------------------------------
def sparse_indices(n_times: int, points: int) -> np.ndarray:
    """Grid indices of a sparse scheme: ``points`` indices evenly spread over (0, n_times-1].

    Index 0 (the initial state, always given to models) is not counted: with 100 points
    scheme 4 is [25, 50, 74, 99], scheme 8 [12, 25, 37, 50, 62, 74, 87, 99]."""
    if not 1 <= points < n_times:
        raise InputError(f"a sparse scheme needs 1..{n_times - 1} points, got {points}")
    return np.round(np.linspace(0, n_times - 1, points + 1)[1:]).astype(int)


def sparse_mask(trajectories: Trajectories, points: int) -> np.ndarray:
    """(C, T) observed mask of a sparse scheme; includes index 0 (the initial state)."""
    mask = np.zeros((len(trajectories.conditions), len(trajectories.times)), dtype=bool)
    mask[:, 0] = True
    mask[:, sparse_indices(len(trajectories.times), points)] = True
    return mask


def perturb_params(compiled: CompiledNetwork, sigma: dict[str, float], rng: np.random.Generator) -> OdeParams:
    """One parameter set: published values times exp(N(0, sigma)); input weights untouched."""
    params = compiled.params(1)
    not_input = np.ones(len(compiled.reactions), dtype=bool)
    not_input[compiled.input_rows] = False
    for key in ("weight", "n", "ec50"):
        factor = np.exp(rng.normal(0.0, sigma.get(key, 0.0), len(compiled.reactions)))
        values = getattr(params, key)[0]
        values[not_input] *= factor[not_input]
    params.weight[0] = np.minimum(params.weight[0], 1.0)
    params.ec50[0] = np.clip(params.ec50[0], *EC50_RANGE)
    params.tau[0] *= np.exp(rng.normal(0.0, sigma.get("tau", 0.0), len(compiled.species)))
    return params


def hide_edges(network: Network, fraction: float, rng: np.random.Generator) -> tuple[Network, list[HiddenEdge]]:
    """A copy with ``fraction`` of the source participants of non-input reactions removed.

    A reaction left without sources is removed whole (it must not become an input)."""
    prior = copy.deepcopy(network)
    candidates = [(rid, p.species) for rid, rxn in prior.reactions.items() if not rxn.is_input
                  for p in rxn.sources()]
    count = int(round(fraction * len(candidates)))
    chosen = [candidates[i] for i in sorted(rng.choice(len(candidates), size=count, replace=False))]
    hidden = []
    for rid, source in chosen:
        rxn = prior.reactions[rid]
        part = next(p for p in rxn.sources() if p.species == source)
        for target in rxn.targets():
            hidden.append(HiddenEdge(source, target.species, part.sign, rid))
        rxn.participants.remove(part)
        rxn.function_terms = [(lvl, _without(expr, source)) for lvl, expr in rxn.function_terms]
    for rid in [rid for rid, _ in chosen]:
        if rid in prior.reactions and not prior.reactions[rid].sources():
            del prior.reactions[rid]
    return prior, hidden


def _without(expr, species: str):
    terms = expr.terms if isinstance(expr, And) else (expr,)
    kept = [t for t in terms if not (isinstance(t, Literal) and t.species == species)
            and not (isinstance(t, Not) and isinstance(t.term, Literal) and t.term.species == species)]
    if not kept:
        return And(())
    return kept[0] if len(kept) == 1 else And(tuple(kept))


def settling_time(values: np.ndarray, times: np.ndarray, tolerance: float = 0.01) -> float:
    """First time after which every trajectory stays within ``tolerance`` of its final value."""
    deviation = np.abs(values - values[:, -1:, :]).max(axis=(0, 2))
    late = np.flatnonzero(deviation > tolerance)
    return float(times[min(late.max() + 1, len(times) - 1)]) if late.size else float(times[0])


def dataset_conditions(compiled: CompiledNetwork, spec: DatasetSpec,
                       named: dict[str, Condition]) -> list[Condition]:
    out = []
    for name in spec.conditions:
        if name not in named:
            raise InputError(f"unknown condition {name!r} (known: {', '.join(named)})")
        out.append(named[name])
    if spec.single_inputs:
        taken = [c.weights for c in out]
        for sid in compiled.input_species:
            if {sid: STIMULUS_WEIGHT} in taken:
                continue
            out.append(Condition(f"stim_{sid}", {sid: STIMULUS_WEIGHT},
                                 description=f"{sid} input at {STIMULUS_WEIGHT}"))
    base = named.get("combined", Condition("combined"))
    for sid in spec.knockdowns:
        if sid not in compiled.species_index:
            raise InputError(f"knockdown of unknown species {sid!r}")
        out.append(Condition(f"kd_{sid}", dict(base.weights), {sid: KNOCKDOWN_YMAX},
                             f"{base.name} with {sid} ymax {KNOCKDOWN_YMAX}"))
    return out


def network_to_json(network: Network) -> dict:
    """A plain-JSON form of a network (rules as text), read back by :func:`network_from_json`."""
    reactions = []
    for rxn in network.reactions.values():
        item = asdict(rxn)
        item["function_terms"] = [[lvl, format_expr(expr)] for lvl, expr in rxn.function_terms]
        reactions.append(item)
    return {"models": [asdict(m) for m in network.models],
            "species": [asdict(s) for s in network.species.values()],
            "reactions": reactions, "pathways": [asdict(p) for p in network.pathways.values()],
            "warnings": list(network.warnings)}


def network_from_json(data: dict) -> Network:
    net = Network(warnings=list(data.get("warnings", [])))
    for m in data.get("models", []):
        m = dict(m)
        m["xrefs"] = [Xref(**x) for x in m.get("xrefs", [])]
        net.models.append(ModelInfo(**m))
    for s in data["species"]:
        s = dict(s)
        s["xrefs"] = [Xref(**x) for x in s.get("xrefs", [])]
        net.add_species(Species(**s))
    for r in data["reactions"]:
        r = dict(r)
        r["participants"] = [Participant(**p) for p in r["participants"]]
        r["function_terms"] = [(int(lvl), parse_expr(text)) for lvl, text in r["function_terms"]]
        net.add_reaction(Reaction(**r))
    for p in data.get("pathways", []):
        p = dict(p)
        p["xrefs"] = [Xref(**x) for x in p.get("xrefs", [])]
        net.add_pathway(Pathway(**p))
    return net


# ---- the generator -------------------------------------------------------------------------
def make_dataset(network: Network, spec: DatasetSpec | None = None,
                 conditions: dict[str, Condition] | None = None) -> GroundTruthDataset:
    """Simulate the truth, hide edges, add noise. Deterministic for a given ``spec.seed``."""
    spec = spec or DatasetSpec()
    spec.check()
    rng = np.random.default_rng(spec.seed)
    compiled = compile_network(network)
    require_inputs(compiled)
    conds = dataset_conditions(compiled, spec, conditions or load_conditions())
    truth_params = perturb_params(compiled, spec.perturbation, rng)
    prior, hidden = hide_edges(network, spec.hidden_fraction, rng)
    batch = condition_params(compiled, conds, truth_params)
    y0 = compiled.y0
    if spec.protocol == "steady":
        control = condition_params(compiled, [named_control(conditions)], truth_params)
        y0 = steady_state(compiled, control, compiled.y0)[0]
    t_end = spec.t_end or _default_t_end(compiled, conds[:len(spec.conditions)] or conds)
    times = np.linspace(0.0, t_end, spec.n_times)
    values = simulate(compiled, times, batch, y0)
    stimuli = batch.weight[:, compiled.input_rows]
    meta = {"seed": spec.seed, "protocol": spec.protocol, "noise_sd": spec.noise_sd, "t_end": t_end,
            "hidden_fraction": spec.hidden_fraction, "network": network.models[0].id if network.models else "",
            "time_unit": "Netflux model time (tau = 1 is one unit)"}
    truth = Trajectories([c.name for c in conds], times, list(compiled.species), values,
                         inputs=compiled.inputs, stimuli=stimuli, initial=values[:, 0].copy(),
                         meta={**meta, "kind": "truth"})
    replicates = []
    for r in range(spec.replicates):
        noisy = values + rng.normal(0.0, spec.noise_sd, values.shape)
        replicates.append(Trajectories(truth.conditions, times, truth.species, noisy, inputs=truth.inputs,
                                       stimuli=stimuli, initial=values[:, 0].copy(),
                                       meta={**meta, "kind": "observed", "replicate": r}))
    return GroundTruthDataset(truth, replicates[0], replicates, prior, hidden, truth_params, compiled, spec,
                              network=network)


def named_control(conditions: dict[str, Condition] | None) -> Condition:
    return (conditions or load_conditions()).get("control", Condition("control"))


def _default_t_end(compiled: CompiledNetwork, conds: list[Condition]) -> float:
    """Settling time of the *published* parameters under the named conditions from the
    network's y0 (a property of the network: the grid must not depend on the seed or the
    protocol), times 1.1, rounded up to 10. Rogers 2022: 72 -> 80."""
    batch = condition_params(compiled, conds)
    probe = np.linspace(0.0, 1000.0, 2001)
    values = simulate(compiled, probe, batch, compiled.y0)
    return float(max(10.0, math.ceil(settling_time(values, probe) * 1.1 / 10.0) * 10.0))


def load_dataset(folder: str | Path) -> GroundTruthDataset:
    """Read back what :meth:`GroundTruthDataset.save` wrote."""
    folder = Path(folder)
    if not (folder / "spec.json").is_file():
        raise InputError("not a dataset folder (no spec.json)", file=str(folder))
    spec = DatasetSpec(**json.loads((folder / "spec.json").read_text()))
    truth = Trajectories.load(folder / "truth.npz")
    replicates = [Trajectories.load(folder / f"observed_{i}.npz") for i in range(spec.replicates)]
    prior = network_from_json(json.loads((folder / "prior_network.json").read_text()))
    hidden = [HiddenEdge(str(r.source), str(r.target), int(r.sign), str(r.reaction))
              for r in pd.read_csv(folder / "hidden_edges.csv").itertuples()]
    raw = json.loads((folder / "truth_params.json").read_text())
    params = OdeParams(*(np.array([raw[k]], dtype=float) for k in ("weight", "n", "ec50", "tau", "ymax")))
    compiled = compile_network(network_from_json(json.loads((folder / "truth_network.json").read_text())))
    if compiled.reactions != raw["rows"]:
        raise InputError("truth_params.json does not match truth_network.json", file=str(folder))
    full = network_from_json(json.loads((folder / "truth_network.json").read_text()))
    return GroundTruthDataset(truth, replicates[0], replicates, prior, hidden, params, compiled, spec, network=full)

