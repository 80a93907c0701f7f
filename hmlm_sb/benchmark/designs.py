"""The science benchmark: perturbation designs x networks x generators x seeds.

For each cell, the simulator's dataset (seed ``DATASET_SEED_OFFSET + s``) under the
design, ``points`` observations per condition in the training window, every model fitted
once; scored:

- trajectories (``task = design-traj``), per split pooled over conditions: MSE, MSE /
  interpolation's, pooled r, median per-species nRMSE and the worst 10 species;
- edges (``task = design-edges``), per edge method: AUROC / AUPR / AUPR lift of the
  hidden edges among every pair absent from the prior, on all hidden edges and on the
  identifiable ones only (:func:`hmlm_sb.sim.datasets.edge_identifiability`; the other
  hidden edges leave the set). Methods: ``residual-corr`` and ``residual-ridge`` (no model,
  :func:`hmlm_sb.models.influence.residual_correlation` / ``residual_ridge`` against
  ``ode-default``), and per
  model ``jacobian`` (:func:`hmlm_sb.models.influence.influence`, the correction part
  where the model has one; ``finite-difference``: the fallback otherwise) and
  ``crosstalk-view`` (the model's raw ``crosstalk()`` matrix, ``method="attention"`` of
  the influence API: the HMLM's attention, CellBox's interaction matrix, the prior
  weights of the logic ODEs), and for models with a learned correction ``correction-corr``
  (:func:`hmlm_sb.models.influence.correction_correlation`), for models with a fitted
  backbone ``backbone-ridge`` (:func:`hmlm_sb.models.influence.backbone_residual_ridge`;
  for ``ode-fitted`` its whole prediction). A design's ranking is the mean
  over its conditions of |influence|.
- identifiability (``task = design-ident``): hidden edges, how many are identifiable,
  the fraction whose effect exceeds the noise, the median number of lockstep partners.

Budgets are epochs: every model runs its defaults (``quick_params()`` under ``quick``),
one setting, never tuned on scored seeds; the report lists them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hmlm_sb.benchmark import metrics, tasks
from hmlm_sb.benchmark.data import DATASET_SEED_OFFSET
from hmlm_sb.benchmark.runner import _fit_all, make_model_for
from hmlm_sb.network import Network

Progress = Callable[[str, int], None]
EDGE_MODELS_EXCLUDED = ("interp",)  # no dynamics: nothing to differentiate
CORRELATION_METHOD = "correction-corr"  # |corr(learned correction_i, source j)|: models with a correction
BACKBONE_METHOD = "backbone-ridge"  # ridge of what the model's fitted backbone leaves: models with one
VIEW_METHOD = "crosstalk-view"  # the model's own crosstalk() matrix: the HMLM's attention, CellBox's W, ...


@dataclass
class DesignConfig:
    networks: dict[str, Network]  # label -> network
    models: list[str]
    designs: tuple[str, ...] = ("standard", "single", "single+kd")
    generators: tuple[str, ...] = ("netflux",)
    seeds: tuple[int, ...] = (0, 1, 2)  # benchmark seeds; dataset seed = DATASET_SEED_OFFSET + s
    points: int = 4
    n_times: int = 100
    profile: str = "full"
    workers: int = 1
    attention: bool = True

    def count(self) -> int:
        return len(self.networks) * len(self.designs) * len(self.generators) * len(self.seeds)


@dataclass
class DesignCell:
    network: str
    design: str
    generator: str
    seed: int

    def tags(self) -> dict:
        return {"network": self.network, "design": self.design, "generator": self.generator, "seed": self.seed}


def run_design_benchmark(config: DesignConfig, progress: Progress | None = None,
                         on_cell: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Every record of every cell (see the module doc); ``on_cell(records so far)`` after
    each cell (the CLI rewrites its results there, so a long run can be read as it goes).
    Cells run seed-major (every network and design of seed 0 first)."""
    records: list[dict] = []
    for seed in config.seeds:
        for generator in config.generators:
            for label, network in config.networks.items():
                for design in config.designs:
                    records += run_cell(config, network, DesignCell(label, design, generator, seed), progress)
                    if on_cell:
                        on_cell(records)
    return records


def cell_data(network: Network, dataset_seed: int, design: str, generator: str = "netflux", n_times: int = 100,
              points: int = 4):
    """(dataset, observed mask (C, T), training trajectories, identifiability) of one cell:
    the simulator's dataset under the design, ``points`` observations per condition."""
    from hmlm_sb.sim.datasets import DatasetSpec, edge_identifiability, make_dataset

    ds = make_dataset(network, DatasetSpec(seed=dataset_seed, n_times=n_times, design=design, generator=generator))
    mask = tasks.sparse_mask(len(ds.observed.conditions), len(ds.observed.times), points)
    return ds, mask, ds.observed.with_observed(mask), edge_identifiability(ds, mask)


def run_cell(config: DesignConfig, network: Network, cell: DesignCell, progress: Progress | None = None) -> list[dict]:
    ds, mask, train, ident = cell_data(network, DATASET_SEED_OFFSET + cell.seed, cell.design, cell.generator,
                                       config.n_times, config.points)
    obs, truth = ds.observed, ds.truth
    tags = {**cell.tags(), "points": config.points, "n_conditions": len(obs.conditions)}
    records = [{"task": "design-ident", **tags, **ident.summary()}]
    labels, candidates, identifiable_labels, keep = edge_labels(ds, obs.species, ident.identifiable)
    for method, scores in residual_scores(train, ds.prior).items():
        records += _edge_records(tags, method, "-", scores, labels, candidates, identifiable_labels, keep)
    models = list(dict.fromkeys(["interp"] + list(config.models)))
    label = f"{cell.network} {cell.generator} {cell.design} seed {cell.seed}"
    fits = _fit_all(config, models, train, ds.prior, cell.seed, obs, obs.conditions, label, progress)
    interp = {}
    for name in models:
        model, fit_s, pred, _, error = fits[name]
        if error:
            records.append({"task": "design-traj", **tags, "model": name, "error": error})
            continue
        for split, idx in tasks.score_splits(mask[0]).items():
            if idx.size == 0:
                continue
            p, t = pred[:, idx], truth.values[:, idx]
            error_ = metrics.mse(p, t)
            if name == "interp":
                interp[split] = error_
            records.append({"task": "design-traj", **tags, "model": name, "split": split, "mse": error_,
                            "mse_vs_interp": error_ / interp[split] if interp.get(split) else float("nan"),
                            "pearson_r": metrics.pooled_r(p, t), "fit_seconds": fit_s,
                            **metrics.nrmse_summary(p, t, list(obs.species))})
        if name in EDGE_MODELS_EXCLUDED or name not in config.models:
            continue
        for method, scores in model_edge_scores(model, train, config.attention).items():
            records += _edge_records(tags, method, name, scores, labels, candidates, identifiable_labels, keep)
    return [r for r in records if r.get("model", "-") in ("-", *config.models)]


def edge_labels(ds, species: list[str], identifiable: np.ndarray):
    """(labels (S, S), candidate pairs (S, S), labels of identifiable edges, pairs kept
    when scoring identifiable edges only: every candidate but the unidentifiable hidden)."""
    from hmlm_sb.models.baselines._common import prior_adjacency

    index = {s: k for k, s in enumerate(species)}
    known = prior_adjacency(ds.prior, species)
    candidates = metrics.candidate_pairs(known)
    labels = np.zeros_like(known)
    ident_labels = np.zeros_like(known)
    for edge, ok in zip(ds.hidden_edges, identifiable):
        labels[index[edge.target], index[edge.source]] = 1
        if ok:
            ident_labels[index[edge.target], index[edge.source]] = 1
    keep = candidates & ~((labels > 0) & (ident_labels == 0))
    return labels, candidates, ident_labels, keep


def residual_scores(train, prior: Network) -> dict[str, np.ndarray]:
    """The model-free edge scorers of the residual ``ode-default`` leaves: method -> (S, S)."""
    from hmlm_sb.models.influence import backbone_fit, residual_correlation, residual_ridge

    backbone = backbone_fit(train, prior)
    return {"residual-corr": residual_correlation(train, backbone), "residual-ridge": residual_ridge(train, backbone)}


def model_edge_scores(model, train, attention: bool = True) -> dict[str, np.ndarray]:
    """method label -> (S, S) ranking scores of a fitted model."""
    from hmlm_sb.models.influence import (backbone_residual_ridge, correction_correlation, influence, influence_method,
                                          mean_abs_influence)

    out = {}
    try:
        matrix = mean_abs_influence(influence(model, train, part="correction"))
    except Exception as exc:  # a model whose influence fails is reported, the run goes on
        matrix = None
        out["jacobian-error"] = f"{type(exc).__name__}: {exc}"
    if matrix is not None:
        out[influence_method(model)] = matrix
    correlated = correction_correlation(model, train)
    if correlated is not None:
        out[CORRELATION_METHOD] = np.abs(correlated)
    ridged = backbone_residual_ridge(model, train)
    if ridged is not None:
        out[BACKBONE_METHOD] = np.abs(ridged)
    if attention:
        view = mean_abs_influence(influence(model, train, method="attention"))
        if view is not None:
            out[VIEW_METHOD] = view
    return out


def _edge_records(tags: dict, method: str, model: str, scores, labels, candidates, ident_labels, keep) -> list[dict]:
    base = {"task": "design-edges", **tags, "model": model, "method": method}
    if isinstance(scores, str):
        return [{**base, "error": scores}]
    scores = np.nan_to_num(np.asarray(scores, dtype=float))
    every = metrics.edge_scores(scores[candidates], labels[candidates])
    ident = metrics.edge_scores(scores[keep], ident_labels[keep])
    return [{**base, **every, **{f"{k}_ident": v for k, v in ident.items()},
             "masked_to_prior": bool(np.abs(scores[candidates]).max(initial=0) == 0)}]


def tuning_budget(models: list[str], profile: str) -> dict[str, dict]:
    """model -> its hyper-parameters as run (epoch cap, patience, ...): one setting each."""
    out = {}
    for name in models:
        try:
            params = make_model_for(name, profile).get_params()
        except Exception as exc:  # noqa: BLE001 - the report says the model would not build
            params = {"error": f"{type(exc).__name__}: {exc}"}
        out[name] = {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool)) or v is None}
    return out
