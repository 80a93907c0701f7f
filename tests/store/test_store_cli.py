"""`hmlm info` and `hmlm query`, their failures as one line and exit code 2, and a fast `--help`."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import click
import pytest

from hmlm_sb.store.schema import graph_schema

from hmlm_sb.cli.main import cli
from hmlm_sb.cli.store_cmds import parse_params, parse_value

from .conftest import ROOT, open_ladybug
from .networks import signaling_network


@pytest.fixture
def run(capsys, monkeypatch):
    """Run `hmlm ARGS` in this process: (exit code, stdout, stderr)."""
    monkeypatch.delenv("HMLM_DB", raising=False)

    def invoke(*args: str) -> tuple[int, str, str]:
        try:
            cli(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err
    return invoke


@pytest.fixture
def filled(ladybug_path):
    with open_ladybug(ladybug_path) as store:
        store.save_network(signaling_network(), cell="fibroblast")
    return str(ladybug_path)


def one_line_error(code: int, err: str) -> str:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_help_is_quick_and_imports_no_heavy_module():
    code = ("import sys, time\n"
            "start = time.perf_counter()\n"
            "from hmlm_sb.cli.main import cli\n"
            "try:\n"
            "    cli(['--help'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('SECONDS', time.perf_counter() - start)\n"
            "print('HEAVY', sorted(m for m in ('torch', 'ladybug', 'neo4j', 'pandas', 'torch_geometric')"
            " if m in sys.modules))\n")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    wall = time.perf_counter() - start
    assert "info" in out.stdout and "query" in out.stdout
    assert "HEAVY []" in out.stdout, out.stdout
    seconds = float(out.stdout.split("SECONDS ")[1].split()[0])
    assert seconds < 0.5, f"--help took {seconds:.2f} s in-process ({wall:.2f} s with interpreter start)"


def test_info_creates_the_store_and_counts(run, ladybug_path):
    code, out, err = run("--db", str(ladybug_path), "info")
    assert code == 0, err
    assert ladybug_path.exists()
    assert f"schema version: {graph_schema().version}" in out and "LadybugDB" in out
    for name in ("Species", "CROSSTALK", "HAS_XREF"):
        assert name in out


def test_info_as_json(run, filled):
    code, out, _ = run("--db", filled, "info", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["schema_version"] == graph_schema().version and report["backend"] == "LadybugDB"
    assert report["counts"]["Species"] == 7 and report["counts"]["IN_CELL"] == 3


def test_db_from_environment(run, filled, monkeypatch):
    monkeypatch.setenv("HMLM_DB", filled)
    code, out, _ = run("info", "--format", "json")
    assert code == 0 and json.loads(out)["store"] == filled


def test_query_with_parameters(run, filled):
    code, out, err = run("--db", filled, "query",
                         "MATCH (s:Species) WHERE s.initial >= $low AND s.kind = $kind RETURN s.id AS id ORDER BY id",
                         "-p", "low=0.1", "--param", "kind=protein", "--format", "json")
    assert code == 0, err
    assert [row["id"] for row in json.loads(out)] == ["ERK", "PP2A", "TGFBR"]


def test_query_as_csv(run, filled):
    code, out, _ = run("--db", filled, "query", "MATCH (p:Pathway) RETURN p.id AS id, p.name AS name ORDER BY id",
                       "--format", "csv")
    assert code == 0
    assert out.splitlines() == ["id,name", "growth,Growth", "tgfb,TGFB signalling"]


def test_write_without_flag_is_refused_and_changes_nothing(run, filled):
    code, _, err = run("--db", filled, "query", "MATCH (s:Species) DETACH DELETE s")
    assert "--write" in one_line_error(code, err)
    with open_ladybug(filled, read_only=True) as store:
        assert store.counts()["Species"] == 7
    code, _, err = run("--db", filled, "query", "MATCH (s:Species {id: $id}) SET s.name = $name", "-p", "id=ERK",
                       "-p", "name=MAPK", "--write")
    assert code == 0, err
    with open_ladybug(filled, read_only=True) as store:
        assert store.query("MATCH (s:Species {id: 'ERK'}) RETURN s.name AS n")["n"][0] == "MAPK"


def test_malformed_query_is_one_line(run, filled):
    code, _, err = run("--db", filled, "query", "MATCH (s:Species RETURN s")
    assert "query failed" in one_line_error(code, err)


def test_debug_shows_the_traceback(run, filled):
    with pytest.raises(Exception, match="query failed"):
        run("--db", filled, "--debug", "query", "MATCH (s:Species RETURN s")


def test_query_on_a_missing_store_is_one_line(run, tmp_path):
    code, _, err = run("--db", str(tmp_path / "none.lbdb"), "query", "MATCH (n) RETURN n")
    assert "no store at" in one_line_error(code, err)


def test_locked_store_is_one_line(run, ladybug_path, other_writer):
    code, _, err = run("--db", str(ladybug_path), "info")
    assert "locked by process" in one_line_error(code, err)


def test_other_schema_version_is_one_line(run, filled):
    with open_ladybug(filled) as store:
        store.query("MATCH (m:Meta) SET m.schema_version = $v", {"v": "2.0"}, write=True)
    code, _, err = run("--db", filled, "info")
    assert "schema 2.0" in one_line_error(code, err)


@pytest.mark.parametrize("url", ["bolt://127.0.0.1:9", "neo4j://127.0.0.1:9"])
def test_unreachable_neo4j_is_one_line(url):
    """In a real process: the driver's own warnings must not add lines to stderr."""
    done = subprocess.run([sys.executable, "-m", "hmlm_sb.cli.main", "--db", url, "info"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert f"cannot reach Neo4j at {url}" in one_line_error(done.returncode, done.stderr)


def test_wrong_neo4j_credentials_are_one_line(run, monkeypatch):
    import neo4j
    from neo4j.exceptions import AuthError

    class Refusing:
        def verify_connectivity(self):
            raise AuthError("The client is unauthorized due to authentication failure.")

        def close(self):
            pass

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda url, auth=None, **options: Refusing())
    monkeypatch.setenv("NEO4J_USERNAME", "nobody")
    code, _, err = run("--db", "neo4j://db:7687", "info")
    line = one_line_error(code, err)
    assert "refused the credentials of user 'nobody'" in line and "NEO4J_PASSWORD" in line


def test_bad_parameter_is_a_usage_error(run, filled):
    code, _, err = run("--db", filled, "query", "RETURN 1", "-p", "no-equals-sign")
    assert code == 2 and "NAME=VALUE" in err


@pytest.mark.parametrize("text, value", [
    ("42", 42), ("-3", -3), ("0.5", 0.5), ("1e-3", 0.001), ("true", True), ("False", False),
    ("TGFB", "TGFB"), ('"42"', "42"), ('["a", "b"]', ["a", "b"]), ("", ""), ("m1/ERK", "m1/ERK"),
])
def test_parameter_values(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_parameters_names():
    assert parse_params(["a=1", "$b=x"]) == {"a": 1, "b": "x"}
    with pytest.raises(click.BadParameter, match="twice"):
        parse_params(["a=1", "a=2"])
    with pytest.raises(click.BadParameter):
        parse_params(["1a=1"])


def test_buffer_pool_option(run, ladybug_path):
    code, out, err = run("--db", str(ladybug_path), "--buffer-pool", "128", "info")
    assert code == 0, err
    code, _, err = run("--db", str(ladybug_path), "--buffer-pool", "10", "info")
    assert code == 2 and "--buffer-pool" in err
