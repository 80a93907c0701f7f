"""The Netflux kernel: logic-based ODEs (Kraeutler et al. 2010), vectorised over species and a batch.

Equations (one reaction row = one AND of literals; rows with the same product are OR-ed)::

    f(x)  = w * beta * x^n / (K^n + x^n)        beta = (EC50^n - 1) / (2 EC50^n - 1)
                                                K^n  = beta - 1   (never via K itself)
    !x    : w - f(x)
    AND   : w * prod_i (f_i / w)
    OR    : a + b - a b          (over the rows with the same product)
    => X  : w                    (input reaction)
    dy/dt = (P * ymax - y) / tau

Since f/w does not depend on w, each literal contributes the normalised Hill value
``h(x) = (1 - c) x^n / (c + (1 - 2c) x^n)`` with ``c = EC50^n``, which is the formula above
multiplied through by ``2c - 1`` (identical for every c, and finite at ``2c = 1`` where
beta itself is infinite). A reaction's activity is ``w * prod(h or 1 - h)``.

The network is compiled once into index arrays (:func:`compile_network`); parameters are
arrays with a leading batch axis (conditions x parameter sets), see :class:`OdeParams`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.logic import And, Expr, Literal, Not, Or
from hmlm_sb.network import NETFLUX_DEFAULTS, Network


@dataclass
class CompiledNetwork:
    """Index arrays of a Netflux network. R rows (reactions), L literals, E row->product edges."""

    species: list[str]
    reactions: list[str]  # row ids; a reaction with an OR rule becomes several rows "id#k"
    reaction_of_row: list[str]  # network reaction id of each row
    input_rows: np.ndarray  # (I,) rows that are input reactions (no literals)
    lit_species: np.ndarray  # (L,)
    lit_row: np.ndarray  # (L,)
    lit_position: np.ndarray  # (L,) position of the literal inside its row
    lit_negated: np.ndarray  # (L,) bool
    row_literals: np.ndarray  # (R, K) literal index, padded with L (a constant 1)
    edge_row: np.ndarray  # (E,)
    edge_species: np.ndarray  # (E,)
    edge_position: np.ndarray  # (E,) position among the edges of its species
    species_edges: np.ndarray  # (S, M) edge index, padded with E (a constant 0)
    weight: np.ndarray  # (R,)
    n: np.ndarray  # (R,)
    ec50: np.ndarray  # (R,)
    tau: np.ndarray  # (S,)
    ymax: np.ndarray  # (S,)
    y0: np.ndarray  # (S,)
    species_index: dict[str, int] = field(default_factory=dict)

    @property
    def inputs(self) -> list[str]:
        """Input reaction ids, in row order (the order of ``Trajectories.inputs``)."""
        return [self.reactions[i] for i in self.input_rows]

    @property
    def input_species(self) -> list[str]:
        return [self.species[s] for r in self.input_rows for s in self.edge_species[self.edge_row == r]]

    def params(self, batch: int = 1) -> "OdeParams":
        """The network's own parameters, repeated ``batch`` times."""
        def rep(a: np.ndarray) -> np.ndarray:
            return np.repeat(a[None, :].astype(float), batch, axis=0)
        return OdeParams(rep(self.weight), rep(self.n), rep(self.ec50), rep(self.tau), rep(self.ymax))


PARAM_FIELDS = ("weight", "n", "ec50", "tau", "ymax", "inhibit")


@dataclass
class OdeParams:
    """Per-batch parameters: weight, n, ec50 (B, R); tau, ymax, inhibit (B, S).

    ``inhibit`` is the remaining output fraction of each species as the rules read it
    (1 = untouched, 0 = complete inhibition); a knockdown is a smaller ``ymax``."""

    weight: np.ndarray
    n: np.ndarray
    ec50: np.ndarray
    tau: np.ndarray
    ymax: np.ndarray
    inhibit: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.inhibit is None:
            self.inhibit = np.ones_like(np.asarray(self.tau, dtype=float))

    @property
    def batch(self) -> int:
        return self.weight.shape[0]

    def copy(self) -> "OdeParams":
        return replace(self, **{k: getattr(self, k).copy() for k in PARAM_FIELDS})

    def with_perturbations(self, inhibit: np.ndarray | None = None,
                           knockdown: np.ndarray | None = None) -> "OdeParams":
        """A copy with ``inhibit`` (B, S) multiplied in and ymax scaled by ``knockdown`` (B, S)."""
        out = self.copy()
        if inhibit is not None:
            out.inhibit = out.inhibit * np.asarray(inhibit, dtype=float)
        if knockdown is not None:
            out.ymax = out.ymax * np.asarray(knockdown, dtype=float)
        return out

    def with_input_weights(self, compiled: CompiledNetwork, weights: np.ndarray) -> "OdeParams":
        """A copy whose input-reaction weights are ``weights`` (B, I), in ``compiled.inputs`` order."""
        out = self.copy()
        out.weight[:, compiled.input_rows] = np.asarray(weights, dtype=float)
        return out

    def take(self, index: np.ndarray | list[int]) -> "OdeParams":
        return OdeParams(*(getattr(self, k)[index] for k in PARAM_FIELDS))


# ---- compiling -----------------------------------------------------------------------------
def _conjunction(expr: Expr, rid: str) -> list[tuple[str, bool]]:
    """Literals of an AND of (possibly negated) species; anything else is not a Netflux row."""
    terms = expr.terms if isinstance(expr, And) else (expr,)
    out = []
    for term in terms:
        negated = isinstance(term, Not)
        inner = term.term if negated else term
        if not isinstance(inner, Literal) or inner.threshold != 1:
            raise InputError("rule is not an AND of species literals, cannot simulate as Netflux",
                             element=f"reaction {rid}")
        out.append((inner.species, negated))
    return out


def _rows_of(network: Network) -> list[tuple[str, str, list[tuple[str, bool]], list[str]]]:
    """(row id, reaction id, literals, products); an OR rule is split into one row per term."""
    rows = []
    for rid, rxn in network.reactions.items():
        products = [p.species for p in rxn.targets()]
        if not products:
            raise InputError("reaction has no product", element=f"reaction {rid}")
        if not rxn.function_terms:
            if rxn.sources():
                raise InputError("reaction has sources but no rule", element=f"reaction {rid}")
            rows.append((rid, rid, [], products))
            continue
        if len(rxn.function_terms) > 1 or rxn.function_terms[0][0] != 1:
            raise InputError("multi-level rules cannot be simulated as Netflux", element=f"reaction {rid}")
        expr = rxn.function_terms[0][1]
        alternatives = expr.terms if isinstance(expr, Or) else (expr,)
        for k, alt in enumerate(alternatives):
            row_id = rid if len(alternatives) == 1 else f"{rid}#{k + 1}"
            rows.append((row_id, rid, _conjunction(alt, rid), products))
    return rows


def _checked_param(value: float, name: str, element: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (name == "tau" and value == 0):
        raise InputError(f"{name} must be a finite {'positive' if name == 'tau' else 'non-negative'} "
                         f"number, got {value!r}", element=element)
    return value


def compile_network(network: Network) -> CompiledNetwork:
    """Index arrays for the simulator; raises InputError for rules it cannot simulate."""
    species = list(network.species)
    index = {s: i for i, s in enumerate(species)}
    rows = _rows_of(network)
    lit_species, lit_row, lit_pos, lit_neg = [], [], [], []
    edge_row, edge_species = [], []
    for r, (_, rid, lits, products) in enumerate(rows):
        for k, (sid, negated) in enumerate(lits):
            if sid not in index:
                raise InputError(f"rule names unknown species {sid!r}", element=f"reaction {rid}")
            lit_species.append(index[sid]); lit_row.append(r); lit_pos.append(k); lit_neg.append(negated)
        for sid in products:
            if sid not in index:
                raise InputError(f"product is unknown species {sid!r}", element=f"reaction {rid}")
            edge_row.append(r); edge_species.append(index[sid])
    n_lit, n_edge = len(lit_species), len(edge_row)
    max_k = max((len(r[2]) for r in rows), default=0) or 1
    row_literals = np.full((len(rows), max_k), n_lit, dtype=np.int64)
    for j, (r, k) in enumerate(zip(lit_row, lit_pos)):
        row_literals[r, k] = j
    per_species: list[list[int]] = [[] for _ in species]
    edge_position = []
    for e, s in enumerate(edge_species):
        edge_position.append(len(per_species[s]))
        per_species[s].append(e)
    max_m = max((len(x) for x in per_species), default=0) or 1
    species_edges = np.full((len(species), max_m), n_edge, dtype=np.int64)
    for s, edges in enumerate(per_species):
        species_edges[s, :len(edges)] = edges

    def rparam(key: str) -> np.ndarray:
        return np.array([_checked_param(network.reactions[rid].params.get(key, NETFLUX_DEFAULTS[key]),
                                        key, f"reaction {rid}") for _, rid, _, _ in rows], dtype=float)

    def sparam(attr: str) -> np.ndarray:
        return np.array([_checked_param(getattr(network.species[s], attr), attr, f"species {s}")
                         for s in species], dtype=float)

    return CompiledNetwork(
        species=species, reactions=[r[0] for r in rows], reaction_of_row=[r[1] for r in rows],
        input_rows=np.array([r for r, row in enumerate(rows) if not row[2]], dtype=np.int64),
        lit_species=np.array(lit_species, dtype=np.int64), lit_row=np.array(lit_row, dtype=np.int64),
        lit_position=np.array(lit_pos, dtype=np.int64), lit_negated=np.array(lit_neg, dtype=bool),
        row_literals=row_literals, edge_row=np.array(edge_row, dtype=np.int64),
        edge_species=np.array(edge_species, dtype=np.int64),
        edge_position=np.array(edge_position, dtype=np.int64), species_edges=species_edges,
        weight=rparam("weight"), n=rparam("n"), ec50=rparam("ec50"),
        tau=sparam("tau"), ymax=sparam("ymax"), y0=sparam("initial"), species_index=index,
    )


# ---- right-hand side -----------------------------------------------------------------------
def hill(x: np.ndarray, n: np.ndarray, ec50: np.ndarray) -> np.ndarray:
    """Normalised Hill activation f/w (0 at x=0, 1/2 at EC50, 1 at x=1)."""
    c = ec50 ** n
    xn = np.maximum(x, 0.0) ** n
    return (1.0 - c) * xn / (c + (1.0 - 2.0 * c) * xn)


def _literal_values(compiled: CompiledNetwork, y: np.ndarray, p: OdeParams) -> np.ndarray:
    """(B, L) value of each literal: h(x) or 1 - h(x), x the (inhibited) state it reads."""
    x = y[:, compiled.lit_species] * p.inhibit[:, compiled.lit_species]
    h = hill(x, p.n[:, compiled.lit_row], p.ec50[:, compiled.lit_row])
    return np.where(compiled.lit_negated, 1.0 - h, h)


def _row_activity(compiled: CompiledNetwork, g: np.ndarray, p: OdeParams) -> np.ndarray:
    padded = np.concatenate([g, np.ones((g.shape[0], 1))], axis=1)
    return p.weight * padded[:, compiled.row_literals].prod(axis=2)


def production(compiled: CompiledNetwork, y: np.ndarray, p: OdeParams) -> np.ndarray:
    """(B, S) OR-combined activity P of each species' reactions."""
    activity = _row_activity(compiled, _literal_values(compiled, y, p), p)
    edge_activity = np.concatenate([activity[:, compiled.edge_row], np.zeros((y.shape[0], 1))], axis=1)
    return 1.0 - (1.0 - edge_activity[:, compiled.species_edges]).prod(axis=2)


def rhs(compiled: CompiledNetwork, y: np.ndarray, p: OdeParams) -> np.ndarray:
    """dy/dt (B, S)."""
    return (production(compiled, y, p) * p.ymax - y) / p.tau


def _product_except(values: np.ndarray) -> np.ndarray:
    """For (..., K): the product of all entries but k, without division.

    A loop over the (short) last axis: cumprod along it is several times slower."""
    k_count = values.shape[-1]
    out = np.empty_like(values)
    running = np.ones_like(values[..., 0])
    for k in range(k_count):
        out[..., k] = running
        running = running * values[..., k]
    running = np.ones_like(values[..., 0])
    for k in range(k_count - 1, -1, -1):
        out[..., k] *= running
        running = running * values[..., k]
    return out


def jacobian_entries(compiled: CompiledNetwork, y: np.ndarray, p: OdeParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Analytic Jacobian as (rows, cols, values) over the flattened batch (B*S)."""
    b_count, s_count = y.shape
    scale_in = p.inhibit[:, compiled.lit_species]
    x = np.maximum(y[:, compiled.lit_species] * scale_in, 0.0)
    n = p.n[:, compiled.lit_row]
    c = p.ec50[:, compiled.lit_row] ** n
    xn = x ** n
    denom = c + (1.0 - 2.0 * c) * xn
    h = (1.0 - c) * xn / denom
    with np.errstate(divide="ignore", invalid="ignore"):
        dh = np.where(x > 0, (1.0 - c) * c * n * xn / (x * denom ** 2), 0.0) * scale_in
    g = np.where(compiled.lit_negated, 1.0 - h, h)
    dg = np.where(compiled.lit_negated, -dh, dh)
    padded = np.concatenate([g, np.ones((b_count, 1))], axis=1)[:, compiled.row_literals]
    others = _product_except(padded)  # (B, R, K)
    d_activity = p.weight[:, compiled.lit_row] * dg * others[:, compiled.lit_row, compiled.lit_position]
    activity = p.weight * padded.prod(axis=2)
    one_minus = np.concatenate([1.0 - activity[:, compiled.edge_row], np.ones((b_count, 1))], axis=1)
    d_production = _product_except(one_minus[:, compiled.species_edges])  # (B, S, M)
    d_edge = d_production[:, compiled.edge_species, compiled.edge_position]  # (B, E)
    # pairs (edge e, literal j) with j in the row of e
    pair_edge, pair_lit = _edge_literal_pairs(compiled)
    s = compiled.edge_species[pair_edge]
    scale = p.ymax[:, s] / p.tau[:, s]
    values = scale * d_edge[:, pair_edge] * d_activity[:, pair_lit]
    offsets = (np.arange(b_count) * s_count)[:, None]
    rows = (offsets + s[None, :]).ravel()
    cols = (offsets + compiled.lit_species[pair_lit][None, :]).ravel()
    diag = (offsets + np.arange(s_count)[None, :]).ravel()
    return (np.concatenate([rows, diag]), np.concatenate([cols, diag]),
            np.concatenate([values.ravel(), (-1.0 / p.tau).ravel()]))


def _edge_literal_pairs(compiled: CompiledNetwork) -> tuple[np.ndarray, np.ndarray]:
    cached = getattr(compiled, "_pairs", None)
    if cached is None:
        edges, lits = [], []
        for e, r in enumerate(compiled.edge_row):
            for j in compiled.row_literals[r]:
                if j < len(compiled.lit_species):
                    edges.append(e); lits.append(j)
        cached = (np.array(edges, dtype=np.int64), np.array(lits, dtype=np.int64))
        object.__setattr__(compiled, "_pairs", cached)
    return cached
