"""Latency of the crosstalk lookup: top-10 CROSSTALK edges of one species, warm.

Builds an embedded store holding a synthetic network of ``--species`` species and
``--edges`` CROSSTALK edges between them (bulk-loaded with COPY from a CSV), then times
``--queries`` warm top-10 queries for random species through ``GraphStore.query``
(parameters, as ``hmlm crosstalk --species`` sends them). Target: median under 20 ms.

    .venv/bin/python benchmarks/bench_crosstalk_latency.py            # 1 million edges
    .venv/bin/python benchmarks/bench_crosstalk_latency.py --edges 20000 --queries 50
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TOP10 = ("MATCH (s:Species)-[c:CROSSTALK]->(t:Species) WHERE s.uid = $species "
         "RETURN t.uid AS target, c.weight AS weight, c.rank AS rank, c.condition AS condition, c.known AS known "
         "ORDER BY weight DESC LIMIT 10")
CONDITIONS = ["control", "TGFB", "strain", "combined"]
TARGET_MS = 20.0


def synthetic_network(n_species: int):
    from hmlm_sb.network import ModelInfo, Network, Species

    net = Network(models=[ModelInfo(id="bench", name="crosstalk latency benchmark", format="bundled")])
    for k in range(n_species):
        net.add_species(Species(id=f"S{k}", name=f"species {k}", model="bench"))
    return net


def crosstalk_columns(store) -> list[str]:
    """Property names of the CROSSTALK relationship table, in the store's column order."""
    info = store.query("CALL table_info('CROSSTALK') RETURN *")
    return [str(name) for name in info["name"]]


def write_edges_csv(path: Path, n_species: int, n_edges: int, columns: list[str], seed: int) -> None:
    import pandas as pd

    rng = np.random.default_rng(seed)
    src = rng.integers(0, n_species, n_edges)
    tgt = (src + rng.integers(1, n_species, n_edges)) % n_species  # never a self-loop
    weight = rng.random(n_edges)
    condition = np.array(CONDITIONS)[rng.integers(0, len(CONDITIONS), n_edges)]
    values = {
        "weight": weight, "rank": rng.integers(1, 501, n_edges), "condition": condition,
        "run": "bench-run", "model_kind": "hmlm", "known": rng.random(n_edges) < 0.2,
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    frame = pd.DataFrame({"from": [f"bench/S{k}" for k in src], "to": [f"bench/S{k}" for k in tgt]})
    for col in columns:
        if col not in values:
            raise SystemExit(f"CROSSTALK has a property this benchmark does not fill: {col}")
        frame[col] = values[col]
    if "known" in frame:
        frame["known"] = np.where(frame["known"], "true", "false")
    frame.to_csv(path, index=False, header=False)


def check_answer(store, csv: Path, columns: list[str], uid: str) -> None:
    """The store's top 10 for ``uid`` equals the top 10 computed from the loaded CSV."""
    import pandas as pd

    edges = pd.read_csv(csv, header=None, usecols=[0, 2 + columns.index("weight")],
                        names=["from", "weight"])
    expected = np.sort(edges.loc[edges["from"] == uid, "weight"].to_numpy())[::-1][:10]
    got = store.query(TOP10, {"species": uid})["weight"].to_numpy()
    if not np.allclose(got, expected):
        raise SystemExit(f"wrong answer for {uid}: {got} != {expected}")


def run(n_species: int, n_edges: int, n_queries: int, seed: int, workdir: Path) -> dict:
    from hmlm_sb.crosstalk import crosstalk_table
    from hmlm_sb.store import open_store

    db = workdir / "bench.lbdb"
    csv = workdir / "crosstalk.csv"
    with open_store(str(db), max_db_size=8 << 30) as store:
        t = time.perf_counter()
        store.save_network(synthetic_network(n_species))
        t_nodes = time.perf_counter() - t
        columns = crosstalk_columns(store)
        t = time.perf_counter()
        write_edges_csv(csv, n_species, n_edges, columns, seed)
        t_csv = time.perf_counter() - t
        t = time.perf_counter()
        # The path is generated here, never user input; COPY takes no parameters.
        store.query(f"COPY CROSSTALK FROM '{csv}' (from='Species', to='Species', header=false)", write=True)
        t_copy = time.perf_counter() - t
        loaded = int(store.query("MATCH ()-[c:CROSSTALK]->() RETURN count(c) AS n")["n"].iloc[0])
        rng = np.random.default_rng(seed + 1)
        picks = [f"bench/S{k}" for k in rng.integers(0, n_species, n_queries)]
        for uid in picks[:10]:  # warm-up
            store.query(TOP10, {"species": uid})
        times_ms, rows = [], []
        for uid in picks:
            t = time.perf_counter()
            frame = store.query(TOP10, {"species": uid})
            times_ms.append((time.perf_counter() - t) * 1e3)
            rows.append(len(frame))
        check_answer(store, csv, columns, picks[0])
        cli_ms = []
        for uid in picks[:50]:  # `hmlm crosstalk --species ID`: resolve ID, then both ends, top 10
            t = time.perf_counter()
            crosstalk_table(store, species=uid, top=10)
            cli_ms.append((time.perf_counter() - t) * 1e3)
    return {
        "species": n_species, "edges_loaded": loaded, "queries": n_queries,
        "load_species_s": round(t_nodes, 2), "write_csv_s": round(t_csv, 2), "copy_edges_s": round(t_copy, 2),
        "median_ms": round(float(np.median(times_ms)), 2), "p95_ms": round(float(np.percentile(times_ms, 95)), 2),
        "max_ms": round(float(np.max(times_ms)), 2), "mean_rows": round(float(np.mean(rows)), 2),
        "cli_median_ms": round(float(np.median(cli_ms)), 2), "cli_p95_ms": round(float(np.percentile(cli_ms, 95)), 2),
        "target_ms": TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--species", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="Also write the result here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hmlm-bench-") as tmp:
        result = run(args.species, args.edges, args.queries, args.seed, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    met = result["median_ms"] < TARGET_MS
    print(f"median {result['median_ms']} ms, p95 {result['p95_ms']} ms: "
          f"{'meets' if met else 'misses'} the {TARGET_MS:.0f} ms target", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
