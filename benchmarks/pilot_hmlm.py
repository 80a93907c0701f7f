"""Pilot runs for the HMLM's design choices: one design-benchmark cell on a *pilot* dataset
seed (< 1000; the scored benchmark uses 1000 + s), one model with parameter overrides.
Prints held-out MSE / interpolation's and the hidden-edge AUROC / AUPR lift of the
Jacobian influence (and the attention view) on all and on identifiable hidden edges.

    PYTHONPATH=. python benchmarks/pilot_hmlm.py --network kraeutler --seed 0 --design single+kd \
        --model hmlm --param heads=2

Design choices of the HMLM are made with this script on seeds 0-2 only (docs/hmlm.md)."""
from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--network", default="kraeutler")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--design", default="single+kd")
    parser.add_argument("--model", default="hmlm")
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.seed >= 1000:
        raise SystemExit("pilot seeds are < 1000: seeds >= 1000 are the scored ones")

    import torch

    torch.set_num_threads(1)
    from hmlm_sb.benchmark import metrics, tasks
    from hmlm_sb.benchmark.data import NETFLUX_NETWORKS, shared_data_dir
    from hmlm_sb.benchmark.designs import cell_data, edge_labels, model_edge_scores, residual_scores
    from hmlm_sb.io import read_network
    from hmlm_sb.models.base import make_model

    network = read_network(shared_data_dir() / "netflux" / NETFLUX_NETWORKS[args.network])
    ds, mask, train, ident = cell_data(network, args.seed, args.design)
    obs, truth = ds.observed, ds.truth
    labels, candidates, ident_labels, keep = edge_labels(ds, obs.species, ident.identifiable)
    params = {}
    for item in args.param:
        key, value = item.split("=", 1)
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    cls = make_model(args.model)
    base = type(cls).quick_params() if args.quick else {}
    model = make_model(args.model, **{**base, **params})
    started = time.process_time()
    model.fit(train, ds.prior, seed=args.seed)
    cpu = time.process_time() - started
    pred = model.predict(train.stimuli, train.initial, train.times, conditions=train.conditions,
                         inhibit=train.inhibit, knockdown=train.knockdown)
    interp = make_model("interp").fit(train, ds.prior, seed=args.seed)
    ipred = interp.predict(train.stimuli, train.initial, train.times, conditions=train.conditions,
                           inhibit=train.inhibit, knockdown=train.knockdown)
    out = {"network": args.network, "seed": args.seed, "model": args.model, "params": params,
           "cpu_s": round(cpu, 1), "epochs": (getattr(model, "history_", {}) or {}).get("epochs"),
           "identifiable": int(ident.identifiable.sum()), "hidden": len(ds.hidden_edges)}
    for split, idx in tasks.score_splits(mask[0]).items():
        if idx.size:
            m = metrics.mse(pred[:, idx], truth.values[:, idx])
            out[f"mse_{split}"] = round(m, 6)
            out[f"vs_interp_{split}"] = round(m / metrics.mse(ipred[:, idx], truth.values[:, idx]), 3)
    scores = {**residual_scores(train, ds.prior), **model_edge_scores(model, train)}
    for method, s in scores.items():
        if isinstance(s, str):
            continue
        s = np.nan_to_num(np.asarray(s, dtype=float))
        every = metrics.edge_scores(s[candidates], labels[candidates])
        idn = metrics.edge_scores(s[keep], ident_labels[keep])
        out[method] = {k: round(v, 3) for k, v in {"auroc": every["auroc"], "lift": every.get("aupr_lift", np.nan),
                                                   "auroc_id": idn["auroc"],
                                                   "lift_id": idn.get("aupr_lift", np.nan)}.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
