"""Runs every registered model through the benchmark tasks; one record per score.

Models come from the registry (:data:`hmlm_sb.models.base.MODEL_REGISTRY`): a model
whose module exists joins without any change here. Hyper-parameters: the model's
defaults, or ``quick_params()`` under ``--quick`` and ``test_params()`` under ``tiny``
when the class offers them.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hmlm_sb.benchmark import metrics, tasks
from hmlm_sb.models.base import DynamicsModel, available_models, model_class
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

Progress = Callable[[str, int], None]  # (description, advance)
HEADLINE_CONDITION = "combined"


@dataclass
class BenchmarkConfig:
    models: list[str] = field(default_factory=available_models)
    seeds: int = 3
    settings: tuple[int, ...] = tasks.SPARSE_SETTINGS
    paper_settings: tuple[int, ...] = tasks.PAPER_SETTINGS
    loco_conditions: list[str] | None = None  # None: every condition in turn
    profile: str = "full"  # full | quick | tiny: which hyper-parameter hook to use
    n_times: int = 100
    literature: bool = True
    workers: int = 1  # processes fitting models side by side (each torch process single-threaded)

    @classmethod
    def quick(cls, models: list[str] | None = None) -> "BenchmarkConfig":
        return cls(models=models or available_models(), seeds=1, settings=(4, 16, 100), paper_settings=(4, 16),
                   loco_conditions=[HEADLINE_CONDITION], profile="quick")


@dataclass
class BenchmarkData:
    """What one seed's tasks run on: noisy observations, noise-free truth, the prior."""

    observed: Trajectories
    truth: Trajectories
    prior: Network
    hidden_edges: list[tuple[str, str]]  # (source, target)
    pathways: dict[str, list[str]]
    network: Network | None = None


def make_model_for(name: str, profile: str) -> DynamicsModel:
    cls = model_class(name)
    hook = {"quick": "quick_params", "tiny": "test_params"}.get(profile)
    params = getattr(cls, hook)() if hook and hasattr(cls, hook) else {}
    return cls(**params)


def run_benchmark(config: BenchmarkConfig, data_for_seed: Callable[[int], BenchmarkData],
                  progress: Progress | None = None) -> tuple[list[dict], dict]:
    """All records, and artefacts for the figures (predictions of seed 0, edge scores)."""
    records: list[dict] = []
    artefacts: dict = {"trajectories": {}, "roc": {}, "crosstalk": {}}
    models = list(dict.fromkeys(["interp"] + list(config.models)))
    for seed in range(config.seeds):
        data = data_for_seed(seed)
        if seed == 0:
            artefacts["pathways"] = data.pathways
        dense_fits = _sparse_task(config, data, models, seed, records, artefacts, progress)
        _loco_task(config, data, models, seed, records, progress)
        _paper_task(config, data, models, seed, records, progress)
        _edge_task(data, dense_fits, seed, records, artefacts)
        if config.literature:
            _literature_task(data, dense_fits, seed, records, progress)
    shown = set(config.models)
    records = [r for r in records if r["model"] in shown or r["model"] == "residual-corr"]
    return records, artefacts


def _fit(name: str, profile: str, train: Trajectories, prior: Network, seed: int):
    model = make_model_for(name, profile)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(train, prior, seed=seed)
    return model, time.perf_counter() - start


def _job(args) -> tuple:
    """Fit one model and predict: (model, fit s, prediction, predict s, error). Runs in a
    worker; a model that raises is reported (``error``) instead of stopping the run."""
    name, profile, train, prior, seed, target, conditions, threads = args
    if threads:
        import torch

        torch.set_num_threads(threads)
    try:
        model, fit_s = _fit(name, profile, train, prior, seed)
        pred, pred_s = _predict(model, target, conditions)
    except Exception as exc:  # any model bug: record it, keep benchmarking the others
        return None, 0.0, None, 0.0, f"{type(exc).__name__}: {exc}"
    return model, fit_s, pred, pred_s, None


def _failure(task: str, setting, model: str, seed: int, error: str) -> dict:
    return {"task": task, "setting": str(setting), "timepoints": None, "condition": None, "split": None,
            "model": model, "seed": seed, "error": error}


def _fit_all(config, models, train, prior, seed, target, conditions, label, progress) -> dict:
    """name -> (model, fit s, prediction, predict s, error), ``config.workers`` at a time."""
    jobs = [(name, config.profile, train, prior, seed, target, conditions, 1 if config.workers > 1 else 0)
            for name in models]
    out = {}
    if config.workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing

        with ProcessPoolExecutor(config.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for name, result in zip(models, pool.map(_job, jobs)):
                out[name] = result
                if progress:
                    progress(f"{label}: {name}", 1)
        return out
    for name, job in zip(models, jobs):
        if progress:
            progress(f"{label}: {name}", 0)
        out[name] = _job(job)
        if progress:
            progress(f"{label}: {name}", 1)
    return out


def _predict(model: DynamicsModel, data: Trajectories, conditions: list[str] | None):
    start = time.perf_counter()
    kwargs = {"inhibit": data.inhibit, "knockdown": data.knockdown} if getattr(data, "perturbed", False) else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = model.predict(data.stimuli, data.initial, data.times, conditions=conditions, **kwargs)
    return np.asarray(pred, dtype=float), time.perf_counter() - start


def _record(task: str, setting, condition: str, split: str, model: str, seed: int,
            pred: np.ndarray, truth: np.ndarray, interp_mse: float | None, fit_s: float, pred_s: float,
            timepoints: int | None = None) -> dict:
    error = metrics.mse(pred, truth)
    ratio = error / interp_mse if interp_mse else float("nan")
    return {"task": task, "setting": str(setting), "condition": condition,
            "timepoints": timepoints if timepoints is not None else setting,
            "split": split, "model": model, "seed": seed, "pearson_r": metrics.pooled_r(pred, truth),
            "species_r": metrics.species_r(pred, truth), "mse": error, "mse_vs_interp": ratio,
            "fit_seconds": fit_s, "predict_seconds": pred_s, "n_points": int(truth.shape[0])}


def _sparse_task(config, data, models, seed, records, artefacts, progress) -> dict[str, DynamicsModel]:
    obs, truth = data.observed, data.truth
    dense: dict[str, DynamicsModel] = {}
    for points in config.settings:
        mask = tasks.sparse_mask(len(obs.conditions), len(obs.times), points)
        train = obs.with_observed(mask)
        interp_scores: dict[tuple[str, str], float] = {}
        fits = _fit_all(config, models, train, data.prior, seed, obs, obs.conditions,
                        f"seed {seed} sparse {points}", progress)
        for name in models:
            model, fit_s, pred, pred_s, error = fits[name]
            if error:
                records.append(_failure("sparse", points, name, seed, error))
                continue
            for c, cond in enumerate(obs.conditions):
                for split, idx in tasks.score_splits(mask[c]).items():
                    if idx.size == 0:
                        continue
                    p, t = pred[c, idx], truth.values[c, idx]
                    if name == "interp":
                        interp_scores[(cond, split)] = metrics.mse(p, t)
                    records.append(_record("sparse", points, cond, split, name, seed, p, t,
                                           interp_scores.get((cond, split)), fit_s, pred_s))
            if seed == 0:
                artefacts["trajectories"].setdefault(points, {})[name] = pred
            if points == max(config.settings):
                dense[name] = model
    if seed == 0:
        artefacts["truth"], artefacts["observed"] = truth, obs
        artefacts["masks"] = {p: tasks.sparse_mask(len(obs.conditions), len(obs.times), p) for p in config.settings}
    return dense


def _loco_task(config, data, models, seed, records, progress) -> None:
    obs, truth = data.observed, data.truth
    held_out = config.loco_conditions or list(obs.conditions)
    window = tasks.sparse_mask(len(obs.conditions), len(obs.times), len(obs.times))
    for cond in held_out:
        if cond not in obs.conditions:
            continue
        rest = [c for c in obs.conditions if c != cond]
        train = obs.with_observed(window).subset(rest)
        target = obs.subset([cond])
        c = obs.condition_index(cond)
        interp_mse = None
        fits = _fit_all(config, models, train, data.prior, seed, target, [f"unseen:{cond}"],
                        f"seed {seed} leave out {cond}", progress)
        for name in models:
            model, fit_s, pred, pred_s, error = fits[name]
            if error:
                records.append(_failure("loco", "3-conditions", name, seed, error))
                continue
            p, t = pred[0, 1:], truth.values[c, 1:]
            if name == "interp":
                interp_mse = metrics.mse(p, t)
            records.append(_record("loco", "3-conditions", cond, "all", name, seed, p, t, interp_mse, fit_s, pred_s,
                                   timepoints=int(window[0].sum()) - 1))


def _paper_task(config, data, models, seed, records, progress) -> None:
    obs, truth = data.observed, data.truth
    if HEADLINE_CONDITION not in obs.conditions:
        return
    markers = [obs.species.index(s) for s in tasks.FIBROSIS_MARKERS if s in obs.species]
    if not markers:
        return
    single = obs.subset([HEADLINE_CONDITION])
    c = obs.condition_index(HEADLINE_CONDITION)
    for points in config.paper_settings:
        mask = np.zeros((1, len(obs.times)), dtype=bool)
        mask[0, tasks.paper_indices(len(obs.times), points)] = True
        train = single.with_observed(mask)
        interp_mse = None
        fits = _fit_all(config, models, train, data.prior, seed, single, [HEADLINE_CONDITION],
                        f"seed {seed} paper {points}", progress)
        for name in models:
            model, fit_s, pred, pred_s, error = fits[name]
            if error:
                records.append(_failure("paper", points, name, seed, error))
                continue
            p, t = pred[0][:, markers], truth.values[c][:, markers]
            if name == "interp":
                interp_mse = metrics.mse(p, t)
            records.append(_record("paper", points, HEADLINE_CONDITION, "all", name, seed, p, t, interp_mse,
                                   fit_s, pred_s))


def influence_matrix(model: DynamicsModel, data: Trajectories, condition: str) -> tuple[np.ndarray, str]:
    """The model's influence under ``condition`` (:func:`hmlm_sb.models.influence.influence`:
    its own rate Jacobian, the correction part where it has one, or the finite-difference
    fallback) and the method that made it."""
    from hmlm_sb.models.influence import influence, influence_method

    return influence(model, data, part="correction", conditions=[condition])[condition], influence_method(model)


def _edge_task(data, dense_fits, seed, records, artefacts) -> None:
    obs = data.observed
    index = {s: k for k, s in enumerate(obs.species)}
    from hmlm_sb.models.baselines._common import prior_adjacency
    from hmlm_sb.models.influence import backbone_fit, residual_correlation

    known = prior_adjacency(data.prior, obs.species)
    labels = np.zeros_like(known)
    for source, target in data.hidden_edges:
        if source in index and target in index:
            labels[index[target], index[source]] = 1
    candidates = metrics.candidate_pairs(known)
    condition = HEADLINE_CONDITION if HEADLINE_CONDITION in obs.conditions else obs.conditions[0]
    window = obs.with_observed(tasks.sparse_mask(len(obs.conditions), len(obs.times), len(obs.times)))
    matrices = {"residual-corr": (residual_correlation(window, backbone_fit(window, data.prior)), "residual-corr")}
    for name, model in dense_fits.items():
        matrices[name] = influence_matrix(model, obs, condition)
        view = model.crosstalk(condition) if seed == 0 else None
        if view is not None:
            artefacts["crosstalk"][name] = np.asarray(view, dtype=float)
    for name, (matrix, source) in matrices.items():
        matrix = np.nan_to_num(matrix)
        scores = metrics.edge_scores(matrix[candidates], labels[candidates])
        records.append({"task": "edges", "setting": "dense", "timepoints": None, "condition": condition,
                        "split": "hidden-edges", "model": name, "seed": seed, "source": source,
                        "masked_to_prior": bool(np.abs(matrix[candidates]).max(initial=0) == 0), **scores})
        if seed == 0:
            artefacts["roc"][name] = (np.abs(matrix[candidates]), labels[candidates])


def _literature_task(data, dense_fits, seed, records, progress) -> None:
    scorer = _literature_scorer()
    if scorer is None or data.network is None:
        return
    obs = data.observed
    for name, model in dense_fits.items():
        result = scorer(model, obs, data.prior)
        if result is None or not result.get("n"):  # none of the published experiments is about this network
            continue
        records.append({"task": "literature", "setting": "dense", "timepoints": None, "condition": "single-input",
                        "split": "published-experiments", "model": name, "seed": seed, **result})


def _literature_scorer():
    """The simulator's literature scorer wrapped for a trained model, or None when absent."""
    try:
        from hmlm_sb.benchmark.literature_adapter import score_model
    except ImportError:
        return None
    return score_model
