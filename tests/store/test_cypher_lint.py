"""Every Cypher statement the Neo4j store can send, and the recipe book, through Neo4j's
own parser (tools/cypher_lint, npm package @neo4j-cypher/language-support)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hmlm_sb.store.cypher import neo4j_statements
from hmlm_sb.store.schema import graph_schema

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
LINT_DIR = ROOT / "tools" / "cypher_lint"
RECIPES = ROOT / "docs" / "cypher_recipes.cypher"
PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def lint(statements: list[tuple[str, str]]) -> subprocess.CompletedProcess:
    need(shutil.which("node") is not None, "node is not installed")
    need((LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir(),
         f"npm packages missing: run `npm install` in {LINT_DIR} (make install)")
    schema = graph_schema()
    payload = {
        "statements": [{"name": name, "cypher": cypher,
                        "parameters": {p: None for p in PARAMETER.findall(cypher)}}
                       for name, cypher in statements],
        "labels": list(schema.nodes),
        "relationshipTypes": list(schema.relationships),
    }
    return subprocess.run(["node", str(LINT_DIR / "lint.mjs")], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=120)


def recipe_statements(text: str) -> list[tuple[str, str]]:
    """Recipes are separated by a line '// ---'; each names itself in '// name: ...'."""
    out = []
    for i, chunk in enumerate(re.split(r"^// ---\s*$", text, flags=re.MULTILINE)):
        name = re.search(r"^// name:\s*(\S+)", chunk, flags=re.MULTILINE)
        body = "\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("//")).strip()
        if body:
            out.append((name.group(1) if name else f"recipe {i}", body.rstrip(";")))
    return out


BAD_STATEMENTS = {
    "bad:syntax": ("MATCH (n:Species RETURN n", "Invalid input"),
    "bad:label": ("MATCH (n:Specie) RETURN n.uid", "Label Specie is not present"),
    "bad:type": ("MATCH (a)-[r:XREF]->(b) RETURN r", "Relationship type XREF is not present"),
}


@pytest.fixture(scope="module")
def lint_report() -> tuple[int, dict[str, list[str]]]:
    """One lint run (Neo4j's analyser takes ~0.1-0.3 s a statement) over the store's
    statements, the recipes and deliberately bad statements: (exit code, name -> diagnostics)."""
    statements = [(f"store:{name}", cypher) for name, cypher in neo4j_statements()]
    if RECIPES.is_file():
        statements += [(f"recipe:{name}", cypher) for name, cypher in recipe_statements(RECIPES.read_text("utf-8"))]
    statements += [(name, cypher) for name, (cypher, _) in BAD_STATEMENTS.items()]
    result = lint(statements)
    report: dict[str, list[str]] = {name: [] for name, _ in statements}
    for line in result.stdout.splitlines():
        name, _, message = line.partition(": ")
        report.setdefault(name, []).append(message)
    return result.returncode, report


def test_every_neo4j_statement_passes_the_lint(lint_report):
    _, report = lint_report
    store = {name: messages for name, messages in report.items() if name.startswith("store:")}
    assert len(store) > 50
    assert {name: messages for name, messages in store.items() if messages} == {}


def test_recipes_pass_the_lint(lint_report):
    if not RECIPES.is_file():
        pytest.skip("no docs/cypher_recipes.cypher (optional)")
    _, report = lint_report
    recipes = {name: messages for name, messages in report.items() if name.startswith("recipe:")}
    assert recipes, "the recipe file holds no statement"
    assert {name: messages for name, messages in recipes.items() if messages} == {}


@pytest.mark.parametrize("name", sorted(BAD_STATEMENTS))
def test_lint_fails_on_a_bad_statement(lint_report, name):
    returncode, report = lint_report
    assert returncode == 1
    assert any(BAD_STATEMENTS[name][1] in message for message in report[name]), report[name]


def test_lint_passes_a_good_statement():
    result = lint([("good", "MATCH (n:Species) WHERE n.uid = $uid RETURN n.name AS name")])
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_recipe_splitting():
    text = "// header\n\n// ---\n// name: one\nMATCH (n) RETURN n\n// ---\n// name: two\n// note\nRETURN 1;\n"
    assert recipe_statements(text) == [("one", "MATCH (n) RETURN n"), ("two", "RETURN 1")]
