"""What only the embedded LadybugDB store does: files, locks, read-only opening, COPY."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hmlm_sb.store.schema import graph_schema

from hmlm_sb.errors import InputError, SchemaVersionError, StoreError

from .conftest import TEST_DB_SIZE, open_ladybug
from .networks import signaling_network

ROOT = Path(__file__).resolve().parents[2]

def test_second_writer_gets_a_clear_lock_error(ladybug_path, other_writer):
    with pytest.raises(StoreError, match=rf"locked by process {other_writer.pid}") as err:
        open_ladybug(ladybug_path)
    assert "\n" not in str(err.value)


def test_lock_error_in_the_other_direction(ladybug_path):
    with open_ladybug(ladybug_path):
        code = ("from hmlm_sb.store.ladybug_store import LadybugStore\n"
                "from hmlm_sb.errors import StoreError\n"
                "import sys\n"
                "try:\n"
                f"    LadybugStore(sys.argv[1], max_db_size={TEST_DB_SIZE})\n"
                "except StoreError as exc:\n"
                "    print(exc)\n")
        out = subprocess.run([sys.executable, "-c", code, str(ladybug_path)], capture_output=True, text=True,
                             cwd=ROOT, timeout=60)
    assert "is locked by process" in out.stdout, out.stderr


def test_store_persists_across_opening(ladybug_path):
    with open_ladybug(ladybug_path) as store:
        store.save_network(signaling_network())
    with open_ladybug(ladybug_path, read_only=True) as store:
        loaded = store.load_network(model="m1")
    assert loaded.species == signaling_network().species


def test_read_only_store_refuses_writes(ladybug_path):
    with open_ladybug(ladybug_path) as store:
        store.save_network(signaling_network())
        before = store.counts()
    with open_ladybug(ladybug_path, read_only=True) as store:
        with pytest.raises(StoreError, match="--write"):
            store.query("MATCH (s:Species) SET s.name = $name", {"name": "x"})
        with pytest.raises(StoreError, match="read-only"):
            store.save_network(signaling_network("m2"))
        with pytest.raises(StoreError, match="read-only"):
            store.query("MATCH (s:Species) DETACH DELETE s", write=True)
        assert store.counts() == before


def test_read_only_needs_an_existing_store(tmp_path):
    with pytest.raises(StoreError, match="no store at"):
        open_ladybug(tmp_path / "missing.lbdb", read_only=True)


def test_other_schema_version_is_refused(ladybug_path):
    with open_ladybug(ladybug_path) as store:
        store.query("MATCH (m:Meta) SET m.schema_version = $v", {"v": "0.9"}, write=True)
    with pytest.raises(SchemaVersionError, match=f"schema 0.9.*uses {graph_schema().version}") as err:
        open_ladybug(ladybug_path)
    assert "\n" not in str(err.value)


def test_foreign_database_is_refused(ladybug_path):
    import ladybug

    db = ladybug.Database(str(ladybug_path), max_db_size=TEST_DB_SIZE)
    conn = ladybug.Connection(db)
    conn.execute("CREATE NODE TABLE Person(name STRING, PRIMARY KEY(name))")
    conn.close()
    db.close()
    with pytest.raises(StoreError, match="not an hmlm store"):
        open_ladybug(ladybug_path)


@pytest.mark.parametrize("copy_rows, verb", [(20_000, "LOAD FROM $rows"), (100, "COPY")])
def test_imports_write_one_statement_per_table(ladybug_path, monkeypatch, copy_rows, verb):
    """Small tables by LOAD FROM ... CREATE, large ones by COPY: one statement per table and pair."""
    from hmlm_sb.store import ladybug_store
    from hmlm_sb.store.ladybug_store import LadybugStore

    sent: list[str] = []
    original = LadybugStore._execute

    def spy(self, cypher, params=None, **kwargs):
        sent.append(cypher)
        return original(self, cypher, params, **kwargs)

    monkeypatch.setattr(ladybug_store, "COPY_ROWS", copy_rows)
    with open_ladybug(ladybug_path) as store:
        monkeypatch.setattr(LadybugStore, "_execute", spy)
        store.save_network(signaling_network(extra_species=500))
        assert store.counts()["Species"] == 507
    bulk = [c for c in sent if c.startswith(("COPY ", "LOAD FROM"))]
    species = [c for c in bulk if c.startswith(("LOAD FROM $rows CREATE (:Species ", "COPY Species FROM $rows"))]
    assert len(species) == 1 and species[0].startswith(verb)
    assert len(bulk) == len(set(bulk)) < 25  # one per table and pair, not one per row
    assert not [c for c in sent if c.startswith("CREATE")]
    begin, commit = sent.index("BEGIN TRANSACTION"), sent.index("COMMIT")
    assert all(begin < i < commit for i, c in enumerate(sent) if c.startswith(("COPY ", "LOAD FROM")))


def test_a_save_leaves_no_memory_behind_and_costs_the_same_in_a_full_store(ladybug_path):
    """The client caches a prepared statement per Arrow table until its connection closes:
    the store renews the connection after each write, so the buffer pool stays flat."""
    def pool_bytes(store) -> int:
        return int(store._execute("CALL bm_info() RETURN *")[1][0]["mem_usage"])

    with open_ladybug(ladybug_path) as store:
        store.save_network(signaling_network(model_id="warm-up", sha256="w"))
        before = pool_bytes(store)
        for k in range(8):
            store.save_network(signaling_network(model_id=f"m{k}", sha256=f"s{k}"))
        assert pool_bytes(store) - before < 8 << 20  # was ~37 MB per save


@pytest.mark.parametrize("copy_rows, says", [(1, "query failed"), (20_000, "end missing")])
def test_database_error_mid_import_rolls_back(ladybug_path, monkeypatch, copy_rows, says):
    """An edge to a missing node, refused by COPY or found by the count of created edges,
    rolls everything back."""
    from hmlm_sb.store import ladybug_store
    from hmlm_sb.store.ladybug_store import LadybugWriter

    monkeypatch.setattr(ladybug_store, "COPY_ROWS", copy_rows)
    real = LadybugWriter.create_rels

    def broken(self, rel, source, target, columns):
        if rel == "REGULATES":
            columns = {name: values + [values[0]] for name, values in columns.items()}
            columns["to"][-1] = "m1/NOT_THERE"
        real(self, rel, source, target, columns)

    with open_ladybug(ladybug_path) as store:
        store.save_network(signaling_network("m0", "sha-m0"))
        before = store.counts()
        monkeypatch.setattr(LadybugWriter, "create_rels", broken)
        with pytest.raises(StoreError, match=says):
            store.save_network(signaling_network("m1"))
        assert store.counts() == before
        monkeypatch.setattr(LadybugWriter, "create_rels", real)
        store.save_network(signaling_network("m1"))
    with open_ladybug(ladybug_path, read_only=True) as store:
        assert list(store.list_models()["id"]) == ["m0", "m1"]


def test_uids_are_looked_up_only_when_a_model_id_has_a_slash(ladybug_path, monkeypatch):
    """Importers never make a model id with '/', so `model/local` uids of two models
    cannot meet and an ordinary import skips the per-label lookups."""
    from hmlm_sb.store.ladybug_store import LadybugStore

    sent: list[str] = []
    original = LadybugStore._execute

    def spy(self, cypher, params=None, **kwargs):
        sent.append(cypher)
        return original(self, cypher, params, **kwargs)

    monkeypatch.setattr(LadybugStore, "_execute", spy)
    with open_ladybug(ladybug_path) as store:
        store.save_network(signaling_network("m0", "sha-0"))
        assert not [c for c in sent if "MATCH (n:Species {uid: key})" in c]
        store.save_network(signaling_network("a/b", "sha-1"))
        sent.clear()
        store.save_network(signaling_network("m2", "sha-2"))
        assert [c for c in sent if "MATCH (n:Species {uid: key})" in c]


def test_uid_collision_is_refused_before_copy(ladybug_path):
    """Ids with '/' can make two models' uids equal; a duplicate key must never reach COPY
    (LadybugDB 0.22 crashes on it)."""
    with open_ladybug(ladybug_path) as store:
        first = signaling_network("a/b", "sha-1")
        store.save_network(first)
        clash = signaling_network("a", "sha-2")
        clash.species["b/ERK"] = clash.species["ERK"].__class__("b/ERK", model="a")
        with pytest.raises(InputError, match="a/b/ERK"):
            store.save_network(clash)
        assert list(store.list_models()["id"]) == ["a/b"]


def test_closed_store_says_so(ladybug_path):
    store = open_ladybug(ladybug_path)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.counts()


def test_other_version_with_other_tables_is_a_version_error(ladybug_path):
    with open_ladybug(ladybug_path) as store:
        store.query("MATCH (m:Meta) SET m.schema_version = $v", {"v": "2.0"}, write=True)
        store.query("CREATE NODE TABLE Gene(uid STRING, PRIMARY KEY(uid))", write=True)
    with pytest.raises(SchemaVersionError, match="schema 2.0"):
        open_ladybug(ladybug_path)


def test_the_buffer_pool_is_bounded_by_argument_and_environment(ladybug_path, monkeypatch):
    def pool_limit(store) -> int:
        return int(store._execute("CALL bm_info() RETURN *")[1][0]["mem_limit"])

    monkeypatch.delenv("HMLM_BUFFER_POOL_MB", raising=False)
    with open_ladybug(ladybug_path) as store:
        assert pool_limit(store) == 1024 << 20
    monkeypatch.setenv("HMLM_BUFFER_POOL_MB", "256")
    with open_ladybug(ladybug_path) as store:
        assert pool_limit(store) == 256 << 20
    with open_ladybug(ladybug_path, buffer_pool_mb=128) as store:
        assert pool_limit(store) == 128 << 20
    monkeypatch.setenv("HMLM_BUFFER_POOL_MB", "lots")
    with pytest.raises(StoreError, match="HMLM_BUFFER_POOL_MB='lots' is not a whole number of MB"):
        open_ladybug(ladybug_path)
