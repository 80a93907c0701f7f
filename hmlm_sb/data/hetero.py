"""A :class:`~hmlm_sb.network.Network` (or a store selection) as a PyG ``HeteroData``.

Layout (see docs/tensors.md for the full reference):

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

import math
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hmlm_sb.data.topology import topology_prior
from hmlm_sb.errors import InputError
from hmlm_sb.logic import And, Expr, Literal, Not, Or
from hmlm_sb.network import NETFLUX_DEFAULTS, Network, Reaction, element_uid

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData

    from hmlm_sb.store.base import GraphStore

SPECIES_FEATURES = ["initial", "ymax", "tau", "max_level", "is_input", "constant", "boundary"]
REGULATION_ATTRS = ["weight", "n", "ec50", "and_arity"]
PRIOR_ATTRS = ["hops", "sign"]
SIGN_RELATIONS = {1: "activates", -1: "inhibits", 0: "regulates"}
UNASSIGNED_PATHWAY = "(unassigned)"
IMPLICIT_CELL = "(cell)"
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
    import torch
    from torch_geometric.data import HeteroData

    data = HeteroData()
    species_ids = list(network.species)
    species_pos = {sid: i for i, sid in enumerate(species_ids)}
    _species_nodes(data, network, species_ids)
    pathway_ids, membership = _pathway_membership(network, species_pos)
    _pathway_and_cell_nodes(data, network, pathway_ids)
    _membership_edges(data, membership, len(species_ids), len(pathway_ids))

    sources, targets, signs, attrs, reaction_index, reaction_ids = _regulation_arrays(network, species_pos)
    for sign, relation in SIGN_RELATIONS.items():
        keep = signs == sign
        store = data["species", relation, "species"]
        store.edge_index = torch.from_numpy(np.stack([sources[keep], targets[keep]]))
        store.edge_attr = torch.from_numpy(attrs[keep])
        store.reaction = torch.from_numpy(reaction_index[keep])
    data.reaction_ids = reaction_ids
    data.reaction_uids = _uids(network, reaction_ids)
    data.regulation_attr_names = list(REGULATION_ATTRS)

    prior = topology_prior(np.stack([sources, targets]), signs, len(species_ids), max_hops=max_hops)
    prior_store = data["species", "prior", "species"]
    prior_store.edge_index = torch.from_numpy(prior.edge_index)
    prior_store.edge_attr = torch.from_numpy(np.stack([prior.hops, prior.sign], axis=1).astype(np.float32))
    data.prior_attr_names = list(PRIOR_ATTRS)
    data.max_hops = max_hops
    if len(species_ids) <= dense_limit:
        hops, sign = prior.dense()
        data.prior_hops = torch.from_numpy(hops)
        data.prior_sign = torch.from_numpy(sign)
    data.model_ids = [m.id for m in network.models]
    data.fingerprint = network.fingerprint()
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
def _uids(network: Network, local_ids: list[str]) -> list[str]:
    """Graph keys: ``model/local`` for a single-model network; otherwise ids are uids already."""
    if len(network.models) != 1:
        return list(local_ids)
    mid = network.models[0].id
    prefix = element_uid(mid, "")
    return [i if i.startswith(prefix) else element_uid(mid, i) for i in local_ids]


def _species_nodes(data: "HeteroData", network: Network, species_ids: list[str]) -> None:
    import torch

    inputs = set(network.input_species())
    rows = [(sp.initial, sp.ymax, sp.tau, sp.max_level, sid in inputs, sp.constant, sp.boundary)
            for sid, sp in network.species.items()]
    x = np.array(rows, dtype=np.float32).reshape(len(species_ids), len(SPECIES_FEATURES))
    store = data["species"]
    store.x = torch.from_numpy(x)
    store.num_nodes = len(species_ids)
    store.ids = species_ids
    store.uids = _uids(network, species_ids)
    store.names = [sp.name or sid for sid, sp in network.species.items()]
    store.feature_names = list(SPECIES_FEATURES)


def _pathway_membership(network: Network, species_pos: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """Pathway ids (plus the unassigned one when needed) and (2, M) species/pathway pairs."""
    pathway_ids = list(network.pathways)
    pairs: dict[tuple[int, int], None] = {}
    for p, pathway in enumerate(network.pathways.values()):
        for sid in pathway.members:
            if sid in species_pos:
                pairs.setdefault((species_pos[sid], p), None)
    assigned = np.zeros(len(species_pos), dtype=bool)
    members = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    assigned[members[:, 0]] = True
    orphans = np.flatnonzero(~assigned)
    if orphans.size:
        extra = np.stack([orphans, np.full(orphans.size, len(pathway_ids))], axis=1)
        members = np.concatenate([members, extra])
        pathway_ids.append(UNASSIGNED_PATHWAY)
    return pathway_ids, members.T.copy()


def _pathway_and_cell_nodes(data: "HeteroData", network: Network, pathway_ids: list[str]) -> None:
    known = [pid for pid in pathway_ids if pid in network.pathways]
    store = data["pathway"]
    store.num_nodes = len(pathway_ids)
    store.ids = pathway_ids
    store.uids = _uids(network, known) + [UNASSIGNED_PATHWAY] * (len(pathway_ids) - len(known))
    store.names = [(network.pathways[p].name or p) if p in network.pathways else p for p in pathway_ids]
    import torch

    store.unassigned = torch.tensor([pid not in network.pathways for pid in pathway_ids], dtype=torch.bool)
    cell = data["cell"]
    cell.num_nodes = 1
    cell.ids = [network.cell.name if network.cell else IMPLICIT_CELL]
    cell.uids = list(cell.ids)
    cell.implicit = torch.tensor([network.cell is None])


def _membership_edges(data: "HeteroData", membership: np.ndarray, n_species: int, n_pathways: int) -> None:
    import torch

    species_in = torch.from_numpy(membership)
    data["species", "in", "pathway"].edge_index = species_in
    data["pathway", "has", "species"].edge_index = species_in.flip(0)
    pathway_in = torch.stack([torch.arange(n_pathways), torch.zeros(n_pathways, dtype=torch.long)])
    data["pathway", "in", "cell"].edge_index = pathway_in
    data["cell", "has", "pathway"].edge_index = pathway_in.flip(0)
    data.species_to_pathway = _sparse_assignment(species_in, (n_species, n_pathways))
    data.pathway_to_cell = _sparse_assignment(pathway_in, (n_pathways, 1))


def _sparse_assignment(pairs: "torch.Tensor", shape: tuple[int, int]) -> "torch.Tensor":  # noqa: F821
    import torch

    values = torch.ones(pairs.shape[1], dtype=torch.float32)
    return torch.sparse_coo_tensor(pairs, values, shape, check_invariants=True).coalesce()


# ---- regulation ----------------------------------------------------------------------------
def _regulation_arrays(network: Network, species_pos: dict[str, int]):
    """Sources, targets, signs, (E, 4) attributes, reaction index per edge, reaction ids."""
    reaction_ids = list(network.reactions)
    reaction_pos = {rid: i for i, rid in enumerate(reaction_ids)}
    arity = {rid: _and_arity(rxn) for rid, rxn in network.reactions.items()}
    regs = network.regulations()
    count = len(regs)
    stray = next((r for r in regs if r.source not in species_pos or r.target not in species_pos), None)
    if stray is not None:
        missing = stray.source if stray.source not in species_pos else stray.target
        raise InputError(f"refers to species {missing!r}, which is not in the network",
                         element=f"reaction {stray.reaction}")
    sources = np.fromiter((species_pos[r.source] for r in regs), dtype=np.int64, count=count)
    targets = np.fromiter((species_pos[r.target] for r in regs), dtype=np.int64, count=count)
    signs = np.fromiter((r.sign for r in regs), dtype=np.int64, count=count)
    reaction_index = np.fromiter((reaction_pos[r.reaction] for r in regs), dtype=np.int64, count=count)
    params = np.array([_reaction_params(rxn) for rxn in network.reactions.values()],
                      dtype=np.float32).reshape(len(reaction_ids), 3)
    and_arity = np.fromiter((arity[r.reaction].get(r.source, 1) for r in regs), dtype=np.float32, count=count)
    attrs = np.concatenate([params[reaction_index], and_arity[:, None]], axis=1)
    return sources, targets, signs, attrs, reaction_index, reaction_ids


def _reaction_params(rxn: Reaction) -> tuple[float, float, float]:
    return tuple(float(rxn.params.get(key, NETFLUX_DEFAULTS[key])) for key in ("weight", "n", "ec50"))


def _and_arity(rxn: Reaction) -> dict[str, int]:
    """Per source species: how many terms its innermost AND joins (1: it acts alone).

    Reactions without a rule (SBML core) need all their sources: arity = their number.
    """
    if not rxn.function_terms:
        sources = {p.species for p in rxn.sources()}
        return {s: len(sources) for s in sources}
    arity: dict[str, int] = {}
    for _, expr in rxn.function_terms:
        _walk_arity(expr, 1, arity)
    return arity


def _walk_arity(expr: Expr, current: int, out: dict[str, int]) -> None:
    if isinstance(expr, Literal):
        out[expr.species] = min(out.get(expr.species, math.inf), current)
    elif isinstance(expr, Not):
        _walk_arity(expr.term, current, out)
    elif isinstance(expr, And):
        for term in expr.terms:
            _walk_arity(term, len(expr.terms), out)
    elif isinstance(expr, Or):
        for term in expr.terms:
            _walk_arity(term, current, out)
