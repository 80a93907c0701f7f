"""Hierarchical attention over molecular, pathway and cellular scales.

Molecular scale: one token per species; multi-head self-attention whose logits carry an
additive bias from the topology prior (a learnable value per hop class, initialised
direct > 2-hop > 3-hop > none, times a learnable scale per head), so attention may leave
the known topology where the data say so. Pathway scale: species pooled into pathway
tokens by attention restricted to each pathway's members, then self-attention between
pathways. Cellular scale: pathways pooled into one cell token. Both are broadcast back
down to every species token, and a per-species head reads the result.

Attention convention: row i (query) attends to column j (key), so ``[i, j]`` is j acting
on i, as :meth:`hmlm_sb.models.base.DynamicsModel.crosstalk` wants.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

# hop classes of the dense prior: 0 none, 1 direct, 2 two hops, 3 three hops, 4 self
HOP_CLASSES = 5
HOP_BIAS_INIT = (0.0, 3.0, 2.0, 1.0, 1.5)


def hop_classes(hops: np.ndarray) -> np.ndarray:
    """Dense hop matrix (0 = no path) -> class ids with the diagonal as its own class."""
    classes = np.asarray(hops, dtype=np.int64).clip(0, 3).copy()
    np.fill_diagonal(classes, 4)
    return classes


class PriorBiasedAttention(nn.Module):
    """Multi-head self-attention over tokens (B, N, d) with an additive (N, N) prior bias."""

    def __init__(self, dim: int, heads: int, classes: np.ndarray | None):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * self.heads * self.head_dim)
        self.out = nn.Linear(self.heads * self.head_dim, dim)
        self.norm = nn.LayerNorm(dim)
        if classes is not None:
            self.register_buffer("classes", torch.as_tensor(classes))
            self.class_bias = nn.Parameter(torch.tensor(HOP_BIAS_INIT, dtype=torch.float32))
            self.head_scale = nn.Parameter(torch.ones(heads))
        else:
            self.classes = None

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, _ = tokens.shape
        qkv = self.qkv(self.norm(tokens)).view(b, n, 3, self.heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, H, N, hd)
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        if self.classes is not None:
            bias = self.class_bias[self.classes]  # (N, N)
            logits = logits + self.head_scale.view(1, -1, 1, 1) * bias
        attn = logits.softmax(dim=-1)
        mixed = (attn @ v).transpose(1, 2).reshape(b, n, -1)
        return tokens + self.out(mixed), attn


class AttentionPool(nn.Module):
    """Pool member tokens (B, N, d) into groups (B, G, d) by attention within each group."""

    def __init__(self, dim: int, membership: np.ndarray):
        super().__init__()
        groups = membership.shape[1]
        self.query = nn.Parameter(torch.randn(groups, dim) * 0.1)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.register_buffer("blocked", torch.as_tensor(~membership.T.astype(bool)))  # (G, N)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        logits = torch.einsum("gd,bnd->bgn", self.query, self.key(tokens)) / math.sqrt(tokens.shape[-1])
        logits = logits.masked_fill(self.blocked, float("-inf"))
        return logits.softmax(dim=-1) @ self.value(tokens)


class HierarchicalCorrection(nn.Module):
    """The learned vector-field correction g(y, dy_backbone, stimulus) -> (B, S).

    ``classes`` (S, S) hop classes of the species prior; ``membership`` (S, P) bool species
    in pathways (every species in at least one); ``pathway_classes`` (P, P) or None.
    """

    def __init__(self, classes: np.ndarray, membership: np.ndarray, *, dim: int = 32, heads: int = 4,
                 layers: int = 1, token_features: int = 3, pathway_classes: np.ndarray | None = None):
        super().__init__()
        n_species, n_pathways = membership.shape
        self.embed = nn.Parameter(torch.randn(n_species, dim) * 0.1)
        self.read_in = nn.Linear(token_features, dim)
        self.molecular = nn.ModuleList(PriorBiasedAttention(dim, heads, classes) for _ in range(layers))
        self.to_pathways = AttentionPool(dim, membership)
        self.pathway_attention = PriorBiasedAttention(dim, heads, pathway_classes)
        self.to_cell = AttentionPool(dim, np.ones((n_pathways, 1), dtype=bool))
        weights = membership.astype(np.float32)
        self.register_buffer("broadcast", torch.as_tensor(weights / weights.sum(axis=1, keepdims=True)))
        self.from_pathways = nn.Linear(dim, dim)
        self.from_cell = nn.Linear(dim, dim)
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, 1))
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)
        # a learned basal shift per species: the readout of its embedding that needs no context
        self.species_shift = nn.Parameter(torch.zeros(n_species))
        self.recording = False
        self.reset_record()

    def reset_record(self) -> None:
        self.species_attention_sum: torch.Tensor | None = None
        self.pathway_attention_sum: torch.Tensor | None = None
        self.records = 0

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``features`` (B, S, F) -> correction (B, S)."""
        tokens = self.read_in(features) + self.embed
        species_attn = []
        for layer in self.molecular:
            tokens, attn = layer(tokens)
            species_attn.append(attn)
        pathways, pathway_attn = self.pathway_attention(self.to_pathways(tokens))
        cell = self.to_cell(pathways)  # (B, 1, d)
        tokens = tokens + self.from_pathways(self.broadcast @ pathways) + self.from_cell(cell)
        if self.recording:
            self._record(torch.stack(species_attn).mean(dim=(0, 2)), pathway_attn.mean(dim=1))
        return self.head(tokens).squeeze(-1) + self.species_shift

    def _record(self, species_attn: torch.Tensor, pathway_attn: torch.Tensor) -> None:
        species_attn, pathway_attn = species_attn.detach(), pathway_attn.detach()
        if self.species_attention_sum is None:
            self.species_attention_sum, self.pathway_attention_sum = species_attn, pathway_attn
        else:
            self.species_attention_sum = self.species_attention_sum + species_attn
            self.pathway_attention_sum = self.pathway_attention_sum + pathway_attn
        self.records += 1
