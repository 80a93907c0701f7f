// The crosstalk recipe book: Cypher that runs unchanged on LadybugDB (embedded) and
// Neo4j 5. Statements are separated by a line "// ---"; each starts with "// name:".
// Run one with parameters, e.g.
//   hmlm query "$(...)" --param condition=TGFB
// Every recipe is tested against the embedded store in tests/crosstalk/test_recipes.py.

// ---
// name: top_novel_crosstalk_under_condition
// The strongest learned species-to-species influences that are not a known REGULATES
// edge of the prior, under one condition (e.g. $condition = 'TGFB').
// params: condition (STRING), top (INT64)
MATCH (s:Species)-[c:CROSSTALK]->(t:Species)
WHERE c.condition = $condition AND c.known = false
RETURN s.uid AS source, s.name AS source_name, t.uid AS target, t.name AS target_name,
       c.weight AS weight, c.rank AS rank, c.run AS run
ORDER BY weight DESC, source, target
LIMIT $top

// ---
// name: pathway_coupling_change
// Pathway pairs whose learned coupling changes most between two conditions (e.g.
// $base = 'control', $other = 'strain'); a pair missing under one condition counts 0.
// params: base (STRING), other (STRING), top (INT64)
MATCH (a:Pathway)-[c:CROSSTALK]->(b:Pathway)
WHERE c.condition = $base OR c.condition = $other
WITH a, b,
     sum(CASE WHEN c.condition = $base THEN c.weight ELSE 0.0 END) AS base_weight,
     sum(CASE WHEN c.condition = $other THEN c.weight ELSE 0.0 END) AS other_weight
WITH a, b, base_weight, other_weight, other_weight - base_weight AS change
RETURN a.uid AS source, a.name AS source_name, b.uid AS target, b.name AS target_name,
       base_weight, other_weight, change, abs(change) AS magnitude
ORDER BY magnitude DESC, source, target
LIMIT $top

// ---
// name: species_shared_across_models
// Species of different models annotated with the same external id (e.g.
// $namespace = 'uniprot'), each with how much learned crosstalk touches it.
// params: namespace (STRING)
MATCH (a:Species)-[:HAS_XREF]->(x:Xref)<-[:HAS_XREF]-(b:Species)
WHERE x.namespace = $namespace AND a.model < b.model
OPTIONAL MATCH (a)-[ca:CROSSTALK]-(:Species)
WITH x, a, b, count(ca) AS a_edges, max(ca.weight) AS a_top_weight
OPTIONAL MATCH (b)-[cb:CROSSTALK]-(:Species)
RETURN x.uid AS xref, a.uid AS species_a, b.uid AS species_b,
       a_edges, a_top_weight, count(cb) AS b_edges, max(cb.weight) AS b_top_weight
ORDER BY xref, species_a, species_b

// ---
// name: run_of_edge
// Which training run produced the crosstalk edges from one species to another, with the
// run's model kind, time, fingerprint, checkpoint and cell.
// params: source (STRING), target (STRING)
MATCH (s:Species)-[c:CROSSTALK]->(t:Species)
WHERE s.uid = $source AND t.uid = $target
MATCH (r:TrainingRun)
WHERE r.uid = c.run
OPTIONAL MATCH (r)-[:PRODUCED]->(cell:Cell)
RETURN c.condition AS condition, c.weight AS weight, c.rank AS rank, r.uid AS run,
       r.model_kind AS model_kind, r.created_at AS created_at, r.fingerprint AS fingerprint,
       r.checkpoint AS checkpoint, cell.uid AS cell
ORDER BY condition, run
