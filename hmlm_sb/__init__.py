"""hmlm-sb: Hierarchical Molecular Language Models for signaling networks in a graph database."""
from hmlm_sb.network import Network

__version__ = "0.1.0"
__all__ = ["Network", "__version__"]
