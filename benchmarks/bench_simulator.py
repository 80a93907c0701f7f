"""Simulator timings: the bundled Rogers 2022 network (109 species, 172 reactions), batches
of perturbed parameter sets against a libRoadRunner loop, and synthetic networks.

    .venv/bin/python benchmarks/bench_simulator.py [--repeats 5] [--sets 1000] [--json out.json]
        [--synthetic 1000,5000,10000] [--quick]

1. Rogers, four standard conditions over 0..80 (101 points): compiling; scipy BDF with the
   analytic sparse Jacobian; the torch RK4 integrator (dt 0.05); libRoadRunner on the SBML
   export (one condition, after its JIT compilation).
2. ``--sets`` perturbed parameter sets of Rogers (datasets.perturb_params, the four standard
   conditions in turn), 0..80 (101 points): the batched Rosenbrock integrator
   (``simulate(method="batched")``) against a libRoadRunner loop over the same sets in the
   same run (reset, set all parameters, simulate; solver failures counted), and against
   scipy BDF (systems of 32) for accuracy. Linearity: the batched time per set at 50, 200
   and ``--sets`` sets, as a ratio to the time per set at 50.
3. Synthetic networks (io.synthetic) of the ``--synthetic`` sizes: their four standard
   conditions over 0..100 (100 points), what ``hmlm dataset make`` simulates.

Part 1 reports wall time (median of ``--repeats``); parts 2 and 3 the CPU time of this
process (``_cpu_s``; every solver here is single-threaded), so that a loaded machine
changes absolute figures more than the ratios, which are of the same run.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import numpy as np


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(work):
    """(result, CPU seconds of this process): single-threaded work on a shared machine is
    judged by its CPU time; wall time counts the other processes too."""
    start = time.process_time()
    out = work()
    return out, time.process_time() - start


def rogers_conditions(results: dict, repeats: int) -> None:
    from hmlm_sb.resources import reference_network
    from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, condition_params, load_conditions
    from hmlm_sb.sim.netflux_ode import compile_network, simulate

    network = reference_network()
    named = load_conditions()
    times = np.linspace(0.0, 80.0, 101)
    results["compile_s"] = best_of(repeats, lambda: compile_network(network))
    compiled = compile_network(network)
    four = condition_params(compiled, [named[c] for c in STANDARD_CONDITIONS])
    simulate(compiled, times, four)
    results["bdf_4_conditions_s"] = best_of(repeats, lambda: simulate(compiled, times, four, method="BDF"))

    import torch

    from hmlm_sb.nn.integrators import rk4
    from hmlm_sb.nn.netflux import NetfluxRHS
    from hmlm_sb.nn.netflux import compile_network as compile_kernel

    torch.set_num_threads(1)
    ode = NetfluxRHS(compile_kernel(network, compiled.species, compiled.inputs), parameterisation="published",
                     dtype=torch.float64)
    weights = ode.reaction_weights(torch.as_tensor(four.weight[:, compiled.input_rows]))
    y0 = torch.zeros(4, len(compiled.species), dtype=torch.float64)
    with torch.no_grad():
        results["torch_rk4_4_conditions_s"] = best_of(
            max(1, repeats // 2), lambda: rk4(lambda y: ode(y, weights), y0, 0.0, times[1:], 0.05))
    try:
        import roadrunner  # noqa: F401
    except ImportError:
        return
    with tempfile.TemporaryDirectory() as tmp:
        rr, _ = roadrunner_model(network, f"{tmp}/m.xml")

        def one() -> None:
            rr.reset()
            rr.simulate(0, 80, 101)
        results["roadrunner_1_condition_s"] = best_of(repeats, one)


def roadrunner_model(network, path: str):
    import roadrunner

    from hmlm_sb.io.sbml_ode import write_sbml_ode

    ids = write_sbml_ode(network, path)
    return roadrunner.RoadRunner(path), ids


def perturbed_sets(compiled, count: int, seed: int = 0):
    from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, condition_params, load_conditions
    from hmlm_sb.sim.datasets import PERTURBATION_SIGMA, perturb_params
    from hmlm_sb.sim.netflux_ode import PARAM_FIELDS, OdeParams

    rng = np.random.default_rng(seed)
    named = load_conditions()
    sets = [condition_params(compiled, [named[STANDARD_CONDITIONS[k % 4]]],
                             perturb_params(compiled, PERTURBATION_SIGMA, rng)) for k in range(count)]
    return OdeParams(*(np.concatenate([getattr(s, k) for s in sets]) for k in PARAM_FIELDS))


def rogers_parameter_sets(results: dict, count: int, bdf_check: bool) -> None:
    from hmlm_sb.io.sbml_ode import simulate_roadrunner
    from hmlm_sb.resources import reference_network
    from hmlm_sb.sim.netflux_ode import compile_network, simulate

    network = reference_network()
    compiled = compile_network(network)
    params = perturbed_sets(compiled, count)
    times = np.linspace(0.0, 80.0, 101)
    simulate(compiled, times, params.take(range(4)), method="batched")  # warm the symbolic LU
    ours, results[f"batched_{count}_sets_cpu_s"] = timed(lambda: simulate(compiled, times, params, method="batched"))
    per_set = {count: results[f"batched_{count}_sets_cpu_s"] / count}
    for size in (50, 200):
        if size < count:
            _, seconds = timed(lambda: simulate(compiled, times, params.take(range(size)), method="batched"))
            results[f"batched_{size}_sets_cpu_s"] = seconds
            per_set[size] = seconds / size
    for size in sorted(per_set):
        results[f"batched_per_set_ratio_{size}_to_50"] = per_set[size] / per_set[min(per_set)]
    try:
        import roadrunner  # noqa: F401
    except ImportError:
        print("libroadrunner not installed: no reference loop")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rr, ids = roadrunner_model(network, f"{tmp}/m.xml")
            (theirs, failures), seconds = timed(lambda: simulate_roadrunner(rr, compiled, ids, params, 80.0, 101))
        results[f"roadrunner_loop_{count}_sets_cpu_s"] = seconds
        results["roadrunner_failures"] = failures
        results["roadrunner_over_batched"] = seconds / results[f"batched_{count}_sets_cpu_s"]
        results["max_abs_diff_batched_vs_roadrunner"] = float(np.nanmax(np.abs(theirs - ours)))
    if bdf_check:
        reference, seconds = timed(lambda: simulate(compiled, times, params, method="BDF"))
        results[f"bdf_chunked_{count}_sets_cpu_s"] = seconds
        results["bdf_over_batched"] = seconds / results[f"batched_{count}_sets_cpu_s"]
        results["max_abs_diff_batched_vs_bdf"] = float(np.abs(reference - ours).max())


def synthetic_networks(results: dict, sizes: list[int]) -> None:
    from hmlm_sb.io.synthetic import standard_conditions, synthetic_conditions, synthetic_network
    from hmlm_sb.sim.conditions import simulate_conditions
    from hmlm_sb.sim.netflux_ode import compile_network

    for n in sizes:
        network = synthetic_network(n)
        named = synthetic_conditions(n)
        compiled, results[f"synthetic_{n}_compile_cpu_s"] = timed(lambda: compile_network(network))
        _, results[f"synthetic_{n}_4_conditions_cpu_s"] = timed(lambda: simulate_conditions(
            compiled, [named[c] for c in standard_conditions(n)], np.linspace(0.0, 100.0, 100)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sets", type=int, default=1000, help="Perturbed Rogers parameter sets.")
    parser.add_argument("--synthetic", default="1000,5000,10000", help="Synthetic network sizes ('' for none).")
    parser.add_argument("--no-bdf-check", action="store_true", help="Skip the BDF accuracy reference.")
    parser.add_argument("--quick", action="store_true", help="200 sets, synthetic 1000 only, 2 repeats.")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    if args.quick:
        args.sets, args.synthetic, args.repeats = 200, "1000", 2
    results: dict[str, float] = {}
    rogers_conditions(results, args.repeats)
    rogers_parameter_sets(results, args.sets, not args.no_bdf_check)
    synthetic_networks(results, [int(n) for n in args.synthetic.split(",") if n.strip()])
    for key, value in results.items():
        if key.endswith("_s"):
            print(f"{key:40s} {value * 1000:11.1f} ms")
        else:
            print(f"{key:40s} {value:11.3g}")
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
