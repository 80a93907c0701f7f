"""The server store: Neo4j 5 through the official ``neo4j`` driver.

Credentials come from ``NEO4J_USERNAME``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE`` (or
``user:password@`` in the URL, which messages show as ``user:***@``). Connecting and
getting a connection time out after :func:`neo4j_timeout` seconds (5 by default).
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

from hmlm_sb.errors import HmlmError, StoreError, shorten
from hmlm_sb.store.common import CypherStore
from hmlm_sb.store.cypher import NEO4J_BATCH_SIZE, NEO4J_SCHEMA_STATEMENTS, NEO4J_WRITES, READS, SHARED_WRITES
from hmlm_sb.store.records import Columns, rows_of
from hmlm_sb.store.schema import META_UID, graph_schema
from hmlm_sb.store.statements import check_user_query
from hmlm_sb.store.urls import Neo4jAddress, parse_neo4j_url

# The driver logs connection failures as warnings; without a handler Python prints them
# to stderr beside our one-line error. Our StoreError already says what went wrong.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

DEFAULT_TIMEOUT_S = 5.0
TIMEOUT_ENV = "HMLM_NEO4J_TIMEOUT"
WRITE_REFUSED_CODES = ("Neo.ClientError.Statement.AccessMode", "Neo.ClientError.Security.Forbidden")


class Neo4jStore(CypherStore):
    """A Neo4j database at ``url`` (neo4j://, bolt:// and their +s/+ssc forms).

    ``driver`` replaces the real driver (tests pass a fake one)."""

    def __init__(self, url: str, read_only: bool = False, *, driver: Any = None, timeout_s: float | None = None):
        self.address = parse_neo4j_url(url)
        self.url = self.address.shown
        self.read_only = read_only
        self.timeout_s = neo4j_timeout(timeout_s)
        self.database = os.environ.get("NEO4J_DATABASE") or None
        self.username = self.address.username or os.environ.get("NEO4J_USERNAME") or "neo4j"
        password = self.address.password if self.address.password is not None else os.environ.get("NEO4J_PASSWORD")
        self._secrets = tuple(p for p in (password, self.address.password) if p)
        self._driver = driver if driver is not None else self._connect(password)
        try:
            with self._errors():
                self._ensure_schema()
        except BaseException:
            self.close()
            raise

    def _connect(self, password: str | None):
        from neo4j import GraphDatabase

        auth = (self.username, password) if password is not None else None
        with self._errors():
            # Without these the driver waits about a minute on a port that accepts and never answers.
            driver = GraphDatabase.driver(self.address.driver_url, auth=auth, connection_timeout=self.timeout_s,
                                          connection_acquisition_timeout=self.timeout_s,
                                          max_transaction_retry_time=self.timeout_s)
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
        if not self.schema_version() or self._schema_upgradable():
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

    def query_rows(self, cypher: str, params: Mapping[str, Any] | None = None, *,
                   write: bool = False) -> tuple[list[str], list[dict[str, Any]]]:
        check_user_query(cypher, params, write=write)
        if write:
            self._require_writable()
        with self._errors(), self._session() as session:
            run = session.execute_write if write else session.execute_read
            columns, rows = run(_rows, cypher, dict(params or {}))
        return columns, rows

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver exceptions as one-line StoreErrors that name the cause and hold no password."""
        from neo4j import exceptions as neo

        try:
            yield
        except HmlmError:
            raise
        except neo.AuthError:
            raise StoreError(f"Neo4j at {self.url} refused the credentials of user {self.username!r}: "
                             "check NEO4J_USERNAME and NEO4J_PASSWORD") from None
        except (neo.ServiceUnavailable, neo.UnsupportedServerProduct) as exc:
            raise StoreError(self._redact(_unreachable(exc, self.address, self.timeout_s))) from None
        except neo.Neo4jError as exc:
            raise StoreError(self._redact(str(_server_error(exc)))) from None
        except (neo.DriverError, ValueError) as exc:
            raise StoreError(self._redact(f"Neo4j at {self.url}: {_first_line(exc)}")) from None

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def neo4j_timeout(timeout_s: float | None = None) -> float:
    """Seconds to connect and to get a connection: ``timeout_s``, else $HMLM_NEO4J_TIMEOUT, else 5."""
    if timeout_s is None:
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        try:
            timeout_s = float(text) if text else DEFAULT_TIMEOUT_S
        except ValueError:
            raise StoreError(f"{TIMEOUT_ENV}={shorten(text, 40)!r} is not a number of seconds") from None
    if not timeout_s > 0:
        raise StoreError(f"the Neo4j time-out must be positive seconds, not {timeout_s}")
    return float(timeout_s)


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (causes, exception groups), outermost first."""
    out, todo = [], [exc]
    while todo and len(out) < 20:
        current = todo.pop(0)
        out.append(current)
        todo.extend(getattr(current, "exceptions", ()) or ())
        if current.__cause__ is not None:
            todo.append(current.__cause__)
    return out


def _unreachable(exc: BaseException, address: Neo4jAddress, timeout_s: float) -> str:
    """What went wrong connecting, in words: refused, not Bolt, no answer, unknown host."""
    from neo4j import exceptions as neo

    where = f"{address.host}:{address.port}"
    causes = _causes(exc)
    text = " | ".join(str(c) for c in causes)
    prefix = f"cannot reach Neo4j at {address.shown}"
    if any(isinstance(c, neo.UnsupportedServerProduct) for c in causes):
        return f"{prefix}: {where} answered, but not as a Neo4j server this driver can talk to"
    if "looks like HTTP" in text:
        return (f"{prefix}: {where} answers HTTP, not Bolt (Neo4j's Bolt port is 7687 by default; "
                "7474 is the Browser's)")
    if "Connection refused" in text or "[Errno 111]" in text:
        return f"{prefix}: connection refused, nothing listens on {where} (is the server running? see docs/stores.md)"
    if "DNS resolve" in text or any(isinstance(c, OSError) and "Name or service" in str(c) for c in causes):
        return f"{prefix}: cannot resolve the host name {shorten(address.host, 80)!r}"
    if "handshake" in text:
        if "closed" in text:
            return f"{prefix}: {where} closed the connection during the Bolt handshake (not a Bolt port?)"
        return (f"{prefix}: {where} accepted the connection but gave no Bolt answer within {timeout_s:g} s "
                f"(not a Bolt port, or a stuck server; time-out: --neo4j-timeout / {TIMEOUT_ENV})")
    if "timed out" in text or any(isinstance(c, TimeoutError) for c in causes):
        return (f"{prefix}: no answer from {where} within {timeout_s:g} s (wrong host, or a firewall; "
                f"time-out: --neo4j-timeout / {TIMEOUT_ENV})")
    return f"{prefix} (is the server running? see docs/stores.md): {_first_line(causes[-1]).rstrip(':')}"


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
