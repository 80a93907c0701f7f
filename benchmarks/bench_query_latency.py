"""`hmlm crosstalk` and `hmlm query` as processes, next to a bare Python process that runs
the same Cypher on the same store with nothing but ``ladybug``.

A store of ``--species`` species and ``--edges`` CROSSTALK edges is built once (the edge
bulk load of bench_crosstalk_latency.py). Then, interleaved, ``--runs`` times each:

- ``hmlm crosstalk --species ID --top 10 --format csv`` against a bare process that opens
  the store read-only and sends the same three statements (resolve the name, then the
  edges from and to it);
- ``hmlm query TOP10 -p species=UID --format csv`` against a bare process sending TOP10.

Reported: the median wall time of each and the ratio command / bare (target <= 1.5x,
issue 15), plus the modules the command loaded that the bare process does not need.

    .venv/bin/python benchmarks/bench_query_latency.py
    .venv/bin/python benchmarks/bench_query_latency.py --edges 20000 --runs 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_crosstalk_latency import TOP10, crosstalk_columns, synthetic_network, write_edges_csv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET = 1.5
HEAVY = ("pandas", "numpy", "pyarrow", "rich", "torch", "neo4j")

BARE = """
import sys, json, ladybug
db = ladybug.Database(sys.argv[1], read_only=True, buffer_pool_size=1024 << 20)
conn = ladybug.Connection(db)
for cypher, params in json.loads(sys.argv[2]):
    result = conn.execute(cypher, params)
    rows = []
    while result.has_next():
        rows.append(result.get_next())
    print(len(rows))
"""

LOADED = """
import runpy, sys
sys.argv = ["hmlm"] + sys.argv[1:]
try:
    runpy.run_module("hmlm_sb.cli.main", run_name="__main__")
except SystemExit:
    pass
print("LOADED", sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def build_store(workdir: Path, n_species: int, n_edges: int, seed: int) -> Path:
    from hmlm_sb.store import open_store

    db = workdir / "bench.lbdb"
    csv = workdir / "crosstalk.csv"
    with open_store(str(db), max_db_size=8 << 30) as store:
        store.save_network(synthetic_network(n_species))
        write_edges_csv(csv, n_species, n_edges, crosstalk_columns(store), seed)
        # the path is generated here, never user input; COPY takes no parameters
        store.query(f"COPY CROSSTALK FROM '{csv}' (from='Species', to='Species', header=false)", write=True)
    return db


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str, str]:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])}... failed: {done.stderr.strip()[-400:]}")
    return wall, done.stdout, done.stderr


def crosstalk_statements(uid: str, top: int) -> list[tuple[str, dict]]:
    from hmlm_sb.store.crosstalk_rows import crosstalk_query

    statements = [("MATCH (n:Species) WHERE n.uid = $name OR n.id = $name OR n.name = $name "
                   "RETURN n.uid AS uid ORDER BY uid", {"name": uid})]
    for end in ("source", "target"):
        cypher, params = crosstalk_query(end=end, top=top)
        statements.append((cypher, {**params, "node": uid}))
    return statements


def run(n_species: int, n_edges: int, runs: int, seed: int, workdir: Path) -> dict:
    db = build_store(workdir, n_species, n_edges, seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("HMLM_DB", None)
    python = sys.executable
    uid = "bench/S7"
    cli_args = {
        "crosstalk": ["--db", str(db), "crosstalk", "--species", uid, "--top", "10", "--format", "csv"],
        "query": ["--db", str(db), "query", TOP10, "-p", f"species={uid}", "--format", "csv"],
    }
    cases = {
        "crosstalk": ([python, "-m", "hmlm_sb.cli.main", *cli_args["crosstalk"]],
                      [python, "-c", BARE, str(db), json.dumps(crosstalk_statements(uid, 10))]),
        "query": ([python, "-m", "hmlm_sb.cli.main", *cli_args["query"]],
                  [python, "-c", BARE, str(db), json.dumps([(TOP10, {"species": uid})])]),
    }
    times: dict[str, dict[str, list[float]]] = {name: {"command": [], "bare": []} for name in cases}
    loaded: dict[str, str] = {}
    for name, (command, bare) in cases.items():  # warm the file cache; which heavy modules the command loads
        err = timed([python, "-c", LOADED.format(heavy=HEAVY), *cli_args[name]], env)[2]
        loaded[name] = err.strip().splitlines()[-1]
        timed(bare, env)
    for _ in range(runs):
        for name, (command, bare) in cases.items():
            times[name]["command"].append(timed(command, env)[0])
            times[name]["bare"].append(timed(bare, env)[0])
    result = {"species": n_species, "edges": n_edges, "runs": runs, "target_ratio": RATIO_TARGET}
    for name, pair in times.items():
        command, bare = statistics.median(pair["command"]), statistics.median(pair["bare"])
        result[name] = {"command_s": round(command, 3), "bare_s": round(bare, 3), "ratio": round(command / bare, 2),
                        "meets_target": command / bare <= RATIO_TARGET, "heavy_modules": loaded[name]}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--species", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="Also write the result here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hmlm-bench-query-") as tmp:
        result = run(args.species, args.edges, args.runs, args.seed, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    for name in ("crosstalk", "query"):
        r = result[name]
        print(f"hmlm {name}: {r['command_s']} s vs bare {r['bare_s']} s = {r['ratio']}x "
              f"({'meets' if r['meets_target'] else 'misses'} the {RATIO_TARGET}x target)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
