"""Many parameter sets at once: a Rosenbrock integrator with one step size per member.

One scipy BDF system over the whole batch (what :func:`simulate` does for a few
conditions) steps every member at the pace of the stiffest one, and its sparse LU grows
with the batch. Here each member has its own time and step size; every array operation
runs over the batch, so the cost is the sum of the members' steps, linear in the batch.

The method is RODAS3 (Sandu et al. 1997; Hairer & Wanner's Rosenbrock form as in KPP):
4 stages, order 3, L-stable and stiffly accurate, 3 right-hand sides, one Jacobian and one
LU per step. The Jacobian of every member has the network's sparsity pattern, so the LU
is computed symbolically once (minimum-degree order, fill-in, no pivoting: the step matrix
``1/(h gamma) - J`` has the positive diagonal ``1/(h gamma) + 1/tau``) and numerically for
all members together, level by level (the pivots of a level are independent).
Outputs are cubic Hermite interpolants between step ends, so output times do not cut
steps.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from hmlm_sb.sim.netflux_kernel import CompiledNetwork, OdeParams, _edge_literal_pairs

# RODAS3 in the form  G = 1/(h gamma) - J,  G K_i = f(Y_i) + sum_j C_ij / h K_j,
# Y_i = y + sum_j A_ij K_j,  y_new = y + sum M_i K_i,  error = sum E_i K_i = K_4
_GAMMA = 0.5
_A = {3: {1: 2.0}, 4: {1: 2.0, 3: 1.0}}  # stage 2 is evaluated at y (A_21 = 0)
_C = {2: {1: 4.0}, 3: {1: 1.0, 2: -1.0}, 4: {1: 1.0, 2: -1.0, 3: -8.0 / 3.0}}
_M = {1: 2.0, 3: 1.0, 4: 1.0}
_ERROR_ORDER = 3
_TINY = 1e-300
# For n < 1 the Hill slope grows without bound as x -> 0+; an unbounded Jacobian entry
# stalls the step size (the error estimate then does not shrink with h). Capped, the
# Jacobian differs from the exact one only where x < ~1e-8; the error control still
# judges every step on the exact right-hand side.
_MAX_SLOPE = 100.0


@dataclass
class _Sums:
    """Rows that each subtract the same number c of products ``a[first] * b[second]``.

    Summing a (c, n, B) block over its first axis is many times faster than
    ``np.add.reduceat`` over ragged groups along the first axis."""

    rows: np.ndarray  # (n,) rows written (x rows in a sweep, matrix slots in the factorisation)
    first: np.ndarray  # (c, n) matrix slots
    second: np.ndarray  # (c, n) x rows (sweep) or matrix slots (factorisation)
    diag: np.ndarray  # (n,) diagonal slot of each row (sweeps)


@dataclass
class _FactorLevel:
    """Pivots eliminated together: multipliers, then the updates they cause."""

    lower: np.ndarray  # slots (i, p) to divide by their pivot's diagonal
    lower_diag: np.ndarray
    updates: list[_Sums]  # target slots (i, j) -= sum of (i, p) * (p, j)


def _sums(terms: dict[int, list[tuple[int, int]]], diag: dict[int, int] | None = None) -> list[_Sums]:
    """Rows grouped by their number of terms (first, second); ``diag``: row -> its diagonal slot."""
    by_count: dict[int, list[int]] = {}
    for row, pairs in terms.items():
        by_count.setdefault(len(pairs), []).append(row)
    out = []
    for count in sorted(by_count):
        rows = sorted(by_count[count])
        first = np.array([[terms[r][j][0] for r in rows] for j in range(count)], dtype=np.int64).reshape(count, len(rows))
        second = np.array([[terms[r][j][1] for r in rows] for j in range(count)], dtype=np.int64).reshape(count, len(rows))
        out.append(_Sums(_int(rows), first, second, _int([diag[r] for r in rows]) if diag else _int([])))
    return out


class SparseBatchLU:
    """LU without pivoting of many matrices sharing one sparsity pattern.

    Values live as (slots, batch) arrays; ``scatter`` maps the Jacobian entries of
    :func:`jacobian_entries` (pairs, then the diagonal) to the slots (duplicates add up).
    Factorisation and both triangular sweeps run level by level: all pivots (rows) of a
    level are independent, so each level is a few array operations over the batch."""

    def __init__(self, n: int, rows: np.ndarray, cols: np.ndarray) -> None:
        self.n = n
        entries = list(zip(rows.tolist(), cols.tolist())) + [(i, i) for i in range(n)]
        order, filled = _minimum_degree(n, {(i, j) for i, j in entries})
        slot_of = {ij: k for k, ij in enumerate(sorted(filled))}
        self.slots = len(slot_of)
        entry_slots = np.array([slot_of[ij] for ij in entries], dtype=np.int64)
        self.scatter = csr_matrix((np.ones(len(entries)), (entry_slots, np.arange(len(entries)))),
                                  shape=(self.slots, len(entries)))
        self.diag_slots = np.array([slot_of[(i, i)] for i in range(n)], dtype=np.int64)
        position = {p: k for k, p in enumerate(order)}
        lower = {i: [] for i in range(n)}  # row i: columns j eliminated before i
        upper = {i: [] for i in range(n)}  # row i: columns j eliminated after i
        for i, j in filled:
            if i != j:
                (lower if position[j] < position[i] else upper)[i].append(j)
        self.factor_levels = _factor_levels(order, lower, upper, slot_of)
        self.forward = _sweep_levels(order, lower, slot_of)
        self.backward = _sweep_levels(order[::-1], upper, slot_of)

    def factor(self, values: np.ndarray) -> "_Factors":
        """LU of the (slots, B) matrix values (overwritten: L unit below, U on and above)."""
        for lv in self.factor_levels:
            values[lv.lower] /= values[lv.lower_diag]
            for up in lv.updates:
                values[up.rows] -= _sum0(values[up.first] * values[up.second])
        # what the sweeps read, gathered once for the several solves of a step
        return _Factors([[values[g.first] for g in level] for level in self.forward],
                        [[values[g.first] for g in level] for level in self.backward],
                        [[1.0 / values[g.diag] for g in level] for level in self.backward])

    def solve(self, factors: "_Factors", rhs_: np.ndarray) -> np.ndarray:
        """x (n, B) with A x = rhs_ (n, B), A factored by :meth:`factor`; rhs_ is overwritten."""
        x = rhs_
        for level, values in zip(self.forward, factors.forward):
            for g, vals in zip(level, values):
                if len(g.first):
                    x[g.rows] -= _sum0(vals * x[g.second])
        for level, values, inverse in zip(self.backward, factors.backward, factors.inv_diag):
            for g, vals, inv_diag in zip(level, values, inverse):
                if len(g.first):
                    x[g.rows] = (x[g.rows] - _sum0(vals * x[g.second])) * inv_diag
                else:
                    x[g.rows] *= inv_diag
        return x


def _sum0(block: np.ndarray) -> np.ndarray:
    """Sum over the first axis of a (c, n, B) block (most blocks have c = 1)."""
    return block[0] if len(block) == 1 else np.add.reduce(block, axis=0)


@dataclass
class _Factors:
    forward: list[list[np.ndarray]]
    backward: list[list[np.ndarray]]
    inv_diag: list[list[np.ndarray]]


def _minimum_degree(n: int, pattern: set[tuple[int, int]]) -> tuple[list[int], set[tuple[int, int]]]:
    """Elimination order (fewest remaining neighbours first) and the filled pattern."""
    out_nb: list[set[int]] = [set() for _ in range(n)]
    in_nb: list[set[int]] = [set() for _ in range(n)]
    for i, j in pattern:
        if i != j:
            out_nb[i].add(j)  # row i has column j
            in_nb[j].add(i)
    filled = set(pattern)
    degree = lambda k: len(in_nb[k] | out_nb[k])  # noqa: E731
    heap = [(degree(k), k) for k in range(n)]
    heapq.heapify(heap)
    done = [False] * n
    order = []
    while heap:
        d, p = heapq.heappop(heap)
        if done[p] or d != degree(p):
            continue  # eliminated, or an outdated degree (the current one is in the heap too)
        done[p] = True
        order.append(p)
        rows, cols = in_nb[p], out_nb[p]
        for i in rows:
            out_nb[i].discard(p)
        for j in cols:
            in_nb[j].discard(p)
        for i in rows:
            for j in cols:
                if i != j and (i, j) not in filled:
                    filled.add((i, j))
                    out_nb[i].add(j)
                    in_nb[j].add(i)
        for k in rows | cols:
            heapq.heappush(heap, (degree(k), k))
    return order, filled


def _int(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _sweep_levels(order: list[int], depends: dict[int, list[int]], slot_of: dict) -> list[list[_Sums]]:
    """Rows in ``order``; row i needs the rows ``depends[i]`` first (all earlier in ``order``).
    Each level: the rows whose needs are met, as _Sums of x[i] -= (i, j) * x[j]."""
    level: dict[int, int] = {}
    for i in order:
        level[i] = 1 + max((level[j] for j in depends[i]), default=-1)
    rows_of: dict[int, list[int]] = {}
    for i in order:
        rows_of.setdefault(level[i], []).append(i)
    return [_sums({i: [(slot_of[(i, j)], j) for j in sorted(depends[i])] for i in rows_of[lvl]},
                  {i: slot_of[(i, i)] for i in rows_of[lvl]}) for lvl in sorted(rows_of)]


def _factor_levels(order: list[int], lower: dict[int, list[int]], upper: dict[int, list[int]],
                   slot_of: dict) -> list[_FactorLevel]:
    """Pivot p's multipliers are (i, p) for i with p in lower[i]; its updates (i, j), j in upper[p].
    Pivot q waits for every pivot p whose updates touch q's row or column."""
    column: dict[int, list[int]] = {p: [] for p in order}
    for i, cols in lower.items():
        for p in cols:
            column[p].append(i)
    level: dict[int, int] = {}
    touched_by: dict[int, list[int]] = {p: [] for p in order}
    for p in order:
        for q in set(column[p]) | set(upper[p]):
            touched_by[q].append(p)
    for p in order:
        level[p] = 1 + max((level[q] for q in touched_by[p]), default=-1)
    pivots_of: dict[int, list[int]] = {}
    for p in order:
        if column[p]:
            pivots_of.setdefault(level[p], []).append(p)
    out = []
    for lvl in sorted(pivots_of):
        lower_slots, lower_diag = [], []
        updates: dict[int, list[tuple[int, int]]] = {}
        for p in pivots_of[lvl]:
            for i in sorted(column[p]):
                lower_slots.append(slot_of[(i, p)]); lower_diag.append(slot_of[(p, p)])
                for j in sorted(upper[p]):
                    updates.setdefault(slot_of[(i, j)], []).append((slot_of[(i, p)], slot_of[(p, j)]))
        out.append(_FactorLevel(_int(lower_slots), _int(lower_diag), _sums(updates)))
    return out


class NetfluxKernel:
    """:func:`~hmlm_sb.sim.netflux_ode.rhs` and the values of
    :func:`~hmlm_sb.sim.netflux_ode.jacobian_entries` for fixed parameters, on states laid
    out species-major, (S, B): gathers along the first axis copy whole rows, several times
    faster than along the second. What does not depend on the state (``EC50^n``, the
    gathered parameters) is computed once. The equations are those of netflux_ode; tests
    pin the two against each other."""

    def __init__(self, compiled: CompiledNetwork, p: OdeParams) -> None:
        self.cp = compiled
        ls, lr = compiled.lit_species, compiled.lit_row
        self.n = np.ascontiguousarray(p.n.T[lr])
        c = np.ascontiguousarray(p.ec50.T[lr]) ** self.n
        self.c, self.one_minus_c, self.one_minus_2c = c, 1.0 - c, 1.0 - 2.0 * c
        self.cn = c * self.n
        self.inhibit = np.ascontiguousarray(p.inhibit.T[ls])
        self.inhibited = bool(np.any(self.inhibit != 1.0))
        self.negated = np.flatnonzero(compiled.lit_negated)
        self.weight = np.ascontiguousarray(p.weight.T)
        self.lit_weight = self.weight[lr]
        self.gain = np.ascontiguousarray((p.ymax / p.tau).T)
        self.inv_tau = np.ascontiguousarray((1.0 / p.tau).T)
        self.pair_edge, self.pair_lit = _edge_literal_pairs(compiled)
        self.pair_gain = self.gain[compiled.edge_species[self.pair_edge]]
        self.rows = _groups(compiled, "rows", compiled.lit_row, len(compiled.reactions))
        self.species = _groups(compiled, "species", compiled.edge_species, len(compiled.species))

    def _literals(self, y: np.ndarray, slope: bool):
        """(L, B) literal values h or 1 - h and, with ``slope``, their derivatives (in place
        where possible: these arrays are the largest of a step)."""
        x = y[self.cp.lit_species]
        if self.inhibited:
            x *= self.inhibit
        np.maximum(x, _TINY, out=x)  # x^n of x <= 0 is 0 as in hill(), without 0/0 in the slope
        xn = np.power(x, self.n)
        denom = np.multiply(self.one_minus_2c, xn)
        denom += self.c
        g = np.multiply(self.one_minus_c, xn, out=xn)
        g /= denom  # h
        if slope:
            dh = g * self.cn
            x *= denom
            dh /= x
            dh[x <= _TINY * self.c] = 0.0  # x <= 0, as jacobian_entries (the slope at 0 is infinite for n < 1)
            np.minimum(dh, _MAX_SLOPE, out=dh)
            if self.inhibited:
                dh *= self.inhibit
            dh[self.negated] *= -1.0
        g[self.negated] = 1.0 - g[self.negated]
        return g, (dh if slope else None)

    def rhs(self, y: np.ndarray) -> np.ndarray:
        """dy/dt (S, B) of y (S, B)."""
        g, _ = self._literals(y, slope=False)
        activity = self.weight * self.rows.product(g)
        not_active = 1.0 - activity[self.cp.edge_row]
        return (1.0 - self.species.product(not_active)) * self.gain - y * self.inv_tau

    def jacobian(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P, B) values at the (edge, literal) pairs of ``_edge_literal_pairs``, (S, B) diagonal."""
        g, dg = self._literals(y, slope=True)
        d_activity = self.lit_weight * dg * self.rows.product_except(g)
        not_active = 1.0 - (self.weight * self.rows.product(g))[self.cp.edge_row]
        d_edge = self.species.product_except(not_active)
        return self.pair_gain * d_edge[self.pair_edge] * d_activity[self.pair_lit], -self.inv_tau


class _Groups:
    """Items (rows of a (N, B) array) owned by owners; products over each owner's items.

    Owners are grouped by their item count, so each product is a few multiplications of
    whole (owners, B) blocks: the work follows the items, not owners x the longest list."""

    def __init__(self, owner: np.ndarray, n_owners: int) -> None:
        self.n_owners = n_owners
        order = np.argsort(owner, kind="stable")
        counts = np.bincount(owner, minlength=n_owners)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.groups = []
        for count in np.unique(counts[counts > 0]):
            owners = np.flatnonzero(counts == count)
            items = order[first[owners][:, None] + np.arange(count)[None, :]]
            self.groups.append((owners, [items[:, j] for j in range(count)]))

    def product(self, values: np.ndarray) -> np.ndarray:
        """(owners, B): the product of each owner's items (1 without items)."""
        out = np.ones((self.n_owners, values.shape[1]))
        for owners, items in self.groups:
            prod = values[items[0]]
            for idx in items[1:]:
                prod *= values[idx]
            out[owners] = prod
        return out

    def product_except(self, values: np.ndarray) -> np.ndarray:
        """(N, B): for each item the product of the other items of its owner (no division)."""
        out = np.empty_like(values)
        for _, items in self.groups:
            factors = [values[idx] for idx in items]
            prefix = [None]
            for f in factors[:-1]:
                prefix.append(f if prefix[-1] is None else prefix[-1] * f)
            suffix = None
            for j in range(len(items) - 1, -1, -1):
                both = [x for x in (prefix[j], suffix) if x is not None]
                out[items[j]] = both[0] * both[1] if len(both) == 2 else (both[0] if both else 1.0)
                suffix = factors[j] if suffix is None else suffix * factors[j]
        return out


def _groups(compiled: CompiledNetwork, name: str, owner: np.ndarray, n_owners: int) -> _Groups:
    """Cached on the compiled network: literals by row, or edges by product species."""
    key = f"_groups_{name}"
    cached = getattr(compiled, key, None)
    if cached is None:
        cached = _Groups(owner, n_owners)
        object.__setattr__(compiled, key, cached)
    return cached


def batch_lu(compiled: CompiledNetwork) -> SparseBatchLU:
    """The symbolic LU of the network's Jacobian pattern, cached on the compiled network."""
    cached = getattr(compiled, "_batch_lu", None)
    if cached is None:
        pair_edge, pair_lit = _edge_literal_pairs(compiled)
        cached = SparseBatchLU(len(compiled.species), compiled.edge_species[pair_edge],
                               compiled.lit_species[pair_lit])
        object.__setattr__(compiled, "_batch_lu", cached)
    return cached


def simulate_batched(compiled: CompiledNetwork, times: np.ndarray, params: OdeParams,
                     y0: np.ndarray | None = None, *, rtol: float = 1e-5, atol: float = 1e-7,
                     max_steps: int = 100_000) -> np.ndarray:
    """Trajectories (B, T, S) at ``times`` from ``y0`` (S,) or (B, S); each member its own steps.

    Steps are not cut at the output times: outputs are cubic Hermite interpolants of the
    step ends (third order, as the method). Defaults: max |difference| to scipy BDF at
    rtol 1e-6 about 1e-5 on Rogers 2022 (docs/simulator.md)."""
    times = np.asarray(times, dtype=float)
    b_count, s_count = params.batch, len(compiled.species)
    start = compiled.y0 if y0 is None else np.asarray(y0, dtype=float)
    start = np.broadcast_to(start, (b_count, s_count)).astype(float)
    out = np.empty((b_count, len(times), s_count))
    out[:, 0] = start
    if len(times) == 1:
        return out
    if np.any(np.diff(times) <= 0):
        raise ValueError("times must be strictly increasing")
    lu = batch_lu(compiled)
    t_end, span = times[-1], times[-1] - times[0]
    members = np.arange(b_count)  # the batch columns of the arrays below
    kernel = NetfluxKernel(compiled, params)
    y = np.ascontiguousarray(start.T)  # (S, B)
    f = kernel.rhs(y)
    t = np.full(b_count, times[0])
    h = np.full(b_count, min(1e-3 * span, times[1] - times[0]))
    nxt = np.ones(b_count, dtype=np.int64)  # next output index of each member
    rejected = np.zeros(b_count, dtype=bool)
    for _ in range(max_steps):
        live = t < t_end
        step = np.where(live, np.minimum(h, t_end - t), 1.0)  # finished members idle along
        last = live & (h >= (t_end - t) * (1 - 1e-12))
        y_new, f_new, err = _rodas3_step(kernel, lu, y, f, step, rtol, atol)
        ok = live & np.isfinite(err) & (err <= 1.0)
        factor = np.where(np.isfinite(err), 0.9 * np.maximum(err, 1e-10) ** (-1.0 / _ERROR_ORDER), 0.1)
        factor = np.clip(factor, 0.2, 6.0)
        factor = np.where(ok & ~rejected, factor, np.minimum(factor, 1.0))
        t_new = np.where(last, t_end, t + step)
        _write_outputs(out, times, members, nxt, ok, t, t_new, y, f, y_new, f_new)
        t = np.where(ok, t_new, t)
        y = np.where(ok, y_new, y)
        f = np.where(ok, f_new, f)
        h = np.where(live, step * factor, h)
        rejected = live & ~ok
        tiny = live & (h < 1e-14 * span)
        if tiny.any():
            raise RuntimeError(f"batched ODE solver failed: step size below {1e-14 * span:.1e} "
                               f"(member {int(members[np.argmax(tiny)])})")
        finished = t >= t_end
        if finished.all():
            return out
        if finished.sum() >= 0.1 * len(members):  # drop finished members now and then (a copy)
            keep = ~finished
            members, t, h, nxt, rejected = members[keep], t[keep], h[keep], nxt[keep], rejected[keep]
            y, f = np.ascontiguousarray(y[:, keep]), np.ascontiguousarray(f[:, keep])
            kernel = NetfluxKernel(compiled, params.take(members))
    raise RuntimeError(f"batched ODE solver failed: more than {max_steps} steps")


def _write_outputs(out: np.ndarray, times: np.ndarray, members: np.ndarray, nxt: np.ndarray, ok: np.ndarray,
                   t0: np.ndarray, t1: np.ndarray, y0: np.ndarray, f0: np.ndarray, y1: np.ndarray,
                   f1: np.ndarray) -> None:
    """Outputs inside accepted steps (t0, t1], by cubic Hermite interpolation; advances ``nxt``."""
    last = len(times) - 1
    while True:
        due = ok & (nxt <= last)
        due &= times[np.minimum(nxt, last)] <= t1 * (1 + 1e-15)
        if not due.any():
            return
        cols = np.flatnonzero(due)
        h = (t1 - t0)[cols]
        theta = (times[nxt[cols]] - t0[cols]) / h
        a, b = y0[:, cols], y1[:, cols]
        da, db = f0[:, cols] * h, f1[:, cols] * h
        value = ((1 - theta) * a + theta * b
                 + theta * (theta - 1) * ((1 - 2 * theta) * (b - a) + (theta - 1) * da + theta * db))
        out[members[cols], nxt[cols]] = value.T
        nxt[cols] += 1


def _rodas3_step(kernel: NetfluxKernel, lu: SparseBatchLU, y: np.ndarray, f0: np.ndarray, h: np.ndarray,
                 rtol: float, atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One RODAS3 step of every member (columns of y): y_new, f(y_new), scaled RMS error (B,)."""
    pairs, diag = kernel.jacobian(y)
    matrix = -(lu.scatter @ np.concatenate([pairs, diag]))  # (slots, B): -J
    matrix[lu.diag_slots] += 1.0 / (h * _GAMMA)
    factors = lu.factor(matrix)
    k: dict[int, np.ndarray] = {}
    for stage in (1, 2, 3, 4):
        f = kernel.rhs(y + sum(a * k[j] for j, a in _A[stage].items())) if stage in _A else f0
        if stage in _C:
            f = f + sum(c * k[j] for j, c in _C[stage].items()) / h
        k[stage] = lu.solve(factors, f.copy())
    y_new = y + sum(m * k[j] for j, m in _M.items())
    scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
    err = np.sqrt(np.mean((k[4] / scale) ** 2, axis=0))
    return y_new, kernel.rhs(y_new), err
