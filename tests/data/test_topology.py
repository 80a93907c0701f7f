"""The signed shortest-path prior against a plain breadth-first search."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from hmlm_sb.data.topology import topology_prior


def reference_prior(edges: list[tuple[int, int, int]], n: int, max_hops: int = 3) -> dict:
    """(source, target) -> (hops, sign) by explicit BFS over signed paths (test oracle).

    Tracks the set of signs of all shortest paths (0 for a path over an unknown edge).
    """
    out_edges = defaultdict(list)
    for s, t, sign in edges:
        out_edges[s].append((t, sign))
    result = {}
    for source in range(n):
        frontier = {source: {1}}  # node -> set of path signs (0 = crosses an unknown edge)
        seen: set[int] = set()
        for hop in range(1, max_hops + 1):
            nxt: dict[int, set[int]] = defaultdict(set)
            for node, signs in frontier.items():
                for target, sign in out_edges[node]:
                    if target in seen:
                        continue
                    nxt[target] |= {s * sign for s in signs}
            nxt = {k: v for k, v in nxt.items() if k not in seen}
            for target, signs in nxt.items():
                result[source, target] = (hop, next(iter(signs)) if len(signs) == 1 else 0)
            seen |= set(nxt)
            frontier = nxt  # the source itself is not in `seen` at first: the diagonal is a cycle
    return result


def as_dict(prior) -> dict:
    return {(int(s), int(t)): (int(h), int(g))
            for (s, t), h, g in zip(prior.edge_index.T, prior.hops, prior.sign)}


def test_chain_with_signs_and_conflict():
    # 0 -> 1 (+), 1 -| 2 (-), 2 -> 3 (+), 0 -> 4 (+), 4 -> 2 (+): two 2-hop paths 0..2 of opposite sign
    edges = [(0, 1, 1), (1, 2, -1), (2, 3, 1), (0, 4, 1), (4, 2, 1)]
    prior = topology_prior(np.array([[e[0] for e in edges], [e[1] for e in edges]]),
                           np.array([e[2] for e in edges]), 5)
    got = as_dict(prior)
    assert got[0, 1] == (1, 1)
    assert got[1, 2] == (1, -1)
    assert got[0, 2] == (2, 0)  # shortest paths disagree
    assert got[1, 3] == (2, -1)
    assert got[0, 3] == (3, 0)
    assert got[4, 3] == (2, 1)
    assert (3, 0) not in got
    hops, sign = prior.dense()
    assert hops[2, 1] == 1 and sign[2, 1] == -1  # [target, source]
    assert hops[0, 3] == 0


def test_unknown_sign_and_parallel_edges_and_cycles():
    edges = np.array([[0, 0, 1, 2, 3], [1, 1, 2, 0, 3]])
    signs = np.array([1, -1, 0, 1, 1])  # 0->1 both ways; 1->2 unknown; 3 self-loop
    got = as_dict(topology_prior(edges, signs, 4))
    assert got[0, 1] == (1, 0)
    assert got[1, 2] == (1, 0)
    assert got[2, 1] == (2, 0)
    assert got[2, 0] == (1, 1)
    assert got[0, 0] == (3, 0)  # shortest cycle 0 -> 1 -> 2 -> 0
    assert got[3, 3] == (1, 1)


def test_hop_limit():
    chain = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])
    got = as_dict(topology_prior(chain, np.ones(4), 5, max_hops=2))
    assert max(h for h, _ in got.values()) == 2 and (0, 3) not in got


@pytest.mark.parametrize("seed,sign_choices", [(0, (1, -1)), (1, (1, -1)), (2, (1, -1, 0)), (3, (1, 1, 1, -1, 0))])
def test_matches_breadth_first_search_on_random_graphs(seed: int, sign_choices: tuple[int, ...]):
    rng = np.random.default_rng(seed)
    n, m = 40, 90
    edges = np.stack([rng.integers(0, n, m), rng.integers(0, n, m)])
    signs = rng.choice(sign_choices, size=m)
    got = as_dict(topology_prior(edges, signs, n))
    expected = reference_prior(list(zip(edges[0].tolist(), edges[1].tolist(), signs.tolist())), n)
    assert got == expected


def test_empty_graph():
    prior = topology_prior(np.zeros((2, 0), dtype=int), np.zeros(0), 3)
    assert prior.edge_index.shape == (2, 0)
    assert prior.dense()[0].sum() == 0
