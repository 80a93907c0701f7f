"""Import speed: SBML into the embedded store, next to libsbml's bare parse.

1. ``BIOMD0000000255.xml`` (Chen 2009, 504 species, 827 reactions): libsbml's
   ``readSBMLFromFile`` alone vs ``read_network`` + ``save_network`` into a fresh
   LadybugDB store, in the same process, median of ``--repeats`` runs (interpreter start,
   imports and store creation excluded). Target: import <= 3x the parse. The same file
   saved again under another model id into that (now non-empty) store is timed too:
   LadybugDB's checkpoint then rewrites the CSR regions the new edges land in.
2. Synthetic SBML-qual networks (``hmlm_sb.io.synthetic``) of 10k and 100k species with
   twice as many reactions, each in its own process so that peak memory (``ru_maxrss``)
   is that case's alone: read + save time, elements per second, peak memory.
   Target: 100k species + 200k reactions in under 60 s and 4 GB. The process's CPU time
   is reported too: on a shared machine it moves less with the load than wall time.

    .venv/bin/python benchmarks/bench_import.py                 # both parts
    .venv/bin/python benchmarks/bench_import.py --sizes 10000   # smaller synthetic part
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIOMD = ROOT.parent / "shared" / "data" / "sbml" / "core" / "BIOMD0000000255.xml"
PARSE_RATIO_TARGET = 3.0
SYNTHETIC_SECONDS_TARGET, SYNTHETIC_GB_TARGET = 60.0, 4.0


def bench_biomd(path: Path, repeats: int) -> dict:
    import libsbml

    from hmlm_sb.io import read_network
    from hmlm_sb.store import open_store

    read_network(path)  # first-call costs out of the timing
    parse, read, save, save_again = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            started = time.perf_counter()
            doc = libsbml.readSBMLFromFile(str(path))
            parse.append(time.perf_counter() - started)
            del doc
            with open_store(str(Path(tmp) / f"db{k}"), max_db_size=1 << 30) as store:
                started = time.perf_counter()
                network = read_network(path)
                read.append(time.perf_counter() - started)
                started = time.perf_counter()
                store.save_network(network)
                save.append(time.perf_counter() - started)
                again = read_network(path, model_id="second_copy")
                started = time.perf_counter()
                store.save_network(again)
                save_again.append(time.perf_counter() - started)
    p, r, s = statistics.median(parse), statistics.median(read), statistics.median(save)
    return {"case": "BIOMD0000000255", "species": len(network.species), "reactions": len(network.reactions),
            "libsbml_parse_s": p, "read_s": r, "store_s": s, "import_s": r + s,
            "import_over_parse": (r + s) / p, "read_over_parse": r / p, "target_ratio": PARSE_RATIO_TARGET,
            "meets_target": (r + s) / p <= PARSE_RATIO_TARGET, "repeats": repeats,
            "store_into_nonempty_s": statistics.median(save_again)}


def bench_synthetic(n_species: int, seed: int) -> dict:
    """One synthetic case (run in a child process)."""
    from hmlm_sb.io import read_network
    from hmlm_sb.io.synthetic import write_synthetic
    from hmlm_sb.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = write_synthetic(Path(tmp) / f"synthetic_{n_species}.xml", n_species, seed=seed)
        write_s = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        network = read_network(path)
        read_s, read_cpu = time.perf_counter() - started, time.process_time() - cpu
        with open_store(str(Path(tmp) / "db"), max_db_size=16 << 30) as store:
            started, cpu = time.perf_counter(), time.process_time()
            store.save_network(network)
            save_s, save_cpu = time.perf_counter() - started, time.process_time() - cpu
            counts = store.counts()
        size_mb = path.stat().st_size / 1e6
    elements = len(network.species) + len(network.reactions)
    total = read_s + save_s
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux
    return {"case": f"synthetic {n_species}", "species": len(network.species), "reactions": len(network.reactions),
            "file_mb": size_mb, "write_file_s": write_s, "read_s": read_s, "store_s": save_s, "import_s": total,
            "read_cpu_s": read_cpu, "store_cpu_s": save_cpu,
            "elements_per_s": elements / total, "peak_gb": peak_gb, "stored_species": counts["Species"],
            "stored_reactions": counts["Reaction"],
            "meets_target": total < SYNTHETIC_SECONDS_TARGET and peak_gb < SYNTHETIC_GB_TARGET
            if n_species >= 100_000 else None}


def run_child(n_species: int, seed: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(n_species), "--seed", str(seed)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        return {"case": f"synthetic {n_species}", "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="hmlm import benchmark")
    for col in ("case", "species", "reactions", "parse s", "read s", "store s", "import s", "import/parse",
                "elements/s", "CPU s", "peak GB", "target met"):
        table.add_column(col)
    for r in rows:
        if "error" in r:
            table.add_row(r["case"], *[""] * 10, f"error: {r['error']}")
            continue
        table.add_row(r["case"], str(r["species"]), str(r["reactions"]), _f(r.get("libsbml_parse_s")),
                      _f(r["read_s"]), _f(r["store_s"]), _f(r["import_s"]), _f(r.get("import_over_parse"), "x"),
                      _f(r.get("elements_per_s"), "", 0),
                      _f(r["read_cpu_s"] + r["store_cpu_s"] if "read_cpu_s" in r else None, "", 1),
                      _f(r.get("peak_gb")), str(r.get("meets_target")))
    Console(width=160).print(table)


def _f(value, suffix: str = "", digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}{suffix}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--biomd", type=Path, default=BIOMD)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "bench_import.json")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(bench_synthetic(args.child, args.seed)))
        return
    rows = []
    if args.biomd.is_file():
        rows.append(bench_biomd(args.biomd, args.repeats))
    else:
        print(f"skipping the BioModels case: {args.biomd} not found", file=sys.stderr)
    rows.extend(run_child(n, args.seed) for n in args.sizes)
    print_table(rows)
    if rows and "store_into_nonempty_s" in rows[0]:
        print(f"BIOMD0000000255 saved into a store already holding one copy: {rows[0]['store_into_nonempty_s']:.3f} s")
    args.json.write_text(json.dumps({"python": sys.version.split()[0], "rows": rows}, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
