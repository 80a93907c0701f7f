"""One `hmlm import` of many small files: peak memory, time per file, and the cost of a
save into a store holding many models next to a save into a fresh one.

For each N of ``--sizes`` (default 100 and 1000) N small files are written to a temp
folder (half SBML, half SIF; ``--species`` species each), then ``hmlm import FOLDER`` runs
as a child process. Measured: its peak RSS (``wait4``'s ``ru_maxrss``, plus VmRSS sampled
from /proc while it runs, so that a growing RSS shows), wall time per file, and the
per-file store time it prints for its first and last tenth of files. Then, in this
process, one more small model is saved into an empty store and into the store now
holding N models, interleaved, ``--repeats`` times: the ratio of the medians (CPU time,
which moves less with the machine's load; wall time too) is the cost of filling a
shared store.

Targets (issue 15): peak RSS < 2 GB for 1,000 files; a save into the full store at most
1.5x a save into a fresh one.

    .venv/bin/python benchmarks/bench_import_many.py                # N = 100 and 1000
    .venv/bin/python benchmarks/bench_import_many.py --sizes 100 --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RSS_TARGET_GB = 2.0
FULL_OVER_FRESH_TARGET = 1.5
STORE_TIME = re.compile(r"store (\d+\.\d+) s\]")


def sbml_text(model_id: str, n_species: int) -> str:
    """A chain of mass-action reactions through ``n_species`` species (SBML level 3)."""
    from hmlm_sb.io.synthetic import chain_sbml

    return chain_sbml(model_id, [f"S{k}" for k in range(n_species)])


def sif_text(n_species: int) -> str:
    return "".join(f"P{k}\t{'activates' if k % 3 else 'inhibits'}\tP{k + 1}\n" for k in range(n_species - 1))


def write_inputs(folder: Path, n_files: int, n_species: int) -> None:
    folder.mkdir(parents=True)
    for k in range(n_files):
        if k % 2:
            (folder / f"net{k:05d}.sif").write_text(sif_text(n_species))
        else:
            (folder / f"model{k:05d}.xml").write_text(sbml_text(f"model{k:05d}", n_species))


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_import(db: Path, folder: Path, n_files: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "hmlm_sb.cli.main", "--db", str(db), "import", str(folder)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            value = rss_mb(proc.pid)
            if value is not None:
                samples.append((time.perf_counter() - started, value))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"hmlm import failed ({proc.returncode}): {err.strip()[-500:]}")
    store_s = [float(m.group(1)) for m in STORE_TIME.finditer(out)]
    if len(store_s) != n_files:
        raise SystemExit(f"expected {n_files} imported lines, found {len(store_s)}")
    tenth = max(1, n_files // 10)  # means of the printed (10 ms) store times; the first file pays first-call costs
    peak = max(v for _, v in samples) if samples else float("nan")
    trajectory = [round(samples[int(f * (len(samples) - 1))][1]) for f in (0.1, 0.5, 0.9)] if samples else []
    return {"files": n_files, "wall_s": round(wall, 2), "per_file_ms": round(1e3 * wall / n_files, 1),
            "peak_rss_mb_sampled": round(peak), "rss_mb_at_10_50_90_percent": trajectory,
            "store_ms_first_tenth": round(1e3 * statistics.mean(store_s[1:tenth + 1]), 1),
            "store_ms_last_tenth": round(1e3 * statistics.mean(store_s[-tenth:]), 1),
            "summary": out.strip().splitlines()[-1]}


def save_costs(full_db: Path, tmp: Path, n_species: int, repeats: int) -> dict:
    """Seconds (wall and CPU, medians) to save one small model into an empty store and
    into ``full_db``, interleaved, after one warm-up save into each kind of store."""
    from hmlm_sb.io import read_network
    from hmlm_sb.store import open_store

    def timed_save(store, network) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        store.save_network(network)
        return time.perf_counter() - wall, time.process_time() - cpu

    def network(name: str):
        path = tmp / f"{name}.xml"
        path.write_text(sbml_text(name, n_species))
        return read_network(path)

    with open_store(str(tmp / "warm.lbdb")) as store:  # first-call costs of this process
        store.save_network(network("warm_up"))
    fresh, full = [], []
    with open_store(str(full_db)) as full_store:
        full_store.save_network(network("warm_up_full"))
        for k in range(repeats):
            with open_store(str(tmp / f"fresh{k}.lbdb")) as store:
                fresh.append(timed_save(store, network(f"fresh{k}")))
            full.append(timed_save(full_store, network(f"extra{k}")))
    out = {"repeats": repeats, "target_full_over_fresh": FULL_OVER_FRESH_TARGET}
    for index, kind in ((0, "wall"), (1, "cpu")):
        f, g = statistics.median(t[index] for t in fresh), statistics.median(t[index] for t in full)
        out.update({f"fresh_save_{kind}_ms": round(1e3 * f, 1), f"full_save_{kind}_ms": round(1e3 * g, 1),
                    f"full_over_fresh_{kind}": round(g / f, 2)})
    out["full_over_fresh"] = out["full_over_fresh_cpu"]  # CPU time moves less with the machine's load
    return out


def peak_of_children_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--species", type=int, default=20, help="Species per file.")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args(argv)
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="hmlm-bench-many-") as tmp:
            folder, db = Path(tmp) / "inputs", Path(tmp) / "store.lbdb"
            write_inputs(folder, n, args.species)
            before = peak_of_children_mb()
            result = run_import(db, folder, n)
            child_peak = peak_of_children_mb()  # the largest child so far: this one when it grew past the others
            result["peak_rss_mb"] = round(max(child_peak, result["peak_rss_mb_sampled"])) if child_peak > before \
                else result["peak_rss_mb_sampled"]
            result["meets_rss_target"] = result["peak_rss_mb"] < RSS_TARGET_GB * 1024
            result.update(save_costs(db, Path(tmp), args.species, args.repeats))
            results.append(result)
            print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    for r in results:
        print(f"N={r['files']}: {r['per_file_ms']} ms/file, peak RSS {r['peak_rss_mb']} MB "
              f"(target < {RSS_TARGET_GB:.0f} GB), save into the full store {r['full_over_fresh']}x a fresh one "
              f"in CPU time, {r['full_over_fresh_wall']}x in wall time "
              f"(target <= {FULL_OVER_FRESH_TARGET}x)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
