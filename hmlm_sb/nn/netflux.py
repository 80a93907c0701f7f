"""The logic-based ODE of a prior network as a vectorised torch module with learnable
parameters (Netflux; Kraeutler et al. 2010).

dy_s/dt = (ymax_s * OR_k v_k - y_s) / tau_s over the terms k that produce s, where a term
is one conjunction of a reaction's rule, ``v_k = w_r * prod_l act_l`` and a literal's
activation is the normalised Hill function of its species with the reaction's n and EC50
(``1 - act`` when negated). OR is the probabilistic sum ``1 - prod(1 - v)``.

Rules that are not a conjunction of literals are brought to disjunctive normal form first
(negations pushed to literals by De Morgan, which is exact for the product / probabilistic
sum algebra; distributing AND over OR is an approximation, unused by Netflux sheets).
Input reactions take their weight from the condition's stimulus vector.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hmlm_sb.logic import Conjunction, dnf
from hmlm_sb.network import NETFLUX_DEFAULTS, Network
from hmlm_sb.nn.integrators import etd_solve, extend_grid, hermite, model_grid  # noqa: F401 - the HMLM imports them here

@dataclass
class CompiledNetwork:
    """Index arrays of a network over a fixed species order."""

    species: list[str]
    reactions: list[str]
    weight: np.ndarray  # (R,) published parameters
    n: np.ndarray
    ec50: np.ndarray
    tau: np.ndarray  # (S,)
    ymax: np.ndarray
    lit_species: np.ndarray  # (L,) index into species, S = constant zero state
    lit_reaction: np.ndarray  # (L,)
    lit_negated: np.ndarray  # (L,) bool
    term_literals: np.ndarray  # (K, Lmax) index into literals, L = constant one
    term_reaction: np.ndarray  # (K,)
    target_terms: np.ndarray  # (S, Mmax) index into terms, K = constant zero
    input_columns: np.ndarray  # (I,) reaction index of each stimulus column, -1 if absent

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Signed species edges (source, target) of the compiled rules: (2, E), (E,)."""
        targets_of_term: dict[int, list[int]] = {}
        for s, row in enumerate(self.target_terms):
            for k in row:
                if k < len(self.term_reaction):
                    targets_of_term.setdefault(int(k), []).append(s)
        src, dst, sign = [], [], []
        n_lit = len(self.lit_species)
        for k, row in enumerate(self.term_literals):
            for lit in row:
                if lit >= n_lit or self.lit_species[lit] >= len(self.species):
                    continue
                for t in targets_of_term.get(k, []):
                    src.append(int(self.lit_species[lit]))
                    dst.append(t)
                    sign.append(-1 if self.lit_negated[lit] else 1)
        return np.array([src, dst], dtype=np.int64).reshape(2, -1), np.array(sign, dtype=np.int64)


def compile_network(network: Network, species: list[str], inputs: list[str]) -> CompiledNetwork:
    """Index the prior's rules over ``species`` (the data's order) and stimulus ``inputs``."""
    s_index = {s: i for i, s in enumerate(species)}
    n_species = len(species)
    reactions = list(network.reactions)
    lit_species, lit_reaction, lit_negated = [], [], []
    term_lits: list[list[int]] = []
    term_reaction: list[int] = []
    targets: list[list[int]] = [[] for _ in species]
    for r, rid in enumerate(reactions):
        rxn = network.reactions[rid]
        conjunctions: list[Conjunction] = [[]] if rxn.is_input or not rxn.function_terms else []
        for level, expr in rxn.function_terms:
            if level > 0:
                conjunctions.extend(dnf(expr))
        if not rxn.function_terms and rxn.sources():  # participants without a rule: AND of sources
            conjunctions = [[(p.species, p.sign < 0) for p in rxn.sources()]]
        for conj in conjunctions:
            k = len(term_reaction)
            term_reaction.append(r)
            lits = []
            for sid, neg in conj:
                lits.append(len(lit_species))
                lit_species.append(s_index.get(sid, n_species))
                lit_reaction.append(r)
                lit_negated.append(neg)
            term_lits.append(lits)
            for tgt in rxn.targets():
                if tgt.species in s_index:
                    targets[s_index[tgt.species]].append(k)
    n_lits, n_terms = len(lit_species), len(term_reaction)
    lmax = max([len(t) for t in term_lits] + [1])
    mmax = max([len(t) for t in targets] + [1])
    term_literals = np.full((n_terms, lmax), n_lits, dtype=np.int64)
    for k, lits in enumerate(term_lits):
        term_literals[k, :len(lits)] = lits
    target_terms = np.full((n_species, mmax), n_terms, dtype=np.int64)
    for s, ks in enumerate(targets):
        target_terms[s, :len(ks)] = ks
    r_index = {rid: i for i, rid in enumerate(reactions)}

    def param(rid: str, key: str) -> float:
        value = network.reactions[rid].params.get(key)
        return float(NETFLUX_DEFAULTS[key] if value is None or not np.isfinite(value) else value)

    def sp_attr(sid: str, key: str) -> float:
        sp = network.species.get(sid)
        value = getattr(sp, key) if sp is not None else NETFLUX_DEFAULTS[key]
        return float(value if value and np.isfinite(value) else NETFLUX_DEFAULTS[key])

    return CompiledNetwork(
        species=list(species), reactions=reactions,
        weight=np.array([param(r, "weight") for r in reactions]),
        n=np.array([param(r, "n") for r in reactions]),
        ec50=np.array([param(r, "ec50") for r in reactions]),
        tau=np.array([sp_attr(s, "tau") for s in species]),
        ymax=np.array([sp_attr(s, "ymax") for s in species]),
        lit_species=np.array(lit_species, dtype=np.int64),
        lit_reaction=np.array(lit_reaction, dtype=np.int64),
        lit_negated=np.array(lit_negated, dtype=bool),
        term_literals=term_literals, term_reaction=np.array(term_reaction, dtype=np.int64),
        target_terms=target_terms,
        input_columns=np.array([r_index.get(i, -1) for i in inputs], dtype=np.int64),
    )


def _logit(p: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return torch.tensor(np.log(p / (1 - p)), dtype=dtype)


def _softplus_inv(x: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    x = np.maximum(x, 1e-4)
    return torch.tensor(x + np.log(-np.expm1(-x)), dtype=dtype)


def q_from_ec50(ec50: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``q = 1 / K^n`` with Netflux's ``K^n = B - 1``, ``B = (EC50^n - 1) / (2 EC50^n - 1)``;
    the Hill term is then ``(1 + q) x^n / (1 + q x^n)``, continuous where ``EC50^n`` crosses
    0.5 (``K^n`` passes through infinity, ``q`` through 0)."""
    e = np.power(ec50, n)
    return 1.0 / (-e / (2 * e - 1))


def ec50_from_q(q: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Inverse of :func:`q_from_ec50` (``EC50^n = 1 / (q + 2)``)."""
    return np.power(1.0 / (np.asarray(q) + 2.0), 1.0 / np.asarray(n))


PARAMETERISATIONS = ("learnable", "published", "q-form")


class NetfluxRHS(nn.Module):
    """dy/dt of the prior network; ``forward(y (B,S), weights (B,R), inhibit, knockdown)``.

    The parameterisation hook says what is learned and how it is kept in range:

    - ``learnable`` (the HMLM backbone): reaction weight in (0, 1.25), Hill n > 0.3,
      EC50 in (0, 1), species tau > ``tau_min``; initialised at the published values;
    - ``published``: the network's own values, fixed (the simulator's twin);
    - ``q-form`` (``ode-fitted``): weight in (0, 1), n in (0.5, 6), ``q = 1/K^n`` in
      (-1, inf) (see :func:`q_from_ec50`: EC50 and n move freely), tau > 0.

    Every form gives :meth:`parameters_now` ``weight``, ``n``, ``ec50``, ``c = EC50^n`` and
    ``tau``; the right-hand side reads only those.
    """

    WEIGHT_MAX = 1.25
    N_MIN = 0.3

    def __init__(self, compiled: CompiledNetwork, tau_min: float = 0.05, parameterisation: str = "learnable",
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        if parameterisation not in PARAMETERISATIONS:
            raise ValueError(f"parameterisation must be one of {PARAMETERISATIONS}, not {parameterisation!r}")
        c = compiled
        self.tau_min = tau_min
        self.parameterisation = parameterisation
        if parameterisation == "learnable":
            self.raw_weight = nn.Parameter(_logit(c.weight / self.WEIGHT_MAX, dtype))
            self.raw_n = nn.Parameter(_softplus_inv(c.n - self.N_MIN, dtype))
            self.raw_ec50 = nn.Parameter(_logit(c.ec50, dtype))
            self.raw_tau = nn.Parameter(_softplus_inv(c.tau - tau_min, dtype))
        elif parameterisation == "q-form":
            w, n = np.clip(c.weight, 1e-3, 1 - 1e-3), np.clip(c.n, 0.51, 5.99)
            q = np.clip(q_from_ec50(c.ec50, c.n), -0.99, None)
            self.raw_weight = nn.Parameter(torch.tensor(np.log(w / (1 - w)), dtype=dtype))
            self.raw_n = nn.Parameter(torch.tensor(np.log((n - 0.5) / (6.0 - n)), dtype=dtype))
            self.raw_q = nn.Parameter(torch.tensor(np.log(np.expm1(q + 1.0)), dtype=dtype))
            self.raw_tau = nn.Parameter(torch.tensor(np.log(c.tau), dtype=dtype))
        else:
            for name in ("weight", "n", "ec50", "tau"):
                self.register_buffer(f"fixed_{name}", torch.tensor(getattr(c, name), dtype=dtype))
        self.register_buffer("ymax", torch.tensor(c.ymax, dtype=dtype))
        for name in ("lit_species", "lit_reaction", "term_literals", "term_reaction",
                     "target_terms", "input_columns"):
            self.register_buffer(name, torch.as_tensor(getattr(c, name)))
        self.register_buffer("lit_negated", torch.as_tensor(c.lit_negated))
        present = c.input_columns >= 0
        self.register_buffer("input_present", torch.as_tensor(np.flatnonzero(present)))
        self.register_buffer("input_reactions", torch.as_tensor(c.input_columns[present]))

    def parameters_now(self) -> dict[str, torch.Tensor]:
        """weight, n, ec50 (R,), c = EC50^n (R,) and tau (S,) under the parameterisation."""
        softplus = nn.functional.softplus
        if self.parameterisation == "learnable":
            out = {"weight": self.WEIGHT_MAX * torch.sigmoid(self.raw_weight),
                   "n": self.N_MIN + softplus(self.raw_n), "ec50": torch.sigmoid(self.raw_ec50),
                   "tau": self.tau_min + softplus(self.raw_tau)}
        elif self.parameterisation == "q-form":
            n = 0.5 + 5.5 * torch.sigmoid(self.raw_n)
            c = 1.0 / (softplus(self.raw_q) - 1.0 + 1e-3 + 2.0)
            return {"weight": torch.sigmoid(self.raw_weight), "n": n, "c": c, "ec50": c ** (1.0 / n),
                    "tau": torch.exp(self.raw_tau)}
        else:
            out = {"weight": self.fixed_weight, "n": self.fixed_n, "ec50": self.fixed_ec50, "tau": self.fixed_tau}
        out["c"] = out["ec50"] ** out["n"]
        return out

    def reaction_weights(self, stimuli: torch.Tensor) -> torch.Tensor:
        """(B, R): learned weights, with input reactions set by the stimuli."""
        w = self.parameters_now()["weight"].expand(stimuli.shape[0], -1).clone()
        if len(self.input_reactions):
            w[:, self.input_reactions] = stimuli[:, self.input_present].to(w.dtype)
        return w

    def ymax_for(self, knockdown: torch.Tensor | None) -> torch.Tensor:
        """ymax, (S,) or (B, S) scaled by a knockdown's factors (1 = none, 0 = knockout)."""
        return self.ymax if knockdown is None else self.ymax * knockdown.to(self.ymax.dtype)

    def bind(self, weights: torch.Tensor, inhibit: torch.Tensor | None = None):
        """``activity(y)`` -> OR over each species' producing terms, (B, S) in [0, 1], with
        everything that depends only on the parameters computed once. ``inhibit`` (B, S)
        scales each species' state as the rules read it (0 = complete inhibition)."""
        p = self.parameters_now()
        n = p["n"][self.lit_reaction]
        c = p["c"][self.lit_reaction]
        one_minus_c, one_minus_2c = 1 - c, 1 - 2 * c
        negated = self.lit_negated.to(weights.dtype)
        sign = 1 - 2 * negated
        term_weights = weights[:, self.term_reaction]
        pad = torch.zeros(weights.shape[0], 1, dtype=weights.dtype)
        ones = torch.ones_like(pad)
        lit_scale = None if inhibit is None else torch.cat([inhibit.to(weights.dtype), ones], dim=1)[:, self.lit_species]

        def activity(y: torch.Tensor) -> torch.Tensor:
            x = torch.cat([y, pad], dim=1)[:, self.lit_species]
            if lit_scale is not None:
                x = x * lit_scale
            xn = x.clamp(1e-6, 1.0) ** n
            # Netflux's normalised Hill (finite at 2c = 1); 1 - h for a negated literal
            act = negated + sign * (one_minus_c * xn / (c + one_minus_2c * xn))
            term = term_weights * torch.cat([act, ones], dim=1)[:, self.term_literals].prod(dim=-1)
            return 1 - (1 - torch.cat([term, pad], dim=1)[:, self.target_terms]).prod(dim=-1)

        return activity

    def target_activity(self, y: torch.Tensor, weights: torch.Tensor,
                        inhibit: torch.Tensor | None = None) -> torch.Tensor:
        """OR over each species' producing terms, (B, S) in [0, 1]."""
        return self.bind(weights, inhibit)(y)

    def rate(self) -> torch.Tensor:
        """1 / tau, (S,)."""
        return 1 / self.parameters_now()["tau"]

    def production(self, y: torch.Tensor, weights: torch.Tensor, inhibit: torch.Tensor | None = None,
                   knockdown: torch.Tensor | None = None) -> torch.Tensor:
        """The production part ymax * OR(...) / tau of dy/dt, (B, S)."""
        return self.ymax_for(knockdown) * self.target_activity(y, weights, inhibit) * self.rate()

    def forward(self, y: torch.Tensor, weights: torch.Tensor, inhibit: torch.Tensor | None = None,
                knockdown: torch.Tensor | None = None) -> torch.Tensor:
        return self.production(y, weights, inhibit, knockdown) - y * self.rate()

    def prior_deviation(self, initial: dict[str, torch.Tensor]) -> torch.Tensor:
        """Squared distance of the raw parameters from their initial values (a regulariser)."""
        total = torch.zeros(())
        for name, start in initial.items():
            total = total + ((getattr(self, name) - start) ** 2).mean()
        return total
