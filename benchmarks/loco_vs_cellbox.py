"""Leave one condition out (issue 13's LOCO target): every condition of the standard design
held out in turn, the models trained on the other three (every point of the training
window observed), scored on the held-out condition's whole course against the noise-free
truth. Dataset seeds 1000 + s (the scored ones), ``--quick`` budgets for every model.

    PYTHONPATH=. python benchmarks/loco_vs_cellbox.py --networks rogers,zeigler,kraeutler \
        --seeds 0 1 2 --models interp,cellbox,ude-mlp,hmlm --out loco.jsonl

Prints one line per (network, seed, condition, model) and a table of MSE per condition,
mean over seeds, with the models that are at or below CellBox marked."""
from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--networks", default="rogers")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", default="interp,cellbox,ude-mlp,hmlm")
    parser.add_argument("--out", default="loco.jsonl")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from hmlm_sb.benchmark.data import NETFLUX_NETWORKS, dataset_source, shared_data_dir
    from hmlm_sb.benchmark.runner import BenchmarkConfig, _loco_task
    from hmlm_sb.io import read_network

    models = [m.strip() for m in args.models.split(",")]
    if "interp" not in models:
        models = ["interp"] + models
    config = BenchmarkConfig(models=models, seeds=len(args.seeds), loco_conditions=None, profile="quick")
    table: dict = defaultdict(list)
    with open(args.out, "w") as out:
        for net in args.networks.split(","):
            network = read_network(shared_data_dir() / "netflux" / NETFLUX_NETWORKS[net])
            source = dataset_source(network)
            for seed in args.seeds:
                records: list[dict] = []
                _loco_task(config, source(seed), models, seed, records, None)
                for r in records:
                    r["network"] = net
                    out.write(json.dumps(r, default=float) + "\n")
                    out.flush()
                    if "mse" in r:
                        table[(net, r["condition"], r["model"])].append(r["mse"])
                        print(net, seed, r["condition"], r["model"], f"{r['mse']:.5f}", flush=True)
    print("\n| network | condition | " + " | ".join(models) + " |")
    print("|---|---|" + "---|" * len(models))
    for net in args.networks.split(","):
        for cond in sorted({k[1] for k in table if k[0] == net}):
            cells = []
            ref = np.mean(table.get((net, cond, "cellbox"), [np.nan]))
            for m in models:
                v = np.mean(table.get((net, cond, m), [np.nan]))
                mark = " *" if m not in ("cellbox", "interp") and v <= ref else ""
                cells.append(f"{v:.4f}{mark}")
            print(f"| {net} | {cond} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
