"""Every Cypher statement the stores send, as data.

``READS`` and ``SHARED_WRITES`` run unchanged on LadybugDB and Neo4j; ``NEO4J_WRITES``
are the Neo4j-only ``UNWIND $rows`` batches (LadybugDB writes those rows with COPY).
Labels, relationship types and property names come from graph_schema/schema.yaml;
every value travels as a parameter. :func:`neo4j_statements` yields all that the Neo4j
store can send, which the Cypher lint test checks with Neo4j's own parser.
"""
from __future__ import annotations

from typing import Iterator

from hmlm_sb.store.schema import META_LABEL, GraphSchema, graph_schema, neo4j_constraints

MODEL_ELEMENT_LABELS = ("Species", "Reaction", "Pathway", "Compartment")
NEO4J_BATCH_SIZE = 1000


def _returns(schema: GraphSchema, label: str, var: str = "n") -> str:
    return ", ".join(f"{var}.{p} AS {p}" for p in schema.node(label).property_names)


def _set_clause(var: str, props: list[str], source: str = "$") -> str:
    return ", ".join(f"{var}.{p} = {source}{p}" for p in props)


def build_reads(schema: GraphSchema) -> dict[str, str]:
    reads = {
        "schema_version": f"MATCH (m:{META_LABEL} {{uid: $uid}}) RETURN m.schema_version AS version",
        "model_sha256": "MATCH (m:Model {uid: $model}) RETURN m.sha256 AS sha256",
        "models": f"MATCH (m:Model) WHERE m.uid IN $models RETURN {_returns(schema, 'Model', 'm')}",
        "list_models": ("MATCH (m:Model) RETURN m.uid AS id, m.name AS name, m.format AS format, "
                        "m.source_file AS source_file, m.sha256 AS sha256, m.imported_at AS imported_at, "
                        "m.organism AS organism ORDER BY id"),
        "all_model_ids": "MATCH (m:Model) RETURN m.uid AS uid ORDER BY uid",
        "model_ids_with_slash": "MATCH (m:Model) WHERE m.uid CONTAINS '/' RETURN m.uid AS uid LIMIT 1",
        "cell": f"MATCH (c:Cell {{uid: $cell}}) RETURN {_returns(schema, 'Cell', 'c')}",
        "cells_of_model": ("MATCH (m:Model {uid: $model})-[:IN_CELL]->(c:Cell) "
                           f"RETURN {_returns(schema, 'Cell', 'c')} ORDER BY uid"),
        "models_in_cell": ("MATCH (m:Model)-[:IN_CELL]->(c:Cell {uid: $cell}) RETURN m.uid AS uid "
                           "UNION MATCH (p:Pathway)-[:IN_CELL]->(c:Cell {uid: $cell}) RETURN p.model AS uid"),
        "pathways_named": ("MATCH (p:Pathway) WHERE p.model IN $models AND (p.uid IN $names OR p.id IN $names) "
                           "RETURN p.uid AS uid, p.id AS id, p.model AS model"),
        "species_in_pathways": ("UNWIND $pathways AS pathway MATCH (s:Species)-[:IN_PATHWAY]->(p:Pathway {uid: pathway}) "
                                "RETURN DISTINCT s.uid AS uid"),
        "reactions_within": ("MATCH (s:Species)-[:PARTICIPATES]->(r:Reaction) WHERE r.model = $model "
                             "OPTIONAL MATCH (s)-[:IN_PATHWAY]->(p:Pathway) WHERE p.uid IN $pathways "
                             "WITH r, s, count(p) AS hits "
                             "WITH r, count(s) AS total, sum(CASE WHEN hits > 0 THEN 1 ELSE 0 END) AS inside "
                             "WHERE total = inside RETURN r.uid AS uid"),
        "participants": ("UNWIND $reactions AS reaction MATCH (s:Species)-[p:PARTICIPATES]->(r:Reaction {uid: reaction}) "
                         "RETURN r.id AS reaction, s.id AS species, p.role AS role, p.sign AS sign, "
                         "p.stoichiometry AS stoichiometry, p.threshold AS threshold, p.sbo AS sbo, "
                         "p.position AS position ORDER BY reaction, position"),
        "participants_of_model": ("MATCH (s:Species)-[p:PARTICIPATES]->(r:Reaction) WHERE r.model = $model "
                                  "RETURN r.id AS reaction, s.id AS species, p.role AS role, p.sign AS sign, "
                                  "p.stoichiometry AS stoichiometry, p.threshold AS threshold, p.sbo AS sbo, "
                                  "p.position AS position ORDER BY reaction, position"),
        "pathway_members_of_model": ("MATCH (s:Species)-[m:IN_PATHWAY]->(p:Pathway) WHERE p.model = $model "
                                     "RETURN p.id AS pathway, s.id AS species, m.position AS position "
                                     "ORDER BY pathway, position"),
        "pathway_members": ("UNWIND $pathways AS pathway MATCH (s:Species)-[m:IN_PATHWAY]->(p:Pathway {uid: pathway}) "
                            "RETURN p.id AS pathway, s.id AS species, m.position AS position ORDER BY pathway, position"),
        "training_runs": (f"MATCH (t:TrainingRun) RETURN {_returns(schema, 'TrainingRun', 't')} "
                          "ORDER BY created_at DESC, uid DESC"),
        "training_runs_of_cell": (f"MATCH (t:TrainingRun) WHERE t.cell = $cell "
                                  f"RETURN {_returns(schema, 'TrainingRun', 't')} ORDER BY created_at DESC, uid DESC"),
        "run_ids_of_cell": "MATCH (t:TrainingRun) WHERE t.cell = $cell RETURN t.uid AS uid",
        "crosstalk_of_model": ("MATCH (s)-[c:CROSSTALK]->(t) WHERE s.model = $model OR t.model = $model "
                               "RETURN c.run AS run, count(c) AS edges ORDER BY run"),
    }
    for label in MODEL_ELEMENT_LABELS:
        reads[f"nodes_of_model:{label}"] = (f"MATCH (n:{label}) WHERE n.model = $model "
                                            f"RETURN {_returns(schema, label)} ORDER BY position, uid")
        reads[f"nodes_by_uid:{label}"] = (f"UNWIND $uids AS key MATCH (n:{label} {{uid: key}}) "
                                          f"RETURN {_returns(schema, label)} ORDER BY position, uid")
        reads[f"xrefs:{label}"] = (f"UNWIND $uids AS key MATCH (n:{label} {{uid: key}})-[x:HAS_XREF]->(r:Xref) "
                                   "RETURN n.id AS owner, r.uid AS resource, x.qualifier AS qualifier, "
                                   "x.position AS position ORDER BY owner, position")
        reads[f"xrefs_of_model:{label}"] = (f"MATCH (n:{label})-[x:HAS_XREF]->(r:Xref) WHERE n.model = $model "
                                            "RETURN n.id AS owner, r.uid AS resource, x.qualifier AS qualifier, "
                                            "x.position AS position ORDER BY owner, position")
    reads["xrefs:Model"] = ("UNWIND $uids AS key MATCH (n:Model {uid: key})-[x:HAS_XREF]->(r:Xref) "
                            "RETURN n.uid AS owner, r.uid AS resource, x.qualifier AS qualifier, "
                            "x.position AS position ORDER BY owner, position")
    for label in schema.nodes:
        reads[f"existing_uids:{label}"] = f"UNWIND $uids AS key MATCH (n:{label} {{uid: key}}) RETURN n.uid AS uid"
        reads[f"count_nodes:{label}"] = f"MATCH (n:{label}) RETURN count(n) AS count"
    for rel in schema.relationships:
        reads[f"count_rels:{rel}"] = f"MATCH ()-[r:{rel}]->() RETURN count(r) AS count"
    return reads


def build_shared_writes(schema: GraphSchema) -> dict[str, str]:
    run_props = [p for p in schema.node("TrainingRun").property_names if p != "uid"]
    cell_props = [p for p in schema.node("Cell").property_names if p != "uid"]
    writes = {
        "set_schema_version": f"MERGE (m:{META_LABEL} {{uid: $uid}}) SET m.schema_version = $version",
        "merge_cell": (f"MERGE (c:Cell {{uid: $uid}}) ON CREATE SET {_set_clause('c', cell_props)}"),
        "record_run": f"MERGE (t:TrainingRun {{uid: $uid}}) SET {_set_clause('t', run_props)}",
        "link_run_to_cell": ("MATCH (t:TrainingRun {uid: $run}) MATCH (c:Cell {uid: $cell}) "
                             "MERGE (t)-[:PRODUCED]->(c)"),
        "delete_crosstalk": ("MATCH ()-[r:CROSSTALK]->() WHERE r.condition IN $conditions AND r.run IN $runs "
                             "DELETE r"),
        "delete_model": "MATCH (m:Model {uid: $model}) DETACH DELETE m",
        "delete_orphan_xrefs": "MATCH (x:Xref) WHERE NOT EXISTS { MATCH (x)<-[:HAS_XREF]-() } DELETE x",
    }
    for label in MODEL_ELEMENT_LABELS:
        writes[f"delete_elements:{label}"] = f"MATCH (n:{label}) WHERE n.model = $model DETACH DELETE n"
    return writes


def build_neo4j_writes(schema: GraphSchema) -> dict[str, str]:
    """Batched creates: ``$rows`` is a list of maps (nodes: properties; relationships:
    ``from``, ``to`` and ``props``)."""
    writes = {}
    for label in schema.data_labels:
        if label == "Xref":
            writes["create_nodes:Xref"] = ("UNWIND $rows AS row MERGE (n:Xref {uid: row.uid}) "
                                           "ON CREATE SET n.namespace = row.namespace, n.accession = row.accession")
        else:
            writes[f"create_nodes:{label}"] = f"UNWIND $rows AS row CREATE (n:{label}) SET n = row"
    for rel in schema.relationships.values():
        for src, dst in rel.pairs:
            writes[f"create_rels:{rel.name}:{src}:{dst}"] = (
                f"UNWIND $rows AS row MATCH (a:{src} {{uid: row.from}}) MATCH (b:{dst} {{uid: row.to}}) "
                f"CREATE (a)-[r:{rel.name}]->(b) SET r = row.props")
    return writes


def _registry() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    from hmlm_sb.store.experiments import experiment_reads, experiment_writes

    schema = graph_schema()
    reads = {**build_reads(schema), **experiment_reads(schema)}
    writes = {**build_shared_writes(schema), **experiment_writes(schema)}
    return reads, writes, build_neo4j_writes(schema)


READS, SHARED_WRITES, NEO4J_WRITES = _registry()
NEO4J_SCHEMA_STATEMENTS = neo4j_constraints(graph_schema())


def neo4j_statements() -> Iterator[tuple[str, str]]:
    """(name, Cypher) for every statement the Neo4j store can send (user queries aside)."""
    for i, statement in enumerate(NEO4J_SCHEMA_STATEMENTS):
        yield f"schema:{i}", statement
    yield from READS.items()
    yield from SHARED_WRITES.items()
    yield from NEO4J_WRITES.items()
