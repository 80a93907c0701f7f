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


# the Netflux models of ../shared/data/netflux the design benchmark runs by name
NETFLUX_NETWORKS = {"rogers": "Rogers2022_snm_1_1_rev4.xlsx", "zeigler": "Zeigler2016_cardiac_fibroblast.xlsx",
                    "kraeutler": "Kraeutler2010_betaAdrenergic.xlsx"}


def shared_data_dir():
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("HMLM_SHARED_DATA", root.parent / "shared" / "data"))


def network_path(name: str):
    """A network file: a key of NETFLUX_NETWORKS (in the shared data folder) or a path."""
    from pathlib import Path

    from hmlm_sb.errors import InputError

    if name.lower() in NETFLUX_NETWORKS:
        path = shared_data_dir() / "netflux" / NETFLUX_NETWORKS[name.lower()]
    else:
        path = Path(name)
    if not path.is_file():
        raise InputError("network file not found", file=str(path), element="--networks")
    return path
