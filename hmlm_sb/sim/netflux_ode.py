"""Netflux logic-based ODEs: the kernel (:mod:`hmlm_sb.sim.netflux_kernel`: compiled
network, parameters, right-hand side, analytic Jacobian) and its integration (stiff BDF
in systems of a few members, or the batched Rosenbrock integrator of
:mod:`hmlm_sb.sim.batched` for many parameter sets)."""
from __future__ import annotations

import numpy as np

from hmlm_sb.sim.batched import simulate_batched
from hmlm_sb.sim.netflux_kernel import (PARAM_FIELDS, CompiledNetwork, OdeParams, _edge_literal_pairs,  # noqa: F401
                                        _product_except, compile_network, hill, jacobian_entries, production,
                                        rhs)

# ---- integration ---------------------------------------------------------------------------
BDF_CHUNK = 32  # members per scipy system: one step size for all, and an LU that grows with them
BDF_STATES = 4000  # ... and at most this many states per system (one member if it has more):
# 4 conditions of a 5,000-species network cost 4.4x more CPU in one system than in four
BATCHED_MIN = 200  # "auto" uses the batched Rosenbrock integrator from this many members on
# (bench_simulator: at 50 sets BDF in systems of 32 costs 8.5 ms a set, batched 15; at 200 both
# about 8; at 1,000 batched 4.6)
BATCHED_MAX_SPECIES = 2000  # ... on networks up to this size (its LU is scheduled in Python)


def simulate(compiled: CompiledNetwork, times: np.ndarray, params: OdeParams,
             y0: np.ndarray | None = None, *, rtol: float | None = None, atol: float | None = None,
             method: str = "auto") -> np.ndarray:
    """Trajectories (B, T, S) at ``times`` (times[0] is the start) from ``y0`` (S,) or (B, S).

    ``method``: "BDF" (scipy, the analytic sparse Jacobian; rtol 1e-6, atol 1e-9 unless
    given), in systems of up to ``BDF_CHUNK`` members and ``BDF_STATES`` states; "batched"
    (:func:`hmlm_sb.sim.batched.simulate_batched`, each member its own step size; rtol
    1e-5, atol 1e-7); another scipy method name; or "auto": batched for ``BATCHED_MIN``
    members or more on networks of up to ``BATCHED_MAX_SPECIES`` species (BDF if the
    batched solver gives up), else BDF."""
    times = np.asarray(times, dtype=float)
    b_count, s_count = params.batch, len(compiled.species)
    start = compiled.y0 if y0 is None else np.asarray(y0, dtype=float)
    start = np.broadcast_to(start, (b_count, s_count)).astype(float)
    if len(times) == 1 or times[-1] == times[0]:
        return np.repeat(start[:, None, :], len(times), axis=1)
    auto = method == "auto"
    if auto:
        method = "batched" if b_count >= BATCHED_MIN and s_count <= BATCHED_MAX_SPECIES else "BDF"
    if method == "batched":
        try:
            return simulate_batched(compiled, times, params, start, rtol=1e-5 if rtol is None else rtol,
                                    atol=1e-7 if atol is None else atol)
        except RuntimeError:
            if not auto:
                raise
            method = "BDF"  # auto must not fail where BDF would not
    per_system = max(1, min(BDF_CHUNK, BDF_STATES // s_count))
    chunks = [np.arange(lo, min(lo + per_system, b_count)) for lo in range(0, b_count, per_system)]
    return np.concatenate([_solve_ivp(compiled, times, params.take(rows) if len(chunks) > 1 else params,
                                      start[rows], 1e-6 if rtol is None else rtol,
                                      1e-9 if atol is None else atol, method) for rows in chunks])


def _solve_ivp(compiled: CompiledNetwork, times: np.ndarray, params: OdeParams, start: np.ndarray,
               rtol: float, atol: float, method: str) -> np.ndarray:
    """All members of ``params`` in one scipy system."""
    from scipy.integrate import solve_ivp
    from scipy.sparse import csc_matrix

    b_count, s_count = start.shape
    size = b_count * s_count

    def fun(_t: float, flat: np.ndarray) -> np.ndarray:
        return rhs(compiled, flat.reshape(b_count, s_count), params).ravel()

    def jac(_t: float, flat: np.ndarray):
        r, c, v = jacobian_entries(compiled, flat.reshape(b_count, s_count), params)
        return csc_matrix((v, (r, c)), shape=(size, size))

    sol = solve_ivp(fun, (times[0], times[-1]), start.ravel(), method=method, t_eval=times,
                    jac=jac if method in ("BDF", "Radau") else None, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    return sol.y.T.reshape(len(times), b_count, s_count).transpose(1, 0, 2)


def steady_state(compiled: CompiledNetwork, params: OdeParams, y0: np.ndarray | None = None,
                 *, t_max: float = 2000.0, tol: float = 1e-8) -> np.ndarray:
    """State (B, S) after integrating to ``t_max``; raises if it is not at rest (|dy/dt| > tol*100)."""
    final = simulate(compiled, np.array([0.0, t_max]), params, y0)[:, -1]
    residual = np.abs(rhs(compiled, final, params)).max()
    if residual > tol * 100:
        raise RuntimeError(f"no steady state by t={t_max} (max |dy/dt| = {residual:.2e})")
    return final
