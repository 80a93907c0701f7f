"""The server store: Neo4j 5 through the official ``neo4j`` driver.

Credentials come from ``NEO4J_USERNAME``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``.
Each import is one explicit transaction writing ``UNWIND $rows`` batches of
:data:`cypher.NEO4J_BATCH_SIZE` rows; reads run in read transactions, where the server
itself refuses writes. Every statement sent is one of :mod:`hmlm_sb.store.cypher`
(user queries aside), so the lint test sees all of them.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import pandas as pd

from hmlm_sb.errors import HmlmError, StoreError
from hmlm_sb.store.common import CypherStore
from hmlm_sb.store.cypher import NEO4J_BATCH_SIZE, NEO4J_SCHEMA_STATEMENTS, NEO4J_WRITES, READS, SHARED_WRITES
from hmlm_sb.store.records import Columns, rows_of
from hmlm_sb.store.schema import META_UID, graph_schema
from hmlm_sb.store.statements import check_user_query

# The driver logs connection failures as warnings; without a handler Python prints them
# to stderr beside our one-line error. Our StoreError already says what went wrong.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

WRITE_REFUSED_CODES = ("Neo.ClientError.Statement.AccessMode", "Neo.ClientError.Security.Forbidden")


class Neo4jStore(CypherStore):
    """A Neo4j database at ``url`` (neo4j://, bolt:// and their +s/+ssc forms).

    ``driver`` replaces the real driver (tests pass a fake one)."""

    def __init__(self, url: str, read_only: bool = False, *, driver: Any = None):
        self.url = url
        self.read_only = read_only
        self.database = os.environ.get("NEO4J_DATABASE") or None
        self.username = os.environ.get("NEO4J_USERNAME") or "neo4j"
        self._driver = driver if driver is not None else self._connect()
        try:
            with self._errors():
                self._ensure_schema()
        except BaseException:
            self.close()
            raise

    def _connect(self):
        from neo4j import GraphDatabase

        password = os.environ.get("NEO4J_PASSWORD")
        auth = (self.username, password) if password is not None else None
        with self._errors():
            driver = GraphDatabase.driver(self.url, auth=auth)
            try:
                driver.verify_connectivity()
            except BaseException:
                driver.close()
                raise
        return driver

    def close(self) -> None:
        driver, self._driver = getattr(self, "_driver", None), None
        if driver is not None:
            driver.close()

    def _session(self):
        if self._driver is None:
            raise StoreError(f"{self.url} is closed")
        return self._driver.session(database=self.database)

    def _ensure_schema(self) -> None:
        if not self.schema_version():
            if self.read_only:
                raise StoreError(f"{self.url} holds no hmlm store yet: open it once for writing (hmlm info)")
            with self._session() as session:
                for statement in NEO4J_SCHEMA_STATEMENTS:
                    session.run(statement).consume()
            with self._write_tx() as w:
                w.run("set_schema_version", {"uid": META_UID, "version": graph_schema().version})
        self._check_schema_version()

    # ---- statements ------------------------------------------------------------------------------
    def _read(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._errors(), self._session() as session:
            return session.execute_read(_rows, READS[name], dict(params or {}))[1]

    @contextmanager
    def _write_tx(self) -> Iterator["Neo4jWriter"]:
        self._require_writable()
        with self._errors(), self._session() as session:
            tx = session.begin_transaction()
            try:
                yield Neo4jWriter(tx)
            except BaseException:
                tx.rollback()
                raise
            tx.commit()

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *, write: bool = False) -> pd.DataFrame:
        check_user_query(cypher, params, write=write)
        if write:
            self._require_writable()
        with self._errors(), self._session() as session:
            run = session.execute_write if write else session.execute_read
            columns, rows = run(_rows, cypher, dict(params or {}))
        return pd.DataFrame(rows, columns=columns)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver exceptions as one-line StoreErrors."""
        from neo4j import exceptions as neo

        try:
            yield
        except HmlmError:
            raise
        except neo.AuthError:
            raise StoreError(f"Neo4j at {self.url} refused the credentials of user {self.username!r}: "
                             "check NEO4J_USERNAME and NEO4J_PASSWORD") from None
        except neo.ServiceUnavailable as exc:
            raise StoreError(f"cannot reach Neo4j at {self.url} (is the server running? see docs/stores.md): "
                             f"{_first_line(exc).rstrip(':')}") from None
        except neo.Neo4jError as exc:
            raise _server_error(exc) from None
        except (neo.DriverError, ValueError) as exc:
            raise StoreError(f"Neo4j at {self.url}: {_first_line(exc)}") from None


class Neo4jWriter:
    """Writes of one explicit transaction, in ``UNWIND $rows`` batches."""

    def __init__(self, tx: Any):
        self.tx = tx
        self.schema = graph_schema()

    def read(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return _rows(self.tx, READS[name], dict(params))[1]

    def run(self, name: str, params: Mapping[str, Any]) -> None:
        self.tx.run(SHARED_WRITES[name], dict(params)).consume()

    def create_nodes(self, label: str, columns: Columns) -> None:
        self._batches(NEO4J_WRITES[f"create_nodes:{label}"], rows_of(columns))

    def create_rels(self, rel: str, source: str, target: str, columns: Columns) -> None:
        props = self.schema.rel(rel).property_names
        shaped = [{"from": row["from"], "to": row["to"], "props": {p: row.get(p) for p in props}}
                  for row in rows_of(columns)]
        self._batches(NEO4J_WRITES[f"create_rels:{rel}:{source}:{target}"], shaped)

    def _batches(self, statement: str, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), NEO4J_BATCH_SIZE):
            self.tx.run(statement, {"rows": rows[start:start + NEO4J_BATCH_SIZE]}).consume()


def _rows(tx: Any, cypher: str, params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    result = tx.run(cypher, params)
    columns = list(result.keys())
    return columns, [record.data() for record in result]


def _server_error(exc: Exception) -> StoreError:
    code = getattr(exc, "code", "") or ""
    if code in WRITE_REFUSED_CODES or "read access mode" in str(exc):
        return StoreError("the query writes to the store: pass --write (write=True) to run it; nothing was changed")
    if "Syntax" in code:
        return StoreError(f"query failed: {_first_line(getattr(exc, 'message', None) or exc)}")
    return StoreError(f"Neo4j refused: {code + ': ' if code else ''}{_first_line(getattr(exc, 'message', None) or exc)}")


def _first_line(exc: Any) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
