"""Topology prior for attention: signed shortest-path distance between species pairs.

For every ordered pair (source, target) joined by a directed regulation path of at most
``max_hops`` edges: ``hops`` = the length of the shortest such path (1 direct, 2, 3) and
``sign`` = the product of the edge signs along it. Where several shortest paths exist,
``sign`` is their common sign, and 0 where they disagree or where one of them crosses an
edge of unknown sign. Pairs with no path within ``max_hops`` have no entry (hops 0 in the
dense form). The diagonal holds the shortest cycle through a species (1 = self-loop).

Computed layer by layer as in breadth-first search, with sparse Boolean matrix products
(scipy.sparse): no per-pair Python loop.

Conventions: edge lists are PyG style (row 0 source, row 1 target); dense matrices follow
:meth:`hmlm_sb.models.base.DynamicsModel.crosstalk`: ``[i, j]`` describes j acting on i.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_POSITIVE, _NEGATIVE, _UNKNOWN = 1, 2, 4  # bit flags: which kinds of shortest path reach a pair


@dataclass
class TopologyPrior:
    """Pairs within ``max_hops``: ``edge_index`` (2, E) source/target, ``hops`` and ``sign`` (E,)."""

    edge_index: np.ndarray
    hops: np.ndarray
    sign: np.ndarray
    num_nodes: int

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """(hops, sign) as (S, S) int8 matrices, ``[target, source]``; 0 where no path."""
        hops = np.zeros((self.num_nodes, self.num_nodes), dtype=np.int8)
        sign = np.zeros((self.num_nodes, self.num_nodes), dtype=np.int8)
        hops[self.edge_index[1], self.edge_index[0]] = self.hops
        sign[self.edge_index[1], self.edge_index[0]] = self.sign
        return hops, sign


def topology_prior(edge_index: np.ndarray, sign: np.ndarray, num_nodes: int,
                   max_hops: int = 3) -> TopologyPrior:
    """Signed shortest-path distances up to ``max_hops`` over signed directed edges.

    ``edge_index`` (2, E) source/target node positions, ``sign`` (E,) in {+1, -1, 0}.
    Parallel edges are allowed (two edges of opposite sign make the pair's sign 0).
    """
    edge_index = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    sign = np.asarray(sign).reshape(-1)
    if sign.shape[0] != edge_index.shape[1]:
        raise ValueError(f"{edge_index.shape[1]} edges but {sign.shape[0]} signs")
    positive = _adjacency(edge_index[:, sign > 0], num_nodes)
    negative = _adjacency(edge_index[:, sign < 0], num_nodes)
    unknown = _adjacency(edge_index[:, sign == 0], num_nodes)
    any_edge = _binary(positive + negative + unknown)

    flags = _combine(positive, negative, unknown)
    reached = _binary(flags)
    layers = [(1, flags)]
    for hop in range(2, max_hops + 1):
        pos, neg, unk = _split(flags)
        reach_pos = _binary(pos @ positive + neg @ negative)
        reach_neg = _binary(pos @ negative + neg @ positive)
        reach_unk = _binary(unk @ any_edge + (pos + neg) @ unknown)
        flags = _combine(reach_pos, reach_neg, reach_unk)
        flags = (flags - flags.multiply(reached)).tocsr()
        flags.eliminate_zeros()
        if flags.nnz == 0:
            break
        reached = _binary(reached + flags)
        layers.append((hop, flags))
    return _collect(layers, num_nodes)


def _adjacency(edges: np.ndarray, n: int) -> sp.csr_matrix:
    data = np.ones(edges.shape[1], dtype=np.float32)
    return _binary(sp.csr_matrix((data, (edges[0], edges[1])), shape=(n, n)))


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.sum_duplicates()
    out.eliminate_zeros()
    out.data[:] = 1.0
    return out


def _combine(pos: sp.csr_matrix, neg: sp.csr_matrix, unk: sp.csr_matrix) -> sp.csr_matrix:
    flags = (pos * _POSITIVE + neg * _NEGATIVE + unk * _UNKNOWN).tocsr()
    flags.eliminate_zeros()
    return flags


def _split(flags: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    codes = flags.data.astype(np.int64)
    parts = []
    for bit in (_POSITIVE, _NEGATIVE, _UNKNOWN):
        part = flags.copy()
        part.data = ((codes & bit) > 0).astype(np.float32)
        part.eliminate_zeros()
        parts.append(part)
    return parts[0], parts[1], parts[2]


def _collect(layers: list[tuple[int, sp.csr_matrix]], n: int) -> TopologyPrior:
    sources, targets, hops, signs = [], [], [], []
    for hop, flags in layers:
        coo = flags.tocoo()
        codes = coo.data.astype(np.int64)
        layer_sign = np.zeros(codes.shape, dtype=np.int8)
        layer_sign[codes == _POSITIVE] = 1
        layer_sign[codes == _NEGATIVE] = -1
        sources.append(coo.row.astype(np.int64))
        targets.append(coo.col.astype(np.int64))
        hops.append(np.full(codes.shape, hop, dtype=np.int8))
        signs.append(layer_sign)
    if not sources:
        empty = np.zeros(0, dtype=np.int64)
        return TopologyPrior(np.zeros((2, 0), dtype=np.int64), empty.astype(np.int8), empty.astype(np.int8), n)
    return TopologyPrior(np.stack([np.concatenate(sources), np.concatenate(targets)]),
                         np.concatenate(hops), np.concatenate(signs), n)
