"""Simulator timings on the bundled Rogers 2022 network (109 species, 172 reactions).

    .venv/bin/python benchmarks/bench_simulator.py [--repeats 5] [--json out.json]

Times: compiling the network; the four standard conditions over 0..80 (101 points) with
scipy BDF and the analytic sparse Jacobian; a batch of 64 (4 conditions x 16 perturbed
parameter sets); the torch RK4 integrator (dt 0.05) for the four conditions; and, when
installed, libRoadRunner on the SBML export (one condition, after its JIT compilation).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    from hmlm_sb.resources import reference_network
    from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, condition_params, load_conditions
    from hmlm_sb.sim.datasets import PERTURBATION_SIGMA, perturb_params
    from hmlm_sb.sim.netflux_ode import OdeParams, compile_network, simulate

    network = reference_network()
    named = load_conditions()
    conditions = [named[c] for c in STANDARD_CONDITIONS]
    times = np.linspace(0.0, 80.0, 101)
    results: dict[str, float] = {}
    results["compile_s"] = best_of(args.repeats, lambda: compile_network(network))
    compiled = compile_network(network)
    four = condition_params(compiled, conditions)
    simulate(compiled, times, four)
    results["bdf_4_conditions_s"] = best_of(args.repeats, lambda: simulate(compiled, times, four))

    rng = np.random.default_rng(0)
    sets = [perturb_params(compiled, PERTURBATION_SIGMA, rng) for _ in range(16)]
    batch = [condition_params(compiled, conditions, p) for p in sets]
    big = OdeParams(*(np.concatenate([getattr(b, k) for b in batch]) for k in ("weight", "n", "ec50", "tau", "ymax")))
    results["bdf_batch_64_s"] = best_of(max(1, args.repeats // 2), lambda: simulate(compiled, times, big))

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
            max(1, args.repeats // 2), lambda: rk4(lambda y: ode(y, weights), y0, 0.0, times[1:], 0.05))
    try:
        import tempfile

        import roadrunner

        from hmlm_sb.io.sbml_ode import write_sbml_ode

        with tempfile.TemporaryDirectory() as tmp:
            write_sbml_ode(network, f"{tmp}/m.xml")
            rr = roadrunner.RoadRunner(f"{tmp}/m.xml")

            def one() -> None:
                rr.reset()
                rr.simulate(0, 80, 101)
            results["roadrunner_1_condition_s"] = best_of(args.repeats, one)
    except ImportError:
        pass
    for key, value in results.items():
        print(f"{key:28s} {value * 1000:9.1f} ms")
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
