"""The real-data task: leave one experiment out on CellNOpt/DREAM perturbation data.

Each data set is a PKN (SIF) and a MIDAS table (``../shared/data/midas/<name>/PKN-*.sif``
and ``MD-*.csv``, or a user's pair). For every experiment in turn, a model is fitted on
all the others and predicts the held-out one from its stimuli, inhibitors and t = 0
state. Scored: MSE over the non-NaN readouts at the measured time points after t = 0,
per readout and pooled (and each readout's Pearson r over those entries), next to two
references computed on the same entries: each readout's training mean (the mean over the training experiments at t > 0), and the
Boolean floor (the lowest error any 0/1 model can reach: per entry min(v^2, (v-1)^2)).
The external caspo / corneto numbers recorded in ../shared/data/README.md sit beside
them, labelled external with their source.

Species not measured at t = 0 start from the prior's initial state (the contract's rule
for a NaN ``initial``); models whose ``predict`` takes no ``inhibit`` are run without it
and reported as ignoring inhibitors.
"""
from __future__ import annotations

import inspect
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from hmlm_sb.benchmark.metrics import pearson
from hmlm_sb.errors import InputError

Progress = Callable[[str, int], None]
EXTERNAL_SOURCE = ("caspo 4.0.3 and corneto 1.0.0rc8 Boolean logic models fitted to the PKN, MSE at the CellNOpt "
                   "time point (../shared/data/README.md)")
# data set -> (time point, fit, leave-one-experiment-out, training mean, Boolean floor)
EXTERNAL = {
    "LiverDREAM": {"time": 30.0, "fit": 0.0395, "loeo": 0.0395, "training_mean": 0.167, "boolean_floor": 0.0114},
    "ToyMMB": {"time": 10.0, "fit": 0.0592, "loeo": 0.0592, "training_mean": 0.137, "boolean_floor": 0.0363},
}
REFERENCE_MODELS = ("training-mean", "boolean-floor")
QUICK_DATASETS = ("ToyMMB",)


@dataclass
class RealDataset:
    name: str
    network: object  # the PKN as stored (Network)
    prior: object  # the PKN with an input reaction per stimulated species
    data: object  # Trajectories: one condition per experiment
    readouts: list[str]


@dataclass
class RealConfig:
    models: list[str]
    profile: str = "quick"  # full | quick | tiny (the models' hyper-parameter hooks)
    seed: int = 0
    max_folds: int | None = None  # None: every experiment is held out once


def dataset_pairs(root: str | Path) -> list[tuple[str, Path, Path]]:
    """(name, MIDAS, PKN) for each folder of ``root`` holding one MD-*.csv and one PKN-*.sif."""
    out = []
    for folder in sorted(Path(root).iterdir()) if Path(root).is_dir() else []:
        midas, pkn = sorted(folder.glob("MD-*.csv")), sorted(folder.glob("PKN-*.sif"))
        if len(midas) == 1 and len(pkn) == 1:
            out.append((folder.name, midas[0], pkn[0]))
    return out


def load_dataset(midas: str | Path, pkn: str | Path, name: str | None = None,
                 name_map: dict[str, str] | None = None) -> RealDataset:
    from hmlm_sb.io import read_network
    from hmlm_sb.io.experiments import experiments_to_trajectories, fill_initial, map_to_network, read_experiments

    network = read_network(pkn)
    experiments = map_to_network(read_experiments(midas), network, name_map)
    data, prior = experiments_to_trajectories(experiments.experiments, network, name=str(midas))
    fill_initial(data, prior)
    return RealDataset(name or Path(midas).stem, network, prior, data, experiments.readouts)


def scored_mask(data, readouts: list[str]) -> np.ndarray:
    """(C, T, S): measured (non-NaN) readouts at measured time points after t = 0."""
    mask = np.zeros(data.values.shape, dtype=bool)
    cols = [data.species.index(r) for r in readouts]
    later = (data.times > 0)[None, :] & data.observed
    mask[:, :, cols] = later[:, :, None]
    return mask & np.isfinite(data.values)


def accepts_inhibit(model) -> bool:
    return "inhibit" in inspect.signature(model.predict).parameters


def loeo_predictions(dataset: RealDataset, model_name: str, config: RealConfig, times: np.ndarray,
                     folds: list[int], progress: Progress | None = None) -> dict:
    """Held-out predictions ``(C, len(times), S)`` (NaN for folds not run), fit seconds,
    whether the model read the inhibitors, and the first error (a model that raises is
    reported, not fatal)."""
    from hmlm_sb.benchmark.runner import make_model_for
    from hmlm_sb.models.training import seed_everything

    data = dataset.data
    pred = np.full((len(data.conditions), len(times), len(data.species)), np.nan)
    out = {"pred": pred, "fit_seconds": 0.0, "uses_inhibit": None, "error": None}
    for c in folds:
        train = data.subset([name for k, name in enumerate(data.conditions) if k != c])
        model = make_model_for(model_name, config.profile)
        seed_everything(config.seed)
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(train, dataset.prior, seed=config.seed)
                out["fit_seconds"] += time.perf_counter() - started
                kwargs = {}
                out["uses_inhibit"] = accepts_inhibit(model)
                if out["uses_inhibit"]:
                    kwargs["inhibit"] = data.inhibit[c:c + 1]
                pred[c] = model.predict(data.stimuli[c:c + 1], data.initial[c:c + 1], times, conditions=None,
                                        **kwargs)[0]
        except Exception as exc:  # a model bug: recorded, the others go on
            out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            break
        if progress:
            progress(f"{dataset.name}: {model_name} fold {c + 1}/{len(data.conditions)}", 1)
    return out


def reference_predictions(dataset: RealDataset, folds: list[int]) -> dict[str, np.ndarray]:
    """Training mean per readout (over the other experiments at t > 0) and the Boolean
    floor (each entry rounded to the nearer of 0 and 1) on the measured grid."""
    data = dataset.data
    later = (data.times > 0)[None, :, None] & data.observed[:, :, None]
    values = np.where(later, data.values, np.nan)
    mean = np.full(data.values.shape, np.nan)
    for c in folds:
        others = np.delete(values, c, axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean[c] = np.nanmean(others.reshape(-1, others.shape[-1]), axis=0)[None, :]
    return {"training-mean": mean, "boolean-floor": boolean_floor(data.values)}


def boolean_floor(values: np.ndarray) -> np.ndarray:
    """The 0/1 prediction nearest each value: its error is min(v^2, (v-1)^2)."""
    return np.where(np.asarray(values) >= 0.5, 1.0, 0.0)


def score(pred: np.ndarray, dataset: RealDataset, folds: list[int]) -> dict:
    """MSE per readout and pooled over the scored entries of the folds run."""
    mask = scored_mask(dataset.data, dataset.readouts)
    keep = np.zeros(len(dataset.data.conditions), dtype=bool)
    keep[folds] = True
    mask &= keep[:, None, None]
    err = (pred - dataset.data.values) ** 2
    out = {"pooled": float(np.mean(err[mask])) if mask.any() else float("nan"), "n": int(mask.sum()),
           "per_readout": {}, "per_readout_r": {}}
    for r in dataset.readouts:
        s = dataset.data.species.index(r)
        m = mask[:, :, s]
        out["per_readout"][r] = float(np.mean(err[:, :, s][m])) if m.any() else float("nan")
        out["per_readout_r"][r] = pearson(pred[:, :, s][m], dataset.data.values[:, :, s][m])
    out["per_experiment"] = {dataset.data.conditions[c]: float(np.mean(err[c][mask[c]])) if mask[c].any()
                             else float("nan") for c in folds}
    return out


def run_real(config: RealConfig, datasets: list[RealDataset], progress: Progress | None = None) -> tuple[list, dict]:
    """Records (one per data set x model: pooled and per-readout MSE) and artefacts
    (held-out predictions on a dense grid for the figures)."""
    records: list[dict] = []
    artefacts: dict = {}
    for dataset in datasets:
        n = len(dataset.data.conditions)
        folds = list(range(n)) if config.max_folds is None else list(range(min(n, config.max_folds)))
        for name, pred in reference_predictions(dataset, folds).items():
            records.append(_record(dataset, name, score(pred, dataset, folds), kind="reference"))
        ext = EXTERNAL.get(dataset.name)
        if ext:
            records.append({"task": "real", "dataset": dataset.name, "model": "caspo/corneto (external)",
                            "kind": "external", "mse": ext["loeo"], "fit_mse": ext["fit"],
                            "training_mean": ext["training_mean"], "boolean_floor": ext["boolean_floor"],
                            "time": ext["time"], "source": EXTERNAL_SOURCE, "per_readout": {}})
        dense = np.union1d(dataset.data.times, np.linspace(0, dataset.data.times.max(), 31))
        on_grid = np.searchsorted(dense, dataset.data.times)
        for model_name in config.models:
            result = loeo_predictions(dataset, model_name, config, dense, folds, progress)
            rec = _record(dataset, model_name, score(result["pred"][:, on_grid], dataset, folds), kind="model")
            rec.update(fit_seconds=round(result["fit_seconds"], 2), uses_inhibit=result["uses_inhibit"],
                       error=result["error"], folds=len(folds), profile=config.profile, seed=config.seed)
            records.append(rec)
            artefacts[(dataset.name, model_name)] = {"times": dense, "pred": result["pred"]}
    return records, artefacts


def _record(dataset: RealDataset, model: str, scores: dict, *, kind: str) -> dict:
    r_values = [v for v in scores["per_readout_r"].values() if np.isfinite(v)]
    return {"task": "real", "dataset": dataset.name, "model": model, "kind": kind, "mse": scores["pooled"],
            "n": scores["n"], "per_readout": scores["per_readout"], "per_readout_r": scores["per_readout_r"],
            "median_readout_r": float(np.median(r_values)) if r_values else float("nan"),
            "per_experiment": scores.get("per_experiment", {})}


# ---- report and figure -------------------------------------------------------------------------
def report_markdown(records: list[dict], meta: dict) -> str:
    lines = ["# Real-data task: leave one experiment out", "",
             f"Command: `{meta.get('command', '')}`; profile {meta.get('profile')}, seed {meta.get('seed')}, "
             f"{meta.get('seconds', 0):.0f} s.", "",
             "MSE over the non-NaN readouts at the measured time points after t = 0 of each held-out "
             "experiment; `training-mean` predicts each readout's mean over the training experiments, "
             "`boolean-floor` is the lowest error any 0/1 model can reach on these entries. "
             f"External: {EXTERNAL_SOURCE}.", ""]
    for dataset in dict.fromkeys(r["dataset"] for r in records):
        rows = [r for r in records if r["dataset"] == dataset]
        readouts = next((list(r["per_readout"]) for r in rows if r.get("per_readout")), [])
        lines += [f"## {dataset}", "",
                  "| model | pooled MSE | " + " | ".join(readouts) + " | median r | fit s | inhibitors |",
                  "|---|---|" + "---|" * len(readouts) + "---|---|---|"]
        for r in rows:
            if r["kind"] == "external":
                lines.append(f"| {r['model']} | {r['mse']:.4f} (fit {r['fit_mse']:.4f}, t = {r['time']:g}) | "
                             + " | ".join("" for _ in readouts) + " | | | |")
                continue
            per = " | ".join(_fmt(r["per_readout"].get(k)) for k in readouts)
            note = "" if r["kind"] == "reference" else ("read" if r.get("uses_inhibit") else "ignored")
            mse = f"error: {r['error']}" if r.get("error") else _fmt(r["mse"])
            lines.append(f"| {r['model']} | {mse} | {per} | {_fmt(r.get('median_readout_r'), 3)} | "
                         f"{r.get('fit_seconds', '')} | {note} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _fmt(value, digits: int = 4) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def plot_grid(dataset: RealDataset, times: np.ndarray, pred: np.ndarray, model: str, path: str | Path) -> Path:
    """Experiments (rows) x readouts (columns): measured points and the held-out
    prediction, each panel shaded by its squared error (CellNOpt's layout)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = dataset.data
    cols = [data.species.index(r) for r in dataset.readouts]
    n_rows, n_cols = len(data.conditions), len(cols)
    fig, axes = plt.subplots(n_rows, n_cols + 1, figsize=(1.3 * (n_cols + 1) + 1.2, 0.55 * n_rows + 1.0),
                             squeeze=False, sharex=True, sharey=True,
                             gridspec_kw={"width_ratios": [1.0] * n_cols + [1.2]})
    cmap = plt.get_cmap("Reds")
    on_grid = np.searchsorted(times, data.times)
    for c in range(n_rows):
        for j, s in enumerate(cols):
            ax = axes[c][j]
            measured = data.values[c, :, s]
            later = (data.times > 0) & np.isfinite(measured)
            err = np.mean((pred[c, on_grid, s][later] - measured[later]) ** 2) if later.any() else np.nan
            ax.set_facecolor(cmap(0.6 * min(1.0, err / 0.25)) if np.isfinite(err) else "0.9")
            ax.plot(data.times, measured, "ko-", ms=2.5, lw=0.8)
            if np.isfinite(pred[c, :, s]).any():
                ax.plot(times, pred[c, :, s], "--", color="tab:blue", lw=1.0)
            ax.set_ylim(-0.05, 1.05)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(data.species[s], fontsize=7)
        label = axes[c][n_cols]
        label.axis("off")
        label.text(0.02, 0.5, data.conditions[c], fontsize=6, va="center", transform=label.transAxes)
    fig.suptitle(f"{dataset.name}: {model}, leave one experiment out (black measured, blue predicted; "
                 "red = squared error)", fontsize=8)
    fig.subplots_adjust(left=0.02, right=0.98, top=1 - 0.75 / (0.55 * n_rows + 1.0), bottom=0.02,
                        wspace=0.05, hspace=0.08)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def resolve_datasets(shared_midas: str | Path | None, midas: str | None, pkn: str | None,
                     names: list[str] | None = None) -> list[RealDataset]:
    """A user's pair (``midas`` + ``pkn``), else every data set under ``shared_midas``
    (only ``names`` when given)."""
    if bool(midas) != bool(pkn):
        raise InputError("--midas and --pkn go together", element="--midas" if pkn else "--pkn")
    if midas:
        return [load_dataset(midas, pkn, Path(midas).stem.removeprefix("MD-"))]
    pairs = dataset_pairs(shared_midas) if shared_midas else []
    if names:
        pairs = [p for p in pairs if p[0] in names]
    if not pairs:
        raise InputError(f"no MIDAS data sets found under {shared_midas}", element="--task real")
    return [load_dataset(m, p, name) for name, m, p in pairs]
