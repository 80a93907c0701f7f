"""A graph neural ODE over the prior network (PyTorch Geometric).

The vector field is message passing on the prior's signed regulations (source -> target,
self loops added): each species' features are its state, the stimulus reaching it and a
learned embedding; ``layers`` GCN (or GAT) layers with tanh, then a linear read-out
giving the level each species relaxes to, as in the logic-based ODE:
``dx_i/dt = k_i (sigmoid(g(h_i) + b_i) - x_i)``. Trained through RK4 like the other neural ODEs.
Inhibition scales the state a species shows its neighbours, knockdown the level it
relaxes to. Messages flow only along known edges, so a hidden edge is visible only through
multi-hop paths.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from torch_geometric.nn import GATConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from hmlm_sb.data.prior import build_prior
from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.models.base import perturbation_factors
from hmlm_sb.models.baselines._common import QuickBudget, check_fitted, initial_state, prior_y0, set_threads
from hmlm_sb.models.baselines._trainer import Batch, integrate, train_ode
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

CONVS = ("gcn", "gat")
RATE_MAX = 2.0  # relaxation-rate bound: keeps the midpoint integrator stable at max_step 1


class GraphODE(QuickBudget, DynamicsModel):
    """Hyper-parameters: ``conv`` (gcn | gat), ``hidden``, ``layers``, ``embed`` (species
    embedding size), ``weight_decay``, ``epochs``, ``lr``, ``max_step``,
    ``val_fraction``, ``patience``."""

    name: ClassVar[str] = "gnn"

    def __init__(self, conv: str = "gcn", hidden: int = 16, layers: int = 2, embed: int = 8,
                 weight_decay: float = 1e-5, epochs: int = 200, lr: float = 0.01,
                 max_step: float = 1.0, val_fraction: float = 0.2, patience: int = 25):
        self.conv = conv
        self.hidden = hidden
        self.layers = layers
        self.embed = embed
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.lr = lr
        self.max_step = max_step
        self.val_fraction = val_fraction
        self.patience = patience

    @classmethod
    def test_params(cls) -> dict:
        return {"epochs": 5, "hidden": 8}

    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "GraphODE":
        if self.conv not in CONVS:
            raise ValueError(f"conv must be one of {CONVS}, not {self.conv!r}")
        set_threads()
        torch.manual_seed(seed)
        self.species_ = list(train.species)
        self.t0_ = float(train.times[0])
        graph = build_prior(prior, self.species_, train.inputs, strict=False)
        self.edge_index_, self.edge_sign_ = graph.unique_edges()
        self.input_mask_ = graph.input_matrix
        self.net_ = self._vector_field()
        params = dict(self.net_.named_parameters())

        def penalty(p):
            return self.weight_decay * sum((v ** 2).sum() for v in p.values())

        self.y0_ = prior_y0(prior, self.species_)
        best, self.validation_mse_ = train_ode(
            params, self._make_rhs, penalty, train, self.y0_, epochs=self.epochs, lr=self.lr,
            max_step=self.max_step, val_fraction=self.val_fraction, patience=self.patience,
            seed=seed, label="gnn", progress=progress, order=2)
        with torch.no_grad():
            for name, value in self.net_.named_parameters():
                value.copy_(best[name])
        return self

    def _restore_modules(self) -> None:
        """The empty vector field of a loaded checkpoint (its weights are loaded next)."""
        self.net_ = self._vector_field()

    def _vector_field(self) -> "VectorField":
        return VectorField(self.conv, 2 + self.embed, self.hidden, self.layers, len(self.species_), self.embed,
                           self.edge_index_, self.edge_sign_)

    def _make_rhs(self, params: dict, batch: Batch):
        drive = batch.stimuli @ torch.as_tensor(self.input_mask_, dtype=batch.stimuli.dtype)  # (C, N)

        def rhs(x):
            return self.net_(x, drive, batch.inhibit, batch.knockdown)

        return rhs

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        check_fitted(self)
        set_threads()
        initial = initial_state(initial, self.y0_)
        batch = Batch.of(stimuli, *perturbation_factors(inhibit, knockdown, initial.shape))
        return integrate(self._make_rhs, {}, batch, initial, self.t0_, times, self.max_step, 2)


class VectorField(torch.nn.Module):
    """``dx/dt`` of every species from message passing over the prior network.

    GCN layers are relational: activating and inhibiting edges have their own weights
    (a plain GCN would treat an inhibitor as an activator), each with PyG's symmetric
    normalisation (``gcn_norm``) as a dense propagation matrix shared by the batch, plus
    a self term. GAT layers use ``GATConv`` over all edges (signs unused)."""

    def __init__(self, conv: str, in_dim: int, hidden: int, layers: int, n: int, embed: int,
                 edge_index: np.ndarray, edge_sign: np.ndarray):
        super().__init__()
        self.conv, self.n = conv, n
        self.register_buffer("edges", torch.as_tensor(edge_index, dtype=torch.long))
        signs = torch.as_tensor(edge_sign)
        self.register_buffer("activate", _propagation(self.edges[:, signs >= 0], n))
        self.register_buffer("inhibit", _propagation(self.edges[:, signs < 0], n))
        self.embedding = torch.nn.Parameter(0.1 * torch.randn(n, embed))
        dims = [in_dim] + [hidden] * layers
        if conv == "gcn":
            self.convs = torch.nn.ModuleList(torch.nn.Linear(a, 3 * b) for a, b in zip(dims[:-1], dims[1:]))
        else:
            self.convs = torch.nn.ModuleList(GATConv(a, b, heads=1, add_self_loops=True)
                                             for a, b in zip(dims[:-1], dims[1:]))
        self.readout = torch.nn.Linear(hidden, 1)
        self.bias = torch.nn.Parameter(torch.zeros(n))
        self.log_rate = torch.nn.Parameter(torch.full((n,), -1.0))

    def forward(self, x, drive, inhibit=None, knockdown=None):
        """``inhibit`` scales the state each species shows its neighbours, ``knockdown``
        the level it relaxes to (both (C, N), None = ones)."""
        c, n = x.shape[0], self.n
        shown = x if inhibit is None else x * inhibit
        h = torch.cat([shown.unsqueeze(-1), drive.unsqueeze(-1),
                       self.embedding.unsqueeze(0).expand(c, -1, -1)], dim=-1)
        for layer in self.convs:
            if self.conv == "gcn":
                own, act, inh = layer(h).chunk(3, dim=-1)
                h = torch.tanh(own + self.activate @ act + self.inhibit @ inh)
            else:
                batch = torch.cat([self.edges + k * n for k in range(c)], dim=1)
                h = torch.tanh(layer(h.reshape(c * n, -1), batch)).reshape(c, n, -1)
        target = torch.sigmoid(self.readout(h).squeeze(-1) + self.bias)
        if knockdown is not None:
            target = target * knockdown
        return torch.exp(self.log_rate).clamp(max=RATE_MAX) * (target - x)


def _propagation(edge_index, n: int):
    """Dense ``D^-1/2 (A + I) D^-1/2`` of the edges (row = target), without the self loops."""
    if edge_index.shape[1] == 0:
        return torch.zeros(n, n)
    norm_index, norm_weight = gcn_norm(edge_index, None, n, add_self_loops=True)
    keep = norm_index[0] != norm_index[1]
    return torch.zeros(n, n).index_put_((norm_index[1][keep], norm_index[0][keep]), norm_weight[keep],
                                        accumulate=True)
