"""A typed view of graph_schema/schema.yaml and the DDL both stores derive from it.

LadybugDB gets one NODE TABLE per label (``PRIMARY KEY`` on the key) and one REL TABLE
per relationship type listing every FROM/TO pair; Neo4j gets a uniqueness constraint
per label and a range index per ``indexes`` entry. Labels, types and property names
come from the schema file, never from user input.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

PROPERTY_TYPES = ("STRING", "INT64", "DOUBLE", "BOOLEAN", "STRING[]", "DOUBLE[]")
META_LABEL = "Meta"
META_UID = "schema"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Property:
    name: str
    type: str


@dataclass(frozen=True)
class NodeLabel:
    name: str
    key: str
    properties: tuple[Property, ...]
    indexes: tuple[str, ...] = ()

    @cached_property
    def property_names(self) -> list[str]:
        return [p.name for p in self.properties]


@dataclass(frozen=True)
class RelType:
    name: str
    pairs: tuple[tuple[str, str], ...]
    properties: tuple[Property, ...]

    @cached_property
    def property_names(self) -> list[str]:
        return [p.name for p in self.properties]


@dataclass(frozen=True)
class GraphSchema:
    version: str
    nodes: dict[str, NodeLabel]
    relationships: dict[str, RelType]

    def node(self, label: str) -> NodeLabel:
        return self.nodes[label]

    def rel(self, rel_type: str) -> RelType:
        return self.relationships[rel_type]

    @property
    def data_labels(self) -> list[str]:
        """Every label but the internal Meta node."""
        return [name for name in self.nodes if name != META_LABEL]


def parse_schema(raw: dict) -> GraphSchema:
    """Check and type the schema file's content; ValueError names the first fault."""
    nodes = {}
    for name, spec in raw["nodes"].items():
        props = _properties(name, spec.get("properties") or {})
        key = spec.get("key", "uid")
        if key not in {p.name for p in props}:
            raise ValueError(f"schema: node {name} key {key!r} is not one of its properties")
        indexes = tuple(spec.get("indexes") or ())
        for prop in indexes:
            if prop not in {p.name for p in props}:
                raise ValueError(f"schema: node {name} index {prop!r} is not one of its properties")
        nodes[_checked_name(name)] = NodeLabel(name, key, props, indexes)
    rels = {}
    for name, spec in raw["relationships"].items():
        pairs = tuple((src, dst) for src, dst in spec["pairs"])
        for src, dst in pairs:
            if src not in nodes or dst not in nodes:
                raise ValueError(f"schema: relationship {name} pair ({src}, {dst}) names an unknown label")
        rels[_checked_name(name)] = RelType(name, pairs, _properties(name, spec.get("properties") or {}))
    names = [name.lower() for name in [*nodes, *rels]]
    clash = next((name for name in names if names.count(name) > 1), None)
    if clash:
        raise ValueError(f"schema: {clash!r} names two tables (LadybugDB table names ignore case)")
    return GraphSchema(str(raw["version"]), nodes, rels)


def _properties(owner: str, spec: dict) -> tuple[Property, ...]:
    props = []
    for name, ptype in spec.items():
        if ptype not in PROPERTY_TYPES:
            raise ValueError(f"schema: {owner}.{name} has unknown type {ptype!r}")
        props.append(Property(_checked_name(name), ptype))
    return tuple(props)


def _checked_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"schema: {name!r} is not a plain identifier")
    return name


@lru_cache(maxsize=1)
def graph_schema() -> GraphSchema:
    """The schema this hmlm-sb writes (graph_schema/schema.yaml)."""
    return parse_schema(_schema_data())


def _schema_data() -> dict:
    """schema.yaml as data. Importing and running the YAML parser costs more than a
    `hmlm query` itself, so the parsed data is kept as JSON beside Python's own bytecode
    cache (graph_schema/__pycache__), named by the YAML's hash; no cache where that
    folder cannot be written."""
    from graph_schema import SCHEMA_PATH, load_schema

    raw = SCHEMA_PATH.read_bytes()
    cache = SCHEMA_PATH.parent / "__pycache__" / f"schema-{hashlib.sha256(raw).hexdigest()[:20]}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = load_schema()
    try:
        cache.parent.mkdir(exist_ok=True)
        text = json.dumps(data)
        if json.loads(text) == data:  # only what JSON keeps exactly
            partial = cache.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, cache)
    except (OSError, TypeError, ValueError):
        pass
    return data


# ---- LadybugDB -----------------------------------------------------------------------------
def ladybug_ddl(schema: GraphSchema) -> list[str]:
    """CREATE NODE TABLE / CREATE REL TABLE statements, idempotent (IF NOT EXISTS)."""
    statements = []
    for node in schema.nodes.values():
        columns = ", ".join(f"{p.name} {p.type}" for p in node.properties)
        statements.append(f"CREATE NODE TABLE IF NOT EXISTS {node.name}({columns}, PRIMARY KEY({node.key}))")
    for rel in schema.relationships.values():
        parts = [f"FROM {src} TO {dst}" for src, dst in rel.pairs]
        parts += [f"{p.name} {p.type}" for p in rel.properties]
        statements.append(f"CREATE REL TABLE IF NOT EXISTS {rel.name}({', '.join(parts)})")
    return statements


def arrow_schema(names_and_types: list[tuple[str, str]]):
    """A pyarrow schema for COPY: column order is what LadybugDB binds by."""
    import pyarrow as pa

    types = {"STRING": pa.string(), "INT64": pa.int64(), "DOUBLE": pa.float64(),
             "BOOLEAN": pa.bool_(), "STRING[]": pa.list_(pa.string()), "DOUBLE[]": pa.list_(pa.float64())}
    return pa.schema([(name, types[ptype]) for name, ptype in names_and_types])


# ---- Neo4j ---------------------------------------------------------------------------------
def neo4j_constraints(schema: GraphSchema) -> list[str]:
    """Uniqueness constraints on each label's key and range indexes, idempotent."""
    statements = []
    for node in schema.nodes.values():
        statements.append(f"CREATE CONSTRAINT {node.name.lower()}_{node.key}_unique IF NOT EXISTS "
                          f"FOR (n:{node.name}) REQUIRE n.{node.key} IS UNIQUE")
        for prop in node.indexes:
            statements.append(f"CREATE INDEX {node.name.lower()}_{prop} IF NOT EXISTS "
                              f"FOR (n:{node.name}) ON (n.{prop})")
    return statements
