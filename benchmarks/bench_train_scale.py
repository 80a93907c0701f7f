"""HMLM training cost against network size: seconds per epoch, epochs to converge, peak RSS.

Synthetic networks (``hmlm_sb.io.synthetic.synthetic_network``: N species, 2N AND rules)
with ``=> X`` input reactions added on a few species (1 per 50, at least 2) when the
generator gives none; four conditions (control, the first input, the second, both);
data from ``make_dataset`` (20% of edges hidden, 50 points over 0-20), 4 observed points.
Each size trains in its own process (so peak RSS is that size's), one torch thread, and
also trains the 109-species Rogers 2022 network as the in-run reference.

    PYTHONPATH=. python benchmarks/bench_train_scale.py --sizes 300 1000 5000 [--epochs N]

Reports CPU seconds (``time.process_time``) per epoch (the fit minus a 0-epoch fit's set-up), its ratio to Rogers' per species +
candidate edge, epochs run / best epoch / why it stopped, and peak RSS (ru_maxrss)."""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_inputs(network, every: int = 50):
    """``=> S`` input reactions on every ``every``-th species (at least two) when none exist."""
    from hmlm_sb.network import Participant, Reaction

    if any(r.is_input for r in network.reactions.values()):
        return network
    species = list(network.species)
    model = network.models[0].id if network.models else ""
    for k, sid in enumerate(species[::every][:max(2, len(species) // every)]):
        network.add_reaction(Reaction(f"input{k}", "netflux", [Participant(sid, "product")], [],
                                      params={"weight": 0.1}, model=model))
    return network


def measure(size: int, epochs: int | None, seed: int) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from hmlm_sb.models.hmlm import HMLM
    from hmlm_sb.models.training import observed_mask
    from hmlm_sb.sim.conditions import Condition
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    started = time.process_time()
    if size == 109:
        from hmlm_sb.resources import reference_network

        network, (a, b), spec = reference_network(), ("TGFB", "tension"), DatasetSpec(seed=seed)
    else:
        from hmlm_sb.io.synthetic import synthetic_network
        from hmlm_sb.sim.netflux_ode import compile_network

        network = add_inputs(synthetic_network(size, seed=seed))
        a, b = compile_network(network).input_species[:2]
        spec = DatasetSpec(seed=seed, n_times=50, t_end=20.0)
    conditions = {"control": Condition("control"), "in_a": Condition("in_a", {a: 0.7}),
                  "in_b": Condition("in_b", {b: 0.7}), "combined": Condition("combined", {a: 0.7, b: 0.7})}
    spec.conditions = list(conditions)
    ds = make_dataset(network, spec, conditions=conditions)
    data_s = time.process_time() - started
    train = ds.observed.with_observed(observed_mask(ds.observed, 4))
    started = time.process_time()
    HMLM(max_epochs=0).fit(train, ds.prior, seed=seed)  # set-up only: compile, candidates, grid
    setup_s = time.process_time() - started
    model = HMLM(**({} if epochs is None else {"max_epochs": epochs}))
    started = time.process_time()
    model.fit(train, ds.prior, seed=seed)
    fit_s = time.process_time() - started
    table = model.module_.correction.molecular[0].padding
    candidates = int((~table).sum()) - size  # minus the null column
    pred = model.predict(train.stimuli, train.initial, train.times)
    held = ~observed_mask(ds.observed, 4)
    held[:, 0] = False
    h = model.history_
    return {"species": size, "reactions": len(ds.prior.reactions), "candidate_edges": candidates,
            "dataset_cpu_s": round(data_s, 1), "setup_cpu_s": round(setup_s, 1), "fit_cpu_s": round(fit_s, 1),
            "s_per_epoch": round(max(fit_s - setup_s, 0.0) / max(1, h["epochs"]), 3), "epochs": h["epochs"],
            "best_epoch": h["best_epoch"], "stopped": h["stopped"],
            "heldout_mse": float(np.mean((pred - ds.truth.values)[np.broadcast_to(held[:, :, None], pred.shape)] ** 2)),
            "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[300, 1000, 5000])
    parser.add_argument("--epochs", type=int, default=None, help="max_epochs (default: the HMLM's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-reference", action="store_true", help="skip the 109-species reference run")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.epochs, args.seed)))
        return
    rows = []
    for size in ([] if args.no_reference else [109]) + [s for s in args.sizes if s != 109]:
        cmd = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)]
        if args.epochs is not None:
            cmd += ["--epochs", str(args.epochs)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(f"size {size} failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        ref = rows[0]
        row = rows[-1]
        if not args.no_reference:
            row["cost_ratio_per_unit"] = round((row["s_per_epoch"] / (row["species"] + row["candidate_edges"]))
                                               / (ref["s_per_epoch"] / (ref["species"] + ref["candidate_edges"])), 2)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
