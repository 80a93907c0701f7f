"""Graph stores behind one interface: LadybugDB (embedded, default) and Neo4j 5."""
from __future__ import annotations

from hmlm_sb.store.base import CrosstalkEdge, GraphStore, ImportResult, TrainingRunRecord

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def is_neo4j_url(url: str) -> bool:
    return str(url).startswith(NEO4J_SCHEMES)


def open_store(url: str, *, read_only: bool = False, max_db_size: int | None = None) -> GraphStore:
    """A LadybugDB path or a neo4j:// / bolt:// URL (credentials from NEO4J_USERNAME,
    NEO4J_PASSWORD, NEO4J_DATABASE)."""
    if is_neo4j_url(url):
        from hmlm_sb.store.neo4j_store import Neo4jStore

        return Neo4jStore(url, read_only=read_only)
    from hmlm_sb.store.ladybug_store import LadybugStore

    return LadybugStore(url, read_only=read_only, max_db_size=max_db_size)


__all__ = ["GraphStore", "ImportResult", "TrainingRunRecord", "CrosstalkEdge", "open_store", "is_neo4j_url"]
