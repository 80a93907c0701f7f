"""CPU time of one HMLM fit on Rogers 2022 (109 species), the four standard conditions,
4 observed points, default budget (at most 250 epochs), one torch thread, against
ude-mlp in the same run (a ratio is what survives a shared machine).

    PYTHONPATH=. python benchmarks/bench_hmlm_fit.py [--variants default,condition,ude-mlp] [--json out.json]
        (default-2-threads: the default on two torch threads, wall time is what counts)
        [--quick]   # 25 epochs each, for a smoke run

Results (CPU s, epochs, CPU s per epoch, and each variant's time over ude-mlp's) go to
``--json`` when given.
"""
from __future__ import annotations

import argparse
import time


VARIANTS = {"default": ("hmlm", {}), "condition": ("hmlm", {"context": "condition", "values": "state"}),
            "default-2-threads": ("hmlm", {"threads": 2}), "ude-mlp": ("ude-mlp", {})}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default="default,condition,ude-mlp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="25 epochs per fit (a smoke run)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from hmlm_sb.models.base import make_model
    from hmlm_sb.models.training import observed_mask
    from hmlm_sb.resources import reference_network
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    ds = make_dataset(reference_network(), DatasetSpec(seed=args.seed))
    train = ds.observed.with_observed(observed_mask(ds.observed, 4))
    results: dict[str, dict] = {}
    for label in args.variants.split(","):
        name, params = VARIANTS[label]
        if args.quick:
            params = {**params, "max_epochs": 25, "min_epochs": 0}
        model = make_model(name, **params)
        cpu, wall = time.process_time(), time.perf_counter()
        model.fit(train, ds.prior, seed=args.seed)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        history = model.history_
        print(f"{label}: {cpu:.1f} CPU s, {wall:.1f} s wall, {history['epochs']} epochs "
              f"(best {history['best_epoch']}), {cpu / history['epochs']:.3f} CPU s / epoch", flush=True)
        results[label] = {"cpu_s": cpu, "wall_s": wall, "epochs": history["epochs"],
                          "cpu_s_per_epoch": cpu / history["epochs"]}
    if "ude-mlp" in results:
        for label, row in results.items():
            row["per_epoch_ratio_to_ude_mlp"] = row["cpu_s_per_epoch"] / results["ude-mlp"]["cpu_s_per_epoch"]
    if args.json:
        import json
        from pathlib import Path

        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
