"""The Neo4j store against a fake driver: batching, transactions, errors (no server here;
the contract suite runs on a real one when NEO4J_URI is set)."""
from __future__ import annotations

import pytest
from neo4j import exceptions as neo

from hmlm_sb.errors import SchemaVersionError, StoreError
from hmlm_sb.store.schema import graph_schema
from hmlm_sb.store.cypher import NEO4J_BATCH_SIZE, NEO4J_SCHEMA_STATEMENTS, NEO4J_WRITES, READS, SHARED_WRITES
from hmlm_sb.store.cypher import neo4j_statements
from hmlm_sb.store.base import TrainingRunRecord
from hmlm_sb.store.neo4j_store import Neo4jStore

from .networks import signaling_network

URL = "neo4j://fake:7687"
ACCESS_MODE = "Neo.ClientError.Statement.AccessMode"


class FakeRecord:
    def __init__(self, row: dict):
        self.row = row

    def data(self) -> dict:
        return dict(self.row)


class FakeResult:
    def __init__(self, rows: list[dict]):
        self.rows = rows

    def keys(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []

    def __iter__(self):
        return (FakeRecord(r) for r in self.rows)

    def consume(self) -> None:
        return None


class FakeTx:
    def __init__(self, driver: "FakeDriver", kind: str):
        self.driver, self.kind = driver, kind
        self.id = len(driver.transactions)
        driver.transactions.append(self)
        self.committed = self.rolled_back = False

    def run(self, cypher: str, params: dict | None = None) -> FakeResult:
        self.driver.sent.append((self.id, self.kind, cypher, params or {}))
        failure = self.driver.fail_on(cypher, self.kind)
        if failure:
            raise failure
        return FakeResult(self.driver.answer(cypher))

    def commit(self) -> None:
        self.committed = True

    def rollback(self) -> None:
        self.rolled_back = True


class FakeSession:
    def __init__(self, driver: "FakeDriver", database: str | None):
        self.driver = driver
        driver.databases.append(database)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def begin_transaction(self) -> FakeTx:
        return FakeTx(self.driver, "explicit")

    def execute_read(self, work, *args):
        return work(FakeTx(self.driver, "read"), *args)

    def execute_write(self, work, *args):
        return work(FakeTx(self.driver, "write"), *args)

    def run(self, cypher: str, params: dict | None = None) -> FakeResult:
        return FakeTx(self.driver, "auto").run(cypher, params)


SCHEMA_VERSION = graph_schema().version


class FakeDriver:
    """Records every statement; answers the schema version and counts; can fail on cue."""

    def __init__(self, version: str | None = SCHEMA_VERSION, fail_with: dict[str, Exception] | None = None,
                 answers: dict[str, list[dict]] | None = None):
        self.version = version
        self.answers = answers or {}
        self.fail_with = fail_with or {}
        self.sent: list[tuple[int, str, str, dict]] = []
        self.transactions: list[FakeTx] = []
        self.databases: list[str | None] = []
        self.closed = False

    def session(self, database: str | None = None) -> FakeSession:
        return FakeSession(self, database)

    def close(self) -> None:
        self.closed = True

    def answer(self, cypher: str) -> list[dict]:
        if cypher == READS["schema_version"]:
            return [{"version": self.version}] if self.version else []
        if cypher == SHARED_WRITES["set_schema_version"]:
            self.version = SCHEMA_VERSION
        if "RETURN count(" in cypher:
            return [{"count": 0}]
        return self.answers.get(cypher, [])

    def fail_on(self, cypher: str, kind: str) -> Exception | None:
        if kind == "read" and cypher.lstrip().upper().startswith(("CREATE", "MERGE", "MATCH (N) DETACH")):
            return neo.Neo4jError._hydrate_neo4j(code=ACCESS_MODE, message="Writing in read access mode not allowed.")
        for statement, error in self.fail_with.items():
            if cypher == statement:
                return error
        return None


def statements(driver: FakeDriver, kind: str | None = None) -> list[str]:
    return [c for _, k, c, _ in driver.sent if kind is None or k == kind]


def test_opening_an_empty_database_creates_constraints_and_schema_version():
    driver = FakeDriver(version=None)
    store = Neo4jStore(URL, driver=driver)
    assert statements(driver, "auto") == NEO4J_SCHEMA_STATEMENTS
    assert all("IF NOT EXISTS" in s for s in NEO4J_SCHEMA_STATEMENTS)
    assert SHARED_WRITES["set_schema_version"] in statements(driver, "explicit")
    assert store.schema_version() == SCHEMA_VERSION
    again = FakeDriver(version=SCHEMA_VERSION)
    Neo4jStore(URL, driver=again)
    assert statements(again, "auto") == []


def test_import_is_one_transaction_of_unwind_batches():
    driver = FakeDriver()
    store = Neo4jStore(URL, driver=driver)
    net = signaling_network(extra_species=2 * NEO4J_BATCH_SIZE + 100)
    assert store.save_network(net).status == "imported"
    writes = [(tx, c, p) for tx, kind, c, p in driver.sent if kind == "explicit"]
    assert len({tx for tx, _, _ in writes}) == 1
    tx = driver.transactions[writes[0][0]]
    assert tx.committed and not tx.rolled_back
    species_batches = [p["rows"] for _, c, p in writes if c == NEO4J_WRITES["create_nodes:Species"]]
    assert [len(b) for b in species_batches] == [NEO4J_BATCH_SIZE, NEO4J_BATCH_SIZE, len(net.species) - 2000]
    assert all(c.startswith("UNWIND $rows") for _, c, _ in writes if c in NEO4J_WRITES.values())
    participates = [p["rows"] for _, c, p in writes
                    if c == NEO4J_WRITES["create_rels:PARTICIPATES:Species:Reaction"]]
    assert participates[0][1] == {"from": "m1/TGFBR", "to": "m1/r_smad",
                                  "props": {"role": "input", "sign": 1, "stoichiometry": 1.0, "threshold": None,
                                            "sbo": None, "position": 0}}


def test_every_statement_sent_is_one_the_lint_checks():
    driver = FakeDriver(version=None)
    store = Neo4jStore(URL, driver=driver)
    store.save_network(signaling_network(), cell="fibroblast")
    store.counts()
    store.training_runs("fibroblast")
    store.write_crosstalk(TrainingRunRecord("r1", "hmlm", cell="fibroblast"), [])
    stored = FakeDriver(answers={READS["model_sha256"]: [{"sha256": "s"}], READS["models"]: [{"uid": "m1"}],
                                 READS["pathways_named"]: [{"uid": "m1/tgfb", "id": "tgfb", "model": "m1"}],
                                 READS["cell"]: [{"uid": "fibroblast"}]})
    loader = Neo4jStore(URL, driver=stored)
    loader.load_network(model="m1", pathways=["tgfb"])
    loader.load_network(cell="fibroblast")
    loader.remove_model("m1")
    linted = {c for _, c in neo4j_statements()}
    sent = set(statements(driver)) | set(statements(stored))
    assert sent <= linted
    assert len(sent) > 40


def test_failure_mid_import_rolls_back():
    failure = neo.Neo4jError._hydrate_neo4j(code="Neo.TransientError.Transaction.LockClientStopped",
                                            message="lock timeout")
    driver = FakeDriver(fail_with={NEO4J_WRITES["create_rels:REGULATES:Species:Species"]: failure})
    store = Neo4jStore(URL, driver=driver)
    with pytest.raises(StoreError, match="lock timeout"):
        store.save_network(signaling_network())
    explicit = [t for t in driver.transactions if t.kind == "explicit"]
    assert len(explicit) == 1 and explicit[0].rolled_back and not explicit[0].committed


def test_queries_run_in_read_transactions_unless_write():
    driver = FakeDriver()
    store = Neo4jStore(URL, driver=driver)
    store.query("MATCH (n:Species) RETURN n.uid AS uid", {"x": 1})
    assert driver.transactions[-1].kind == "read"
    assert driver.sent[-1][3] == {"x": 1}
    with pytest.raises(StoreError, match="--write"):
        store.query("CREATE (c:Cell {uid: $uid})", {"uid": "x"})
    store.query("CREATE (c:Cell {uid: $uid})", {"uid": "x"}, write=True)
    assert driver.transactions[-1].kind == "write"


def test_read_only_store_sends_no_write():
    driver = FakeDriver()
    store = Neo4jStore(URL, read_only=True, driver=driver)
    with pytest.raises(StoreError, match="read-only"):
        store.save_network(signaling_network())
    with pytest.raises(StoreError, match="read-only"):
        store.query("CREATE (c:Cell {uid: $uid})", {"uid": "x"}, write=True)
    assert all(kind == "read" for _, kind, _, _ in driver.sent)


def test_read_only_store_needs_a_schema():
    with pytest.raises(StoreError, match="no hmlm store"):
        Neo4jStore(URL, read_only=True, driver=FakeDriver(version=None))


def test_other_schema_version_is_refused():
    driver = FakeDriver(version="0.9")
    with pytest.raises(SchemaVersionError, match="0.9"):
        Neo4jStore(URL, driver=driver)
    assert driver.closed


@pytest.mark.parametrize("error, message", [
    (neo.ServiceUnavailable("Couldn't connect to fake:7687"), "cannot reach Neo4j at neo4j://fake:7687"),
    (neo.AuthError("The client is unauthorized due to authentication failure."), "refused the credentials"),
])
def test_connection_failures_are_one_line(monkeypatch, error, message):
    import neo4j

    class Unreachable(FakeDriver):
        def verify_connectivity(self):
            raise error

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda url, auth=None, **options: Unreachable())
    with pytest.raises(StoreError, match=message) as err:
        Neo4jStore(URL)
    assert "\n" not in str(err.value)


def test_credentials_and_database_come_from_the_environment(monkeypatch):
    import neo4j

    seen = {}

    class Reachable(FakeDriver):
        def verify_connectivity(self):
            return None

    def driver(url, auth=None, **options):
        seen.update(url=url, auth=auth, options=options)
        seen["driver"] = Reachable()
        return seen["driver"]

    monkeypatch.setenv("NEO4J_USERNAME", "hmlm")
    monkeypatch.setenv("NEO4J_PASSWORD", "secret")
    monkeypatch.setenv("NEO4J_DATABASE", "signaling")
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", driver)
    Neo4jStore("bolt://db:7687")
    assert seen["url"] == "bolt://db:7687" and seen["auth"] == ("hmlm", "secret")
    assert seen["options"]["connection_timeout"] == 5.0 and seen["options"]["connection_acquisition_timeout"] == 5.0
    assert set(seen["driver"].databases) == {"signaling"}


def test_unreachable_real_server_is_one_line():
    """The real driver against a port nothing listens on."""
    with pytest.raises(StoreError, match="cannot reach Neo4j at bolt://127.0.0.1:9") as err:
        Neo4jStore("bolt://127.0.0.1:9")
    assert "\n" not in str(err.value)
