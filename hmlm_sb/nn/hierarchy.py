"""The learned correction of the hybrid ODE: sparse attention over candidate sources,
with optional pathway and cell scales, and the dense-MLP correction it is compared with.

Molecular scale (:class:`SparseSourceAttention`): one token per species built from its own
state (``y``, ``y * inhibit``, the backbone's pull, the stimulus on it, its knockdown) plus
a learned species embedding. Target ``i`` reads only its candidate sources ``cand[i]``
(every species, or those within k hops of the prior; a padded (S, K) table gathered
sparsely, so cost is linear in species + candidate edges). Attention weights are
**sparsemax** over the candidates plus a learned *null* source that carries no value, so a
target can read nothing, and most weights are exactly zero. Values are linear maps of the
source's own token, so ``attention[i, j] * value_j`` is the part of target i's message that
comes from source j. No topology bias: known edges get no extra mass.

Pathway scale: species tokens averaged into pathway tokens by membership, softmax
self-attention between pathways, broadcast back to members. Cell scale: the mean token,
broadcast to every species. Both optional (``scales``), for the ablations of docs/hmlm.md.

Attention convention: ``[i, j]`` is j acting on i, as
:meth:`hmlm_sb.models.base.DynamicsModel.crosstalk` wants.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

SCALES = ("species", "pathway", "cell")
PAD_LOGIT = -1e4
CHECKPOINT_PAIRS = 100_000  # candidate pairs above which the attention is recomputed in backward
TOKEN_FEATURES = 5  # y, y * inhibit, pull, drive, knockdown


def sparsemax(logits: torch.Tensor, dim: int = -1, bisections: int = 10, refinements: int = 3) -> torch.Tensor:
    """Euclidean projection of ``logits`` onto the simplex along ``dim`` (Martins & Astudillo
    2016): like softmax, but most entries are exactly zero.

    The threshold tau (``sum(max(z - tau, 0)) = 1``) is found without autograd and without
    sorting (slow on CPU): bisection brackets it from below, then Michelot's fixed point
    ``tau <- (sum(z > tau) - 1) / #(z > tau)`` climbs to it (monotone, exact once the
    support is found). tau is recomputed from the support with autograd, so values and
    gradients are those of sparsemax."""
    z = logits.transpose(dim, -1)
    with torch.no_grad():
        hi = z.max(dim=-1, keepdim=True).values
        lo = hi - 1
        for _ in range(bisections):
            mid = (lo + hi) / 2
            enough = (z - mid).clamp(min=0).sum(dim=-1, keepdim=True) >= 1
            lo = torch.where(enough, mid, lo)
            hi = torch.where(enough, hi, mid)
        for _ in range(refinements):
            support = (z > lo).to(z.dtype)
            lo = ((z * support).sum(dim=-1, keepdim=True) - 1) / support.sum(dim=-1, keepdim=True)
        support = (z > lo).to(z.dtype)
    tau = ((z * support).sum(dim=-1, keepdim=True) - 1) / support.sum(dim=-1, keepdim=True).clamp(min=1)
    return torch.clamp(z - tau, min=0).transpose(dim, -1)


def parse_scales(scales: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """"species,pathway,cell" (or a sequence) -> checked tuple; "" or "none" = no attention."""
    items = [s.strip() for s in scales.split(",")] if isinstance(scales, str) else list(scales)
    items = [s for s in items if s and s != "none"]
    unknown = [s for s in items if s not in SCALES]
    if unknown:
        raise ValueError(f"unknown scale(s) {', '.join(unknown)}; known: {', '.join(SCALES)}")
    return tuple(s for s in SCALES if s in items)


def candidate_table(edge_index: np.ndarray, n_species: int, hops: int | None,
                    limit: int | None = None) -> np.ndarray:
    """(S, K) candidate sources per target, padded with ``n_species``; ``hops`` None = every
    other species, else species within ``hops`` steps of the target in the prior graph taken
    as undirected (hidden edges were removed from it, so their sources are often near, not
    adjacent), nearest first, at most ``limit`` per target. A target is never its own
    candidate."""
    if hops is None:
        table = np.array([[j for j in range(n_species) if j != i] for i in range(n_species)], dtype=np.int64)
        return table.reshape(n_species, max(n_species - 1, 0))
    neighbours: list[set[int]] = [set() for _ in range(n_species)]
    for src, dst in edge_index.T:
        if src != dst:
            neighbours[int(dst)].add(int(src))
            neighbours[int(src)].add(int(dst))
    rows = []
    for i in range(n_species):
        reached, frontier, row = {i}, {i}, []
        for _ in range(hops):
            frontier = {j for f in frontier for j in neighbours[f]} - reached
            reached |= frontier
            row += sorted(frontier)
        rows.append(row[:limit] if limit else row)
    width = max([len(r) for r in rows] + [1])
    table = np.full((n_species, width), n_species, dtype=np.int64)
    for i, row in enumerate(rows):
        table[i, :len(row)] = row
    return table


class SparseSourceAttention(nn.Module):
    """Sparsemax attention of each target over its candidate sources and a null source.

    Per head h, target i reads source j with logit ``pair_logit[i, j] + q_i^h k_j^h`` and
    value ``v_j^h``, all scalars read from the tokens: the pair logit (a learned parameter
    per candidate pair, starting at zero) says which sources a target reads, the context
    term modulates it by both states. The message ``sum_j a_ij^h v_j^h`` is a sum of
    per-source terms (attributable). With every species a candidate the logits are one
    outer product; otherwise scalars are gathered per candidate pair (linear in pairs)."""

    def __init__(self, dim: int, heads: int, candidates: np.ndarray, pair_logits: bool = True):
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * heads)
        self.out = nn.Linear(heads, dim)
        self.null_key = nn.Parameter(torch.zeros(heads, 1, 1))
        n_species = candidates.shape[0]
        self.dense = candidates.shape[1] == n_species - 1 and bool((candidates < n_species).all())
        if self.dense:  # column 0 the null source, column 1 + j species j; no self-reading
            table = np.concatenate([np.full((n_species, 1), n_species), np.tile(np.arange(n_species), (n_species, 1))],
                                   axis=1)
            padding = np.concatenate([np.zeros((n_species, 1), dtype=bool), np.eye(n_species, dtype=bool)], axis=1)
        else:  # column 0 the null source; padding (index n_species + 1) gets PAD_LOGIT
            table = np.concatenate([np.full((n_species, 1), n_species, dtype=np.int64),
                                    np.where(candidates >= n_species, n_species + 1, candidates)], axis=1)
            padding = table == n_species + 1
        self.register_buffer("table", torch.as_tensor(table, dtype=torch.int64))
        self.register_buffer("padding", torch.as_tensor(padding))
        self.pair_logit = nn.Parameter(torch.zeros(table.shape, dtype=torch.float32)) if pair_logits else None

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens (B, S, d) -> (updated tokens, attention (B, H, S, 1 + K) over ``table``'s columns)."""
        b, s, _ = tokens.shape
        q, k, v = self.qkv(self.norm(tokens)).view(b, s, 3, self.heads).permute(2, 0, 3, 1)  # each (B, H, S)
        q = q.unsqueeze(-1)
        null = q * self.null_key
        if self.dense:
            logits = torch.cat([null, q * k.unsqueeze(-2)], dim=-1)
            attn = sparsemax(self._masked(logits), dim=-1)
            message = (attn[..., 1:] @ v.unsqueeze(-1)).squeeze(-1)
        else:
            index = self.table[:, 1:]
            k = torch.cat([k, torch.zeros_like(k[..., :2])], dim=-1)  # null and padding slots
            v = torch.cat([v, torch.zeros_like(v[..., :2])], dim=-1)
            logits = torch.cat([null, q * k[..., index]], dim=-1)
            attn = sparsemax(self._masked(logits), dim=-1)
            message = (attn[..., 1:] * v[..., index]).sum(-1)
        return tokens + self.out(message.transpose(1, 2)), attn

    def _masked(self, logits: torch.Tensor) -> torch.Tensor:
        if self.pair_logit is not None:
            logits = logits + self.pair_logit
        return logits.masked_fill(self.padding, PAD_LOGIT)


class PathwayScale(nn.Module):
    """Membership-mean pathway tokens, softmax attention between pathways, broadcast back."""

    def __init__(self, dim: int, heads: int, membership: np.ndarray):
        super().__init__()
        weights = membership.astype(np.float32)
        self.register_buffer("pool", torch.as_tensor((weights / weights.sum(axis=0, keepdims=True).clip(1)).T))
        self.register_buffer("spread", torch.as_tensor(weights / weights.sum(axis=1, keepdims=True).clip(1)))
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.back = nn.Linear(dim, dim)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pathways = self.pool @ tokens  # (B, P, d)
        x = self.norm(pathways)
        mixed, attn = self.attention(x, x, x, need_weights=True)
        return tokens + self.back(self.spread @ (pathways + mixed)), attn


class CellScale(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.back = nn.Linear(dim, dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens + self.back(self.norm(tokens.mean(dim=1, keepdim=True)))


class HierarchicalCorrection(nn.Module):
    """The correction g(features) -> (B, S) of the HMLM.

    ``candidates`` (S, K) source table (padded with S); ``membership`` (S, P) bool, every
    species in at least one pathway; ``scales`` the subset of :data:`SCALES` used (none = a
    per-species correction of its own features only)."""

    def __init__(self, candidates: np.ndarray, membership: np.ndarray, *, dim: int = 16, heads: int = 4,
                 layers: int = 1, scales: tuple[str, ...] = SCALES, token_features: int = TOKEN_FEATURES,
                 pair_logits: bool = True):
        super().__init__()
        n_species = membership.shape[0]
        self.scales = tuple(scales)
        self.embed = nn.Parameter(torch.randn(n_species, dim) * 0.1)
        self.read_in = nn.Sequential(nn.Linear(token_features, dim), nn.GELU(), nn.Linear(dim, dim))
        n_layers = layers if "species" in self.scales else 0
        self.molecular = nn.ModuleList(SparseSourceAttention(dim, heads, candidates, pair_logits) for _ in range(n_layers))
        self.pathway = PathwayScale(dim, heads, membership) if "pathway" in self.scales else None
        self.cell = CellScale(dim) if "cell" in self.scales else None
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, 1))
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)
        # a learned basal shift per species: the part of the correction that needs no context
        self.species_shift = nn.Parameter(torch.zeros(n_species))
        self.n_species = n_species
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
            if tokens.requires_grad and layer.table.numel() > CHECKPOINT_PAIRS:
                # recompute in the backward pass: memory per integrator step stays O(S * d)
                tokens, attn = checkpoint(layer, tokens, use_reentrant=False)
            else:
                tokens, attn = layer(tokens)
            species_attn.append(attn)
        pathway_attn = None
        if self.pathway is not None:
            tokens, pathway_attn = self.pathway(tokens)
        if self.cell is not None:
            tokens = self.cell(tokens)
        if self.recording:
            self._record(species_attn, pathway_attn)
        return self.head(tokens).squeeze(-1) + self.species_shift

    def dense_attention(self, attn: torch.Tensor) -> torch.Tensor:
        """(B, H, S, 1+K) attention of one layer -> dense (B, S, S) mean over heads, null dropped."""
        layer = self.molecular[0]
        b = attn.shape[0]
        s = self.n_species
        dense = torch.zeros(b, s, s + 2, dtype=attn.dtype)
        index = layer.table.unsqueeze(0).expand(b, -1, -1)
        dense.scatter_add_(2, index, attn.mean(dim=1))
        return dense[:, :, :s]

    def _record(self, species_attn: list[torch.Tensor], pathway_attn: torch.Tensor | None) -> None:
        if species_attn:
            dense = torch.stack([self.dense_attention(a.detach()) for a in species_attn]).mean(dim=0)
            self.species_attention_sum = dense if self.species_attention_sum is None \
                else self.species_attention_sum + dense
        if pathway_attn is not None:
            pw = pathway_attn.detach()
            self.pathway_attention_sum = pw if self.pathway_attention_sum is None else self.pathway_attention_sum + pw
        self.records += 1


class DenseMLPCorrection(nn.Module):
    """The correction of a standard universal differential equation: one dense MLP from the
    whole state, the stimuli and the perturbations to a shift of every species."""

    def __init__(self, n_species: int, n_inputs: int, *, hidden: int = 64, depth: int = 2):
        super().__init__()
        layers: list[nn.Module] = []
        width = 3 * n_species + n_inputs
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.GELU()]
            width = hidden
        last = nn.Linear(width, n_species)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.net = nn.Sequential(*layers, last)
        self.species_shift = nn.Parameter(torch.zeros(n_species))

    def forward(self, y: torch.Tensor, stimuli: torch.Tensor, inhibit: torch.Tensor,
                knockdown: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([y, inhibit, knockdown, stimuli], dim=-1)) + self.species_shift
