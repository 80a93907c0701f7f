"""`hmlm query` on a real LadybugDB store: no file read or written without --write, one
statement whatever the comments say, parameters given or refused (issue 16)."""
from __future__ import annotations

import pytest

from .conftest import open_ladybug
from .networks import signaling_network
from .test_store_cli import one_line_error, run  # noqa: F401  (fixture)


@pytest.fixture
def filled(ladybug_path):
    with open_ladybug(ladybug_path) as store:
        store.save_network(signaling_network(), cell="fibroblast")
    return str(ladybug_path)


def test_copy_to_without_write_leaves_an_existing_file_alone(run, filled, tmp_path):
    target = tmp_path / "file.csv"
    target.write_text("precious\n")
    code, out, err = run("--db", filled, "query", f"COPY (MATCH (s:Species) RETURN s.uid) TO '{target}'")
    line = one_line_error(code, err)
    assert "touches files" in line and f"writes '{target}'" in line and "--write" in line
    assert target.read_text() == "precious\n" and out == ""


def test_copy_to_with_write_says_what_it_writes(run, filled, tmp_path):
    target = tmp_path / "out.csv"
    code, _, err = run("--db", filled, "query", f"COPY (MATCH (s:Species) RETURN s.uid) TO '{target}'", "--write")
    assert code == 0, err
    assert f"note: COPY ... TO writes '{target}'" in err
    assert len(target.read_text().splitlines()) == 7


def test_load_from_a_system_file_prints_nothing_of_it(run, filled, tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    for cypher in (f"LOAD FROM '{secret}' (header=false, delim=':') RETURN *",
                   f"CALL read_csv_serial('{secret}') RETURN *",
                   f"/* c */ load from '{secret}' RETURN *"):
        code, out, err = run("--db", filled, "query", cypher)
        assert "touches files" in one_line_error(code, err) and "root:x" not in out + err


def test_comments_do_not_fool_the_one_statement_guard(run, filled):
    code, _, err = run("--db", filled, "query", "/* x */ BEGIN TRANSACTION")
    assert "transaction control" in one_line_error(code, err)
    code, _, err = run("--db", filled, "query", "RETURN 1 AS x /* ' */ ; CREATE (:Cell {uid: 'evil'})", "--write")
    assert "one statement per query" in one_line_error(code, err)
    with open_ladybug(filled, read_only=True) as store:
        assert store.counts()["Cell"] == 1
    code, out, err = run("--db", filled, "query", "RETURN 1 /* ; */ AS x", "--format", "csv")
    assert code == 0, err
    assert out.splitlines() == ["x", "1"]


def test_a_parameter_without_a_value_is_refused(run, filled):
    code, _, err = run("--db", filled, "query", "MATCH (s:Species) WHERE s.id = $id RETURN s.uid AS uid")
    line = one_line_error(code, err)
    assert "no value for $id" in line and "-p id=VALUE" in line


@pytest.mark.parametrize("value, says", [('["list",1]', "mixing number and string"),
                                         ("[]", "empty list"),
                                         ('[true, 1]', "mixing boolean and number")])
def test_a_list_parameter_of_mixed_types_is_one_clear_line(run, filled, value, says):
    code, _, err = run("--db", filled, "query", "RETURN $x AS x", "-p", f"x={value}")
    line = one_line_error(code, err)
    assert "parameter $x" in line and says in line


def test_a_list_parameter_of_one_type_works(run, filled):
    code, out, err = run("--db", filled, "query", "MATCH (s:Species) WHERE s.id IN $ids RETURN s.id AS id "
                         "ORDER BY id", "-p", 'ids=["ERK", "PP2A"]', "--format", "csv")
    assert code == 0, err
    assert out.splitlines() == ["id", "ERK", "PP2A"]


def test_a_huge_bad_value_is_cut_in_the_error_line(run, filled):
    code, _, err = run("--db", filled, "query", "RETURN 1", "-p", "x" * 100_000)
    assert code == 2 and len(err) < 2000 and "characters)" in err
    code, _, err = run("--db", filled, "query", "MATCH (s:Species) RETURN s." + "y" * 100_000)
    assert len(one_line_error(code, err)) < 1200
