"""CPU time of one HMLM fit on Rogers 2022 (109 species), the four standard conditions,
4 observed points, default budget (at most 250 epochs), one torch thread, against
ude-mlp in the same run (a ratio is what survives a shared machine).

    PYTHONPATH=. python benchmarks/bench_hmlm_fit.py [--variants default,condition,ude-mlp]
"""
from __future__ import annotations

import argparse
import time


VARIANTS = {"default": ("hmlm", {}), "condition": ("hmlm", {"context": "condition", "values": "state"}),
            "ude-mlp": ("ude-mlp", {})}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default="default,condition,ude-mlp")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from hmlm_sb.models.base import make_model
    from hmlm_sb.models.training import observed_mask
    from hmlm_sb.resources import reference_network
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    ds = make_dataset(reference_network(), DatasetSpec(seed=args.seed))
    train = ds.observed.with_observed(observed_mask(ds.observed, 4))
    for label in args.variants.split(","):
        name, params = VARIANTS[label]
        model = make_model(name, **params)
        cpu, wall = time.process_time(), time.perf_counter()
        model.fit(train, ds.prior, seed=args.seed)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        history = model.history_
        print(f"{label}: {cpu:.1f} CPU s, {wall:.1f} s wall, {history['epochs']} epochs "
              f"(best {history['best_epoch']}), {cpu / history['epochs']:.3f} CPU s / epoch", flush=True)


if __name__ == "__main__":
    main()
