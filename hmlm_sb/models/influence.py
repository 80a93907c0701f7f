"""Influence: how much species j moves species i's rate in a trained model, one way for all.

``influence(model, data)[condition][i, j]`` is ``d rate_i / d y_j`` (signed; j acts on i,
the orientation of :meth:`DynamicsModel.crosstalk`), averaged over the states of the
condition's observed time points: the measured data where measured, the model's own
prediction for species that were not.

Methods:

- ``jacobian`` (default): the model's own ``rate_jacobian(states (N, S), stimuli (N, I),
  inhibit (N, S), knockdown (N, S), part) -> (N, S, S)`` (autograd of its vector field;
  ``part="correction"`` is the learned correction alone, ``"full"`` the whole field).
  A model without ``rate_jacobian`` falls back to **finite differences of ``predict``
  with respect to the initial state over a short horizon** ``h``:
  ``M(h) = (d x(t0 + h) / d y(t0) - I) / h = J + h J^2 / 2 + ...``, extrapolated as
  ``2 M(h) - M(2h)`` so that two-step (indirect) paths cancel; the full field (the
  fallback cannot separate a correction; entries below ``FD_NOISE_FLOOR`` of the largest
  are the solver's noise and set to 0). :func:`influence_method` says which was used.
- ``correlation``: :func:`correction_correlation`, ``corr(learned correction_i, y_j)``
  pooled over the design (every condition gets the same matrix); for models with a
  learned correction. The HMLM's written edges before ``residual``: its rate Jacobian
  names the one source its sparse attention chose, which among sources that move alike
  is often the wrong one (docs/hmlm.md).
- ``residual``: :func:`backbone_residual_ridge`, a joint ridge regression of what the
  model's fitted backbone (its correction switched off) leaves unexplained on every
  source, pooled over the design; for models with a fitted backbone (the hybrids). The
  HMLM's written edges since it beat the correlation on pilot seeds (docs/crosstalk.md).
- ``attention``: the model's raw ``crosstalk(condition)`` view (HMLM attention); a view,
  not an influence, and not the default.

The residual-correlation edge scorer (:func:`residual_correlation`) needs no trained
model: ``|corr(observed_i - backbone_i, observed_j)|`` over the observed points, with the
backbone the prior network's logic ODE at its published parameters (what ``ode-default``
predicts; :func:`backbone_fit` runs the reference simulator with the perturbations);
:func:`residual_ridge` attributes the same residual by a joint ridge regression instead.
"""
from __future__ import annotations

import warnings
from typing import Callable, Mapping

import numpy as np

from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

METHODS = ("jacobian", "correlation", "residual", "attention")
# the methods pooled over the design (one matrix for every condition) -> what a model needs for them
POOLED_METHODS = {"correlation": "correction_rate", "residual": "backbone_predict"}
PARTS = ("correction", "full")
FD_STEP = 0.05  # state perturbation of the finite-difference fallback
FD_HORIZON = 0.02  # horizon h in model time units (Richardson-extrapolated with 2h)
FD_MAX_STATES = 4  # states per condition the fallback differentiates at (evenly chosen)
FD_NOISE_FLOOR = 1e-3  # fallback entries below this fraction of the largest are solver noise: zeroed
RIDGE_PENALTY = 1.0  # of residual_ridge, relative to each source's variance (chosen on pilot seeds, docs/crosstalk.md)


def influence(model, data: Trajectories, *, part: str = "correction", method: str = "jacobian",
              conditions: list[str] | None = None) -> dict[str, np.ndarray]:
    """condition -> (S, S) signed influence ``[i, j] = d rate_i / d y_j`` (see the module
    doc). ``attention`` returns {} for a model without an attention view."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
    names = list(conditions or data.conditions)
    if method in POOLED_METHODS:
        pooled = (correction_correlation if method == "correlation" else backbone_residual_ridge)(model, data)
        return {} if pooled is None else {name: pooled for name in names}
    if method == "attention":
        out = {}
        for name in names:
            matrix = model.crosstalk(name)
            if matrix is not None:
                out[name] = np.nan_to_num(np.asarray(matrix, dtype=float))
        return out
    has_field = callable(getattr(model, "rate_jacobian", None))
    out = {}
    for name in names:
        c = data.condition_index(name)
        states = evaluation_states(model, data, c)
        if has_field:
            n = len(states)
            jac = model.rate_jacobian(states, np.repeat(data.stimuli[c:c + 1], n, axis=0),
                                      np.repeat(_inhibit(data)[c:c + 1], n, axis=0),
                                      np.repeat(_knockdown(data)[c:c + 1], n, axis=0), part)
            matrix = np.asarray(jac, dtype=float).mean(axis=0)
        else:
            matrix = finite_difference_jacobian(model, data, c, states)
        out[name] = np.nan_to_num(matrix)
    return out


def influence_method(model, method: str = "jacobian") -> str:
    """What :func:`influence` computes for this model: ``jacobian`` (its own vector
    field), ``finite-difference`` (the fallback), or the pooled ``correlation`` /
    ``residual`` / ``attention`` asked for."""
    if method == "attention" or method in POOLED_METHODS:
        return method
    return "jacobian" if callable(getattr(model, "rate_jacobian", None)) else "finite-difference"


def evaluation_states(model, data: Trajectories, c: int) -> np.ndarray:
    """(N, S) states of condition ``c`` at its observed times: the data where measured
    (finite), the model's prediction elsewhere."""
    times = data.times[data.observed[c]]
    if times.size == 0:
        times = data.times[:1]
    values = data.values[c][data.observed[c]] if data.observed[c].any() else data.values[c, :1]
    if np.isfinite(values).all():
        return np.array(values, dtype=float)
    pred = _predict(model, data, c, data.initial[c:c + 1], data.times)[0]
    at_obs = pred[np.searchsorted(data.times, times)]
    return np.where(np.isfinite(values), values, at_obs)


def finite_difference_jacobian(model, data: Trajectories, c: int, states: np.ndarray) -> np.ndarray:
    """The fallback: mean over (at most ``FD_MAX_STATES``) states of the finite-difference
    rate Jacobian of ``model.predict`` from that state over a horizon ``h``."""
    pick = np.unique(np.round(np.linspace(0, len(states) - 1, min(FD_MAX_STATES, len(states)))).astype(int))
    n_species = states.shape[1]
    times = np.array([data.times[0], data.times[0] + FD_HORIZON, data.times[0] + 2 * FD_HORIZON])
    total = np.zeros((n_species, n_species))
    for k in pick:
        base = np.clip(np.nan_to_num(states[k]), FD_STEP, 1.0 - FD_STEP)
        starts = np.vstack([base, base + FD_STEP * np.eye(n_species)])
        out = _predict(model, data, c, starts, times)
        one, two = (((out[1:, t] - out[0, t]) / FD_STEP).T for t in (1, 2))  # [i, j] = d x_i / d y_j
        total += 2 * (one - np.eye(n_species)) / FD_HORIZON - (two - np.eye(n_species)) / (2 * FD_HORIZON)
    total /= len(pick)
    total[np.abs(total) < FD_NOISE_FLOOR * np.abs(total).max(initial=0.0)] = 0.0
    return total


def _predict(model, data: Trajectories, c: int, starts: np.ndarray, times: np.ndarray) -> np.ndarray:
    n = len(starts)
    kwargs = {}
    if getattr(data, "perturbed", False):
        kwargs = {"inhibit": np.repeat(_inhibit(data)[c:c + 1], n, axis=0),
                  "knockdown": np.repeat(_knockdown(data)[c:c + 1], n, axis=0)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(model.predict(np.repeat(data.stimuli[c:c + 1], n, axis=0), starts, times,
                                        conditions=None, **kwargs), dtype=float)


def _inhibit(data: Trajectories) -> np.ndarray:
    value = getattr(data, "inhibit", None)
    return np.ones((len(data.conditions), len(data.species))) if value is None else np.asarray(value, dtype=float)


def _knockdown(data: Trajectories) -> np.ndarray:
    value = getattr(data, "knockdown", None)
    return np.ones((len(data.conditions), len(data.species))) if value is None else np.asarray(value, dtype=float)


def mean_abs_influence(matrices: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """(S, S) mean over conditions of |influence|: one ranking of edges for a whole design."""
    if not matrices:
        return None
    return np.mean([np.abs(m) for m in matrices.values()], axis=0)


# ---- correlation of the learned correction with the sources ------------------------------------
def correction_correlation(model, data: Trajectories) -> np.ndarray | None:
    """(S, S) signed ``[i, j] = corr(correction_i, y_j * inhibit_j)``: how the learned part
    of target i's rate co-varies with source j as targets read it, pooled over the model's
    own trajectory of every condition on ``data.times`` up to the last observed time (the
    perturbations make the sources vary independently across conditions). None for a model
    without a learned correction (``correction_rate``). Diagonal 0.

    The Jacobian asks which source the fit *chose*; where several sources move alike it
    picks one of them arbitrarily. The correlation scores every source in proportion to how
    well it tracks the correction the model needed, so the true one stays among the top."""
    if not callable(getattr(model, "correction_rate", None)):
        return None
    return _pooled_correlation(_correction_samples(model, data), data.observed)


def jackknife_correlations(model, data: Trajectories) -> tuple[np.ndarray | None, list[np.ndarray]]:
    """(:func:`correction_correlation`, the same with each condition left out in turn: how
    stable the pooled ranking is to the design; with fewer than three conditions the
    pooled one alone). The model's trajectories are computed once and pooled per subset.
    (None, []) for a model without a learned correction."""
    if not callable(getattr(model, "correction_rate", None)):
        return None, []
    samples = _correction_samples(model, data)
    pooled = _pooled_correlation(samples, data.observed)
    if len(data.conditions) < 3:
        return pooled, [pooled]
    rows = np.arange(len(data.conditions))
    return pooled, [_pooled_correlation([samples[k] for k in rows if k != c], data.observed[rows != c])
                    for c in rows]


def _last_observed_time(times: np.ndarray, observed: np.ndarray) -> float:
    seen = observed.any(axis=0)
    return float(times[seen].max() if seen.any() else times[-1])


def _correction_samples(model, data: Trajectories) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per condition (times, learned correction (T, S), sources as read ``y * inhibit``
    (T, S)) along the model's own trajectory up to the last observed time."""
    times = data.times[data.times <= _last_observed_time(data.times, data.observed)]
    inhibit, knockdown = _inhibit(data), _knockdown(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {"inhibit": inhibit, "knockdown": knockdown} if getattr(data, "perturbed", False) else {}
        pred = np.asarray(model.predict(data.stimuli, data.initial, times, conditions=None, **kwargs), dtype=float)
    out = []
    n = len(times)
    for c in range(len(data.conditions)):
        shift = model.correction_rate(pred[c], np.repeat(data.stimuli[c:c + 1], n, axis=0),
                                      np.repeat(inhibit[c:c + 1], n, axis=0), np.repeat(knockdown[c:c + 1], n, axis=0))
        out.append((times, shift, pred[c] * inhibit[c]))
    return out


def _pooled_correlation(samples, observed: np.ndarray) -> np.ndarray:
    """(S, S) correlation of the pooled samples up to the last time ``observed`` (C, T)
    marks among these conditions; diagonal 0."""
    last = _last_observed_time(samples[0][0], observed[:, :len(samples[0][0])])
    keep = [times <= last for times, _, _ in samples]
    out = _corr_columns(np.vstack([shift[k] for (_, shift, _), k in zip(samples, keep)]),
                        np.vstack([source[k] for (_, _, source), k in zip(samples, keep)]))
    np.fill_diagonal(out, 0.0)
    return np.nan_to_num(out)


# ---- ensembles -----------------------------------------------------------------------------------
def ensemble_influence(make_model: Callable[[], object], train: Trajectories, prior: Network, *, members: int = 5,
                       seed: int = 0, bootstrap: bool = True, part: str = "correction",
                       method: str = "jacobian") -> list[dict[str, np.ndarray]]:
    """Influence of ``members`` fits: member m is fitted with seed ``seed + m``; members
    after the first on a bootstrap of the conditions (drawn with replacement, each distinct
    condition once; all when fewer than two are drawn) when ``bootstrap``. Every member's
    influence is read on all of ``train``'s conditions. Deterministic for a seed."""
    out = []
    for m in range(members):
        data = train
        if bootstrap and m > 0 and len(train.conditions) > 2:
            rng = np.random.default_rng(seed + m)
            drawn = sorted(set(rng.integers(0, len(train.conditions), len(train.conditions)).tolist()))
            if len(drawn) >= 2:
                data = train.subset([train.conditions[k] for k in drawn])
        model = make_model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data, prior, seed=seed + m)
        out.append(influence(model, train, part=part, method=method))
    return out


# ---- the residual-correlation edge scorer -----------------------------------------------------
def backbone_fit(data: Trajectories, prior: Network) -> np.ndarray:
    """(C, T, S) of the prior network's logic ODE at its published parameters (what
    ``ode-default`` predicts) under each condition's stimuli and perturbations, from the
    data's initial states (the prior's y0 where not measured), by the reference simulator."""
    from hmlm_sb.sim.netflux_ode import compile_network, simulate

    compiled = compile_network(prior)
    order = [compiled.species_index[s] for s in data.species]
    rows = {rid: k for k, rid in enumerate(compiled.inputs)}
    params = compiled.params(len(data.conditions))
    weights = params.weight[:, compiled.input_rows].copy()
    for j, rid in enumerate(data.inputs):
        if rid in rows:
            weights[:, rows[rid]] = data.stimuli[:, j]
    inhibit = np.ones_like(params.ymax)
    knockdown = np.ones_like(params.ymax)
    inhibit[:, order], knockdown[:, order] = _inhibit(data), _knockdown(data)
    params = params.with_input_weights(compiled, weights).with_perturbations(inhibit, knockdown)
    y0 = np.repeat(compiled.y0[None, :], len(data.conditions), axis=0)
    y0[:, order] = np.where(np.isfinite(data.initial), data.initial, y0[:, order])
    return simulate(compiled, data.times, params, y0)[:, :, order]


def residual_correlation(data: Trajectories, backbone: np.ndarray) -> np.ndarray:
    """(S, S): ``[i, j] = |corr(data_i - backbone_i, data_j)|`` over every observed,
    measured point after the first of each condition (all conditions pooled); 0 where a
    series is flat or has fewer than three points; diagonal 0."""
    resid, obs, _ = _residual_points(data, backbone)  # (N, S) each
    n_species = obs.shape[1]
    out = np.zeros((n_species, n_species))
    finite = np.isfinite(obs)
    if finite.all():
        out = np.abs(_corr_columns(resid, obs))
    else:  # partial readouts: pairwise over the points where both are measured
        for i in range(n_species):
            for j in range(n_species):
                both = finite[:, i] & finite[:, j]
                if both.sum() >= 3:
                    out[i, j] = abs(_corr_columns(resid[both, i:i + 1], obs[both, j:j + 1])[0, 0])
    np.fill_diagonal(out, 0.0)
    return np.nan_to_num(out)


def residual_ridge(data: Trajectories, backbone: np.ndarray, penalty: float | None = None) -> np.ndarray:
    """(S, S): ``[i, j] = |b_ij|``, the coefficient of standardised ``observed_j`` in one joint
    ridge regression of ``observed_i - backbone_i`` on every species, over the same points
    as :func:`residual_correlation`; diagonal 0. Where several sources move alike a
    correlation scores each of them as high as the true one; the joint fit shares the
    residual among them and the source that explains it best keeps the largest weight."""
    resid, obs, _ = _residual_points(data, backbone)
    return np.abs(_residual_ridge(resid, obs, penalty))


def backbone_residual_ridge(model, data: Trajectories, penalty: float | None = None) -> np.ndarray | None:
    """(S, S) signed :func:`residual_ridge` of the residual the model's *fitted* backbone
    leaves (``model.backbone_predict``: its logic ODE at the parameters fitted jointly with
    the learned correction, the correction switched off); pooled over the design. None for
    a model without a fitted backbone. The correction lets the backbone's parameters fit
    what the prior explains without bending to mimic the missing edges, so what the
    backbone leaves is mostly the missing edges' work (docs/crosstalk.md)."""
    points = _backbone_points(model, data)
    return None if points is None else _residual_ridge(points[0], points[1], penalty)


def jackknife_pooled(model, data: Trajectories, method: str) -> tuple[np.ndarray | None, list[np.ndarray]]:
    """(pooled matrix, leave-one-condition-out members) of a :data:`POOLED_METHODS` method."""
    return (jackknife_correlations if method == "correlation" else jackknife_backbone_ridge)(model, data)


def jackknife_backbone_ridge(model, data: Trajectories,
                             penalty: float | None = None) -> tuple[np.ndarray | None, list[np.ndarray]]:
    """(:func:`backbone_residual_ridge`, the same with each condition left out in turn; the
    pooled one alone with fewer than three conditions). (None, []) without a fitted
    backbone."""
    points = _backbone_points(model, data)
    if points is None:
        return None, []
    resid, obs, rows = points
    pooled = _residual_ridge(resid, obs, penalty)
    if len(data.conditions) < 3:
        return pooled, [pooled]
    return pooled, [_residual_ridge(resid[rows != c], obs[rows != c], penalty) for c in range(len(data.conditions))]


def _backbone_points(model, data: Trajectories):
    if not callable(getattr(model, "backbone_predict", None)):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backbone = model.backbone_predict(data.stimuli, data.initial, data.times, inhibit=_inhibit(data),
                                          knockdown=_knockdown(data))
    return _residual_points(data, np.asarray(backbone, dtype=float))


def _residual_points(data: Trajectories, backbone: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(residual (N, S), observed (N, S), condition of each row (N,)) at every observed
    point after each condition's first."""
    keep = data.observed.copy()
    keep[:, 0] = False
    obs = np.asarray(data.values, dtype=float)[keep]
    rows = np.nonzero(keep)[0]
    return obs - np.asarray(backbone, dtype=float)[keep], obs, rows


def _residual_ridge(resid: np.ndarray, obs: np.ndarray, penalty: float | None) -> np.ndarray:
    out = ridge_attribution(resid, obs, RIDGE_PENALTY if penalty is None else penalty)
    np.fill_diagonal(out, 0.0)
    return out


def ridge_attribution(responses: np.ndarray, sources: np.ndarray, penalty: float = 1.0) -> np.ndarray:
    """(R, S) signed ``[i, j]``: the coefficient of source j (standardised) when response i
    (N, R) is regressed on every source (N, S) at once with a ridge penalty ``penalty``
    relative to the sources' own variance (``(X'X / N + penalty I) b = X'y / N``). NaN
    responses drop their rows for that response; NaN sources count as their mean there.
    Flat sources and responses get 0."""
    responses = np.asarray(responses, dtype=float)
    sources = np.asarray(sources, dtype=float)
    with warnings.catch_warnings():  # a never-measured column is flat: 0, without a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        x = sources - np.nanmean(sources, axis=0) if len(sources) else sources
        sd = np.sqrt(np.nanmean(x ** 2, axis=0)) if len(x) else np.zeros(sources.shape[1])
        spread = np.nanstd(responses, axis=0)
    flat = ~(sd > 1e-9)
    x = np.where(np.isfinite(x), x, 0.0) / np.where(flat, 1.0, sd)
    x[:, flat] = 0.0
    out = np.zeros((responses.shape[1], sources.shape[1]))
    eye = penalty * np.eye(sources.shape[1])
    complete = np.isfinite(responses).all(axis=0)
    if complete.any() and len(x) >= 3:
        y = responses[:, complete] - responses[:, complete].mean(axis=0)
        out[complete] = np.linalg.solve(x.T @ x / len(x) + eye, x.T @ y / len(x)).T
    for i in np.flatnonzero(~complete):
        rows = np.isfinite(responses[:, i])
        if rows.sum() >= 3:
            xi, yi = x[rows], responses[rows, i] - responses[rows, i].mean()
            out[i] = np.linalg.solve(xi.T @ xi / len(xi) + eye, xi.T @ yi / len(xi))
    out[~(spread > 1e-12)] = 0.0
    return np.nan_to_num(out)


def _corr_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, B) Pearson r between the columns of a (N, A) and b (N, B); 0 for flat columns."""
    if a.shape[0] < 3:
        return np.zeros((a.shape[1], b.shape[1]))
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    na, nb = np.sqrt((a ** 2).sum(axis=0)), np.sqrt((b ** 2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a.T @ b) / np.outer(na, nb)
    r[~np.isfinite(r)] = 0.0
    r[np.outer(na < 1e-12, np.ones_like(nb, dtype=bool)) | np.outer(np.ones_like(na, dtype=bool), nb < 1e-12)] = 0.0
    return r
