"""From the graph to tensors: the network prior, its HeteroData export, the topology prior."""
from __future__ import annotations

from hmlm_sb.data.hetero import export_subgraph, network_to_hetero, prior_to_hetero, signed_edges
from hmlm_sb.data.prior import NetworkPrior, build_prior
from hmlm_sb.data.topology import TopologyPrior, topology_prior

__all__ = ["NetworkPrior", "TopologyPrior", "build_prior", "export_subgraph", "network_to_hetero",
           "prior_to_hetero", "signed_edges", "topology_prior"]
