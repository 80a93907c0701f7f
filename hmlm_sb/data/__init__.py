"""From the graph to tensors: HeteroData export, topology prior, temporal features.

``features`` imports torch at module level; it is loaded only when asked for.
"""
from __future__ import annotations

from hmlm_sb.data.hetero import export_subgraph, network_to_hetero, signed_edges
from hmlm_sb.data.topology import TopologyPrior, topology_prior

_FEATURES = {"FeatureTensor", "temporal_features", "pathway_aggregates", "cell_aggregates",
             "lagged_cross_correlation", "pairwise_cross_correlation", "feature_names", "series_from"}


def __getattr__(name: str):
    if name in _FEATURES:
        from hmlm_sb.data import features

        return getattr(features, name)
    raise AttributeError(f"module 'hmlm_sb.data' has no attribute {name!r}")


__all__ = ["export_subgraph", "network_to_hetero", "signed_edges", "TopologyPrior", "topology_prior",
           *sorted(_FEATURES)]
