"""What a user query may do, read from its tokens: one statement, no transaction control,
no file access without write, every parameter given (issue 16, items 4, 5 and 9)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmlm_sb.errors import InputError
from hmlm_sb.store.statements import check_user_query, plan_query, tokenize


def refused(cypher: str, *, write: bool = False, params=None) -> str:
    with pytest.raises(InputError) as info:
        check_user_query(cypher, params, write=write)
    return str(info.value)


@pytest.mark.parametrize("cypher", [
    "/* x */ BEGIN TRANSACTION",
    "// note\nCOMMIT",
    "  rollback",
    "CHECKPOINT;",
])
def test_transaction_control_is_refused_behind_comments(cypher):
    assert "transaction control" in refused(cypher, write=True)


@pytest.mark.parametrize("cypher", [
    "RETURN 1 AS x /* ' */ ; CREATE (:Cell {uid: 'x'})",
    "RETURN 1 AS x; RETURN 2 AS y",
    "RETURN 'a;b' AS s // c\n; MATCH (n) DETACH DELETE n",
    "RETURN \"a\\\"\" AS s; RETURN 2",
])
def test_two_statements_are_refused_even_with_write(cypher):
    assert "one statement per query" in refused(cypher, write=True)


@pytest.mark.parametrize("cypher", [
    "RETURN 1 /* ; */ AS x",
    "RETURN ';' AS x;",
    "RETURN 1 AS x // ; CREATE ()",
    "RETURN 1 AS `a;b`",
    "RETURN 'it\\'s; fine' AS x ;  ; ",
])
def test_one_statement_with_semicolons_in_comments_strings_and_names(cypher):
    assert check_user_query(cypher, {}, write=False).file_access == ()


@pytest.mark.parametrize("cypher, says", [
    ("COPY (MATCH (s:Species) RETURN s.uid) TO 'file.csv'", "COPY ... TO writes 'file.csv'"),
    ("LOAD FROM '/etc/passwd' (header=false) RETURN *", "LOAD FROM reads '/etc/passwd'"),
    ("load with headers (a STRING) from $path RETURN *", "LOAD FROM reads $path"),
    ("COPY Species FROM 'species.csv'", "COPY ... FROM reads 'species.csv'"),
    ("EXPORT DATABASE '/tmp/out'", "EXPORT DATABASE writes '/tmp/out'"),
    ("IMPORT DATABASE '/tmp/out'", "IMPORT DATABASE reads '/tmp/out'"),
    ("ATTACH '/tmp/other.lbdb' AS other (dbtype lbug)", "ATTACH opens '/tmp/other.lbdb'"),
    ("INSTALL httpfs", "INSTALL installs"),
    ("LOAD EXTENSION json", "LOAD EXTENSION loads"),
    ("LOAD json", "LOAD EXTENSION loads"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LOAD CSV reads 'file:///etc/passwd'"),
    ("CALL read_csv_serial('/etc/passwd') RETURN *", "CALL read_csv_serial may read or write '/etc/passwd'"),
    ("CALL `READ_PARQUET`('x.parquet') RETURN *", "CALL READ_PARQUET may read or write 'x.parquet'"),
    ("CALL apoc.export.csv.all('out.csv', {})", "CALL apoc.export.csv.all may read or write 'out.csv'"),
    ("MATCH (n) /* x */ CALL apoc.load.json('f.json') YIELD value RETURN value", "CALL apoc.load.json"),
    ("CALL spill_to_disk=true", "CALL spill_to_disk"),
])
def test_file_verbs_need_write_and_say_what_they_touch(cypher, says):
    message = refused(cypher)
    assert "touches files" in message and "--write" in message and says in message, message
    plan = check_user_query(cypher, {"path": "p"}, write=True)
    assert says in plan.describe_files()


@pytest.mark.parametrize("cypher", [
    "MATCH (load:Species) RETURN load.uid AS copy",
    "MATCH (n:Species) RETURN n.load, n.copy, n.`COPY`",
    "RETURN {copy: 1, load: 2} AS m",
    "RETURN 'COPY x TO y; LOAD FROM z' AS text",
    "MATCH (n) // COPY (n) TO 'x'\nRETURN count(n) AS n",
    "CALL show_tables() RETURN *",
    "CALL table_info('Species') RETURN *",
    "CALL db.labels()",
    "MATCH (n) CALL { WITH n RETURN n.uid AS u } RETURN u",
    "MATCH (n) DETACH DELETE n",
])
def test_names_strings_comments_and_read_only_procedures_are_no_file_access(cypher):
    assert plan_query(cypher).file_access == ()


def test_a_parameter_without_a_value_is_refused():
    message = refused("MATCH (s:Species) WHERE s.uid = $uid RETURN s", params={})
    assert "no value for $uid" in message and "-p uid=" in message
    assert check_user_query("MATCH (s:Species) WHERE s.uid = $uid RETURN s", {"uid": "a"}, write=False)
    assert plan_query("RETURN '$notaparam' AS x").parameters == frozenset()


@pytest.mark.parametrize("cypher", ["RETURN 'open", "RETURN 1 /* open", "RETURN `open", ";", "  "])
def test_unterminated_and_empty_queries_are_refused(cypher):
    refused(cypher, write=True)


def test_tokens_drop_comments_and_unquote():
    kinds = [(t.kind, t.text) for t in tokenize("MATCH /* c */ (n:`Sp ecies`) // x\nWHERE n.a = 'q\\'t' RETURN $p")]
    assert kinds == [("word", "MATCH"), ("punct", "("), ("word", "n"), ("punct", ":"), ("name", "Sp ecies"),
                     ("punct", ")"), ("word", "WHERE"), ("word", "n"), ("punct", "."), ("word", "a"),
                     ("punct", "="), ("string", "q\\'t"), ("word", "RETURN"), ("param", "p")]


def test_a_long_value_in_the_refusal_is_cut():
    message = refused(f"COPY (MATCH (n) RETURN n) TO '{'x' * 10_000}.csv'")
    assert len(message) < 600 and "characters)" in message


CYPHERISH = st.text(alphabet=st.sampled_from(list("abcCOPYLOADcall ;'\"`/*\\$()\n{}:.-=1")), max_size=80)


@settings(max_examples=300, deadline=None)
@given(CYPHERISH)
def test_any_text_is_planned_or_refused_in_one_line(text):
    try:
        plan = plan_query(text)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    semicolons = [k for k, t in enumerate(plan.tokens) if t.kind == "punct" and t.text == ";"]
    if semicolons:  # a planned query has nothing but ';' after its first ';'
        assert all(t.kind == "punct" and t.text == ";" for t in plan.tokens[semicolons[0]:])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60).filter(lambda s: "*/" not in s))
def test_nothing_inside_a_comment_counts(inner):
    plan = plan_query(f"MATCH (n) /*{inner}*/ RETURN n")
    assert [t.text for t in plan.tokens] == ["MATCH", "(", "n", ")", "RETURN", "n"]
    assert plan.file_access == ()
