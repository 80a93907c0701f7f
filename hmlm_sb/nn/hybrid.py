"""Backbone ODE plus a learned correction, integrated by exponential time differencing.

The same hybrid serves the HMLM (sparse attention correction,
:class:`hmlm_sb.nn.hierarchy.HierarchicalCorrection`) and ``ude-mlp`` (a dense MLP,
:class:`hmlm_sb.nn.hierarchy.DenseMLPCorrection`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hmlm_sb.data.prior import build_prior
from hmlm_sb.network import Network
from hmlm_sb.nn.hierarchy import SCALES, DenseMLPCorrection, HierarchicalCorrection, candidate_table
from hmlm_sb.nn.netflux import CompiledNetwork, NetfluxRHS, compile_network, etd_solve, hermite

ALL_CANDIDATES_UP_TO = 200  # "auto" candidates: every species up to this size, else 2 hops (300 species:
# every species costs 1.4 s per epoch and 2 GB, as much as 1,000 species on 2 hops)
MAX_CANDIDATES = 64  # per target, nearest first, when candidates are k hops


@dataclass
class Perturbation:
    """A batch of conditions as the hybrid sees them: stimuli (B, I), inhibit and knockdown (B, S)."""

    stimuli: torch.Tensor
    inhibit: torch.Tensor
    knockdown: torch.Tensor

    @classmethod
    def of(cls, stimuli, inhibit=None, knockdown=None, n_species: int = 0) -> "Perturbation":
        stim = torch.as_tensor(np.asarray(stimuli, dtype=np.float32))
        ones = np.ones((stim.shape[0], n_species), dtype=np.float32)

        def table(x) -> torch.Tensor:
            return torch.as_tensor(np.asarray(ones if x is None else x, dtype=np.float32).reshape(ones.shape))

        return cls(stim, table(inhibit), table(knockdown))

    @property
    def inhibited(self) -> bool:
        return bool((self.inhibit != 1).any())


class HybridODE(nn.Module):
    """dy/dt = (knockdown * (ymax * OR(prior rules on y * inhibit) + correction) - y) / tau.

    The attention correction reads, per species, its state, its state as its targets read
    it (``y * inhibit``), the backbone's pull ``target - y``, the stimulus on it and its
    knockdown; the MLP correction reads the whole state, stimuli and perturbations. The
    correction shifts the species' target activity (``shift_units="activity"``) or is added
    to dy/dt (``"rate"``)."""

    def __init__(self, compiled: CompiledNetwork, correction: nn.Module | None, stimulus_to_species: np.ndarray):
        super().__init__()
        self.backbone = NetfluxRHS(compiled)
        self.correction = correction
        self.register_buffer("stimulus_to_species", torch.tensor(stimulus_to_species, dtype=torch.float32))

    # ---- the vector field ---------------------------------------------------------------------
    def field(self, cond: Perturbation, learned: bool = True):
        """(production(y) = rate * target(y), correction(y) in its own units or None, rate);
        ``learned=False``: the backbone alone (no correction)."""
        weights = self.backbone.reaction_weights(cond.stimuli)
        activity = self.backbone.bind(weights, cond.inhibit if cond.inhibited else None)
        ymax = self.backbone.ymax_for(cond.knockdown)
        rate = self.backbone.rate()
        drive = cond.stimuli @ self.stimulus_to_species

        def target(y: torch.Tensor) -> torch.Tensor:
            return ymax * activity(y)

        step = None
        if learned and isinstance(self.correction, HierarchicalCorrection):
            step = self.correction.bind(torch.stack([drive, cond.knockdown, cond.inhibit], dim=-1))

        def correction(y: torch.Tensor) -> torch.Tensor:  # a knocked-down species' whole target shrinks
            if step is None:
                return cond.knockdown * self.correction(y, cond.stimuli, cond.inhibit, cond.knockdown)
            features = torch.stack([y, y * cond.inhibit, target(y) - y, drive, cond.knockdown], dim=-1)
            return cond.knockdown * step(features)

        return (lambda y: rate * target(y)), (correction if self.correction is not None and learned else None), rate

    def rate_of_change(self, y: torch.Tensor, cond: Perturbation, part: str = "full",
                       shift_units: str = "activity") -> torch.Tensor:
        """dy/dt (``part="full"``) or its learned part (``"correction"``) at states y (B, S)."""
        if part not in ("full", "correction"):
            raise ValueError(f"part must be 'full' or 'correction', not {part!r}")
        production, correction, rate = self.field(cond)
        learned = torch.zeros_like(y) if correction is None else correction(y)
        if shift_units == "activity":
            learned = rate * learned
        return learned if part == "correction" else production(y) + learned - rate * y

    def simulate(self, y0: torch.Tensor, cond: Perturbation, grid: np.ndarray, times: np.ndarray,
                 iterations: int = 3, shift_units: str = "activity",
                 shift_every_stage: bool = False, learned: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """States (len(times), B, S) at ``times`` from an integration on ``grid``, and the
        mean square of the correction (in its own units) along it; ``learned=False``: of the
        fitted backbone alone."""
        production, correction, rate = self.field(cond, learned)
        squares: list[torch.Tensor] = []

        def shift(y: torch.Tensor) -> torch.Tensor:
            out = correction(y)
            squares.append((out ** 2).mean())
            return rate * out if shift_units == "activity" else out

        states, slopes = etd_solve(production, shift if correction is not None else None, rate, y0, grid,
                                   iterations, shift_every_stage)
        penalty = torch.stack(squares).mean() if squares else torch.zeros(())
        return hermite(grid, states, slopes, times), penalty


# ---- building ----------------------------------------------------------------------------------
def candidate_hops(candidates: str | int, n_species: int) -> int | None:
    """"all" -> None (every species), an int or "2" -> hops, "auto" -> all up to
    :data:`ALL_CANDIDATES_UP_TO` species, else 2 hops."""
    if candidates == "auto":
        return None if n_species <= ALL_CANDIDATES_UP_TO else 2
    if candidates == "all":
        return None
    hops = int(candidates)
    if hops < 1:
        raise ValueError(f"candidate hops must be >= 1, got {candidates!r}")
    return hops


def build_hybrid(prior: Network, species: list[str], inputs: list[str], *, correction: str = "attention",
                 dim: int = 16, heads: int = 4, layers: int = 1, scales: tuple[str, ...] = SCALES,
                 candidates: str | int = "auto", pair_logits: bool = True, context: str = "state",
                 weighting: str = "sparsemax", values: str = "token", hidden: int = 64, depth: int = 2
                 ) -> tuple[HybridODE, list[str], np.ndarray | None]:
    """(hybrid, pathway names, candidate table or None). ``correction``: "attention", "mlp"
    or "none" (the backbone alone)."""
    compiled = compile_network(prior, species, inputs)
    tensors = build_prior(prior, species, inputs, strict=False)
    member = tensors.membership_matrix(drop_empty=True).astype(bool)
    names = tensors.nonempty_pathways()
    module: nn.Module | None = None
    table = None
    if correction == "attention":
        edge_index, _ = compiled.edges
        table = candidate_table(edge_index, len(species), candidate_hops(candidates, len(species)), MAX_CANDIDATES)
        module = HierarchicalCorrection(table, member, dim=dim, heads=heads, layers=layers, scales=scales,
                                        pair_logits=pair_logits, context=context, weighting=weighting,
                                        values=values)
    elif correction == "mlp":
        module = DenseMLPCorrection(len(species), len(inputs), hidden=hidden, depth=depth)
    elif correction != "none":
        raise ValueError(f"correction must be 'attention', 'mlp' or 'none', not {correction!r}")
    return HybridODE(compiled, module, tensors.input_matrix.astype(np.float32)), names, table
