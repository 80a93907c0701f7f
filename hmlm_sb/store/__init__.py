"""Graph stores behind one interface: LadybugDB (embedded, default) and Neo4j 5.

The interface's classes load on first use, so that a command that only opens a store
and runs a query does not import pandas or the network model before it needs them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hmlm_sb.store.urls import NEO4J_SCHEMES, is_neo4j_url, redact_url

if TYPE_CHECKING:
    from hmlm_sb.store.base import CrosstalkEdge, GraphStore, ImportResult, TrainingRunRecord

_FROM_BASE = ("GraphStore", "ImportResult", "TrainingRunRecord", "CrosstalkEdge")


def open_store(url: str, *, read_only: bool = False, max_db_size: int | None = None,
               buffer_pool_mb: int | None = None, timeout_s: float | None = None) -> "GraphStore":
    """A LadybugDB path or a neo4j:// / bolt:// URL (credentials from NEO4J_USERNAME,
    NEO4J_PASSWORD, NEO4J_DATABASE). ``buffer_pool_mb`` bounds LadybugDB's memory
    (default $HMLM_BUFFER_POOL_MB or 1024); ``timeout_s`` bounds connecting to Neo4j
    (default $HMLM_NEO4J_TIMEOUT or 5)."""
    if is_neo4j_url(url):
        from hmlm_sb.store.neo4j_store import Neo4jStore

        return Neo4jStore(url, read_only=read_only, timeout_s=timeout_s)
    from hmlm_sb.store.ladybug_store import LadybugStore

    return LadybugStore(url, read_only=read_only, max_db_size=max_db_size, buffer_pool_mb=buffer_pool_mb)


def __getattr__(name: str) -> Any:
    if name in _FROM_BASE:
        from hmlm_sb.store import base

        return getattr(base, name)
    raise AttributeError(f"module 'hmlm_sb.store' has no attribute {name!r}")


__all__ = ["GraphStore", "ImportResult", "TrainingRunRecord", "CrosstalkEdge", "open_store", "is_neo4j_url",
           "redact_url", "NEO4J_SCHEMES"]
