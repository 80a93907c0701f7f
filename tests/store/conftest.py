"""The `store` fixture: every contract test runs on LadybugDB, and on Neo4j when NEO4J_URI
is set (credentials from NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE; the test
database is emptied first)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


HOLD_OPEN = textwrap.dedent("""
    import sys, time
    from hmlm_sb.store.ladybug_store import LadybugStore
    store = LadybugStore(sys.argv[1], max_db_size=%d)
    print("open", flush=True)
    sys.stdin.readline()
    store.close()
""" % TEST_DB_SIZE)


@pytest.fixture
def other_writer(ladybug_path):
    """A second process holding the store open for writing until the test ends."""
    open_ladybug(ladybug_path).close()
    proc = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(ladybug_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "open"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
