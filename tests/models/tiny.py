"""A small Netflux network and a generated dataset for fast model tests."""
from __future__ import annotations

from functools import lru_cache

from hmlm_sb.logic import parse_expr
from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species
from hmlm_sb.trajectories import Trajectories

# input species named as in the bundled conditions (control / TGFB / strain / combined)
RULES = [
    ("i1", "", "TGFB"), ("i2", "", "tension"),
    ("r1", "TGFB", "smad3"), ("r2", "tension", "YAP"), ("r3", "smad3 & !YAP", "aSMA"),
    ("r4", "YAP", "aSMA"), ("r5", "aSMA", "proCI"), ("r6", "smad3", "proCI"),
    ("r7", "!proCI", "MMP"), ("r8", "YAP & smad3", "fibronectin"),
]
PATHWAYS = {"growth factor": ["TGFB", "smad3"], "mechanical": ["tension", "YAP"],
            "ECM": ["aSMA", "proCI", "MMP", "fibronectin"]}


def tiny_network() -> Network:
    net = Network(models=[ModelInfo(id="tiny", name="tiny test network", format="netflux")])
    names = dict.fromkeys(s for _, rule, target in RULES for s in [target] + rule.replace("!", " ").replace("&", " ").split())
    for sid in names:
        net.add_species(Species(id=sid, name=sid, tau=0.5 if sid in ("smad3", "YAP") else 2.0, model="tiny"))
    for rid, rule, target in RULES:
        params = {"weight": 0.1 if not rule else 1.0, "n": 1.4, "ec50": 0.5}
        if not rule:
            net.add_reaction(Reaction(rid, "netflux", [Participant(target, "product")], [], params=params))
            continue
        expr = parse_expr(rule)
        parts = [Participant(tok.lstrip("!"), "reactant", -1 if tok.startswith("!") else 1)
                 for tok in rule.replace("&", " ").split()]
        net.add_reaction(Reaction(rid, "netflux", parts + [Participant(target, "product")], [(1, expr)],
                                  params=params))
    for pid, members in PATHWAYS.items():
        net.add_pathway(Pathway(pid, pid, members))
    return net


@lru_cache(maxsize=4)
def tiny_dataset(seed: int = 0, n_times: int = 25):
    """(observed with 4 sparse points, truth, prior with hidden edges, full network)."""
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset, sparse_mask

    network = tiny_network()
    ds = make_dataset(network, DatasetSpec(seed=seed, n_times=n_times, hidden_fraction=0.2))
    observed = ds.observed.with_observed(sparse_mask(ds.observed, 4))
    return observed, ds.truth, ds.prior, network


def copy_of(data: Trajectories) -> Trajectories:
    return data.subset(list(data.conditions))
