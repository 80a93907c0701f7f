"""The embedded store: LadybugDB (one file, no server; the default ``./hmlm.lbdb``).

Imports write Arrow tables inside one ``BEGIN TRANSACTION`` ... ``COMMIT``: small tables
by ``LOAD FROM $rows ... CREATE``, large ones by ``COPY <table> FROM $rows`` (see
:class:`LadybugWriter`). LadybugDB rolls the transaction back itself when a statement
fails, and ``_write_tx`` rolls back on any other exception, then renews the connection
(the client keeps memory per COPYed table until its connection closes). A COPY that
meets an existing primary key crashes LadybugDB 0.22 (segfault), so a uid that could be
taken is looked up before it is written (:func:`common._refuse_taken_uids`; Xrefs
filtered). The buffer pool is bounded (:func:`buffer_pool_size_mb`).
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from hmlm_sb.errors import StoreError, shorten
from hmlm_sb.store.common import CypherStore
from hmlm_sb.store.cypher import READS, SHARED_WRITES
from hmlm_sb.store.records import Columns, column_length, complete
from hmlm_sb.store.schema import META_UID, arrow_schema, graph_schema, ladybug_ddl
from hmlm_sb.store.statements import check_user_query

WRITE_REFUSED = ("read-only transaction", "read-only database", "read only mode", "READ ONLY mode")
LOCKED = "Could not set lock"
INTERNAL_KEYS = ("_ID", "_LABEL", "_SRC", "_DST")
BUFFER_POOL_ENV = "HMLM_BUFFER_POOL_MB"
MAX_DB_SIZE_ENV = "HMLM_MAX_DB_SIZE_MB"  # the file's address-space bound (LadybugDB's default: 8 TB, virtual)
DEFAULT_BUFFER_POOL_MB = 1024
MIN_BUFFER_POOL_MB = 64
COPY_ROWS = 20_000  # tables this long go in by COPY (see LadybugWriter)


class LadybugStore(CypherStore):
    """A LadybugDB database file. ``read_only`` opens it read-only (several readers may
    share it); one writer at a time, a second gets :class:`StoreError`."""

    def __init__(self, path: str | Path, read_only: bool = False, max_db_size: int | None = None,
                 buffer_pool_mb: int | None = None):
        self.path = Path(path)
        self.url = str(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(f"no store at {self.url}: create it first (hmlm info, or an import)")
        self.buffer_pool_mb = buffer_pool_size_mb(buffer_pool_mb)
        if max_db_size is None:
            max_db_size = _env_mb(MAX_DB_SIZE_ENV)
        self._db, self._conn = _open(self.path, read_only, max_db_size, self.buffer_pool_mb)
        self._query_conn = None  # runs user queries in READ ONLY transactions (see _read_only_tx)
        try:
            self._ensure_schema()
        except BaseException:
            self.close()
            raise

    # ---- lifecycle --------------------------------------------------------------------------------
    def close(self) -> None:
        conns = [getattr(self, "_query_conn", None), getattr(self, "_conn", None)]
        db = getattr(self, "_db", None)
        self._conn = self._query_conn = self._db = None
        for conn in conns:
            if conn is not None:
                conn.close()
        if db is not None:
            db.close()

    def _ensure_schema(self) -> None:
        schema = graph_schema()
        try:  # an hmlm store: one query (an open for `hmlm query` costs little more than the query)
            version = self.schema_version()
        except StoreError:  # no Meta table; the client caches the failed statement per connection
            self._renew_connection()
            version = ""
        upgrade = bool(version) and self._schema_upgradable()  # an older minor version: add the new tables
        if version and not upgrade:
            self._check_schema_version(version)  # before the tables: another version has other ones
            return
        tables = {row["name"] for row in self._execute("CALL show_tables() RETURN *")[1]}
        foreign = tables - set(schema.nodes) - set(schema.relationships)
        if foreign and not upgrade:
            raise StoreError(f"{self.url} is a LadybugDB database but not an hmlm store "
                             f"(tables {', '.join(sorted(foreign)[:3])})")
        if self.read_only:
            raise StoreError(f"{self.url} is not an hmlm store yet: open it once for writing (hmlm info)")
        for statement in ladybug_ddl(schema):
            self._execute(statement)
        if upgrade:
            self._add_missing_properties(schema, tables)
        self._execute(SHARED_WRITES["set_schema_version"], {"uid": META_UID, "version": schema.version})

    def _add_missing_properties(self, schema, tables: set[str]) -> None:
        """An older minor version's tables gain the properties added since (names and types
        come from the schema file, never from input)."""
        for table in list(schema.nodes.values()) + list(schema.relationships.values()):
            if table.name not in tables:
                continue
            present = {row["name"] for row in self._execute(f"CALL table_info('{table.name}') RETURN *")[1]}
            for prop in table.properties:
                if prop.name not in present:
                    self._execute(f"ALTER TABLE {table.name} ADD {prop.name} {prop.type}")

    # ---- statements ------------------------------------------------------------------------------
    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None, *,
                 conn: Any = None) -> tuple[list[str], list[dict]]:
        conn = conn or self._conn
        if conn is None:
            raise StoreError(f"{self.url} is closed")
        try:
            result = conn.execute(cypher, dict(params or {}))
        except (RuntimeError, ValueError, TypeError) as exc:
            raise _query_error(exc) from None
        results = result if isinstance(result, list) else [result]
        try:
            last = results[-1]
            columns = last.get_column_names()
            rows = []
            while last.has_next():
                rows.append(dict(zip(columns, last.get_next())))
        finally:
            # the client keeps every result (and the buffer-pool pages it holds) until it is closed
            for each in results:
                each.close()
        return columns, rows

    def _read(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._execute(READS[name], params)[1]

    @contextmanager
    def _write_tx(self) -> Iterator["LadybugWriter"]:
        self._require_writable()
        self._execute("BEGIN TRANSACTION")
        try:
            try:
                yield LadybugWriter(self)
            except BaseException:
                self._rollback()
                raise
            self._execute("COMMIT")
        finally:
            self._renew_connection()

    def _renew_connection(self) -> None:
        """A fresh connection after each write: the client caches a prepared statement per
        Arrow table COPYed (a new key each time) with its buffer-pool pages until the
        connection closes, about 40 MB per import, until the pool is full."""
        import ladybug

        old, self._conn = self._conn, ladybug.Connection(self._db)
        old.close()

    def _rollback(self, conn: Any = None) -> None:
        try:
            (conn or self._conn).execute("ROLLBACK")
        except RuntimeError:
            pass  # a failed statement already rolled the transaction back

    # ---- queries ---------------------------------------------------------------------------------
    def query_rows(self, cypher: str, params: Mapping[str, Any] | None = None, *,
                   write: bool = False) -> tuple[list[str], list[dict[str, Any]]]:
        check_user_query(cypher, params, write=write)
        for name, value in (params or {}).items():
            _check_typed(value, f"${name}")
        if write:
            self._require_writable()
            columns, rows = self._execute(cypher, params)
        elif self.read_only:
            columns, rows = self._execute(cypher, params)
        else:
            columns, rows = self._read_only_tx(cypher, params)
        return columns, [{k: _plain(v) for k, v in row.items()} for row in rows]

    def _read_only_tx(self, cypher: str, params: Mapping[str, Any] | None) -> tuple[list[str], list[dict]]:
        """A user query in a READ ONLY transaction, on a connection of its own: the
        ladybug client caches prepared statements per connection, and a write statement
        prepared outside a read-only transaction would run inside one unchecked."""
        if self._query_conn is None:
            import ladybug

            self._query_conn = ladybug.Connection(self._db)
        conn = self._query_conn
        self._execute("BEGIN TRANSACTION READ ONLY", conn=conn)
        try:
            out = self._execute(cypher, params, conn=conn)
        except BaseException:
            self._rollback(conn)
            raise
        self._execute("COMMIT", conn=conn)
        return out


class LadybugWriter:
    """Writes of one transaction, tables as Arrow tables: a small table goes in by
    ``LOAD FROM $rows ... CREATE``, a large one (:data:`COPY_ROWS` rows or more) by ``COPY``.
    LadybugDB checkpoints at the COMMIT of every transaction that COPYed, and that
    checkpoint rewrites the regions the new rows land in: 0.1 s into a fresh store, up
    to 1 s into one holding a few dozen models. Created rows only go to the write-ahead
    log, checkpointed when it passes LadybugDB's threshold."""

    def __init__(self, store: LadybugStore):
        self.store = store
        self.schema = graph_schema()

    def read(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self.store._read(name, params)

    def run(self, name: str, params: Mapping[str, Any]) -> None:
        self.store._execute(SHARED_WRITES[name], params)

    def create_nodes(self, label: str, columns: Columns) -> None:
        props = self.schema.node(label).properties
        table = _arrow_table(columns, [(p.name, p.type) for p in props])
        if table.num_rows >= COPY_ROWS:
            self.store._execute(f"COPY {label} FROM $rows", {"rows": table})
            return
        values = ", ".join(f"`{p.name}`: `{p.name}`" for p in props)
        self.store._execute(f"LOAD FROM $rows CREATE (:{label} {{{values}}})", {"rows": table})

    def create_rels(self, rel: str, source: str, target: str, columns: Columns) -> None:
        if not column_length(columns):
            return
        props = self.schema.rel(rel).properties
        names = [("from", "STRING"), ("to", "STRING")] + [(p.name, p.type) for p in props]
        table = _arrow_table(columns, names)
        if table.num_rows >= COPY_ROWS:
            pair = f" (from='{source}', to='{target}')" if len(self.schema.rel(rel).pairs) > 1 else ""
            self.store._execute(f"COPY {rel} FROM $rows{pair}", {"rows": table})
            return
        values = ", ".join(f"`{p.name}`: `{p.name}`" for p in props)
        # two MATCH clauses: one index seek per end (a comma pattern plans a cross product)
        _, rows = self.store._execute(
            f"LOAD FROM $rows MATCH (a:{source} {{uid: `from`}}) MATCH (b:{target} {{uid: `to`}}) "
            f"CREATE (a)-[:{rel} {{{values}}}]->(b) RETURN count(*) AS created", {"rows": table})
        created = int(rows[0]["created"]) if rows else 0
        if created != table.num_rows:  # COPY refuses a missing end; MATCH would skip it
            raise StoreError(f"{rel}: {table.num_rows - created} of {table.num_rows} relationships have an end "
                             f"missing in {source} or {target}; nothing was written")


def _check_typed(value: Any, where: str) -> None:
    """LadybugDB lists hold values of one type (ints and floats may mix; None anywhere)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_typed(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        if not value:
            raise StoreError(f"parameter {shorten(where)}: an empty list has no element type in LadybugDB; "
                             "leave the condition out instead")
        kinds = {_kind(item) for item in value} - {"null"}
        if len(kinds) > 1:
            raise StoreError(f"parameter {shorten(where)}: a list mixing {' and '.join(sorted(kinds))} values; "
                             "LadybugDB lists hold values of one type")
        for k, item in enumerate(value):
            _check_typed(item, f"{where}[{k}]")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def _plain(value: Any) -> Any:
    """A node or relationship value as its properties (as Neo4j's ``record.data()``)."""
    if isinstance(value, dict) and "_ID" in value:
        return {k: v for k, v in value.items() if k not in INTERNAL_KEYS}
    return value


def _arrow_table(columns: Columns, names_and_types: list[tuple[str, str]]):
    import pyarrow as pa

    names = [name for name, _ in names_and_types]
    return pa.Table.from_pydict(complete(columns, names), schema=arrow_schema(names_and_types))


def buffer_pool_size_mb(mb: int | None = None) -> int:
    """LadybugDB's buffer pool in MB: ``mb``, else $HMLM_BUFFER_POOL_MB, else 1024. Without
    one LadybugDB takes a share of the machine's memory and keeps growing into it."""
    if mb is None:
        from_env = _env_mb(BUFFER_POOL_ENV)
        mb = DEFAULT_BUFFER_POOL_MB if from_env is None else from_env >> 20
    if mb < MIN_BUFFER_POOL_MB:
        raise StoreError(f"the buffer pool must be at least {MIN_BUFFER_POOL_MB} MB, not {mb}")
    return int(mb)


def _env_mb(name: str) -> int | None:
    """Bytes from an environment variable in MB; None when unset."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) == 0:
        raise StoreError(f"{name}={shorten(text, 40)!r} is not a whole number of MB")
    return int(text) << 20


def _open(path: Path, read_only: bool, max_db_size: int | None, buffer_pool_mb: int):
    import ladybug

    # auto_checkpoint stays on: each import then costs a checkpoint (~0.1 s per relationship
    # table here), but with it off LadybugDB 0.22 corrupts its heap when a transaction
    # that COPYed rows is rolled back (crash on close).
    options: dict[str, Any] = {"read_only": read_only, "buffer_pool_size": buffer_pool_mb << 20}
    if max_db_size:
        options["max_db_size"] = int(max_db_size)
    try:
        db = ladybug.Database(str(path), **options)
        return db, ladybug.Connection(db)
    except RuntimeError as exc:
        message = str(exc)
        if LOCKED in message:
            holder = re.search(r"Lock is held by PID (\d+)", message)
            who = f"process {holder.group(1)}" if holder else "another process"
            raise StoreError(f"{path} is locked by {who} (one writer at a time): close it there and retry, "
                             "or open read-only") from None
        raise StoreError(f"cannot open LadybugDB store {path}: {_first_line(message)}") from None


def _query_error(exc: Exception) -> StoreError:
    message = str(exc)
    if any(marker in message for marker in WRITE_REFUSED):
        return StoreError("the query writes to the store: pass --write (write=True) to run it; nothing was changed")
    return StoreError(f"query failed: {_first_line(message)}")


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"
