"""Temporal features of time courses, shaped for the model: (condition, time, species, feature).

Per species (``temporal_features``), at each observed point:

- ``value``: the measurement itself;
- ``d1``, ``d2``: first and second time derivatives from the quadratic through three
  observed points (the standard non-uniform 3-point formulas: central where the point
  has an observed neighbour on each side, one-sided at the ends; a series with only two
  observed points gets the two-point slope and no ``d2``);
- ``ema:H``: exponential moving average with half-life ``H`` (time units), time-aware:
  ``ema += (1 - 2**(-dt / H)) * (y - ema)`` with ``dt`` the time since the previous observed
  point, started at the first observed value.

Per edge (``edge_index`` given): ``edge_xcorr[c, e, lag]`` = Pearson correlation of the
source at ``t`` with the target at ``t + lag`` (lag in steps of the time grid), over the
points where both are observed. ``pairwise_cross_correlation`` does every pair of a small
network. ``pathway_aggregates`` and ``cell_aggregates`` give mean, max and spread (standard
deviation) over the observed member species of each pathway or cell.

Unobserved points (``mask`` False, or NaN values) get value 0 and mask False.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np
import pandas as pd
import torch

from hmlm_sb.trajectories import Trajectories

ArrayLike = Union[np.ndarray, torch.Tensor]
DEFAULT_HALF_LIVES = (1.0, 4.0, 16.0)
PAIRWISE_LIMIT = 2000


@dataclass
class FeatureTensor:
    """``values`` and ``mask`` (C, T, N, F), ``names`` (F,); N = species, pathways or cells.

    With an edge list: ``edge_xcorr`` and ``edge_xcorr_mask`` (C, E, max_lag + 1).
    """

    values: torch.Tensor
    mask: torch.Tensor
    names: list[str]
    edge_index: torch.Tensor | None = None
    edge_xcorr: torch.Tensor | None = None
    edge_xcorr_mask: torch.Tensor | None = None

    def feature(self, name: str) -> torch.Tensor:
        """One feature as (C, T, N)."""
        return self.values[..., self.names.index(name)]


def feature_names(half_lives: Sequence[float] = DEFAULT_HALF_LIVES) -> list[str]:
    return ["value", "d1", "d2"] + [f"ema:{h:g}" for h in half_lives]


def series_from(source: Trajectories | pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[str]]:
    """(values (C, T, S), times (T,), mask (C, T, S), species) from a Trajectories or a tidy
    table (condition, time, species, value[, observed]; irregular times allowed)."""
    traj = source if isinstance(source, Trajectories) else Trajectories.from_frame(source)
    values = torch.as_tensor(traj.values, dtype=torch.float64)
    mask = torch.as_tensor(traj.observed, dtype=torch.bool)[:, :, None] & ~torch.isnan(values)
    return values, torch.as_tensor(traj.times, dtype=torch.float64), mask, list(traj.species)


def temporal_features(values: ArrayLike | Trajectories | pd.DataFrame, times: ArrayLike | None = None,
                      mask: ArrayLike | None = None, edge_index: ArrayLike | None = None, *,
                      half_lives: Sequence[float] = DEFAULT_HALF_LIVES, max_lag: int = 3) -> FeatureTensor:
    """Per-species features (C, T, S, F) of ``values`` (C, T, S) at ``times`` (T,).

    ``mask``: (C, T, S) or (C, T) (``Trajectories.observed``); NaN values count as unobserved.
    """
    values, times, mask = _normalise(values, times, mask)
    d1, d2, d1_ok, d2_ok = derivatives(values, times, mask)
    ema = moving_averages(values, times, mask, half_lives)
    stacked = torch.stack([values, d1, d2] + [ema[..., i] for i in range(len(half_lives))], dim=-1)
    masks = torch.stack([mask, d1_ok, d2_ok] + [mask] * len(half_lives), dim=-1)
    result = FeatureTensor(torch.where(masks, stacked, 0.0).float(), masks, feature_names(half_lives))
    if edge_index is not None:
        edges = torch.as_tensor(edge_index, dtype=torch.long)
        result.edge_index = edges
        result.edge_xcorr, result.edge_xcorr_mask = lagged_cross_correlation(values, mask, edges, max_lag)
    return result


def _normalise(values, times, mask) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if isinstance(values, (Trajectories, pd.DataFrame)):
        values, times, source_mask, _ = series_from(values)
        mask = source_mask if mask is None else torch.as_tensor(mask, dtype=torch.bool) & source_mask
        return values, times, mask
    if times is None:
        raise ValueError("times are needed with a plain array of values")
    values = torch.as_tensor(values, dtype=torch.float64)
    if values.dim() != 3:
        raise ValueError(f"values must be (condition, time, species), got shape {tuple(values.shape)}")
    times = torch.as_tensor(times, dtype=torch.float64).reshape(-1)
    if times.shape[0] != values.shape[1]:
        raise ValueError(f"{times.shape[0]} times for {values.shape[1]} time points")
    if torch.any(times[1:] <= times[:-1]):
        raise ValueError("times must be strictly increasing")
    observed = ~torch.isnan(values)
    if mask is not None:
        mask = torch.as_tensor(mask, dtype=torch.bool)
        observed &= (mask[:, :, None] if mask.dim() == 2 else mask).expand_as(values)  # (C, T) allowed
    return torch.nan_to_num(values), times, observed


# ---- derivatives ---------------------------------------------------------------------------
def derivatives(values: torch.Tensor, times: torch.Tensor, mask: torch.Tensor):
    """(d1, d2, d1_ok, d2_ok), each (C, T, S): derivatives of the 3-point quadratic."""
    n_times = values.shape[1]
    prev1, next1 = _neighbours(mask)
    prev2 = _follow(prev1, prev1, fill=-1)
    next2 = _follow(next1, next1, fill=n_times)
    here = torch.arange(n_times).view(1, -1, 1).expand_as(prev1)
    has_prev, has_next = prev1 >= 0, next1 < n_times
    central = has_prev & has_next
    forward = ~has_prev & has_next & (next2 < n_times)
    backward = has_prev & ~has_next & (prev2 >= 0)
    a = torch.where(central, prev1, torch.where(forward, here, prev2))
    b = torch.where(central, here, torch.where(forward, next1, prev1))
    c = torch.where(central, next1, torch.where(forward, next2, here))
    three = mask & (central | forward | backward)
    d1, d2 = _quadratic_derivatives(values, times, a, b, c, here)
    two = mask & ~three & (has_prev | has_next)
    other = torch.where(has_prev, prev1, next1)
    slope = _slope(values, times, here, other)
    d1 = torch.where(three, d1, torch.where(two, slope, 0.0))
    return d1, torch.where(three, d2, 0.0), three | two, three


def _neighbours(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Index of the previous / next observed time point (-1 / T where there is none)."""
    n_times = mask.shape[1]
    index = torch.arange(n_times).view(1, -1, 1).expand(mask.shape)
    last_at_or_before = torch.where(mask, index, -1).cummax(dim=1).values
    first_at_or_after = torch.where(mask, index, n_times).flip(1).cummin(dim=1).values.flip(1)
    prev1 = torch.cat([torch.full_like(last_at_or_before[:, :1], -1), last_at_or_before[:, :-1]], dim=1)
    next1 = torch.cat([first_at_or_after[:, 1:], torch.full_like(first_at_or_after[:, :1], n_times)], dim=1)
    return prev1, next1


def _follow(step: torch.Tensor, start: torch.Tensor, fill: int) -> torch.Tensor:
    """``step[start]`` along time, ``fill`` where ``start`` is out of range."""
    n_times = step.shape[1]
    valid = (start >= 0) & (start < n_times)
    out = torch.gather(step, 1, start.clamp(0, n_times - 1))
    return torch.where(valid, out, fill)


def _at(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return torch.gather(values, 1, index.clamp(0, values.shape[1] - 1))


def _quadratic_derivatives(values, times, a, b, c, here):
    last = len(times) - 1
    t = times[here]
    ta, tb, tc = times[a.clamp(0, last)], times[b.clamp(0, last)], times[c.clamp(0, last)]
    fa, fb, fc = _at(values, a), _at(values, b), _at(values, c)
    da = _safe((ta - tb) * (ta - tc))
    db = _safe((tb - ta) * (tb - tc))
    dc = _safe((tc - ta) * (tc - tb))
    d1 = fa * (2 * t - tb - tc) / da + fb * (2 * t - ta - tc) / db + fc * (2 * t - ta - tb) / dc
    d2 = 2 * (fa / da + fb / db + fc / dc)
    return d1, d2


def _slope(values, times, here, other):
    n = len(times)
    t0, t1 = times[here], times[other.clamp(0, n - 1)]
    return (_at(values, other) - _at(values, here)) / _safe(t1 - t0)


def _safe(denominator: torch.Tensor) -> torch.Tensor:
    return torch.where(denominator == 0, torch.ones_like(denominator), denominator)


# ---- moving averages -----------------------------------------------------------------------
def moving_averages(values: torch.Tensor, times: torch.Tensor, mask: torch.Tensor,
                    half_lives: Sequence[float]) -> torch.Tensor:
    """Time-aware EMA (C, T, S, H) for each half-life, carried through unobserved points."""
    half = torch.as_tensor(list(half_lives), dtype=torch.float64)
    if torch.any(half <= 0):
        raise ValueError("half-lives must be positive")
    n_cond, n_times, n_species = values.shape
    state = torch.zeros(n_cond, n_species, len(half), dtype=torch.float64)
    last_time = torch.zeros(n_cond, n_species, 1, dtype=torch.float64)
    started = torch.zeros(n_cond, n_species, 1, dtype=torch.bool)
    out = torch.empty(n_cond, n_times, n_species, len(half), dtype=torch.float64)
    for t in range(n_times):
        y = values[:, t, :, None]
        observed = mask[:, t, :, None]
        alpha = 1.0 - torch.pow(2.0, -(times[t] - last_time) / half)
        updated = torch.where(started, state + alpha * (y - state), y.expand_as(state))
        state = torch.where(observed, updated, state)
        last_time = torch.where(observed, times[t], last_time)
        started |= observed
        out[:, t] = state
    return out


# ---- cross-correlation ---------------------------------------------------------------------
def lagged_cross_correlation(values: ArrayLike, mask: ArrayLike | None, edge_index: ArrayLike,
                             max_lag: int = 3, chunk: int = 65536) -> tuple[torch.Tensor, torch.Tensor]:
    """(xcorr, ok) (C, E, max_lag + 1): corr(source(t), target(t + lag)) per condition.

    ``ok`` is False (and xcorr 0) with fewer than 3 joint points or a constant series.
    """
    values = torch.as_tensor(values, dtype=torch.float64)
    mask = ~torch.isnan(values) if mask is None else torch.as_tensor(mask, dtype=torch.bool) & ~torch.isnan(values)
    values = torch.nan_to_num(values)
    edges = torch.as_tensor(edge_index, dtype=torch.long).reshape(2, -1)
    n_cond, n_times, _ = values.shape
    lags = min(max_lag, n_times - 1) + 1
    xcorr = torch.zeros(n_cond, edges.shape[1], max_lag + 1)
    ok = torch.zeros(n_cond, edges.shape[1], max_lag + 1, dtype=torch.bool)
    for start in range(0, edges.shape[1], chunk):
        src, dst = edges[0, start:start + chunk], edges[1, start:start + chunk]
        for lag in range(lags):
            x, y = values[:, :n_times - lag, src], values[:, lag:, dst]
            joint = mask[:, :n_times - lag, src] & mask[:, lag:, dst]
            corr, valid = _masked_pearson(x, y, joint)
            xcorr[:, start:start + chunk, lag] = corr.float()
            ok[:, start:start + chunk, lag] = valid
    return xcorr, ok


def _masked_pearson(x: torch.Tensor, y: torch.Tensor, joint: torch.Tensor):
    """Pearson over dim 1 where ``joint``; returns (corr, valid) over the remaining dims."""
    weight = joint.to(x.dtype)
    count = weight.sum(1)
    safe_count = count.clamp(min=1)
    mean_x = (x * weight).sum(1) / safe_count
    mean_y = (y * weight).sum(1) / safe_count
    dx, dy = (x - mean_x[:, None]) * weight, (y - mean_y[:, None]) * weight
    cov = (dx * dy).sum(1)
    var_x, var_y = (dx * dx).sum(1), (dy * dy).sum(1)
    scale = torch.sqrt(var_x * var_y)
    tiny = 1e-12 * torch.maximum(count, torch.ones_like(count))
    valid = (count >= 3) & (var_x > tiny) & (var_y > tiny)
    return torch.where(valid, cov / torch.where(valid, scale, 1.0), 0.0), valid


def pairwise_cross_correlation(values: ArrayLike, mask: ArrayLike | None = None,
                               max_lag: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """(xcorr, ok) (C, S, S, max_lag + 1) for every pair of a small network.

    ``[c, i, j, lag]`` = corr(species j at t, species i at t + lag): j leading i, the
    ``[target, source]`` convention of ``DynamicsModel.crosstalk``.
    """
    values = torch.as_tensor(values, dtype=torch.float64)
    n_species = values.shape[2]
    if n_species > PAIRWISE_LIMIT:
        raise ValueError(f"{n_species} species: pairwise cross-correlation is for up to "
                         f"{PAIRWISE_LIMIT}; pass the regulation edge list instead")
    target, source = torch.meshgrid(torch.arange(n_species), torch.arange(n_species), indexing="ij")
    edges = torch.stack([source.reshape(-1), target.reshape(-1)])
    xcorr, ok = lagged_cross_correlation(values, mask, edges, max_lag)
    shape = (values.shape[0], n_species, n_species, max_lag + 1)
    return xcorr.reshape(shape), ok.reshape(shape)


# ---- hierarchy aggregates --------------------------------------------------------------------
def pathway_aggregates(x: FeatureTensor | ArrayLike, assignment: ArrayLike,
                       mask: ArrayLike | None = None) -> FeatureTensor:
    """Mean, max and spread over each pathway's observed member species.

    ``x``: a FeatureTensor or values (C, T, S[, F]); ``assignment`` (S, P) 0/1, dense or
    sparse (``data.species_to_pathway``). Output (C, T, P, 3F), names ``mean:f``, ``max:f``,
    ``spread:f``.
    """
    values, observed, names = _as_features(x, mask)
    members, groups, n_groups = _membership(assignment, values.shape[2])
    return _group_statistics(values, observed, names, members, groups, n_groups)


def cell_aggregates(x: FeatureTensor | ArrayLike, species_to_pathway: ArrayLike,
                    pathway_to_cell: ArrayLike, mask: ArrayLike | None = None) -> FeatureTensor:
    """As :func:`pathway_aggregates` over each cell's species (each species counted once)."""
    to_cell = _to_dense(pathway_to_cell)
    if isinstance(species_to_pathway, torch.Tensor) and species_to_pathway.is_sparse:
        species_to_cell = torch.sparse.mm(species_to_pathway.float(), to_cell)
    else:
        species_to_cell = _to_dense(species_to_pathway) @ to_cell
    return pathway_aggregates(x, (species_to_cell > 0).float(), mask)


def _as_features(x, mask) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    if isinstance(x, FeatureTensor):
        return x.values.double(), x.mask, list(x.names)
    values = torch.as_tensor(x, dtype=torch.float64)
    if values.dim() == 3:
        values = values[..., None]
        mask = None if mask is None else torch.as_tensor(mask, dtype=torch.bool)[..., None]
    observed = ~torch.isnan(values)
    if mask is not None:
        observed &= torch.as_tensor(mask, dtype=torch.bool).expand_as(values)
    names = ["value"] if values.shape[-1] == 1 else [f"f{i}" for i in range(values.shape[-1])]
    return torch.nan_to_num(values), observed, names


def _to_dense(matrix: ArrayLike) -> torch.Tensor:
    matrix = torch.as_tensor(matrix) if not isinstance(matrix, torch.Tensor) else matrix
    return (matrix.to_dense() if matrix.is_sparse else matrix).float()


def _membership(assignment: ArrayLike, n_species: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    matrix = torch.as_tensor(assignment) if not isinstance(assignment, torch.Tensor) else assignment
    if matrix.shape[0] != n_species:
        raise ValueError(f"assignment has {matrix.shape[0]} rows for {n_species} species")
    if matrix.is_sparse:
        matrix = matrix.coalesce()
        pairs = matrix.indices()[:, matrix.values() != 0]
    else:
        pairs = torch.nonzero(matrix != 0).T
    return pairs[0], pairs[1], matrix.shape[1]


def _group_statistics(values, observed, names, members, groups, n_groups) -> FeatureTensor:
    n_cond, n_times, _, n_feat = values.shape
    picked = values[:, :, members, :]
    weight = observed[:, :, members, :].to(values.dtype)
    shape = (n_cond, n_times, n_groups, n_feat)
    count = torch.zeros(shape, dtype=values.dtype).index_add_(2, groups, weight)
    total = torch.zeros(shape, dtype=values.dtype).index_add_(2, groups, picked * weight)
    squares = torch.zeros(shape, dtype=values.dtype).index_add_(2, groups, picked * picked * weight)
    safe = count.clamp(min=1)
    mean = total / safe
    spread = torch.sqrt((squares / safe - mean * mean).clamp(min=0))
    masked = torch.where(weight > 0, picked, torch.tensor(-torch.inf, dtype=values.dtype))
    index = groups.view(1, 1, -1, 1).expand_as(masked)
    maximum = torch.full(shape, -torch.inf, dtype=values.dtype).scatter_reduce(
        2, index, masked, reduce="amax", include_self=True)
    present = count > 0
    stacked = torch.cat([mean, maximum, spread], dim=-1)
    ok = torch.cat([present] * 3, dim=-1)
    out_names = [f"{stat}:{n}" for stat in ("mean", "max", "spread") for n in names]
    return FeatureTensor(torch.where(ok, stacked, 0.0).float(), ok, out_names)
