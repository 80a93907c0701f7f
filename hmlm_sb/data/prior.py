"""The hierarchical prior of a network, built once: what every model and the export read.

:class:`NetworkPrior` is a typed, numpy-only view of the tensors ``hmlm export pyg``
writes (:func:`hmlm_sb.data.hetero.network_to_hetero` turns it into a ``HeteroData``):

- species order, ids, graph uids and names, per-species features;
- inputs (input reaction ids) and the input-to-species matrix; perturbation targets
  (every species can be inhibited or knocked down; inputs are set by stimuli instead);
- signed regulation edges (PyG style: row 0 source, row 1 target) with their reaction
  and the reaction's parameters (weight, n, ec50, and_arity);
- pathway memberships with the extra ``(unassigned)`` pathway for species in none;
  pathway-to-cell assignment (one cell; ``(cell)`` when the network names none);
- hop classes: the signed shortest-path topology prior (:mod:`hmlm_sb.data.topology`).

Dense matrices follow :meth:`hmlm_sb.models.base.DynamicsModel.crosstalk`: ``[i, j]`` is
j acting on i. Build it with :func:`build_prior`; ``species`` and ``inputs`` give the
order of a dataset (species the network lacks get no edges and the unassigned pathway).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from hmlm_sb.data.topology import TopologyPrior, topology_prior
from hmlm_sb.errors import InputError
from hmlm_sb.logic import And, Expr, Literal, Not, Or
from hmlm_sb.network import NETFLUX_DEFAULTS, Network, Reaction, element_uid

SPECIES_FEATURES = ["initial", "ymax", "tau", "max_level", "is_input", "constant", "boundary"]
REGULATION_ATTRS = ["weight", "n", "ec50", "and_arity"]
UNASSIGNED_PATHWAY = "(unassigned)"
IMPLICIT_CELL = "(cell)"


def uid_of(network: Network, model: str, local_id: str) -> str:
    """The graph key of an element of ``network``: ``model/local`` unless the id is one
    already (a network of several models keeps ``model/local`` ids)."""
    model = model or (network.models[0].id if len(network.models) == 1 else "")
    if not model or local_id.startswith(f"{model}/"):
        return local_id
    return element_uid(model, local_id)


def species_uid(network: Network, species_id: str) -> str:
    return uid_of(network, network.species[species_id].model, species_id)


def reaction_uid(network: Network, reaction_id: str) -> str:
    return uid_of(network, network.reactions[reaction_id].model, reaction_id)


def pathway_uid(network: Network, pathway_id: str) -> str:
    return uid_of(network, network.pathways[pathway_id].model, pathway_id)


@dataclass
class NetworkPrior:
    """The prior of one network over a species order (see the module docstring)."""

    species: list[str]
    species_uids: list[str]
    species_names: list[str]
    species_x: np.ndarray  # (S, len(SPECIES_FEATURES)) float32
    in_network: np.ndarray  # (S,) bool: the species is one of the network's
    inputs: list[str]  # input reaction ids (stimulus columns)
    input_matrix: np.ndarray  # (I, S) 1 where input i drives species s
    edge_index: np.ndarray  # (2, E) source, target species positions
    edge_sign: np.ndarray  # (E,) +1 / -1 / 0 (unknown)
    edge_reaction: np.ndarray  # (E,) index into reaction_ids
    edge_attr: np.ndarray  # (E, len(REGULATION_ATTRS)) float32
    reaction_ids: list[str]
    reaction_uids: list[str]
    pathways: list[str]  # ids, the unassigned pathway last when present
    pathway_uids: list[str]
    pathway_names: list[str]
    pathway_unassigned: np.ndarray  # (P,) bool
    membership: np.ndarray  # (2, M) species, pathway positions
    cell: str
    cell_implicit: bool
    model_ids: list[str]
    fingerprint: str
    max_hops: int = 3
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ---- dense views ---------------------------------------------------------------------
    @property
    def n_species(self) -> int:
        return len(self.species)

    def adjacency(self, signed: bool = False) -> np.ndarray:
        """(S, S) ``[target, source]``: 1 (or the sign, unknown counted +1) per prior edge."""
        adj = np.zeros((self.n_species, self.n_species))
        value = np.where(self.edge_sign == 0, 1, self.edge_sign) if signed else np.ones(len(self.edge_sign))
        adj[self.edge_index[1], self.edge_index[0]] = value
        return adj

    def unique_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (source, target) pairs (2, E') ordered by target then source, and their
        sign (the last edge's sign where parallel edges disagree; unknown counted +1)."""
        source, target = self.edge_index
        keys = target * max(self.n_species, 1) + source
        # the last of parallel edges wins, as in adjacency(): unique over the reversed list
        unique, first_from_end = np.unique(keys[::-1], return_index=True)
        last = len(keys) - 1 - first_from_end
        sign = np.where(self.edge_sign[last] == 0, 1, self.edge_sign[last])
        return np.vstack([source[last], target[last]]).astype(np.int64), np.sign(sign).astype(np.int64)

    def membership_matrix(self, drop_empty: bool = False, unassigned: bool = True) -> np.ndarray:
        """(S, P) 0/1 species-in-pathway (columns ``pathways``); ``drop_empty`` keeps only
        pathways with a member (then columns are :meth:`nonempty_pathways`), ``unassigned``
        False drops the ``(unassigned)`` column."""
        out = np.zeros((self.n_species, len(self.pathways)))
        out[self.membership[0], self.membership[1]] = 1.0
        keep = (out.any(axis=0) if drop_empty else np.ones(len(self.pathways), dtype=bool))
        return out[:, keep & (unassigned | ~self.pathway_unassigned)]

    def nonempty_pathways(self, unassigned: bool = True) -> list[str]:
        used = set(self.membership[1].tolist())
        return [p for k, p in enumerate(self.pathways)
                if k in used and (unassigned or not self.pathway_unassigned[k])]

    def pathway_means(self) -> np.ndarray:
        """(S, P') weights averaging each non-empty pathway's members."""
        weights = self.membership_matrix(drop_empty=True)
        return weights / np.maximum(weights.sum(axis=0, keepdims=True), 1.0)

    @property
    def pathway_to_cell(self) -> np.ndarray:
        """(P, 1): every pathway belongs to the one cell."""
        return np.ones((len(self.pathways), 1))

    def output_species(self) -> np.ndarray:
        """Positions of species that regulate nothing (the network's outputs); all if none."""
        sources = set(self.edge_index[0].tolist())
        out = np.array([i for i in range(self.n_species) if i not in sources], dtype=np.int64)
        return out if len(out) else np.arange(self.n_species)

    @property
    def perturbable(self) -> np.ndarray:
        """(S,) bool: species an inhibitor or knockdown may target (those of the network)."""
        return self.in_network.copy()

    @property
    def topology(self) -> TopologyPrior:
        """Signed shortest paths up to ``max_hops`` (computed once)."""
        if "topology" not in self._cache:
            self._cache["topology"] = topology_prior(self.edge_index, self.edge_sign, self.n_species,
                                                     max_hops=self.max_hops)
        return self._cache["topology"]

    def hops(self) -> np.ndarray:
        """Dense (S, S) int8 hop classes ``[target, source]`` (0: no path within max_hops)."""
        return self.topology.dense()[0]


def build_prior(network: Network, species: Sequence[str] | None = None, inputs: Sequence[str] | None = None,
                *, max_hops: int = 3, strict: bool = True) -> NetworkPrior:
    """The prior of ``network`` over ``species`` (default: the network's order) and stimulus
    ``inputs`` (default: the network's input reactions). ``strict``: a regulation naming a
    species the network lacks is an InputError (as on export); else it is dropped."""
    species = list(network.species) if species is None else list(species)
    inputs = [r.id for r in network.input_reactions()] if inputs is None else list(inputs)
    pos = {sid: i for i, sid in enumerate(species)}
    in_network = np.array([s in network.species for s in species], dtype=bool)
    edge_index, edge_sign, edge_reaction, edge_attr, reaction_ids = _regulation_arrays(network, pos, strict)
    pathways, membership = _pathway_membership(network, pos)
    known_pathways = [p for p in pathways if p in network.pathways]
    return NetworkPrior(
        species=species,
        species_uids=[species_uid(network, s) if s in network.species else s for s in species],
        species_names=[(network.species[s].name or s) if s in network.species else s for s in species],
        species_x=_species_features(network, species),
        in_network=in_network,
        inputs=inputs,
        input_matrix=input_matrix(network, inputs, pos),
        edge_index=edge_index, edge_sign=edge_sign, edge_reaction=edge_reaction, edge_attr=edge_attr,
        reaction_ids=reaction_ids, reaction_uids=[reaction_uid(network, r) for r in reaction_ids],
        pathways=pathways,
        pathway_uids=[pathway_uid(network, p) for p in known_pathways]
        + [UNASSIGNED_PATHWAY] * (len(pathways) - len(known_pathways)),
        pathway_names=[(network.pathways[p].name or p) if p in network.pathways else p for p in pathways],
        pathway_unassigned=np.array([p not in network.pathways for p in pathways], dtype=bool),
        membership=membership,
        cell=network.cell.name if network.cell else IMPLICIT_CELL, cell_implicit=network.cell is None,
        model_ids=[m.id for m in network.models], fingerprint=network.fingerprint(), max_hops=max_hops,
    )


# ---- pieces ------------------------------------------------------------------------------------
def input_matrix(network: Network, inputs: Sequence[str], pos: dict[str, int]) -> np.ndarray:
    """(I, S): 1 where input reaction i produces species s (unknown reactions: a zero row)."""
    out = np.zeros((len(inputs), len(pos)))
    for i, rid in enumerate(inputs):
        rxn = network.reactions.get(rid)
        for tgt in rxn.targets() if rxn is not None else []:
            if tgt.species in pos:
                out[i, pos[tgt.species]] = 1.0
    return out


def _species_features(network: Network, species: list[str]) -> np.ndarray:
    inputs = set(network.input_species())
    rows = []
    for sid in species:
        sp = network.species.get(sid)
        rows.append((sp.initial, sp.ymax, sp.tau, sp.max_level, sid in inputs, sp.constant, sp.boundary)
                    if sp is not None else (0.0, 1.0, 1.0, 1, False, False, False))
    return np.array(rows, dtype=np.float32).reshape(len(species), len(SPECIES_FEATURES))


def _pathway_membership(network: Network, pos: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """Pathway ids (plus the unassigned one when needed) and (2, M) species/pathway pairs."""
    pathway_ids = list(network.pathways)
    pairs: dict[tuple[int, int], None] = {}
    for p, pathway in enumerate(network.pathways.values()):
        for sid in pathway.members:
            if sid in pos:
                pairs.setdefault((pos[sid], p), None)
    members = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    assigned = np.zeros(len(pos), dtype=bool)
    assigned[members[:, 0]] = True
    orphans = np.flatnonzero(~assigned)
    if orphans.size:
        extra = np.stack([orphans, np.full(orphans.size, len(pathway_ids))], axis=1)
        members = np.concatenate([members, extra])
        pathway_ids.append(UNASSIGNED_PATHWAY)
    return pathway_ids, members.T.copy()


def _regulation_arrays(network: Network, pos: dict[str, int], strict: bool):
    """(2, E) edges, signs, reaction index, (E, 4) attributes, reaction ids."""
    reaction_ids = list(network.reactions)
    reaction_pos = {rid: i for i, rid in enumerate(reaction_ids)}
    regs = network.regulations()
    if strict:
        stray = next((r for r in regs if r.source not in network.species or r.target not in network.species), None)
        if stray is not None:
            missing = stray.source if stray.source not in network.species else stray.target
            raise InputError(f"refers to species {missing!r}, which is not in the network",
                             element=f"reaction {stray.reaction}")
    regs = [r for r in regs if r.source in pos and r.target in pos]
    count = len(regs)
    sources = np.fromiter((pos[r.source] for r in regs), dtype=np.int64, count=count)
    targets = np.fromiter((pos[r.target] for r in regs), dtype=np.int64, count=count)
    signs = np.fromiter((r.sign for r in regs), dtype=np.int64, count=count)
    reaction_index = np.fromiter((reaction_pos[r.reaction] for r in regs), dtype=np.int64, count=count)
    params = np.array([_reaction_params(rxn) for rxn in network.reactions.values()],
                      dtype=np.float32).reshape(len(reaction_ids), 3)
    arity = {rid: _and_arity(rxn) for rid, rxn in network.reactions.items()}
    and_arity = np.fromiter((arity[r.reaction].get(r.source, 1) for r in regs), dtype=np.float32, count=count)
    attrs = np.concatenate([params[reaction_index], and_arity[:, None]], axis=1)
    return np.stack([sources, targets]), signs, reaction_index, attrs, reaction_ids


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
