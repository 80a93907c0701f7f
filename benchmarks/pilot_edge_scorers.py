"""Model-free edge scorers on *pilot* dataset seeds (< 1000): the residual correlation and
the residual ridge at several penalties, AUROC on all / identifiable hidden edges and the
AUPR lift on identifiable ones, one JSON line per cell (how RIDGE_PENALTY was chosen).

    PYTHONPATH=. python benchmarks/pilot_edge_scorers.py --networks kraeutler,rogers,zeigler --seeds 1,2,3,4,5,6

The model-based scores (each model's backbone-ridge) come from benchmarks/pilot_hmlm.py."""
from __future__ import annotations

import argparse
import json


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--networks", default="kraeutler,rogers,zeigler")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--design", default="single+kd")
    parser.add_argument("--penalties", default="0.1,0.3,1,3,10")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if any(s >= 1000 for s in seeds):
        raise SystemExit("pilot seeds are < 1000: seeds >= 1000 are the scored ones")
    from hmlm_sb.benchmark import metrics
    from hmlm_sb.benchmark.data import NETFLUX_NETWORKS, shared_data_dir
    from hmlm_sb.benchmark.designs import cell_data, edge_labels
    from hmlm_sb.io import read_network
    from hmlm_sb.models.influence import backbone_fit, residual_correlation, residual_ridge

    for name in args.networks.split(","):
        network = read_network(shared_data_dir() / "netflux" / NETFLUX_NETWORKS[name])
        for seed in seeds:
            ds, _, train, ident = cell_data(network, seed, args.design)
            labels, candidates, ident_labels, keep = edge_labels(ds, train.species, ident.identifiable)
            backbone = backbone_fit(train, ds.prior)
            scores = {"residual-corr": residual_correlation(train, backbone)}
            for penalty in args.penalties.split(","):
                scores[f"residual-ridge {penalty}"] = residual_ridge(train, backbone, float(penalty))
            line = {"network": name, "seed": seed, "identifiable": int(ident_labels.sum())}
            for method, s in scores.items():
                every = metrics.edge_scores(s[candidates], labels[candidates])
                ident = metrics.edge_scores(s[keep], ident_labels[keep])
                line[method] = [round(every["auroc"], 3), round(ident["auroc"], 3), round(ident["aupr_lift"], 1)]
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
