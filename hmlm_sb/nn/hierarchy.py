"""The learned correction of the hybrid ODE: sparse attention over candidate sources,
with optional pathway and cell scales, and the dense-MLP correction it is compared with.

Molecular scale (:class:`SparseSourceAttention`): one token per species built from its own
state (``y``, ``y * inhibit``, the backbone's pull, the stimulus on it, its knockdown) plus
a learned species embedding. Target ``i`` reads only its candidate sources ``cand[i]``
(every species, or those within k hops of the prior; a padded (S, K) table gathered
sparsely, so cost is linear in species + candidate edges). Attention weights are
**sparsemax** over the candidates plus a learned *null* source that carries no value, so a
target can read nothing, and most weights are exactly zero. By default (``context="state"``)
the weights are read from the current tokens at every step and values are a linear map of
the source's token; ``context="condition"`` makes them depend on the condition (its
stimuli and perturbations) but not on the state, computed once per integration, best with
``values="state"`` (a small MLP of the source as its targets read it, ``y * inhibit``, and
its knockdown). Either way ``attention[i, j] * value_j`` is the part of target i's message
that comes from source j. No topology bias: known edges get no extra mass.

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


CONTEXTS = ("condition", "state", "none")
WEIGHTINGS = ("sparsemax", "softmax")
CONTEXT_FEATURES = 3  # drive, knockdown, inhibit: what a condition does to each species
VALUES = ("token", "state")
VALUE_COLUMNS = [1, 4]  # y * inhibit, knockdown: a source as its targets read it
VALUE_FEATURES = len(VALUE_COLUMNS)


class SparseSourceAttention(nn.Module):
    """Attention of each target over its candidate sources and a null source.

    Per head h, target i reads source j with logit ``pair_logit[i, j] + q_i^h k_j^h`` and
    value ``v_j^h``, a scalar read from the source's own token at the current state: the
    message ``sum_j a_ij^h v_j^h`` is a sum of per-source terms, so the weights say which
    sources a target reads (attributable). The pair logit (a parameter per candidate pair,
    starting at zero: no bias towards known edges) says which sources a target reads; the
    context term modulates it:

    - ``context="condition"``: q and k from condition tokens (what the condition does to
      each species: stimulus, knockdown, inhibition, plus the species embedding), so the
      weights are computed **once per condition and integration**, not per step;
    - ``"state"``: q and k from the current tokens (recomputed at every step);
    - ``"none"``: the pair logits alone.

    Weights are sparsemax (most exactly zero) or softmax over the candidates plus the null.
    With every species a candidate the logits are one outer product; otherwise scalars are
    gathered per candidate pair (linear in pairs)."""

    def __init__(self, dim: int, heads: int, candidates: np.ndarray, pair_logits: bool = True,
                 context: str = "state", weighting: str = "sparsemax", values: str = "token"):
        super().__init__()
        if values not in VALUES:
            raise ValueError(f"values must be one of {', '.join(VALUES)}, not {values!r}")
        if context not in CONTEXTS:
            raise ValueError(f"context must be one of {', '.join(CONTEXTS)}, not {context!r}")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}")
        self.heads, self.context, self.weighting = heads, context, weighting
        self.norm = nn.LayerNorm(dim)
        self.values = values
        self.value = nn.Linear(dim, heads) if values == "token" else \
            nn.Sequential(nn.Linear(VALUE_FEATURES, dim), nn.GELU(), nn.Linear(dim, heads))
        self.qk = nn.Linear(dim, 2 * heads) if context != "none" else None
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

    def weights(self, context_tokens: torch.Tensor | None, batch: int) -> torch.Tensor:
        """(B, H, S, 1 + K) weights over ``table``'s columns from context tokens (B, S, d)
        (None for ``context="none"``)."""
        s = self.table.shape[0]
        if self.qk is None or context_tokens is None:
            logits = torch.zeros(batch, self.heads, s, self.table.shape[1])
        else:
            q, k = self.qk(self.norm(context_tokens)).view(batch, s, 2, self.heads).permute(2, 0, 3, 1)
            q = q.unsqueeze(-1)
            if self.dense:
                logits = torch.cat([q * self.null_key, q * k.unsqueeze(-2)], dim=-1)
            else:
                k = torch.cat([k, torch.zeros_like(k[..., :2])], dim=-1)  # null and padding slots
                logits = torch.cat([q * self.null_key, q * k[..., self.table[:, 1:]]], dim=-1)
        if self.pair_logit is not None:
            logits = logits + self.pair_logit
        logits = logits.masked_fill(self.padding, PAD_LOGIT)
        return sparsemax(logits, dim=-1) if self.weighting == "sparsemax" else torch.softmax(logits, dim=-1)

    def forward(self, tokens: torch.Tensor, attn: torch.Tensor | None = None,
                features: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens (B, S, d) -> (updated tokens, attention (B, H, S, 1 + K)); ``attn`` the
        weights when computed beforehand (``context`` "condition" or "none"); ``features``
        (B, S, F) the raw token features (``values="state"`` reads the source's state as
        its targets see it, ``y * inhibit``, and its knockdown)."""
        b = tokens.shape[0]
        x = self.norm(tokens)
        if attn is None:
            attn = self.weights(tokens if self.context == "state" else None, b)
        source = x if self.values == "token" else features[..., VALUE_COLUMNS]
        v = self.value(source).transpose(1, 2)  # (B, H, S)
        if self.dense:
            message = (attn[..., 1:] @ v.unsqueeze(-1)).squeeze(-1)
        else:
            v = torch.cat([v, torch.zeros_like(v[..., :2])], dim=-1)
            message = (attn[..., 1:] * v[..., self.table[:, 1:]]).sum(-1)
        return tokens + self.out(message.transpose(1, 2)), attn


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
    per-species correction of its own features only); ``context`` and ``weighting`` of the
    species attention (:class:`SparseSourceAttention`).

    Use: ``step = correction.bind(context_features)`` once per integration (condition
    tokens; computes the attention weights when they do not depend on the state), then
    ``step(features)`` at every integrator step."""

    def __init__(self, candidates: np.ndarray, membership: np.ndarray, *, dim: int = 16, heads: int = 4,
                 layers: int = 1, scales: tuple[str, ...] = SCALES, token_features: int = TOKEN_FEATURES,
                 pair_logits: bool = True, context: str = "state", weighting: str = "sparsemax",
                 values: str = "token"):
        super().__init__()
        n_species = membership.shape[0]
        self.scales = tuple(scales)
        self.context = context
        self.embed = nn.Parameter(torch.randn(n_species, dim) * 0.1)
        self.read_in = nn.Sequential(nn.Linear(token_features, dim), nn.GELU(), nn.Linear(dim, dim))
        self.context_in = nn.Linear(CONTEXT_FEATURES, dim) if context == "condition" else None
        n_layers = layers if "species" in self.scales else 0
        self.molecular = nn.ModuleList(SparseSourceAttention(dim, heads, candidates, pair_logits, context, weighting,
                                                             values)
                                       for _ in range(n_layers))
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
        self.last_weights: list[torch.Tensor] = []

    def reset_record(self) -> None:
        self.species_attention_sum: torch.Tensor | None = None
        self.pathway_attention_sum: torch.Tensor | None = None
        self.records = 0

    def bind(self, context_features: torch.Tensor):
        """``context_features`` (B, S, CONTEXT_FEATURES) of the conditions -> ``step(features
        (B, S, F)) -> (B, S)``, with the state-independent attention weights computed here."""
        batch = context_features.shape[0]
        fixed: list[torch.Tensor | None] = []
        if self.context == "condition":
            tokens = self.context_in(context_features) + self.embed
            fixed = [layer.weights(tokens, batch) for layer in self.molecular]
        elif self.context == "none":
            fixed = [layer.weights(None, 1) for layer in self.molecular]
        else:
            fixed = [None] * len(self.molecular)
        self.last_weights = [w for w in fixed if w is not None]
        return lambda features: self.forward(features, fixed)

    def source_mass(self) -> torch.Tensor:
        """Mean weight the targets put on real sources (not the null) in the last bound
        weights: the attention penalty's quantity (0 when the weights depend on the state)."""
        if not self.last_weights:
            return torch.zeros(())
        return torch.stack([1 - w[..., 0].mean() for w in self.last_weights]).mean()

    def forward(self, features: torch.Tensor, fixed: list[torch.Tensor | None] | None = None) -> torch.Tensor:
        """``features`` (B, S, F) -> correction (B, S); ``fixed`` the weights from :meth:`bind`
        (None: computed here, with no condition context)."""
        tokens = self.read_in(features) + self.embed
        if fixed is None:
            fixed = [layer.weights(None, 1) if self.context != "state" else None for layer in self.molecular]
        species_attn = []
        for layer, weights in zip(self.molecular, fixed):
            if weights is None and tokens.requires_grad and layer.table.numel() > CHECKPOINT_PAIRS:
                # recompute in the backward pass: memory per integrator step stays O(S * d)
                tokens, attn = checkpoint(layer, tokens, None, features, use_reentrant=False)
            else:
                tokens, attn = layer(tokens, weights, features)
            if self.recording:
                species_attn.append(attn.expand(tokens.shape[0], *attn.shape[1:]))
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
