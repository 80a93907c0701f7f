"""Every form of the `hmlm crosstalk` query through Neo4j's own parser (it also runs on
LadybugDB in test_cli.py): the same Cypher serves both stores."""
from __future__ import annotations

import itertools

from hmlm_sb.crosstalk import crosstalk_query
from tests.store.test_cypher_lint import lint


def test_crosstalk_query_variants_pass_the_neo4j_lint():
    statements = []
    for level, by, condition, novel in itertools.product(("species", "pathway"), (None, "x"), (None, "TGFB"),
                                                         (False, True)):
        filters = {"species": by} if level == "species" else {"pathway": by}
        cypher, params = crosstalk_query(level=level, condition=condition, novel=novel, top=5, **filters)
        assert all(f"${name}" in cypher for name in params)
        statements.append((f"{level}-{by}-{condition}-{novel}", cypher))
    result = lint(statements)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_crosstalk_query_passes_values_as_parameters():
    cypher, params = crosstalk_query(species="x' OR 1=1 //", condition="a\"b", top=3)
    assert "1=1" not in cypher and 'a"b' not in cypher
    assert params == {"species": "x' OR 1=1 //", "condition": 'a"b', "top": 3}
