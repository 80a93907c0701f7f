"""The Netflux logic-based ODE (Kraeutler et al. 2010) as a batched torch vector field.

Each reaction row is a conjunction of (possibly negated) normalised Hill terms, rows
exactly as the simulator (:mod:`hmlm_sb.sim.netflux_ode`) compiles them. Reactions with the
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

from hmlm_sb.network import Network


@dataclass
class CompiledNetflux:
    """The simulator's index tables of a network, with species renumbered to a given order."""

    literal_species: np.ndarray  # (R, M) species index of each literal, -1 = padding
    literal_negated: np.ndarray  # (R, M) bool
    edge_row: np.ndarray  # (E,) reaction row of each row -> product edge
    edge_species: np.ndarray  # (E,) product species of each edge
    weight: np.ndarray  # (R,)
    n: np.ndarray  # (R,)
    ec50: np.ndarray  # (R,)
    input_slot: np.ndarray  # (R,) index into the stimuli for input reactions, -1 otherwise
    tau: np.ndarray  # (S,)
    ymax: np.ndarray  # (S,)
    reaction_ids: list[str]
    simulator: object  # hmlm_sb.sim.netflux_ode.CompiledNetwork of the same network
    order: np.ndarray  # (S,) simulator species index of each of our species


def compile_netflux(network: Network, species: list[str], inputs: list[str]) -> CompiledNetflux:
    """Rows exactly as the simulator compiles them (an OR rule: one row per term)."""
    from hmlm_sb.sim.netflux_ode import compile_network

    sim = compile_network(network)
    ours = {s: k for k, s in enumerate(species)}
    missing = [s for s in sim.species if s not in ours] + [s for s in species if s not in sim.species_index]
    if missing:
        raise ValueError(f"network and data species differ: {', '.join(missing[:5])}")
    renumber = np.array([ours[s] for s in sim.species], dtype=np.int64)
    padded = np.concatenate([renumber[sim.lit_species], [-1]])
    literal_species = padded[sim.row_literals]
    negated = np.concatenate([sim.lit_negated, [False]])[sim.row_literals]
    input_index = {rid: k for k, rid in enumerate(inputs)}
    slots = np.full(len(sim.reactions), -1, dtype=np.int64)
    for row in sim.input_rows:
        slots[row] = input_index.get(sim.reactions[row], -1)
    back = np.array([sim.species_index[s] for s in species], dtype=np.int64)
    return CompiledNetflux(
        literal_species=literal_species, literal_negated=negated, edge_row=sim.edge_row.copy(),
        edge_species=renumber[sim.edge_species], weight=sim.weight.copy(), n=sim.n.copy(),
        ec50=sim.ec50.copy(), input_slot=slots, tau=sim.tau[back], ymax=sim.ymax[back],
        reaction_ids=list(sim.reactions), simulator=sim, order=back)


def q_from_ec50(ec50: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``q = 1 / K^n`` with Netflux's ``K^n = B - 1``, ``B = (EC50^n - 1) / (2 EC50^n - 1)``."""
    e = np.power(ec50, n)
    kn = -e / (2 * e - 1)
    return 1.0 / kn


def ec50_from_q(q: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Inverse of :func:`q_from_ec50` (``EC50^n = 1 / (q + 2)``)."""
    return np.power(1.0 / (np.asarray(q) + 2.0), 1.0 / np.asarray(n))


def simulate_compiled(compiled: CompiledNetflux, params: dict, stimuli: np.ndarray,
                      initial: np.ndarray, t0: float, times: np.ndarray) -> np.ndarray:
    """``(C, T, S)`` from the simulator's stiff solver (scipy BDF, analytic Jacobian), in our
    species order; ``params`` as the models keep them (weight, n, q, tau)."""
    from hmlm_sb.sim.netflux_ode import OdeParams, simulate

    sim, order = compiled.simulator, compiled.order
    c = len(initial)
    weight = np.repeat(np.asarray(params["weight"], dtype=float)[None], c, axis=0)
    has_slot = compiled.input_slot >= 0
    weight[:, has_slot] = np.asarray(stimuli, dtype=float)[:, compiled.input_slot[has_slot]]
    n = np.asarray(params["n"], dtype=float)
    tau = np.empty(len(order))
    tau[order] = np.asarray(params["tau"], dtype=float)
    ymax = np.empty(len(order))
    ymax[order] = compiled.ymax
    batch = OdeParams(weight, np.repeat(n[None], c, axis=0),
                      np.repeat(ec50_from_q(params["q"], n)[None], c, axis=0),
                      np.repeat(tau[None], c, axis=0), np.repeat(ymax[None], c, axis=0))
    y0 = np.empty((c, len(order)))
    y0[:, order] = np.asarray(initial, dtype=float)
    times = np.asarray(times, dtype=float)
    grid = np.concatenate([[t0], np.maximum(times, t0)])
    unique, inverse = np.unique(grid, return_inverse=True)
    if len(unique) == 1:
        out = y0[:, None].repeat(1, axis=1)
    else:
        out = simulate(sim, unique, batch, y0)
    return out[:, inverse[1:]][:, :, order]


def netflux_rhs(compiled: CompiledNetflux, stimuli, weight, n, q, tau):
    """A closure ``x -> dx/dt`` for states ``(C, S)``; parameters are torch tensors."""
    import torch

    lit_species = torch.as_tensor(compiled.literal_species)
    pad = lit_species < 0
    gather_idx = lit_species.clamp(min=0)
    negated = torch.as_tensor(compiled.literal_negated)
    edge_row = torch.as_tensor(compiled.edge_row)
    edge_species = torch.as_tensor(compiled.edge_species)
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
        return torch.log1p(-rate.clamp(max=1 - 1e-6))[:, edge_row]

    def rhs(x):
        total_off = torch.zeros(x.shape[0], n_species, dtype=x.dtype).index_add(1, edge_species, _log_off(x))
        return (ymax * (1 - torch.exp(total_off)) - x) / tau

    rhs.target = lambda x: ymax * (1 - torch.exp(torch.zeros(x.shape[0], n_species, dtype=x.dtype)
                                                  .index_add(1, edge_species, _log_off(x))))
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
