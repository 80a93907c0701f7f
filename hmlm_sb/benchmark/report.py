"""results.json, report.md and the figures of a benchmark run."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from hmlm_sb.benchmark import tasks

PAPER_RF_MSE = {4: 0.041, 8: 0.050, 16: 0.058}


def write_results(records: list[dict], out: Path, meta: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    clean = [{k: _clean(v) for k, v in r.items()} for r in records]
    path.write_text(json.dumps({"meta": meta, "records": clean}, indent=1))
    return path


def _clean(value):
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _mean_sd(frame: pd.DataFrame, index: list[str], columns: str, value: str, digits: int = 3) -> pd.DataFrame:
    """Mean ± sd over seeds of the per-seed mean (over conditions and splits pooled in a cell)."""
    per_seed = frame.groupby(index + [columns, "seed"])[value].mean().reset_index()
    grouped = per_seed.groupby(index + [columns])[value]
    mean, sd, count = grouped.mean(), grouped.std(), grouped.count()
    text = [f"{m:.{digits}f}" + (f" ± {s:.{digits}f}" if c > 1 and np.isfinite(s) else "")
            if np.isfinite(m) else "n/a" for m, s, c in zip(mean, sd, count)]
    table = pd.Series(text, index=mean.index).unstack(columns)
    return table[sorted(table.columns, key=_setting_key)]


def _setting_key(value) -> tuple:
    text = str(value)
    return (0, float(text), "") if text.replace(".", "", 1).isdigit() else (1, 0.0, text)


def _markdown(table: pd.DataFrame) -> str:
    table = table.reset_index()
    head = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def write_report(records: list[dict], artefacts: dict, out: Path, meta: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(records)
    lines = ["# Benchmark report", "", f"Command: `{meta.get('command', '')}`", "",
             f"Seeds: {meta.get('seeds')}; profile: {meta.get('profile')}; models: {', '.join(meta.get('models', []))}; "
             f"wall time {meta.get('seconds', 0):.0f} s.", "",
             "Scores are against the noise-free truth; models train on noisy observations of a network "
             "with perturbed parameters, seeing a prior with 20% of its edges hidden. Values: mean ± sd over seeds (per seed, the mean over the conditions in the cell).",
             ""]
    if len(frame) and "error" in frame:
        failed = frame[frame["error"].notna()]
        if len(failed):
            lines += ["## Failures", ""] + [f"- {r.model} ({r.task} {r.setting}, seed {r.seed}): {r.error}"
                                          for r in failed.itertuples()] + [""]
        frame = frame[frame["error"].isna()]
    traj = frame[frame["task"].isin(["sparse", "loco", "paper"])] if len(frame) else frame
    if len(traj):
        sparse = traj[traj["task"] == "sparse"]
        for metric, label in (("mse", "MSE"), ("species_r", "mean per-species r (responsive species, range > 0.05)"),
                              ("pearson_r", "pooled Pearson r"), ("mse_vs_interp", "MSE relative to linear interpolation")):
            lines += [f"## Sparse sampling: {label}", ""]
            for split in ("interpolation", "extrapolation"):
                part = sparse[(sparse["split"] == split)]
                if len(part) and part[metric].notna().any():
                    lines += [f"### {split} (all conditions pooled)", "",
                              _markdown(_mean_sd(part, ["model"], "setting", metric, 4 if metric == "mse" else 3)), ""]
        head = sparse[(sparse["condition"] == "combined")]
        if len(head):
            lines += ["## Sparse sampling, combined condition, MSE per split", "",
                      _markdown(_mean_sd(head, ["model", "split"], "setting", "mse", 4)), ""]
        loco = traj[traj["task"] == "loco"]
        if len(loco):
            lines += ["## Leave one condition out (train on three, predict the fourth)", ""]
            for metric in ("mse", "species_r", "mse_vs_interp"):
                lines += [f"### {metric}", "", _markdown(_mean_sd(loco, ["model"], "condition", metric, 4)), ""]
        paper = traj[traj["task"] == "paper"]
        if len(paper):
            table = _mean_sd(paper, ["model"], "setting", "mse", 4)
            published = pd.DataFrame([{str(k): f"{v:.3f}" for k, v in PAPER_RF_MSE.items()}],
                                     index=pd.Index(["paper's RF ensemble (published, their data)"], name="model"))
            table = pd.concat([table, published[[c for c in published.columns if c in table.columns]]])
            lines += ["## The paper's protocol (combined condition, 7 fibrosis markers, MSE on all points)", "",
                      f"Markers: {', '.join(tasks.FIBROSIS_MARKERS)} ({tasks.LOX_STAND_IN} stands in for LOX, "
                      "which Rogers 2022 lacks). The published numbers are on the paper's own synthetic data "
                      "(hand-made propagation, not an ODE): they sit here for orientation, not comparison.", "",
                      _markdown(table), ""]
    edges = frame[frame["task"] == "edges"] if len(frame) else frame
    if len(edges):
        lines += ["## Edge recovery (hidden edges among all pairs absent from the prior)", ""]
        summary = edges.groupby("model").agg(auroc=("auroc", "mean"), aupr=("aupr", "mean"),
                                             aupr_lift=("aupr_lift", "mean"), source=("source", "first"),
                                             masked=("masked_to_prior", "all"))
        lines += [_markdown(summary.round(3)), "",
                  "`masked = True`: the model gives no weight to any pair outside the prior (influences "
                  "confined to known edges, or none at all as for interpolation), so it cannot rank a "
                  "hidden edge above chance (AUROC 0.5 by construction). `source`: how the ranking was read "
                  "(hmlm_sb.models.influence): `jacobian` the model's own rate Jacobian, `finite-difference` "
                  "the fallback for models without one; `residual-corr` needs no model: |corr(observed_i - "
                  "ode-default_i, observed_j)|.", ""]
    lit = frame[frame["task"] == "literature"] if len(frame) else frame
    if len(lit):
        summary = lit.groupby("model").agg(agreement=("agreement", "mean"), n=("n", "first"))
        lines += ["## Literature validation (published single-input experiments)", "",
                  _markdown(summary.round(3)), "",
                  "Training data vary only TGF-beta and tension; the other inputs are extrapolation for "
                  "every learned model.", ""]
    figures = write_figures(frame, artefacts, out) if artefacts else sorted(out.glob("*.png"))
    lines += ["## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figures]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_figures(frame: pd.DataFrame, artefacts: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    truth, obs = artefacts.get("truth"), artefacts.get("observed")
    trajectories = artefacts.get("trajectories", {})
    if truth is not None and trajectories:
        setting = sorted(trajectories)[0]
        preds = trajectories[setting]
        c = truth.conditions.index("combined") if "combined" in truth.conditions else 0
        key = [s for s in tasks.KEY_SPECIES if s in truth.species] or truth.species[:4]
        fig, axes = plt.subplots(1, len(key), figsize=(4 * len(key), 3.2), squeeze=False)
        mask = artefacts["masks"][setting][c]
        for ax, sp in zip(axes[0], key):
            s = truth.species.index(sp)
            ax.plot(truth.times, truth.values[c, :, s], "k-", lw=2, label="truth")
            ax.plot(obs.times[mask], obs.values[c, mask, s], "ko", label="observed")
            for name, pred in preds.items():
                ax.plot(truth.times, pred[c, :, s], lw=1, label=name)
            ax.set_title(f"{sp} ({truth.conditions[c]}, {setting} points)")
            ax.set_xlabel("time")
        axes[0][0].legend(fontsize=7)
        paths.append(_save(fig, out / "trajectories.png"))
    sparse = frame[(frame.get("task") == "sparse")] if len(frame) else frame
    if len(sparse):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        for ax, split in zip(axes, ("interpolation", "extrapolation")):
            part = sparse[sparse["split"] == split]
            for name, group in part.groupby("model"):
                means = group.groupby("timepoints")["mse"].mean()
                ax.plot(means.index, means.values, "o-", label=name)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("observed points per condition")
            ax.set_ylabel("MSE")
            ax.set_title(split)
        axes[0].legend(fontsize=7)
        paths.append(_save(fig, out / "error_vs_timepoints.png"))
    crosstalk = artefacts.get("crosstalk", {})
    pathways = artefacts.get("pathways") or {}
    if crosstalk and truth is not None and pathways:
        names = list(pathways)
        assign = np.array([[sp in pathways[p] for sp in truth.species] for p in names], dtype=float)
        fig, axes = plt.subplots(1, len(crosstalk), figsize=(4.5 * len(crosstalk), 4), squeeze=False)
        for ax, (model, matrix) in zip(axes[0], crosstalk.items()):
            sizes = np.maximum(assign.sum(axis=1), 1)
            pathway = assign @ np.abs(matrix) @ assign.T / np.outer(sizes, sizes)
            im = ax.imshow(pathway, cmap="viridis")
            ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
            ax.set_yticks(range(len(names)), names, fontsize=6)
            ax.set_title(f"{model}: mean |influence| (row <- column)", fontsize=8)
            fig.colorbar(im, ax=ax, shrink=0.7)
        paths.append(_save(fig, out / "crosstalk_pathways.png"))
    roc = artefacts.get("roc", {})
    if roc:
        from sklearn.metrics import roc_curve

        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        for name, (scores, labels) in roc.items():
            if labels.sum() and labels.sum() < labels.size:
                fpr, tpr, _ = roc_curve(labels, scores)
                ax.plot(fpr, tpr, label=name)
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title("hidden-edge recovery (seed 0)")
        ax.legend(fontsize=7)
        paths.append(_save(fig, out / "roc_hidden_edges.png"))
    return paths


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def rewrite_report(out: Path) -> Path:
    """report.md again from ``out/results.json`` (figures already in ``out`` are linked)."""
    data = json.loads((out / "results.json").read_text())
    return write_report(data["records"], {}, out, data["meta"])


# ---- the design benchmark (hmlm_sb.benchmark.designs) -------------------------------------------
def _mean_sd_text(values: pd.Series, digits: int) -> str:
    values = values.dropna()
    if not len(values):
        return "n/a"
    text = f"{values.mean():.{digits}f}"
    return text + (f" ± {values.std():.{digits}f}" if len(values) > 1 else "")


def _pivot(frame: pd.DataFrame, index: list[str], columns: list[str], value: str, digits: int = 3) -> pd.DataFrame:
    """Mean ± sd over seeds of ``value`` in a table index x columns."""
    grouped = frame.groupby(index + columns)[value].apply(lambda v: _mean_sd_text(v, digits))
    table = grouped.unstack(columns) if columns else grouped.to_frame(value)
    if isinstance(table.columns, pd.MultiIndex):
        table.columns = [" / ".join(str(x) for x in col) for col in table.columns]
    return table


def write_design_report(records: list[dict], out: Path, meta: dict) -> Path:
    """report.md of a design benchmark run: identifiability, edges, trajectories, budgets."""
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(records)
    lines = ["# Design benchmark report", "", f"Command: `{meta.get('command', '')}`", "",
             f"Networks: {', '.join(meta.get('networks', []))}; designs: {', '.join(meta.get('designs', []))}; "
             f"generators: {', '.join(meta.get('generators', []))}; benchmark seeds {meta.get('seeds')} "
             f"(dataset seeds 1000 + s); {meta.get('points')} observed points per condition in the window; "
             f"profile {meta.get('profile')}; wall time {meta.get('seconds', 0):.0f} s.", "",
             "Scores are against the noise-free truth; models train on noisy observations (sd 0.02) "
             "and a prior with 20% of the edges hidden. Values: mean ± sd over seeds.", ""]
    if "error" in frame:
        failed = frame[frame["error"].notna()]
        if len(failed):
            lines += ["## Failures", ""] + [f"- {r.model} {r.get('method', '') or ''} ({r.network} {r.generator} "
                                          f"{r.design}, seed {r.seed}): {r.error}"
                                          for _, r in failed.iterrows()] + [""]
        frame = frame[frame["error"].isna()]
    cell = ["network", "generator", "design"]
    ident = frame[frame["task"] == "design-ident"]
    if len(ident):
        lines += ["## Identifiability of the hidden edges", "",
                  "An edge is identifiable when removing it changes the true trajectories at the observed "
                  "points by more than the noise sd, its source moves, and no other candidate source of its "
                  "target is in lockstep with it (|r| > 0.95 over the observed points).", ""]
        summary = ident.groupby(cell).agg(hidden=("n_hidden", "mean"), identifiable=("n_identifiable", "mean"),
                                          effect_above_noise=("frac_effect_above_noise", "mean"),
                                          median_lockstep=("median_lockstep", "mean"),
                                          conditions=("n_conditions", "first"))
        lines += [_markdown(summary.round(2)), ""]
    edges = frame[frame["task"] == "design-edges"]
    if len(edges):
        edges = edges.assign(edge_method=edges["model"].where(edges["model"] != "-", "") + " "
                             + edges["method"].astype(str))
        edges["edge_method"] = edges["edge_method"].str.strip()
        for metric, label in (("auroc", "AUROC"), ("aupr_lift", "AUPR lift")):
            lines += [f"## Edge recovery: {label}, all hidden edges / identifiable hidden edges", ""]
            table = _pivot(edges, cell, ["edge_method"], metric, 2)
            ident_table = _pivot(edges, cell, ["edge_method"], f"{metric}_ident", 2)
            both = table.combine(ident_table, lambda a, b: a.astype(str) + " / " + b.astype(str))
            lines += [_markdown(both), ""]
        lines += ["`residual-corr`: |corr(observed_i - ode-default_i, observed_j)| (no trained model); "
                  "`residual-ridge`: the same residual regressed on every species at once (ridge, standardised "
                  "sources), |coefficient|. `<model> backbone-ridge`: that ridge on what the model's fitted backbone "
                  "(its correction switched off; ode-fitted: its prediction) leaves. "
                  "`<model> jacobian`: the model's own rate Jacobian (its correction part); "
                  "`<model> finite-difference`: the fallback for models without one; `<model> crosstalk-view`: "
                  "the model's raw crosstalk() matrix (the HMLM's attention); `<model> correction-corr`: |corr(learned "
                  "correction_i, source j)| over the model's own trajectories of every condition. Rankings: mean over "
                  "conditions of |influence|; pairs absent "
                  "from the prior only.", ""]
    traj = frame[frame["task"] == "design-traj"]
    if len(traj):
        for split in ("interpolation", "extrapolation"):
            part = traj[traj["split"] == split]
            if not len(part):
                continue
            for metric, label, digits in (("mse", "MSE", 4), ("mse_vs_interp", "MSE / interpolation's", 2),
                                          ("nrmse_median", "median per-species nRMSE", 3),
                                          ("pearson_r", "pooled r", 3)):
                lines += [f"## Prediction ({split}): {label}", "", _markdown(_pivot(part, cell, ["model"], metric, digits)), ""]
        worst = traj[(traj["split"] == "interpolation") & (traj["seed"] == traj["seed"].min())]
        if len(worst) and "nrmse_worst" in worst:
            lines += ["## Worst 10 species by nRMSE (interpolation, first seed)", ""]
            for _, r in worst.iterrows():
                items = ", ".join(f"{s} {v:.2f}" for s, v in (r["nrmse_worst"] or []))
                lines.append(f"- {r['model']} ({r['network']} {r['generator']} {r['design']}): {items}")
            lines.append("")
    budget = meta.get("budget") or {}
    if budget:
        lines += ["## Tuning effort (equal for every model)", "",
                  "One setting per model (its defaults; `quick_params()` under `--quick`), chosen before "
                  "any scored seed was run; no search. Epoch caps and patience as run:", ""]
        for name, params in budget.items():
            shown = ", ".join(f"{k}={v}" for k, v in params.items())
            lines.append(f"- {name}: {shown or '(no hyper-parameters)'}")
        lines.append("")
    for note in meta.get("notes", []):
        lines.append(f"Note: {note}")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def rewrite_design_report(out: Path) -> Path:
    """report.md of a design run again from ``out/results.json``."""
    data = json.loads((out / "results.json").read_text())
    return write_design_report(data["records"], out, data["meta"])
