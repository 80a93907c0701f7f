"""Every form of the `hmlm crosstalk` query through Neo4j's own parser (it also runs on
LadybugDB in test_cli.py): the same Cypher serves both stores."""
from __future__ import annotations

import itertools

from hmlm_sb.crosstalk import crosstalk_query
from tests.store.test_cypher_lint import lint


def test_crosstalk_query_variants_pass_the_neo4j_lint():
    statements = []
    for level, end, condition, novel in itertools.product(("species", "pathway"), (None, "source", "target"),
                                                          (None, "TGFB"), (False, True)):
        cypher, params = crosstalk_query(level=level, end=end, condition=condition, novel=novel, top=5)
        assert all(f"${name}" in cypher for name in params)
        assert ("$node" in cypher) == (end is not None)
        statements.append((f"{level}-{end}-{condition}-{novel}", cypher))
    for confidence, method in ((0.5, None), (None, "attention"), (0.8, "jacobian")):
        cypher, params = crosstalk_query(min_confidence=confidence, method=method)
        assert all(f"${name}" in cypher for name in params)
        statements.append((f"confidence-{confidence}-{method}", cypher))
    statements.append(("resolve", "MATCH (n:Species) WHERE n.uid = $name OR n.id = $name OR n.name = $name "
                                  "RETURN n.uid AS uid ORDER BY uid"))
    result = lint(statements)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_crosstalk_query_passes_values_as_parameters():
    cypher, params = crosstalk_query(end="source", condition="a' OR 1=1 //", top=3)
    assert "1=1" not in cypher
    assert params == {"condition": "a' OR 1=1 //", "top": 3, "attention": "attention"}
    cypher, params = crosstalk_query(min_confidence=0.6, method="jacobian' //")
    assert "jacobian" not in cypher and params["method"] == "jacobian' //" and params["min_confidence"] == 0.6
