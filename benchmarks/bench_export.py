"""Speed and memory of the HeteroData export on a large synthetic network.

Builds a seeded random network of ``--species`` species (2 reactions per species, about
one pathway per 50 species) with ``hmlm_sb.io.synthetic`` when it is there, else with the
small generator below, then times ``network_to_hetero`` (and, with ``--via-store``, saving
into a LadybugDB store and ``export_subgraph`` back out of it). Target: under 30 s and
4 GB peak for 100k species. Peak memory is the whole process's (``ru_maxrss``), network
and imports included.

    .venv/bin/python benchmarks/bench_export.py                    # 100k species
    .venv/bin/python benchmarks/bench_export.py --species 10000 --via-store
    .venv/bin/python benchmarks/bench_export.py --generator builtin
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 30.0
TARGET_PEAK_GB = 4.0


def random_network(n_species: int, seed: int):
    """N species, 2N reactions (30% two-source ANDs, 25% inhibitions, 1% inputs), N/50 pathways."""
    from hmlm_sb.logic import And, Literal, Not
    from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species

    rng = np.random.default_rng(seed)
    net = Network(models=[ModelInfo(id="synthetic", format="bundled")])
    ids = [f"S{k}" for k in range(n_species)]
    initial = rng.random(n_species)
    for sid, y0 in zip(ids, initial):
        net.add_species(Species(id=sid, initial=float(y0), model="synthetic"))
    n_reactions = 2 * n_species
    targets = rng.integers(0, n_species, n_reactions)
    first = rng.integers(0, n_species, n_reactions)
    second = rng.integers(0, n_species, n_reactions)
    two_sources = rng.random(n_reactions) < 0.3
    inhibit = rng.random((n_reactions, 2)) < 0.25
    is_input = rng.random(n_reactions) < 0.01
    weights = rng.uniform(0.5, 1.0, n_reactions)
    for k in range(n_reactions):
        target = Participant(ids[targets[k]], "product")
        if is_input[k]:
            net.add_reaction(Reaction(id=f"R{k}", kind="netflux", participants=[target],
                                      params={"weight": weights[k]}))
            continue
        sources = [first[k], second[k]] if two_sources[k] and first[k] != second[k] else [first[k]]
        literals = [Not(Literal(ids[s])) if inhibit[k, i] else Literal(ids[s]) for i, s in enumerate(sources)]
        rule = literals[0] if len(literals) == 1 else And(tuple(literals))
        parts = [Participant(ids[s], "reactant") for s in sources] + [target]
        net.add_reaction(Reaction(id=f"R{k}", kind="netflux", participants=parts, function_terms=[(1, rule)],
                                  params={"weight": weights[k], "n": 1.4, "ec50": 0.5}))
    n_pathways = max(1, n_species // 50)
    home = rng.integers(0, n_pathways, n_species)
    home[rng.random(n_species) < 0.02] = -1  # left unassigned
    second_home = np.where(rng.random(n_species) < 0.05, rng.integers(0, n_pathways, n_species), -1)
    members: list[list[str]] = [[] for _ in range(n_pathways)]
    for k, (p, q) in enumerate(zip(home, second_home)):
        for pathway in {p, q} - {-1}:
            members[pathway].append(ids[k])
    for p, member_ids in enumerate(members):
        net.add_pathway(Pathway(id=f"P{p}", members=member_ids, model="synthetic"))
    return net


def make_network(n_species: int, seed: int, generator: str):
    """The importers' generator (``auto``: when it is there), else the one above."""
    if generator != "builtin":
        try:
            from hmlm_sb.io.synthetic import synthetic_network
        except ImportError:
            if generator == "importer":
                raise
        else:
            return synthetic_network(n_species, seed=seed), "hmlm_sb.io.synthetic.synthetic_network"
    return random_network(n_species, seed), "benchmarks/bench_export.py:random_network"


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: kB


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def via_store(network, result: dict) -> None:
    from hmlm_sb.data.hetero import export_subgraph
    from hmlm_sb.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "bench.lbdb"), max_db_size=16 << 30)
        try:
            _, result["store_save_s"] = timed(lambda: store.save_network(network))
            data, result["store_export_s"] = timed(lambda: export_subgraph(store, model=network.model.id))
        finally:
            store.close()
    result["store_export_species"] = int(data["species"].num_nodes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--species", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", choices=["auto", "importer", "builtin"], default="auto")
    parser.add_argument("--via-store", action="store_true", help="also time save + export through LadybugDB")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/bench_export.json"))
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from hmlm_sb.data.hetero import network_to_hetero
    from hmlm_sb.data.topology import topology_prior

    network_to_hetero(random_network(50, 1))  # import and first-call costs out of the timing
    network, generator = make_network(args.species, args.seed, args.generator)
    result: dict = {"species": len(network.species), "reactions": len(network.reactions),
                    "pathways": len(network.pathways), "generator": generator, "seed": args.seed,
                    "rss_after_network_gb": round(peak_rss_gb(), 3)}
    data, result["export_s"] = timed(lambda: network_to_hetero(network))
    edge_index = np.concatenate([data["species", r, "species"].edge_index.numpy()
                                 for r in ("activates", "inhibits", "regulates")], axis=1)
    result["regulation_edges"] = int(edge_index.shape[1])
    result["prior_pairs"] = int(data["species", "prior", "species"].edge_index.shape[1])
    signs = np.ones(edge_index.shape[1])
    _, result["prior_only_s"] = timed(lambda: topology_prior(edge_index, signs, len(network.species)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.pt"
        _, result["torch_save_s"] = timed(lambda: torch.save(data, path))
        result["file_mb"] = round(path.stat().st_size / 1024**2, 1)
    if args.via_store:
        via_store(network, result)
    result["peak_rss_gb"] = round(peak_rss_gb(), 3)
    result["ok"] = result["export_s"] < TARGET_SECONDS and result["peak_rss_gb"] < TARGET_PEAK_GB
    for key in ("export_s", "prior_only_s", "torch_save_s", "store_save_s", "store_export_s"):
        if key in result:
            result[key] = round(result[key], 3)
    print(json.dumps(result, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
