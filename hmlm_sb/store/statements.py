"""What a user's Cypher query will do, read from its tokens before it runs.

Neither backend exposes a parser to Python: LadybugDB's ``PreparedStatement::isReadOnly``
is not bound, and would call ``COPY ... TO`` or ``LOAD FROM`` read-only anyway (they do
not change the database, only the file system). So a query is tokenised here, the way
the Cypher grammar lexes it (strings with backslash escapes, ```quoted``` identifiers,
``//`` and ``/* */`` comments, ``$parameters``), and decisions are taken on the tokens:

- one statement per query: a ``;`` token followed by any other token is refused
  (a ``;`` inside a string or a comment is not a token);
- transaction control (``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``CHECKPOINT``) is refused;
- file access needs ``write``: ``COPY``, ``LOAD`` (``LOAD FROM``, ``LOAD CSV``,
  ``LOAD EXTENSION``), ``EXPORT``, ``IMPORT``, ``ATTACH``, ``INSTALL``, ``UNINSTALL``, and
  ``CALL`` of any procedure outside :data:`READ_ONLY_PROCEDURES` (LadybugDB's
  ``read_csv_serial``, ``read_parquet``, ``read_npy``..., APOC's ``apoc.load.*`` and
  ``apoc.export.*`` read and write files); :attr:`QueryPlan.file_access` says what each
  such statement touches;
- every ``$parameter`` the query uses must be given a value.

A word counts as a keyword only where it can be one: not after ``.``, ``:`` or ``$``
and not before ``:`` (so ``n.load``, ``(:Copy)`` and ``{copy: 1}`` are names).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from hmlm_sb.errors import InputError, shorten

TRANSACTION_WORDS = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT", "COMMIT_SKIP_CHECKPOINT",
                               "ROLLBACK_SKIP_CHECKPOINT"})
FILE_WORDS = frozenset({"COPY", "LOAD", "EXPORT", "IMPORT", "ATTACH", "INSTALL", "UNINSTALL"})
# Procedures that only describe the database (LadybugDB table functions; Neo4j procedures).
READ_ONLY_PROCEDURES = frozenset({
    "show_tables", "show_connection", "table_info", "current_setting", "db_version", "show_functions",
    "show_indexes", "show_macros", "show_sequences", "show_warnings", "show_loaded_extensions",
    "show_attached_databases", "show_graphs", "show_projected_graphs", "storage_info", "stats_info",
    "catalog_version", "storage_version", "disk_size_info",
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties", "db.indexes", "db.constraints",
    "db.info", "dbms.components",
})


@dataclass(frozen=True)
class Token:
    kind: str  # "word" | "name" (`quoted`) | "string" | "number" | "param" | "punct"
    text: str  # words as written; strings and names unquoted; params without '$'
    start: int


@dataclass(frozen=True)
class FileAccess:
    """One statement part that touches the file system."""

    verb: str  # e.g. "COPY ... TO", "LOAD FROM", "CALL read_csv_serial"
    action: str  # "writes" | "reads" | "installs" | "loads" | "attaches"
    target: str  # a quoted path, a $parameter, or "an extension" ...

    def describe(self) -> str:
        return f"{self.verb} {self.action} {self.target}"


@dataclass(frozen=True)
class QueryPlan:
    tokens: tuple[Token, ...]
    parameters: frozenset[str] = frozenset()
    file_access: tuple[FileAccess, ...] = field(default=())

    def describe_files(self) -> str:
        return "; ".join(access.describe() for access in self.file_access)


def plan_query(cypher: str) -> QueryPlan:
    """Tokens, parameters and file access of one user query; refuses several statements,
    transaction control and unterminated strings or comments."""
    tokens = tuple(tokenize(cypher))
    _refuse_several_statements(tokens)
    words = [t for t in tokens if t.kind != "punct" or t.text != ";"]
    if not words:
        raise InputError("the query is empty", element="query")
    first = words[0]
    if first.kind == "word" and first.text.upper() in TRANSACTION_WORDS:
        raise InputError("transaction control is not allowed: each query runs in its own transaction",
                         element="query")
    parameters = frozenset(t.text for t in tokens if t.kind == "param")
    return QueryPlan(tokens, parameters, tuple(_file_access(tokens)))


def check_user_query(cypher: str, params: Mapping[str, Any] | None, *, write: bool) -> QueryPlan:
    """:func:`plan_query`, then refuse file access without ``write`` and parameters without values."""
    plan = plan_query(cypher)
    if plan.file_access and not write:
        raise InputError(f"the query touches files ({shorten(plan.describe_files())}): pass --write "
                         "(write=True) to run it; nothing was run", element="query")
    missing = sorted(name for name in plan.parameters if name not in (params or {}))
    if missing:
        raise InputError(f"no value for ${missing[0]}: give it with -p {missing[0]}=VALUE "
                         "(params in Python); nothing was run", element="query")
    return plan


# ---- the lexer ---------------------------------------------------------------------------------------
def tokenize(text: str) -> Iterable[Token]:
    """Cypher tokens; comments and whitespace dropped. Raises InputError on an
    unterminated string, quoted name or comment."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise InputError("unterminated /* comment", element="query")
            i = end + 2
        elif ch in "'\"":
            value, i_next = _string(text, i)
            yield Token("string", value, i)
            i = i_next
        elif ch == "`":
            value, i_next = _quoted_name(text, i)
            yield Token("name", value, i)
            i = i_next
        elif ch == "$":
            j = i + 1
            if j < n and text[j] == "`":
                value, j = _quoted_name(text, j)
            else:
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
                value = text[i + 1:j]
            yield Token("param", value, i)
            i = j
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            yield Token("word", text[i:j], i)
            i = j
        elif ch.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            yield Token("number", text[i:j], i)
            i = j
        else:
            yield Token("punct", ch, i)
            i += 1


def _string(text: str, start: int) -> tuple[str, int]:
    quote, i, out = text[start], start + 1, []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
        elif ch == quote:
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise InputError("unterminated string", element="query")


def _quoted_name(text: str, start: int) -> tuple[str, int]:
    i, out = start + 1, []
    while i < len(text):
        if text[i] == "`":
            if text.startswith("``", i):
                out.append("`")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    raise InputError("unterminated `quoted name`", element="query")


# ---- decisions on tokens -----------------------------------------------------------------------------------
def _refuse_several_statements(tokens: tuple[Token, ...]) -> None:
    for k, token in enumerate(tokens):
        if token.kind == "punct" and token.text == ";" and any(t.text != ";" or t.kind != "punct"
                                                               for t in tokens[k + 1:]):
            raise InputError("one statement per query (found ';' between statements)", element="query")


def _is_keyword(tokens: tuple[Token, ...], k: int) -> bool:
    """A word in keyword position: not a property, label, map key, alias or variable."""
    token = tokens[k]
    if token.kind != "word":
        return False
    before = tokens[k - 1] if k > 0 else None
    after = tokens[k + 1] if k + 1 < len(tokens) else None
    if before is not None and ((before.kind == "punct" and before.text in ".:")
                               or (before.kind == "word" and before.text.upper() == "AS")):
        return False
    if after is None:
        return True
    if after.kind == "punct":
        return after.text in "(=" if token.text.upper() in FILE_WORDS | {"CALL"} else after.text not in ":."
    return not (after.kind == "word" and after.text.upper() == "AS")


def _file_access(tokens: tuple[Token, ...]) -> Iterable[FileAccess]:
    for k, token in enumerate(tokens):
        if not _is_keyword(tokens, k):
            continue
        word = token.text.upper()
        if word in FILE_WORDS:
            yield _file_verb(word, tokens, k)
        elif word == "CALL":
            procedure, after = _procedure_name(tokens, k + 1)
            if procedure is not None and procedure.lower() not in READ_ONLY_PROCEDURES:
                yield FileAccess(f"CALL {shorten(procedure, 60)}", "may read or write",
                                 _first_target(tokens, after) or "files (not a known read-only procedure)")


def _file_verb(word: str, tokens: tuple[Token, ...], k: int) -> FileAccess:
    rest = tokens[k + 1:]
    if word == "COPY":
        direction = _next_keyword(rest, ("TO", "FROM"))
        if direction == "TO":
            return FileAccess("COPY ... TO", "writes", _target_after(rest, "TO"))
        return FileAccess("COPY ... FROM", "reads", _target_after(rest, "FROM"))
    if word == "LOAD":
        nxt = rest[0].text.upper() if rest else ""
        if nxt == "EXTENSION" or (rest and rest[0].kind in ("word", "name", "string")
                                  and nxt not in ("FROM", "WITH", "CSV")):
            return FileAccess("LOAD EXTENSION", "loads", "an extension library from disk")
        return FileAccess("LOAD FROM" if nxt != "CSV" else "LOAD CSV", "reads", _target_after(rest, "FROM"))
    if word == "EXPORT":
        return FileAccess("EXPORT DATABASE", "writes", _first_target(rest, 0) or "a folder")
    if word == "IMPORT":
        return FileAccess("IMPORT DATABASE", "reads", _first_target(rest, 0) or "a folder")
    if word == "ATTACH":
        return FileAccess("ATTACH", "opens", _first_target(rest, 0) or "another database")
    return FileAccess(word, "installs or removes", "an extension (downloads and writes files)")


def _top_level(tokens: tuple[Token, ...], matches) -> int | None:
    """Index of the first token at parenthesis depth 0 for which ``matches(k, token)``."""
    depth = 0
    for k, token in enumerate(tokens):
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            depth -= 1
        elif depth == 0 and matches(k, token):
            return k
    return None


def _next_keyword(tokens: tuple[Token, ...], words: tuple[str, ...]) -> str | None:
    """The first of ``words`` at parenthesis depth 0 (COPY (MATCH ... ) TO: the TO after the subquery)."""
    k = _top_level(tokens, lambda k, token: _is_keyword(tokens, k) and token.text.upper() in words)
    return None if k is None else tokens[k].text.upper()


def _target_after(tokens: tuple[Token, ...], word: str) -> str:
    k = _top_level(tokens, lambda _k, token: token.kind == "word" and token.text.upper() == word)
    return "a file" if k is None else (_first_target(tokens, k + 1) or "a file")


def _first_target(tokens: tuple[Token, ...], start: int) -> str | None:
    for token in tokens[start:start + 4]:
        if token.kind == "string":
            return repr(shorten(token.text, 120))
        if token.kind == "param":
            return f"${token.text}"
    return None


def _procedure_name(tokens: tuple[Token, ...], start: int) -> tuple[str | None, int]:
    """(``db.labels``, index after it) for ``CALL db.labels()``; None for a ``CALL { ... }`` subquery."""
    parts, k = [], start
    while k < len(tokens) and tokens[k].kind in ("word", "name"):
        parts.append(tokens[k].text)
        if k + 1 < len(tokens) and tokens[k + 1].kind == "punct" and tokens[k + 1].text == ".":
            k += 2
        else:
            k += 1
            break
    return (".".join(parts) if parts else None), k
