"""`hmlm import` of several files, folders and patterns, `hmlm models --remove`, and what
`hmlm retrain` says afterwards (issue 16 items 7 and 9)."""
from __future__ import annotations

from pathlib import Path

import click
import pytest

from hmlm_sb.io.synthetic import chain_sbml as sbml
from hmlm_sb.store.base import CrosstalkEdge, TrainingRunRecord

from .conftest import open_ladybug
from .test_store_cli import one_line_error, run  # noqa: F401  (fixture)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "a.xml", sbml("untitled", ["A", "B"]))
    write(folder, "b.xml", sbml("untitled", ["C", "D", "E"]))  # same model id, other content
    write(folder, "c.sif", "X\t->\tY\n")
    write(folder, "broken.xml", sbml("broken", ["P", "Q"])[:150])
    write(folder, "notes.md", "not a model\n")
    return folder


def model_ids(db: Path) -> list[str]:
    with open_ladybug(db, read_only=True) as store:
        return store.model_ids()


def test_several_files_each_in_its_own_transaction_and_the_others_go_on(run, inputs, tmp_path):
    db = tmp_path / "s.lbdb"
    code, out, err = run("--db", str(db), "import", str(inputs))
    assert code == 2, err
    lines = out.strip().splitlines()
    assert len(lines) == 5  # one line per file, then the summary
    assert lines[0].startswith("imported untitled (sbml)")
    assert lines[1].startswith("refused") and "b.xml" in lines[1] and "a.xml" in lines[1] and "{stem}" in lines[1]
    assert lines[2].startswith("refused") and "broken.xml" in lines[2]
    assert lines[3].startswith("imported c (sif)")
    assert lines[4] == ("4 files: 2 imported, 0 replaced, 0 unchanged, 2 refused (refused: b.xml, broken.xml)")
    assert model_ids(db) == ["c", "untitled"]


def test_model_id_template_keeps_models_of_the_same_id_apart(run, inputs, tmp_path):
    db = tmp_path / "s.lbdb"
    code, out, err = run("--db", str(db), "import", str(inputs / "a.xml"), str(inputs / "b.xml"),
                         "--model-id", "{stem}")
    assert code == 0, err
    assert model_ids(db) == ["a", "b"]
    assert out.strip().splitlines()[-1] == "2 files: 2 imported, 0 replaced, 0 unchanged, 0 refused"
    code, out, _ = run("--db", str(db), "import", str(inputs / "*.xml"), "--model-id", "{stem}")
    assert code == 2 and "1 refused" in out and "2 unchanged" in out  # a pattern as given, unexpanded


def test_fail_fast_stops_at_the_first_refused_file(run, inputs, tmp_path):
    db = tmp_path / "s.lbdb"
    code, out, _ = run("--db", str(db), "import", str(inputs), "--fail-fast")
    assert code == 2
    assert out.strip().splitlines()[-1].startswith("4 files: 1 imported, 0 replaced, 0 unchanged, 1 refused")
    assert model_ids(db) == ["untitled"]


def test_a_model_already_stored_with_other_content_names_the_file_and_the_way_out(run, inputs, tmp_path):
    db = tmp_path / "s.lbdb"
    assert run("--db", str(db), "import", str(inputs / "a.xml"))[0] == 0
    code, _, err = run("--db", str(db), "import", str(inputs / "b.xml"))
    line = one_line_error(code, err)
    assert "b.xml" in line and "--replace" in line and "--model-id '{stem}'" in line


@pytest.mark.parametrize("args, says", [
    (["--model-id", "one"], "use a template such as '{stem}'"),
    (["--model-id", "{colour}"], "unknown field {colour}"),
    (["--model-id", " "], "empty"),
])
def test_model_id_must_be_a_template_for_several_files(run, inputs, tmp_path, args, says):
    code, _, err = run("--db", str(tmp_path / "s.lbdb"), "import", str(inputs / "a.xml"), str(inputs / "c.sif"),
                       *args)
    assert code == 2 and says in err


def test_an_empty_folder_or_pattern_is_one_line(run, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = run("--db", str(tmp_path / "s.lbdb"), "import", str(tmp_path / "empty"))
    assert "no file to import in this folder" in one_line_error(code, err)
    code, _, err = run("--db", str(tmp_path / "s.lbdb"), "import", str(tmp_path / "*.nothing"))
    assert "no file matches this pattern" in one_line_error(code, err)


@pytest.fixture
def with_crosstalk(inputs, tmp_path) -> Path:
    from hmlm_sb.io import read_network

    db = tmp_path / "x.lbdb"
    with open_ladybug(db) as store:
        store.save_network(read_network(inputs / "a.xml"), cell="fibroblast")
        run_record = TrainingRunRecord(id="run-1", model_kind="hmlm", cell="fibroblast")
        store.write_crosstalk(run_record, [CrosstalkEdge("untitled/A", "untitled/B", "species", 0.9, 1, "c", True)])
    return db


def test_models_remove_asks_before_deleting_crosstalk(run, with_crosstalk, monkeypatch):
    db = str(with_crosstalk)
    code, _, err = run("--db", db, "models", "--remove", "untitled")  # no terminal: refuse, ask for --yes
    line = one_line_error(code, err)
    assert "1 learned CROSSTALK edge(s) of run(s) run-1" in line and "--yes" in line
    assert model_ids(with_crosstalk) == ["untitled"]
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr(click, "confirm", lambda *a, **k: False)
    code, _, err = run("--db", db, "models", "--remove", "untitled")
    assert code == 0 and "nothing removed" in err and model_ids(with_crosstalk) == ["untitled"]
    code, out, err = run("--db", db, "models", "--remove", "untitled", "--yes")
    assert code == 0 and "removed untitled and 1 crosstalk edge(s)" in out
    assert model_ids(with_crosstalk) == []
    code, _, err = run("--db", db, "retrain")
    line = one_line_error(code, err)
    assert "cell fibroblast holds no model any more" in line and "import the models again" in line


def test_models_remove_refuses_an_empty_id_and_a_missing_store(run, tmp_path, with_crosstalk):
    code, _, err = run("--db", str(with_crosstalk), "models", "--remove", "")
    assert code == 2 and "the model id is empty" in err
    missing = tmp_path / "none.lbdb"
    code, _, err = run("--db", str(missing), "models", "--remove", "m1")
    assert "no store at" in one_line_error(code, err) and not missing.exists()
    code, _, err = run("--db", str(with_crosstalk), "models", "--remove", "ghost")
    assert "no such model" in one_line_error(code, err)


def test_ctrl_c_exits_130(run, monkeypatch, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("hmlm_sb.cli.import_cmds.expand_inputs", interrupted)
    code, _, err = run("--db", str(tmp_path / "s.lbdb"), "import", "x.xml")
    assert code == 130 and "interrupted" in err


def test_one_refused_file_creates_no_store(run, inputs, tmp_path):
    db = tmp_path / "new.lbdb"
    code, _, err = run("--db", str(db), "import", str(inputs / "broken.xml"))
    assert "broken.xml" in one_line_error(code, err)
    assert not db.exists()
