"""Run every benchmark script in benchmarks/ (``bench_*.py``) and print one summary.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only simulator,import] [--out DIR]
        [--timeout 3600]

Each script runs in its own process (so each one's memory and imports are its own) with
``--json DIR/<name>.json``, and ``--quick`` where the script offers it (its ``--help``
says so). The summary lists, per script, the exit status, the wall time and the entries of
its JSON that are ratios or checks (keys with ratio, _over_, speedup, per_, failures,
max_abs_diff, peak or target); the full JSON files stay in ``--out``. Exit status 1 if a
script failed. New ``bench_*.py`` scripts are picked up without changes here.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUMMARY_KEYS = ("ratio", "_over_", "speedup", "per_", "failures", "max_abs_diff", "peak", "target")


def scripts(only: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [p for p in found if p.stem.removeprefix("bench_") in only or p.stem in only]
    return found


def offers(script: Path, option: str) -> bool:
    """Whether the script's --help mentions ``option``."""
    out = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    return option in out.stdout


def flatten(data, prefix: str = "") -> dict[str, object]:
    """Nested JSON as {"a.b.0.c": value}."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: data}
    out: dict[str, object] = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def highlights(json_path: Path) -> dict[str, object]:
    if not json_path.is_file():
        return {}
    try:
        flat = flatten(json.loads(json_path.read_text()))
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in flat.items() if any(s in k.lower() for s in SUMMARY_KEYS)
            and isinstance(v, (int, float, bool))}


def run(script: Path, out_dir: Path, quick: bool, timeout: float) -> dict:
    json_path = out_dir / f"{script.stem}.json"
    command = [sys.executable, str(script), "--json", str(json_path)]
    if quick and offers(script, "--quick"):
        command.append("--quick")
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent)
        status, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        status, stdout, stderr = "timeout", exc.stdout or "", f"timed out after {timeout:g} s"
    seconds = time.perf_counter() - start
    (out_dir / f"{script.stem}.log").write_text(f"$ {' '.join(command)}\n{stdout}\n{stderr}")
    return {"script": script.name, "command": " ".join(command), "status": status, "seconds": seconds,
            "highlights": highlights(json_path), "tail": (stderr or stdout).strip().splitlines()[-3:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Pass --quick to the scripts that take it.")
    parser.add_argument("--only", default="", help="Comma-separated script names (simulator or bench_simulator).")
    parser.add_argument("--out", type=Path, default=None, help="Folder for the JSON files and logs (default: a temp dir).")
    parser.add_argument("--timeout", type=float, default=3600.0, help="Seconds per script.")
    args = parser.parse_args()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="hmlm_bench_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = scripts([s.strip() for s in args.only.split(",") if s.strip()])
    if not chosen:
        print("no benchmark scripts matched", file=sys.stderr)
        return 2
    results = []
    for script in chosen:
        print(f"running {script.name} ...", flush=True)
        results.append(run(script, out_dir, args.quick, args.timeout))
    print(f"\nsummary (JSON and logs in {out_dir})")
    for item in results:
        ok = "ok" if item["status"] == 0 else f"FAILED ({item['status']})"
        print(f"\n{item['script']:32s} {ok:14s} {item['seconds']:8.1f} s")
        for key, value in item["highlights"].items():
            print(f"    {key:50s} {value:.4g}" if isinstance(value, float) else f"    {key:50s} {value}")
        if item["status"] != 0:
            for line in item["tail"]:
                print(f"    | {line}")
    (out_dir / "summary.json").write_text(json.dumps(results, indent=1, default=str))
    return 0 if all(item["status"] == 0 for item in results) else 1


if __name__ == "__main__":
    sys.exit(main())
