"""A graph neural ODE over the prior network (PyTorch Geometric).

The vector field is message passing on the prior's signed regulations (source -> target,
self loops added): each species' features are its state, the stimulus reaching it and a
learned embedding; ``layers`` GCN (or GAT) layers with tanh, then a linear read-out,
``dx_i/dt = g(h_i) - alpha_i x_i``. Trained through RK4 like the other neural ODEs.
Messages flow only along known edges, so a hidden edge is visible only through
multi-hop paths.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from hmlm_sb.models.base import DynamicsModel, ProgressCallback
from hmlm_sb.models.baselines._common import check_fitted, input_targets, prior_adjacency
from hmlm_sb.models.baselines._trainer import integrate, train_ode
from hmlm_sb.network import Network
from hmlm_sb.trajectories import Trajectories

CONVS = ("gcn", "gat")


class GraphODE(DynamicsModel):
    """Hyper-parameters: ``conv`` (gcn | gat), ``hidden``, ``layers``, ``embed`` (species
    embedding size), ``weight_decay``, ``epochs``, ``lr``, ``max_step``,
    ``val_fraction``, ``patience``."""

    name: ClassVar[str] = "gnn"

    def __init__(self, conv: str = "gcn", hidden: int = 32, layers: int = 2, embed: int = 8,
                 weight_decay: float = 1e-5, epochs: int = 300, lr: float = 0.01,
                 max_step: float = 1.0, val_fraction: float = 0.2, patience: int = 40):
        if conv not in CONVS:
            raise ValueError(f"conv must be one of {CONVS}, not {conv!r}")
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
        import torch

        torch.manual_seed(seed)
        self.species_ = list(train.species)
        self.t0_ = float(train.times[0])
        n = len(self.species_)
        adj = prior_adjacency(prior, self.species_)
        target, source = np.nonzero(adj)
        self.edge_index_ = np.vstack([source, target]).astype(np.int64)
        self.input_mask_ = input_targets(prior, list(train.inputs), self.species_)
        self.net_ = _VectorField(self.conv, 2 + self.embed, self.hidden, self.layers, n, self.embed,
                                 self.edge_index_)
        params = dict(self.net_.named_parameters())

        def penalty(p):
            return self.weight_decay * sum((v ** 2).sum() for v in p.values())

        best, self.validation_mse_ = train_ode(
            params, self._make_rhs, penalty, train, epochs=self.epochs, lr=self.lr,
            max_step=self.max_step, val_fraction=self.val_fraction, patience=self.patience,
            seed=seed, label="gnn", progress=progress)
        with torch.no_grad():
            for name, value in self.net_.named_parameters():
                value.copy_(best[name])
        self.params_ = dict(self.net_.named_parameters())
        return self

    def _make_rhs(self, params: dict, stimuli):
        import torch

        drive = stimuli @ torch.as_tensor(self.input_mask_, dtype=stimuli.dtype)  # (C, N)

        def rhs(x):
            return self.net_(x, drive)

        return rhs

    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None) -> np.ndarray:
        check_fitted(self)
        return integrate(self._make_rhs, self.params_, stimuli, initial, self.t0_, times, self.max_step)


def _VectorField(conv: str, in_dim: int, hidden: int, layers: int, n: int, embed: int, edge_index):
    """GCN layers use PyG's symmetric normalisation (``gcn_norm``, self loops added) as a
    dense propagation matrix shared by the batch; GAT layers use ``GATConv``."""
    import torch
    from torch_geometric.nn import GATConv
    from torch_geometric.nn.conv.gcn_conv import gcn_norm

    edges = torch.as_tensor(edge_index)
    norm_index, norm_weight = gcn_norm(edges, None, n, add_self_loops=True)
    propagate = torch.zeros(n, n).index_put_((norm_index[1], norm_index[0]), norm_weight, accumulate=True)

    class VectorField(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Parameter(0.1 * torch.randn(n, embed))
            dims = [in_dim] + [hidden] * layers
            if conv == "gcn":
                self.convs = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
            else:
                self.convs = torch.nn.ModuleList(GATConv(a, b, heads=1, add_self_loops=True)
                                                 for a, b in zip(dims[:-1], dims[1:]))
            self.readout = torch.nn.Linear(hidden, 1)
            self.log_alpha = torch.nn.Parameter(torch.full((n,), -1.0))

        def forward(self, x, drive):
            c = x.shape[0]
            h = torch.cat([x.unsqueeze(-1), drive.unsqueeze(-1),
                           self.embedding.unsqueeze(0).expand(c, -1, -1)], dim=-1)
            for layer in self.convs:
                if conv == "gcn":
                    h = torch.tanh(propagate @ layer(h))
                else:
                    batch = torch.cat([edges + k * n for k in range(c)], dim=1)
                    h = torch.tanh(layer(h.reshape(c * n, -1), batch)).reshape(c, n, -1)
            out = self.readout(h).squeeze(-1)
            return out - torch.exp(self.log_alpha).clamp(max=2.5) * x

    return VectorField()
