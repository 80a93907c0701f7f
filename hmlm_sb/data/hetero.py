"""A :class:`~hmlm_sb.network.Network` (or a store selection) as a PyG ``HeteroData``.

Layout (see docs/tensors.md for the full reference):

The tensors are those of :class:`hmlm_sb.data.prior.NetworkPrior`, built once.

- node types ``species``, ``pathway``, ``cell``, each with ``ids`` (the network's ids,
  in order), ``uids`` (graph keys) and ``names``; ``species.x`` with ``feature_names``;
- regulation: ``('species', 'activates' | 'inhibits' | 'regulates', 'species')``, the last
  for edges of unknown sign; ``edge_attr`` = weight, n, ec50, and_arity
  (``data.regulation_attr_names``) and ``reaction`` (index into ``data.reaction_ids`` and
  ``data.reaction_uids``);
- membership ``('species', 'in', 'pathway')``, ``('pathway', 'in', 'cell')`` and their
  reverses ``('pathway', 'has', 'species')``, ``('cell', 'has', 'pathway')``;
- hierarchy: ``data.species_to_pathway`` (S, P) and ``data.pathway_to_cell`` (P, C),
  sparse 0/1. Species in no pathway belong to an extra last pathway ``(unassigned)``
  (``pathway.unassigned`` marks it); without a Cell, one implicit cell ``(cell)``;
- topology prior: ``('species', 'prior', 'species')`` with ``edge_attr`` = [hops, sign],
  and for S <= ``dense_limit`` the dense ``data.prior_hops`` / ``data.prior_sign``
  (S, S) int8, ``[target, source]`` as ``DynamicsModel.crosstalk``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from hmlm_sb.data.prior import (IMPLICIT_CELL, REGULATION_ATTRS, SPECIES_FEATURES, UNASSIGNED_PATHWAY,
                                NetworkPrior, build_prior)
from hmlm_sb.network import Network

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData

    from hmlm_sb.store.base import GraphStore

__all__ = ["IMPLICIT_CELL", "PRIOR_ATTRS", "REGULATION_ATTRS", "SIGN_RELATIONS", "SPECIES_FEATURES",
           "UNASSIGNED_PATHWAY", "export_subgraph", "network_to_hetero", "prior_to_hetero", "signed_edges"]

PRIOR_ATTRS = ["hops", "sign"]
SIGN_RELATIONS = {1: "activates", -1: "inhibits", 0: "regulates"}
DENSE_PRIOR_LIMIT = 5000


def export_subgraph(store: "GraphStore", cell: str | None = None, pathways: Sequence[str] | None = None,
                    model: str | None = None, *, max_hops: int = 3,
                    dense_limit: int = DENSE_PRIOR_LIMIT) -> "HeteroData":
    """The subgraph the store selects (by cell, pathways or model) as ``HeteroData``."""
    network = store.load_network(model=model, cell=cell, pathways=list(pathways) if pathways else None)
    data = network_to_hetero(network, max_hops=max_hops, dense_limit=dense_limit)
    data.selection = {"model": model, "cell": cell, "pathways": list(pathways or []), "store": store.url}
    return data


def network_to_hetero(network: Network, *, max_hops: int = 3,
                      dense_limit: int = DENSE_PRIOR_LIMIT) -> "HeteroData":
    """Tensors of a network: nodes, signed regulation, hierarchy and topology prior."""
    return prior_to_hetero(build_prior(network, max_hops=max_hops), dense_limit=dense_limit)


def prior_to_hetero(prior: NetworkPrior, *, dense_limit: int = DENSE_PRIOR_LIMIT) -> "HeteroData":
    """The :class:`NetworkPrior` as PyG tensors (the layout of the module docstring)."""
    import torch
    from torch_geometric.data import HeteroData

    data = HeteroData()
    _species_nodes(data, prior)
    _pathway_and_cell_nodes(data, prior)
    _membership_edges(data, prior)
    for sign, relation in SIGN_RELATIONS.items():
        keep = prior.edge_sign == sign
        store = data["species", relation, "species"]
        store.edge_index = torch.from_numpy(prior.edge_index[:, keep].copy())
        store.edge_attr = torch.from_numpy(prior.edge_attr[keep])
        store.reaction = torch.from_numpy(prior.edge_reaction[keep])
    data.reaction_ids = list(prior.reaction_ids)
    data.reaction_uids = list(prior.reaction_uids)
    data.regulation_attr_names = list(REGULATION_ATTRS)
    topology = prior.topology
    prior_store = data["species", "prior", "species"]
    prior_store.edge_index = torch.from_numpy(topology.edge_index)
    prior_store.edge_attr = torch.from_numpy(np.stack([topology.hops, topology.sign], axis=1).astype(np.float32))
    data.prior_attr_names = list(PRIOR_ATTRS)
    data.max_hops = prior.max_hops
    if prior.n_species <= dense_limit:
        hops, sign = topology.dense()
        data.prior_hops = torch.from_numpy(hops)
        data.prior_sign = torch.from_numpy(sign)
    data.model_ids = list(prior.model_ids)
    data.fingerprint = prior.fingerprint
    return data


def signed_edges(data: "HeteroData") -> tuple["torch.Tensor", "torch.Tensor"]:  # noqa: F821
    """All regulation edges as one ``edge_index`` (2, E) and their ``sign`` (E,)."""
    import torch

    indices, signs = [], []
    for sign, relation in SIGN_RELATIONS.items():
        edge_index = data["species", relation, "species"].edge_index
        indices.append(edge_index)
        signs.append(torch.full((edge_index.shape[1],), sign, dtype=torch.long))
    return torch.cat(indices, dim=1), torch.cat(signs)


# ---- nodes -------------------------------------------------------------------------------
def _species_nodes(data: "HeteroData", prior: NetworkPrior) -> None:
    import torch

    store = data["species"]
    store.x = torch.from_numpy(prior.species_x)
    store.num_nodes = prior.n_species
    store.ids = list(prior.species)
    store.uids = list(prior.species_uids)
    store.names = list(prior.species_names)
    store.feature_names = list(SPECIES_FEATURES)


def _pathway_and_cell_nodes(data: "HeteroData", prior: NetworkPrior) -> None:
    import torch

    store = data["pathway"]
    store.num_nodes = len(prior.pathways)
    store.ids = list(prior.pathways)
    store.uids = list(prior.pathway_uids)
    store.names = list(prior.pathway_names)
    store.unassigned = torch.from_numpy(prior.pathway_unassigned.copy())
    cell = data["cell"]
    cell.num_nodes = 1
    cell.ids = [prior.cell]
    cell.uids = [prior.cell]
    cell.implicit = torch.tensor([prior.cell_implicit])


def _membership_edges(data: "HeteroData", prior: NetworkPrior) -> None:
    import torch

    n_pathways = len(prior.pathways)
    species_in = torch.from_numpy(prior.membership)
    data["species", "in", "pathway"].edge_index = species_in
    data["pathway", "has", "species"].edge_index = species_in.flip(0)
    pathway_in = torch.stack([torch.arange(n_pathways), torch.zeros(n_pathways, dtype=torch.long)])
    data["pathway", "in", "cell"].edge_index = pathway_in
    data["cell", "has", "pathway"].edge_index = pathway_in.flip(0)
    data.species_to_pathway = _sparse_assignment(species_in, (prior.n_species, n_pathways))
    data.pathway_to_cell = _sparse_assignment(pathway_in, (n_pathways, 1))


def _sparse_assignment(pairs: "torch.Tensor", shape: tuple[int, int]) -> "torch.Tensor":  # noqa: F821
    import torch

    values = torch.ones(pairs.shape[1], dtype=torch.float32)
    return torch.sparse_coo_tensor(pairs, values, shape, check_invariants=True).coalesce()
