"""Experiments in the store: saved in one transaction, idempotent, loaded back, exported;
`hmlm import` of MIDAS files; old (1.0) stores upgraded in place."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import need
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network
from hmlm_sb.io.experiments import map_to_network, read_experiments
from hmlm_sb.store.experiments import as_network_experiments

from .conftest import open_ladybug
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def liver(shared_data) -> tuple[Path, Path]:
    folder = shared_data / "midas" / "LiverDREAM"
    need(folder.is_dir(), f"missing {folder}")
    return folder / "PKN-LiverDREAM.sif", folder / "MD-LiverDREAM.csv"


run = run_cli


def test_save_load_is_idempotent_and_replace_is_needed(store, liver, tmp_path):
    sif, midas = liver
    network = read_network(sif)
    store.save_network(network, cell="HepG2")
    data = map_to_network(read_experiments(midas), network)
    assert store.save_experiments(data, network, cell="HepG2").status == "imported"
    assert store.save_experiments(data, network, cell="HepG2").status == "unchanged"
    counts = store.counts()
    assert counts["Experiment"] == 25 and counts["MEASURES"] == 25 * 7 and counts["EXPERIMENT_OF"] == 50
    assert counts["PERTURBS"] == sum(len(e.stimuli) + len(e.inhibitors) for e in data.experiments)
    stored = store.load_experiments(cell="HepG2")
    back = as_network_experiments(stored, network)
    for a, b in zip(data.experiments, back):
        assert (a.id, a.stimuli, a.inhibitors, a.readouts) == (b.id, b.stimuli, b.inhibitors, b.readouts)
        np.testing.assert_allclose(a.values, b.values, equal_nan=True)
    edited = tmp_path / "MD-LiverDREAM.csv"
    edited.write_text(midas.read_text().replace("0.2615", "0.2616"))
    changed = map_to_network(read_experiments(edited), network)
    with pytest.raises(InputError, match="--replace"):
        store.save_experiments(changed, network, cell="HepG2")
    assert store.save_experiments(changed, network, cell="HepG2", replace=True).status == "replaced"
    assert store.counts()["Experiment"] == 25
    assert [s.experiment.id for s in store.load_experiments(cell="HepG2", ids=["igf1+mek12i"])] == ["igf1+mek12i"]
    with pytest.raises(InputError, match="no experiment 'nope'"):
        store.load_experiments(cell="HepG2", ids=["nope"])
    frame = store.query("MATCH (e:Experiment)-[:PERTURBS {kind: 'inhibitor'}]->(s:Species) WHERE e.dataset = $d "
                        "RETURN s.id AS target, count(e) AS n ORDER BY target", {"d": "MD-LiverDREAM"})
    assert dict(zip(frame["target"], frame["n"])) == {"ikk": 5, "mek12": 5, "p38": 5, "pi3k": 5}


def test_cli_import_export_round_trip_and_bad_input_writes_nothing(liver, tmp_path, capsys):
    sif, midas = liver
    db = tmp_path / "db"
    assert run(db, "import", str(sif), str(midas), "--cell", "HepG2") == 0
    out = capsys.readouterr().out
    assert "imported experiments MD-LiverDREAM (midas): 25 experiments, 330 measurements" in out
    assert run(db, "import", str(midas), "--cell", "HepG2") == 0
    assert "unchanged experiments" in capsys.readouterr().out
    assert run(db, "experiments", "--cell", "HepG2", "--output", "csv") == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 26 and listed[9].startswith("MD-LiverDREAM,igf1+mek12i,HepG2,igf1,mek12,7,\"0,30\",12")
    exported = tmp_path / "out.csv"
    assert run(db, "export", "midas", str(exported), "--cell", "HepG2") == 0
    first, again = read_experiments(midas), read_experiments(exported)
    assert [e.id for e in again.experiments] == [e.id for e in first.experiments]
    for a, b in zip(first.experiments, again.experiments):
        np.testing.assert_allclose(a.values, b.values, equal_nan=True)
        assert (a.stimuli, a.inhibitors) == (b.stimuli, b.inhibitors)
    assert run(db, "experiments", "--remove", "MD-LiverDREAM") == 0
    assert "removed data set MD-LiverDREAM (25 experiments)" in capsys.readouterr().out
    with open_ladybug(db, read_only=True) as store:
        assert store.counts()["Experiment"] == 0 and store.counts()["MEASURES"] == 0
    bad = tmp_path / "MD-bad.csv"
    bad.write_text(midas.read_text().replace("DV:p38", "DV:p39").replace("DA:p38", "DA:p39"))
    fresh = tmp_path / "fresh"
    assert run(fresh, "import", str(sif), str(bad), "--cell", "HepG2") == 2
    err = capsys.readouterr().err
    assert "unknown species 'p39'" in err and "row 1, column 21 (DV:p39)" in err and err.count("\n") == 1
    with open_ladybug(fresh, read_only=True) as store:  # each file its own transaction: the PKN went in
        assert store.counts()["Model"] == 1 and store.counts()["Experiment"] == 0
    bad.write_text(midas.read_text().replace("0.2615", "high"))
    assert run(fresh, "import", str(bad), "--cell", "HepG2") == 2
    assert "row 27, column 17 (DV:akt): not a number: 'high'" in capsys.readouterr().err
    with open_ladybug(fresh, read_only=True) as store:
        assert store.counts()["Experiment"] == 0


def test_a_store_of_schema_1_0_is_upgraded_when_opened_for_writing(tmp_path):
    import ladybug
    import yaml

    from graph_schema import SCHEMA_PATH
    from hmlm_sb.store.schema import META_UID, graph_schema, ladybug_ddl, parse_schema

    raw = yaml.safe_load(SCHEMA_PATH.read_text())
    raw["version"] = "1.0"
    del raw["nodes"]["Experiment"]
    for rel in ("MEASURES", "PERTURBS", "EXPERIMENT_OF"):
        del raw["relationships"][rel]
    added_since = ("sign", "confidence", "identifiable", "method")
    raw["relationships"]["CROSSTALK"]["properties"] = {
        k: v for k, v in raw["relationships"]["CROSSTALK"]["properties"].items() if k not in added_since}
    path = tmp_path / "old.lbdb"
    db = ladybug.Database(str(path), max_db_size=1 << 30)
    conn = ladybug.Connection(db)
    for statement in ladybug_ddl(parse_schema(raw)):
        conn.execute(statement)
    conn.execute("MERGE (m:Meta {uid: $uid}) SET m.schema_version = $v", {"uid": META_UID, "v": "1.0"})
    conn.close()
    db.close()
    with pytest.raises(Exception, match="open it once for writing to upgrade it"):
        open_ladybug(path, read_only=True)
    with open_ladybug(path) as store:
        assert store.schema_version() == graph_schema().version
        assert store.counts()["Experiment"] == 0
        columns = {row["name"] for row in store.query_rows("CALL table_info('CROSSTALK') RETURN *")[1]}
    assert set(added_since) <= columns


def test_raw_data_warns_and_normalise_scales_before_storing(tmp_path, capsys):
    (tmp_path / "pkn.sif").write_text("EGF\t1\tAkt\n")
    raw = tmp_path / "MD-raw.csv"
    raw.write_text("TR:c:CellLine,TR:EGF,DA:Akt,DV:Akt\n1,0,0,100\n1,1,0,100\n1,0,10,120\n1,1,10,300\n")
    db = tmp_path / "db"
    assert run(db, "import", str(tmp_path / "pkn.sif"), str(raw), "--cell", "c") == 0
    assert "values outside 0..1" in capsys.readouterr().err
    assert run(db, "import", str(raw), "--cell", "c", "--normalise", "minmax", "--replace") == 0
    assert "replaced experiments" in capsys.readouterr().out
    with open_ladybug(db, read_only=True) as store:
        stored = {s.experiment.id: s for s in store.load_experiments(cell="c")}
    assert stored["EGF"].normalisation == "minmax"
    np.testing.assert_allclose(stored["EGF"].experiment.values[:, 0], [0, 1])
    assert run(db, "import", str(raw), "--cell", "c", "--normalise-param", "hill=3") == 2
    assert "needs --normalise time" in capsys.readouterr().err


def test_a_neo4j_store_of_schema_1_0_is_upgraded_and_refused_read_only():
    from hmlm_sb.errors import SchemaVersionError
    from hmlm_sb.store.cypher import NEO4J_SCHEMA_STATEMENTS
    from hmlm_sb.store.neo4j_store import Neo4jStore
    from hmlm_sb.store.schema import graph_schema

    from .test_neo4j_store import URL, FakeDriver, statements

    with pytest.raises(SchemaVersionError, match="open it once for writing to upgrade it"):
        Neo4jStore(URL, read_only=True, driver=FakeDriver(version="1.0"))
    driver = FakeDriver(version="1.0")
    store = Neo4jStore(URL, driver=driver)
    assert statements(driver, "auto") == NEO4J_SCHEMA_STATEMENTS
    assert store.schema_version() == graph_schema().version
