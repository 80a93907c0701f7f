"""Import speed of measurements: a synthetic 100k-measurement MIDAS file into the store.

The file: ``--experiments`` treatment patterns (combinations of 8 stimuli and 4
inhibitors) x ``--times`` time points x ``--readouts`` readouts (default 500 x 10 x 20
= 100,000 measurements, 5,000 rows), on a synthetic PKN holding every named species.
Timed, median of ``--repeats`` runs into a fresh LadybugDB store whose PKN is already
imported: read (``read_experiments``), map to the network (``map_to_network``) and save
(``save_experiments``, one transaction), next to ``pandas.read_csv`` of the same file in
the same run (the bare parse, the reference). Target: under 10 s. ``--format tidy``
times the same measurements as a tidy CSV (one row per measurement, 100,000 rows).

    .venv/bin/python benchmarks/bench_midas_import.py
    .venv/bin/python benchmarks/bench_midas_import.py --format tidy
    .venv/bin/python benchmarks/bench_midas_import.py --experiments 50   # 10k measurements
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 10.0
STIMULI, INHIBITORS = 8, 4


def write_files(folder: Path, experiments: int, times: int, readouts: int, seed: int = 0) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    stim = [f"s{k}" for k in range(STIMULI)]
    inh = [f"k{k}" for k in range(INHIBITORS)]
    outs = [f"r{k}" for k in range(readouts)]
    sif = folder / "pkn.sif"
    lines = [f"{s}\t1\t{inh[k % INHIBITORS]}" for k, s in enumerate(stim)]
    lines += [f"{inh[k % INHIBITORS]}\t1\t{r}" for k, r in enumerate(outs)]
    sif.write_text("\n".join(lines) + "\n")
    patterns = list(itertools.product([0, 1], repeat=STIMULI + INHIBITORS))[:experiments]
    if len(patterns) < experiments:
        raise SystemExit(f"at most {len(patterns)} experiments")
    header = ["TR:cell:CellLine"] + [f"TR:{s}" for s in stim] + [f"TR:{k}i" for k in inh] + \
        [f"DA:{r}" for r in outs] + [f"DV:{r}" for r in outs]
    grid = np.linspace(0, 60, times)
    rows = [",".join(header)]
    for t in grid:
        for pattern in patterns:
            values = rng.random(readouts)
            rows.append(",".join(["1", *map(str, pattern), *([f"{t:g}"] * readouts), *(f"{v:.6f}" for v in values)]))
    midas = folder / "MD-synthetic.csv"
    midas.write_text("\n".join(rows) + "\n")
    return sif, midas


def write_tidy(midas: Path) -> Path:
    """The measurements of ``midas`` as a tidy CSV with stim:/inh: columns."""
    import pandas as pd

    from hmlm_sb.io.experiments import read_experiments

    data = read_experiments(midas)
    stim = sorted({s for e in data.experiments for s in e.stimuli} | {f"s{k}" for k in range(STIMULI)})
    inh = sorted({s for e in data.experiments for s in e.inhibitors} | {f"k{k}" for k in range(INHIBITORS)})
    parts = []
    for e in data.experiments:
        t, r = np.meshgrid(np.arange(len(e.times)), np.arange(len(e.readouts)), indexing="ij")
        part = {"experiment": e.id, "time": e.times[t.ravel()], "species": np.array(e.readouts)[r.ravel()],
                "value": e.values.ravel()}
        part.update({f"stim:{x}": e.stimuli.get(x, 0.0) for x in stim})
        part.update({f"inh:{x}": e.inhibitors.get(x, 0.0) for x in inh})
        parts.append(pd.DataFrame(part))
    path = midas.with_name("tidy-synthetic.csv")
    pd.concat(parts).to_csv(path, index=False)
    return path


def bench(experiments: int, times: int, readouts: int, repeats: int, fmt: str = "midas") -> dict:
    import pandas as pd

    from hmlm_sb.io import read_network
    from hmlm_sb.io.experiments import map_to_network, read_experiments
    from hmlm_sb.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sif, midas = write_files(folder, experiments, times, readouts)
        if fmt == "tidy":
            midas = write_tidy(midas)
        size_mb = midas.stat().st_size / 1e6
        rows = int(pd.read_csv(midas).shape[0])
        network = read_network(sif)
        read_experiments(midas)  # first-call costs (imports) out of the timing
        parse, read, mapping, save, total, counts = [], [], [], [], [], None
        for k in range(repeats):
            started = time.perf_counter()
            pd.read_csv(midas)
            parse.append(time.perf_counter() - started)
            with open_store(str(folder / f"db{k}"), max_db_size=1 << 30) as store:
                store.save_network(network, cell="cell")
                t0 = time.perf_counter()
                data = read_experiments(midas)
                t1 = time.perf_counter()
                mapped = map_to_network(data, network)
                t2 = time.perf_counter()
                result = store.save_experiments(mapped, network, cell="cell")
                t3 = time.perf_counter()
                counts = store.counts()
            read.append(t1 - t0)
            mapping.append(t2 - t1)
            save.append(t3 - t2)
            total.append(t3 - t0)
    med = statistics.median
    return {"format": fmt, "experiments": experiments, "times": times, "readouts": readouts,
            "measurements": result.measurements, "rows": rows, "file_mb": round(size_mb, 2),
            "pandas_read_csv_s": round(med(parse), 3), "read_s": round(med(read), 3),
            "map_s": round(med(mapping), 3), "save_s": round(med(save), 3), "total_s": round(med(total), 3),
            "ratio_to_read_csv": round(med(total) / med(parse), 1), "target_s": TARGET_SECONDS,
            "meets_target": med(total) < TARGET_SECONDS, "Experiment_nodes": counts["Experiment"],
            "MEASURES": counts["MEASURES"], "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=500)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--readouts", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--format", choices=["midas", "tidy"], default="midas")
    args = parser.parse_args()
    print(json.dumps(bench(args.experiments, args.times, args.readouts, args.repeats, args.format), indent=1))


if __name__ == "__main__":
    main()
