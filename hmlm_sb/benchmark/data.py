"""The data each benchmark seed runs on: the simulator's ground-truth dataset."""
from __future__ import annotations

from typing import Callable

from hmlm_sb.benchmark.runner import BenchmarkData
from hmlm_sb.network import Network

# benchmark seed s simulates dataset seed OFFSET + s: the pilot data the baselines were
# designed on (dataset seed 0) never enters the scored runs
DATASET_SEED_OFFSET = 1000


def dataset_source(network: Network, n_times: int = 100, **spec_overrides) -> Callable[[int], BenchmarkData]:
    """``seed -> BenchmarkData``: a fresh truth (perturbed parameters), hidden edges and
    noise per seed, from :func:`hmlm_sb.sim.datasets.make_dataset`."""
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    def build(seed: int) -> BenchmarkData:
        ds = make_dataset(network, DatasetSpec(seed=DATASET_SEED_OFFSET + seed, n_times=n_times, **spec_overrides))
        pathways = {p.name or p.id: list(p.members) for p in network.pathways.values()}
        return BenchmarkData(observed=ds.observed, truth=ds.truth, prior=ds.prior,
                             hidden_edges=[(e.source, e.target) for e in ds.hidden_edges],
                             pathways=pathways, network=ds.network)

    return build
