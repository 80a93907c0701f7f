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
from hmlm_sb.sim.conditions import (STANDARD_CONDITIONS, Condition, condition_params, input_weights,
                                    load_conditions, require_inputs)
from hmlm_sb.sim.netflux_ode import CompiledNetwork, OdeParams, compile_network, hill, simulate, steady_state
from hmlm_sb.trajectories import Trajectories

# log-normal sigma of the multiplicative perturbation of each parameter kind
PERTURBATION_SIGMA = {"weight": 0.2, "n": 0.15, "ec50": 0.15, "tau": 0.3}
EC50_RANGE = (0.1, 0.9)  # the normalised Hill curve needs 0 < EC50 < 1
STIMULUS_WEIGHT = 0.7
KNOCKDOWN_YMAX = 0.1
SPARSE_SCHEMES = (4, 8, 16)
# Perturbation designs (``DatasetSpec.design``): standard = control, two inputs alone and
# together; single = standard plus each input alone; single+kd = single plus perturbations
# of the prior's hub species under 'combined' (alternately knockdown and inhibition).
DESIGNS = ("standard", "single", "single+kd")
N_HUB_PERTURBATIONS = 10
KNOCKDOWN_FACTOR = 0.1  # knockdown: ymax x 0.1
INHIBIT_FACTOR = 0.0  # inhibition: complete (the species' output read as 0 by its targets)
HUB_MIN_ACTIVITY = 0.05  # a hub must be active under 'combined' (published prior) to perturb it
# Generators of the truth: the Netflux ODE itself (the models' backbone family), or a
# mismatched family (see mismatch_rhs) the backbone cannot represent exactly.
GENERATORS = ("netflux", "mismatch")
MISMATCH_DEACTIVATION = 0.5  # d of the mass-action-like turnover
LOCKSTEP_R = 0.95  # |r| above which two candidate sources move in lockstep


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
    design: str = ""  # "" (conditions/single_inputs/knockdowns as given) or one of DESIGNS
    generator: str = "netflux"  # one of GENERATORS

    def check(self) -> None:
        if not 0 <= self.hidden_fraction < 1:
            raise InputError(f"hidden fraction must be in [0, 1), got {self.hidden_fraction}")
        if not (self.noise_sd >= 0 and math.isfinite(self.noise_sd)):
            raise InputError(f"noise sd must be a finite non-negative number, got {self.noise_sd}")
        if self.protocol not in ("zero", "steady"):
            raise InputError(f"protocol must be 'zero' or 'steady', got {self.protocol!r}")
        if self.design and self.design not in DESIGNS:
            raise InputError(f"design must be one of {', '.join(DESIGNS)}, got {self.design!r}")
        if self.generator not in GENERATORS:
            raise InputError(f"generator must be one of {', '.join(GENERATORS)}, got {self.generator!r}")
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
    _forget_rule_text(prior)
    return prior, hidden


def _forget_rule_text(prior: Network) -> None:
    """Names, notes and kinetic laws of the published network spell out the original
    rules (a Netflux reaction's name is its rule text), so the hidden edges could be read
    from them: every reaction of the prior gets its own (reduced) rule as its name, and
    no notes or kinetic law, whether or not an edge was hidden from it."""
    for rxn in prior.reactions.values():
        products = " ".join(p.species for p in rxn.targets())
        rxn.name = f"{rxn.rule_text} => {products}".strip() if rxn.function_terms else f"=> {products}"
        rxn.notes = ""
        rxn.kinetic_law = None


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


def dataset_conditions(compiled: CompiledNetwork, spec: DatasetSpec, named: dict[str, Condition],
                       prior: Network | None = None) -> list[Condition]:
    """The conditions of a dataset: the standard four (the bundled ones, or derived from
    the network's own inputs when those do not apply), then single inputs and
    perturbations as ``spec.design`` (or ``single_inputs`` / ``knockdowns``) asks."""
    if spec.design or list(spec.conditions) == list(STANDARD_CONDITIONS):
        out = standard_conditions(compiled, named)
    else:
        out = []
        for name in spec.conditions:
            if name not in named:
                raise InputError(f"unknown condition {name!r} (known: {', '.join(named)})")
            out.append(named[name])
    if spec.single_inputs or spec.design in ("single", "single+kd"):
        taken = [c.weights for c in out]
        for sid in compiled.input_species:
            if {sid: STIMULUS_WEIGHT} in taken:
                continue
            out.append(Condition(f"stim_{sid}", {sid: STIMULUS_WEIGHT},
                                 description=f"{sid} input at {STIMULUS_WEIGHT}"))
    base = next((c for c in out if c.name == "combined"), Condition("combined"))
    for sid in spec.knockdowns:
        if sid not in compiled.species_index:
            raise InputError(f"knockdown of unknown species {sid!r}")
        out.append(_perturbed(base, f"kd_{sid}", knockdown={sid: KNOCKDOWN_YMAX},
                              description=f"{base.name} with {sid} ymax x {KNOCKDOWN_YMAX}"))
    if spec.design == "single+kd":
        for k, sid in enumerate(hub_species(prior if prior is not None else None, compiled, base)):
            if k % 2 == 0:
                out.append(_perturbed(base, f"kd_{sid}", knockdown={sid: KNOCKDOWN_FACTOR},
                                      description=f"{base.name} with {sid} knocked down (ymax x {KNOCKDOWN_FACTOR})"))
            else:
                out.append(_perturbed(base, f"inh_{sid}", inhibit={sid: INHIBIT_FACTOR},
                                      description=f"{base.name} with {sid} inhibited (output x {INHIBIT_FACTOR})"))
    return out


def _perturbed(base: Condition, name: str, *, inhibit: dict[str, float] | None = None,
               knockdown: dict[str, float] | None = None, description: str = "") -> Condition:
    return Condition(name, dict(base.weights), dict(base.ymax), description,
                     inhibit=dict(inhibit or {}), knockdown=dict(knockdown or {}))


def standard_conditions(compiled: CompiledNetwork, named: dict[str, Condition]) -> list[Condition]:
    """control, two inputs alone, both ('combined'): the bundled conditions when every one
    applies to the network's inputs, else derived from the network's own inputs
    (:func:`primary_inputs`)."""
    bundled = [named[n] for n in STANDARD_CONDITIONS if n in named]
    if len(bundled) == len(STANDARD_CONDITIONS):
        try:
            for cond in bundled:
                input_weights(compiled, cond)
            return bundled
        except InputError:
            pass
    chosen = primary_inputs(compiled, 2)
    out = [Condition("control", description="every input at its published weight")]
    out += [Condition(sid, {sid: STIMULUS_WEIGHT}, description=f"{sid} input at {STIMULUS_WEIGHT}")
            for sid in chosen]
    if len(chosen) == 2:
        out.append(Condition("combined", {sid: STIMULUS_WEIGHT for sid in chosen},
                             description=f"{' and '.join(chosen)} together at {STIMULUS_WEIGHT}"))
    return out


def primary_inputs(compiled: CompiledNetwork, count: int) -> list[str]:
    """The ``count`` input species that reach the most species (ties: network order)."""
    targets: dict[int, set[int]] = {}
    for lit, row in zip(compiled.lit_species, compiled.lit_row):
        targets.setdefault(int(lit), set()).update(int(s) for s in compiled.edge_species[compiled.edge_row == row])
    reach = {}
    for sid in dict.fromkeys(compiled.input_species):
        seen, todo = set(), [compiled.species_index[sid]]
        while todo:
            node = todo.pop()
            for nxt in targets.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        reach[sid] = len(seen)
    return sorted(reach, key=lambda sid: -reach[sid])[:count]


def hub_species(prior: Network | None, compiled: CompiledNetwork, base: Condition,
                count: int = N_HUB_PERTURBATIONS) -> list[str]:
    """The species an experimenter would perturb, chosen from the prior only (never the
    truth): most known out-edges, not an input, active (>= HUB_MIN_ACTIVITY) at the end of
    ``base`` simulated with the prior's published parameters."""
    if prior is None:
        return []
    pc = compile_network(prior)
    inputs = set(pc.input_species)
    degree: dict[str, int] = {}
    for reg in prior.regulations():
        if reg.source != reg.target and reg.source not in inputs:
            degree[reg.source] = degree.get(reg.source, 0) + 1
    probe = np.linspace(0.0, 100.0, 3)
    final = simulate(pc, probe, condition_params(pc, [base]), pc.y0)[0, -1]
    active = {sid for sid in degree if final[pc.species_index[sid]] >= HUB_MIN_ACTIVITY}
    ranked = sorted((sid for sid in degree if sid in active and sid in compiled.species_index),
                    key=lambda sid: (-degree[sid], pc.species_index[sid]))
    return ranked[:count]


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
    truth_params = perturb_params(compiled, spec.perturbation, rng)
    prior, hidden = hide_edges(network, spec.hidden_fraction, rng)
    conds = dataset_conditions(compiled, spec, conditions or load_conditions(), prior)
    batch = condition_params(compiled, conds, truth_params)
    inhibit, knockdown = perturbation_arrays(batch, truth_params)
    y0 = compiled.y0
    if spec.protocol == "steady":
        control = condition_params(compiled, [named_control(conditions)], truth_params)
        y0 = generator_steady_state(compiled, control, compiled.y0, spec.generator)[0]
    t_end = spec.t_end or _default_t_end(compiled, conds[:len(spec.conditions)] or conds)
    times = np.linspace(0.0, t_end, spec.n_times)
    values = simulate_generator(compiled, times, batch, y0, spec.generator)
    stimuli = batch.weight[:, compiled.input_rows]
    meta = {"seed": spec.seed, "protocol": spec.protocol, "noise_sd": spec.noise_sd, "t_end": t_end,
            "hidden_fraction": spec.hidden_fraction, "network": network.models[0].id if network.models else "",
            "time_unit": "Netflux model time (tau = 1 is one unit)", "design": spec.design,
            "generator": spec.generator}
    truth = Trajectories([c.name for c in conds], times, list(compiled.species), values,
                         inputs=compiled.inputs, stimuli=stimuli, initial=values[:, 0].copy(),
                         inhibit=inhibit, knockdown=knockdown, meta={**meta, "kind": "truth"})
    replicates = []
    for r in range(spec.replicates):
        noisy = values + rng.normal(0.0, spec.noise_sd, values.shape)
        replicates.append(Trajectories(truth.conditions, times, truth.species, noisy, inputs=truth.inputs,
                                       stimuli=stimuli, initial=values[:, 0].copy(), inhibit=inhibit,
                                       knockdown=knockdown, meta={**meta, "kind": "observed", "replicate": r}))
    return GroundTruthDataset(truth, replicates[0], replicates, prior, hidden, truth_params, compiled, spec,
                              network=network)


def perturbation_arrays(batch: OdeParams, base: OdeParams) -> tuple[np.ndarray, np.ndarray]:
    """(inhibit (C, S), knockdown (C, S)) factors the models are told: the batch's
    inhibitions, and its ymax relative to ``base`` (absolute ymax overrides count too)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        knockdown = np.where(base.ymax > 0, batch.ymax / base.ymax, 1.0)
    return batch.inhibit.copy(), knockdown


# ---- the generators of the truth -------------------------------------------------------------
def logistic_activation(x: np.ndarray, n: np.ndarray, ec50: np.ndarray) -> np.ndarray:
    """The mismatch generator's literal: a logistic of slope 6n centred at EC50, rescaled to
    0 at x = 0 and 1 at x = 1. Not a normalised Hill curve for any (n, EC50)."""
    k = 6.0 * n
    low, high = _sigmoid(-k * ec50), _sigmoid(k * (1.0 - ec50))
    return (_sigmoid(k * (np.maximum(x, 0.0) - ec50)) - low) / (high - low)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def generator_rhs(compiled: CompiledNetwork, p: OdeParams, generator: str = "netflux",
                  removed: np.ndarray | None = None):
    """``f(y (B, S)) -> dy/dt`` of a generator under ``p`` (perturbations included, as
    :func:`condition_params` makes them: literals read ``y * p.inhibit``, knockdowns in
    ``p.ymax``), optionally with literals ``removed`` (B, L) (value 1, as if the edge were
    absent)."""
    return _generator_rhs(compiled, p, generator, removed)


def _generator_rhs(compiled: CompiledNetwork, p: OdeParams, generator: str, removed: np.ndarray | None):
    """The two generators.

    ``netflux``: the Netflux ODE ``(P ymax - y) / tau``. ``mismatch``: logistic literals
    (:func:`logistic_activation`) and mass-action-like turnover
    ``((1 + d) P (ymax - y) - d y) / tau`` (activation by P of the inactive fraction,
    first-order deactivation; d = MISMATCH_DEACTIVATION): its steady state
    ``(1 + d) P ymax / ((1 + d) P + d)`` is not ``P ymax``, and its relaxation rate depends on P."""
    n, ec50 = p.n[:, compiled.lit_row], p.ec50[:, compiled.lit_row]
    activation = hill if generator == "netflux" else logistic_activation
    ymax = p.ymax
    lit_scale = p.inhibit[:, compiled.lit_species]
    d = MISMATCH_DEACTIVATION

    def f(y: np.ndarray) -> np.ndarray:
        h = activation(y[:, compiled.lit_species] * lit_scale, n, ec50)
        g = np.where(compiled.lit_negated, 1.0 - h, h)
        if removed is not None:
            g = np.where(removed, 1.0, g)
        padded = np.concatenate([g, np.ones((y.shape[0], 1))], axis=1)
        activity = p.weight * padded[:, compiled.row_literals].prod(axis=2)
        edge = np.concatenate([activity[:, compiled.edge_row], np.zeros((y.shape[0], 1))], axis=1)
        production = 1.0 - (1.0 - edge[:, compiled.species_edges]).prod(axis=2)
        if generator == "netflux":
            return (production * ymax - y) / p.tau
        return ((1.0 + d) * production * (ymax - y) - d * y) / p.tau

    return f


def integrate(f, times: np.ndarray, y0: np.ndarray, compiled: CompiledNetwork) -> np.ndarray:
    """(B, T, S) from ``y0`` (B, S): scipy's stiff BDF with a finite-difference Jacobian
    restricted to the network's sparsity (rows are independent), so thousands of rows
    batch without an analytic Jacobian of every generator."""
    from scipy.integrate import solve_ivp
    from scipy.sparse import csr_matrix, identity, kron

    b_count, s_count = y0.shape
    if len(times) == 1 or times[-1] == times[0]:
        return np.repeat(y0[:, None, :], len(times), axis=1)
    pattern = np.eye(s_count, dtype=bool)
    for lit, row in zip(compiled.lit_species, compiled.lit_row):
        pattern[compiled.edge_species[compiled.edge_row == row], lit] = True
    sparsity = kron(identity(b_count, format="csr"), csr_matrix(pattern), format="csr")
    sol = solve_ivp(lambda _t, flat: f(flat.reshape(b_count, s_count)).ravel(), (times[0], times[-1]),
                    y0.ravel(), method="BDF", t_eval=times, rtol=1e-6, atol=1e-9, jac_sparsity=sparsity)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    return sol.y.T.reshape(len(times), b_count, s_count).transpose(1, 0, 2)


def simulate_generator(compiled: CompiledNetwork, times: np.ndarray, batch: OdeParams, y0: np.ndarray,
                       generator: str) -> np.ndarray:
    """(C, T, S) truth: the reference stiff solver for ``netflux``, Runge-Kutta otherwise."""
    if generator == "netflux":
        return simulate(compiled, times, batch, y0)
    start = np.broadcast_to(np.asarray(y0, dtype=float), (batch.batch, len(compiled.species))).copy()
    return integrate(generator_rhs(compiled, batch, generator), times, start, compiled)


def generator_steady_state(compiled: CompiledNetwork, params: OdeParams, y0: np.ndarray, generator: str) -> np.ndarray:
    if generator == "netflux":
        return steady_state(compiled, params, y0)
    return simulate_generator(compiled, np.array([0.0, 2000.0]), params, y0, generator)[:, -1]


# ---- identifiability -------------------------------------------------------------------------
@dataclass
class EdgeIdentifiability:
    """Per hidden edge (order of ``GroundTruthDataset.hidden_edges``) under one observed mask."""

    effect: np.ndarray  # (E,) max |truth - truth without the edge| over observed points, all species
    lockstep: np.ndarray  # (E,) other candidate sources of the target with |r| > LOCKSTEP_R to the source
    identifiable: np.ndarray  # (E,) bool: effect > noise and no lockstep partner (and the source moves)
    noise: float

    def summary(self) -> dict:
        return {"n_hidden": int(len(self.effect)), "n_identifiable": int(self.identifiable.sum()),
                "frac_effect_above_noise": float(np.mean(self.effect > self.noise)) if len(self.effect) else float("nan"),
                "median_lockstep": float(np.median(self.lockstep)) if len(self.lockstep) else float("nan")}


def hidden_edge_effects(dataset: GroundTruthDataset, until: int | None = None, chunk: int = 4) -> np.ndarray:
    """(E, C, T'): for each hidden edge, max over species of |truth - truth with that edge
    removed| (same parameters, generator and perturbations; the edge's literal set to 1),
    at the grid points up to index ``until`` (default: all). ``chunk`` edges per stiff
    solve (small systems factorise fastest)."""
    compiled, truth, spec = dataset.compiled, dataset.truth, dataset.spec
    n_cond, n_lit = len(truth.conditions), len(compiled.lit_species)
    batch = condition_params_like(dataset)
    rows_of = {}
    for r, rid in enumerate(compiled.reaction_of_row):
        rows_of.setdefault(rid, []).append(r)
    literal_sets = []
    for edge in dataset.hidden_edges:
        src = compiled.species_index[edge.source]
        rows = set(rows_of.get(edge.reaction, []))
        literal_sets.append([j for j in range(n_lit) if compiled.lit_species[j] == src and compiled.lit_row[j] in rows])
    times = truth.times if until is None else truth.times[:until + 1]
    out = np.zeros((len(literal_sets), n_cond, len(times)))
    for start in range(0, len(literal_sets), chunk):
        group = literal_sets[start:start + chunk]
        removed = np.zeros((len(group) * n_cond, n_lit), dtype=bool)
        for g, lits in enumerate(group):
            removed[g * n_cond:(g + 1) * n_cond, lits] = True
        params = batch.take(np.tile(np.arange(n_cond), len(group)))
        f = generator_rhs(compiled, params, spec.generator, removed)
        values = integrate(f, times, np.tile(truth.initial, (len(group), 1)), compiled)
        values = values.reshape(len(group), n_cond, len(times), -1)
        out[start:start + len(group)] = np.abs(values - truth.values[None, :, :len(times)]).max(axis=3)
    return out


def condition_params_like(dataset: GroundTruthDataset) -> OdeParams:
    """The truth's per-condition parameters: input weights from its stimuli, perturbations
    from its inhibit and knockdown factors."""
    truth = dataset.truth
    params = dataset.truth_params.take([0] * len(truth.conditions))
    return params.with_input_weights(dataset.compiled, truth.stimuli).with_perturbations(truth.inhibit, truth.knockdown)


def edge_identifiability(dataset: GroundTruthDataset, mask: np.ndarray, *, effects: np.ndarray | None = None,
                         r_threshold: float = LOCKSTEP_R) -> EdgeIdentifiability:
    """Which hidden edges the design can identify at the observed points ``mask`` (C, T):
    the edge changes the true trajectories by more than the noise sd (at least 0.005),
    its source moves, and no other candidate source of the target (a pair absent from the
    prior, not the target itself) is in lockstep with it (|r| > ``r_threshold`` over the
    observed points of every condition, pooled, from the noise-free truth)."""
    truth = dataset.truth
    points = np.asarray(mask, dtype=bool).copy()
    points[:, 0] = False
    last = int(np.flatnonzero(points.any(axis=0)).max(initial=0))
    effects = hidden_edge_effects(dataset, until=last) if effects is None else effects
    points = points[:, :effects.shape[2]]
    effect = effects[:, points].max(axis=1) if points.any() and len(effects) else np.zeros(len(effects))
    values = truth.values[np.asarray(mask, dtype=bool)]  # (N, S), initial states included
    index = {s: k for k, s in enumerate(truth.species)}
    known = {(index[r.source], index[r.target]) for r in dataset.prior.regulations()
             if r.source in index and r.target in index}
    centred = values - values.mean(axis=0)
    norm = np.sqrt((centred ** 2).sum(axis=0))
    moving = norm > 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.abs((centred.T @ centred) / np.outer(norm, norm))
    corr[~np.isfinite(corr)] = 0.0
    lockstep = np.zeros(len(dataset.hidden_edges), dtype=int)
    for e, edge in enumerate(dataset.hidden_edges):
        j, i = index[edge.source], index[edge.target]
        others = [k for k in range(len(truth.species)) if k not in (i, j) and (k, i) not in known]
        lockstep[e] = int((corr[j, others] > r_threshold).sum()) if others else 0
        if not moving[j]:
            lockstep[e] = len(others)
    noise = max(float(dataset.spec.noise_sd), 0.005)
    sources_move = np.array([moving[index[e.source]] for e in dataset.hidden_edges], dtype=bool)
    identifiable = (effect > noise) & (lockstep == 0) & sources_move
    return EdgeIdentifiability(effect, lockstep, identifiable, noise)


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

