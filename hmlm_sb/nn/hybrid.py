"""Backbone ODE plus hierarchical attention correction, integrated by exponential time differencing."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hmlm_sb.network import Network
from hmlm_sb.nn.hierarchy import HierarchicalCorrection, hop_classes
from hmlm_sb.nn.netflux import CompiledNetwork, NetfluxRHS, compile_network, etd_solve, hermite

UNASSIGNED_PATHWAY = "(unassigned)"


class HybridODE(nn.Module):
    """dy/dt = (ymax * OR(prior rules) + correction - y) / tau.

    The correction reads, per species, its state, the backbone's pull ``target - y`` and the
    stimulus on it, and shifts the species' target activity (activity units, so species of
    very different tau need corrections of similar size)."""

    def __init__(self, compiled: CompiledNetwork, correction: HierarchicalCorrection | None,
                 stimulus_to_species: np.ndarray):
        super().__init__()
        self.backbone = NetfluxRHS(compiled)
        self.correction = correction
        self.register_buffer("stimulus_to_species", torch.tensor(stimulus_to_species, dtype=torch.float32))

    def simulate(self, y0: torch.Tensor, stimuli: torch.Tensor, grid: np.ndarray, times: np.ndarray,
                 iterations: int = 3, shift_units: str = "activity",
                 shift_every_stage: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """States (len(times), B, S) at ``times`` from an integration on ``grid``, and the
        mean square of the correction along it."""
        weights = self.backbone.reaction_weights(stimuli)
        drive = stimuli @ self.stimulus_to_species  # (B, S)
        rate = self.backbone.rate()
        squares: list[torch.Tensor] = []

        activity = self.backbone.bind(weights)
        ymax = self.backbone.ymax

        def target(y: torch.Tensor) -> torch.Tensor:
            return ymax * activity(y)

        def shift(y: torch.Tensor) -> torch.Tensor:
            out = self.correction(torch.stack([y, target(y) - y, drive], dim=-1))
            squares.append((out ** 2).mean())
            # "activity": a shift of the species' target activity; "rate": added to dy/dt
            return rate * out if shift_units == "activity" else out

        states, slopes = etd_solve(lambda y: rate * target(y), shift if self.correction is not None else None,
                                   rate, y0, grid, iterations, shift_every_stage)
        penalty = torch.stack(squares).mean() if squares else torch.zeros(())
        return hermite(grid, states, slopes, times), penalty


def pathway_membership(prior: Network, species: list[str]) -> tuple[np.ndarray, list[str]]:
    """(S, P) membership by the prior's pathways, an extra pathway for unassigned species."""
    names = [p for p in prior.pathways if any(m in species for m in prior.pathways[p].members)]
    index = {s: i for i, s in enumerate(species)}
    member = np.zeros((len(species), len(names) + 1), dtype=bool)
    for j, pid in enumerate(names):
        for sid in prior.pathways[pid].members:
            if sid in index:
                member[index[sid], j] = True
    orphan = ~member.any(axis=1)
    if orphan.any():
        member[orphan, -1] = True
        names.append(UNASSIGNED_PATHWAY)
    else:
        member = member[:, :-1]
    return member, names


def species_hops(compiled: CompiledNetwork) -> np.ndarray:
    """Dense (S, S) shortest-path hops (0 = none within 3), ``[target, source]``."""
    from hmlm_sb.data.topology import topology_prior

    edge_index, sign = compiled.edges
    hops, _ = topology_prior(edge_index, sign, len(compiled.species)).dense()
    return hops


def pathway_classes(hops: np.ndarray, member: np.ndarray) -> np.ndarray:
    """(P, P) classes between pathways from species paths: best hop between any members."""
    n_p = member.shape[1]
    out = np.zeros((n_p, n_p), dtype=np.int64)
    hop_or_big = np.where(hops > 0, hops, 99)
    for a in range(n_p):
        for b in range(n_p):
            best = hop_or_big[np.ix_(member[:, a], member[:, b])].min(initial=99)
            out[a, b] = best if best < 99 else 0
    return hop_classes(out)


def stimulus_targets(prior: Network, species: list[str], inputs: list[str]) -> np.ndarray:
    """(I, S): 1 where stimulus column i's input reaction produces species s."""
    index = {s: i for i, s in enumerate(species)}
    out = np.zeros((len(inputs), len(species)), dtype=np.float32)
    for i, rid in enumerate(inputs):
        rxn = prior.reactions.get(rid)
        for tgt in rxn.targets() if rxn is not None else []:
            if tgt.species in index:
                out[i, index[tgt.species]] = 1.0
    return out


def build_hybrid(prior: Network, species: list[str], inputs: list[str], *, dim: int, heads: int,
                 layers: int, use_correction: bool = True) -> tuple[HybridODE, list[str]]:
    compiled = compile_network(prior, species, inputs)
    member, names = pathway_membership(prior, species)
    correction = None
    if use_correction:
        hops = species_hops(compiled)
        correction = HierarchicalCorrection(hop_classes(hops), member, dim=dim, heads=heads, layers=layers,
                                            pathway_classes=pathway_classes(hops, member))
    return HybridODE(compiled, correction, stimulus_targets(prior, species, inputs)), names
