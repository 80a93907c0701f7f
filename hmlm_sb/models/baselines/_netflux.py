"""The Netflux logic-based ODE (Kraeutler et al. 2010) as a batched torch vector field.

Each reaction is a conjunction of (possibly negated) normalised Hill terms; a reaction
whose rule holds an OR is expanded into one conjunction per disjunct. Reactions with the
same product combine by OR (``a + b - a b``), and
``dy/dt = (ymax * OR(reactions) - y) / tau``. Input reactions (``=> X``) contribute their
weight, which the condition's stimuli set.

The Hill term is written ``f(x) = (1 + q) x^n / (1 + q x^n)`` with ``q = 1 / K^n``: equal
to Netflux's ``B x^n / (K^n + x^n)`` (``B = 1 + K^n``) and continuous where ``EC50^n``
crosses 0.5 (``K^n`` passes through infinity, ``q`` through 0), which lets the fitted
ODE move EC50 and n freely.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hmlm_sb.logic import And, Const, Expr, Literal, Not, Or
from hmlm_sb.network import NETFLUX_DEFAULTS, Network


@dataclass
class CompiledNetflux:
    """Index tables of one network for a given species order (numpy, converted on use)."""

    literal_species: np.ndarray  # (R, M) species index of each literal, -1 = padding
    literal_negated: np.ndarray  # (R, M) bool
    product: np.ndarray  # (R,) species index of each reaction's product
    weight: np.ndarray  # (R,)
    n: np.ndarray  # (R,)
    ec50: np.ndarray  # (R,)
    input_slot: np.ndarray  # (R,) index into the stimuli for input reactions, -1 otherwise
    tau: np.ndarray  # (S,)
    ymax: np.ndarray  # (S,)
    reaction_ids: list[str]


def _disjuncts(expr: Expr) -> list[list[tuple[str, bool]]]:
    """Disjunctive normal form as lists of (species, negated) literals."""
    if isinstance(expr, Literal):
        return [[(expr.species, False)]]
    if isinstance(expr, Const):
        return [[]] if expr.value else []
    if isinstance(expr, Not):
        inner = expr.term
        if isinstance(inner, Literal):
            return [[(inner.species, True)]]
        if isinstance(inner, Not):
            return _disjuncts(inner.term)
        if isinstance(inner, And):
            return _disjuncts(Or(tuple(Not(t) for t in inner.terms)))
        if isinstance(inner, Or):
            return _disjuncts(And(tuple(Not(t) for t in inner.terms)))
        if isinstance(inner, Const):
            return _disjuncts(Const(not inner.value))
    if isinstance(expr, Or):
        return [conj for term in expr.terms for conj in _disjuncts(term)]
    if isinstance(expr, And):
        result: list[list[tuple[str, bool]]] = [[]]
        for term in expr.terms:
            result = [a + b for a in result for b in _disjuncts(term)]
        return result
    raise TypeError(f"not a logic expression: {expr!r}")


def compile_netflux(network: Network, species: list[str], inputs: list[str]) -> CompiledNetflux:
    index = {s: k for k, s in enumerate(species)}
    input_index = {rid: k for k, rid in enumerate(inputs)}
    rows: list[tuple[list[tuple[int, bool]], int, float, float, float, int, str]] = []
    for rxn in network.reactions.values():
        params = {**NETFLUX_DEFAULTS, **rxn.params}
        conjunctions = [[]] if rxn.is_input else (
            _disjuncts(rxn.rule) if rxn.rule is not None
            else [[(p.species, p.sign < 0)] for p in rxn.sources()])
        for tgt in rxn.targets():
            if tgt.species not in index:
                continue
            for conj in conjunctions:
                lits = [(index[s], neg) for s, neg in conj if s in index]
                slot = input_index.get(rxn.id, -1) if rxn.is_input else -1
                rows.append((lits, index[tgt.species], params["weight"], params["n"],
                             params["ec50"], slot, rxn.id))
    width = max([len(r[0]) for r in rows] + [1])
    lit_species = np.full((len(rows), width), -1, dtype=np.int64)
    lit_negated = np.zeros((len(rows), width), dtype=bool)
    for r, (lits, *_rest) in enumerate(rows):
        for k, (s, neg) in enumerate(lits):
            lit_species[r, k], lit_negated[r, k] = s, neg
    taus = np.array([network.species[s].tau if s in network.species else 1.0 for s in species])
    ymax = np.array([network.species[s].ymax if s in network.species else 1.0 for s in species])
    return CompiledNetflux(
        literal_species=lit_species, literal_negated=lit_negated,
        product=np.array([r[1] for r in rows], dtype=np.int64),
        weight=np.array([r[2] for r in rows], dtype=float), n=np.array([r[3] for r in rows], dtype=float),
        ec50=np.array([r[4] for r in rows], dtype=float),
        input_slot=np.array([r[5] for r in rows], dtype=np.int64),
        tau=np.where(taus > 0, taus, 1.0), ymax=ymax, reaction_ids=[r[6] for r in rows],
    )


def q_from_ec50(ec50: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``q = 1 / K^n`` with Netflux's ``K^n = B - 1``, ``B = (EC50^n - 1) / (2 EC50^n - 1)``."""
    e = np.power(ec50, n)
    kn = -e / (2 * e - 1)
    return 1.0 / kn


def netflux_rhs(compiled: CompiledNetflux, stimuli, weight, n, q, tau):
    """A closure ``x -> dx/dt`` for states ``(C, S)``; parameters are torch tensors."""
    import torch

    lit_species = torch.as_tensor(compiled.literal_species)
    pad = lit_species < 0
    gather_idx = lit_species.clamp(min=0)
    negated = torch.as_tensor(compiled.literal_negated)
    product = torch.as_tensor(compiled.product)
    input_slot = torch.as_tensor(compiled.input_slot)
    is_input = input_slot >= 0
    ymax = torch.as_tensor(compiled.ymax, dtype=stimuli.dtype)
    n_col, q_col = n.unsqueeze(-1), q.unsqueeze(-1)
    n_species = len(compiled.tau)

    def _log_off(x):
        xc = x.clamp(0.0, 1.0)
        vals = xc[:, gather_idx]  # (C, R, M)
        powered = (vals + 1e-12) ** n_col
        hill = (1 + q_col) * powered / (1 + q_col * powered)
        term = torch.where(negated, 1 - hill, hill)
        term = torch.where(pad, torch.ones_like(term), term)
        rate = weight * term.prod(dim=-1)  # (C, R)
        if bool(is_input.any()):
            stim = stimuli[:, input_slot.clamp(min=0)]
            rate = torch.where(is_input, stim, rate)
        return torch.log1p(-rate.clamp(max=1 - 1e-6))

    def rhs(x):
        total_off = torch.zeros(x.shape[0], n_species, dtype=x.dtype).index_add(1, product, _log_off(x))
        return (ymax * (1 - torch.exp(total_off)) - x) / tau

    rhs.target = lambda x: ymax * (1 - torch.exp(torch.zeros(x.shape[0], n_species, dtype=x.dtype)
                                                  .index_add(1, product, _log_off(x))))
    return rhs


def exponential_euler(rhs, tau, x0, t0: float, times, max_step: float):
    """States ``(C, T, S)`` by exponential Euler: ``x += (1 - exp(-h/tau)) (target(x) - x)``.

    Exact for the linear relaxation of every species, stable for any step: used to train
    the fitted ODE with steps longer than the fastest time constant.
    """
    import torch

    x, t, out = x0, float(t0), []
    for target in np.asarray(times, dtype=float):
        span = float(target) - t
        if span > 0:
            steps = max(1, int(np.ceil(span / max_step - 1e-9)))
            gain = 1 - torch.exp(-(span / steps) / tau)
            for _ in range(steps):
                x = x + gain * (rhs.target(x) - x)
            t = float(target)
        out.append(x)
    return torch.stack(out, dim=1)
