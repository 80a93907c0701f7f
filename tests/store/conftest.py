"""The `store` fixture: every contract test runs on LadybugDB, and on Neo4j when NEO4J_URI
is set (credentials from NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE; the test
database is emptied first)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

NEO4J_URI = os.environ.get("NEO4J_URI")
TEST_DB_SIZE = 1 << 30

BACKENDS = [pytest.param("ladybug", id="ladybug")]
if NEO4J_URI:
    BACKENDS.append(pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j))


def open_ladybug(path: Path, **options):
    from hmlm_sb.store.ladybug_store import LadybugStore

    return LadybugStore(path, max_db_size=TEST_DB_SIZE, **options)


def open_neo4j(**options):
    from hmlm_sb.store.neo4j_store import Neo4jStore

    return Neo4jStore(NEO4J_URI, **options)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "ladybug":
        opened = open_ladybug(tmp_path / "test.lbdb")
    else:
        opened = open_neo4j()
        opened.query("MATCH (n) WHERE NOT n:Meta DETACH DELETE n", write=True)
    yield opened
    opened.close()


@pytest.fixture
def ladybug_path(tmp_path) -> Path:
    return tmp_path / "store.lbdb"
