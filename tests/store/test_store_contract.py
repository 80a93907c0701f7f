"""The GraphStore contract, run on every backend of the `store` fixture."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import pytest

from hmlm_sb.errors import InputError, StoreError
from hmlm_sb.network import Network, Participant, Reaction, union
from hmlm_sb.store.base import CrosstalkEdge, TrainingRunRecord
from hmlm_sb.store.schema import graph_schema

from .networks import other_version, signaling_network, without_provenance_stamp


def assert_same_network(loaded: Network, expected: Network) -> None:
    assert loaded.species == expected.species
    assert loaded.reactions == expected.reactions
    assert loaded.pathways == expected.pathways
    assert loaded.compartments == expected.compartments
    assert without_provenance_stamp(loaded).models == without_provenance_stamp(expected).models


def failing_at(store, rel_type: str):
    """Wrap the store's write transaction so that writing `rel_type` raises mid-import."""
    original = store._write_tx

    @contextmanager
    def write_tx():
        with original() as writer:
            real = writer.create_rels

            def create_rels(rel, source, target, rows):
                if rel == rel_type:
                    raise RuntimeError(f"injected failure while writing {rel}")
                real(rel, source, target, rows)

            writer.create_rels = create_rels
            yield writer
    return write_tx


# ---- networks -------------------------------------------------------------------------------------
def test_schema_version_is_stored(store):
    assert store.schema_version() == graph_schema().version


def test_round_trip_keeps_every_element(store):
    net = signaling_network()
    result = store.save_network(net)
    assert result.status == "imported"
    loaded = store.load_network(model="m1")
    assert_same_network(loaded, net)
    assert loaded.models[0].imported_at  # stamped by the store
    assert loaded.regulations() == net.regulations()
    assert loaded.fingerprint() == net.fingerprint()


def test_round_trip_keeps_rules_signs_and_params(store):
    net = signaling_network()
    store.save_network(net)
    loaded = store.load_network(model="m1")
    smad = loaded.reactions["r_smad"]
    assert smad.rule_text == "TGFBR & !PP2A"
    assert [(p.species, p.role, p.sign) for p in smad.participants] == [
        ("TGFBR", "input", 1), ("PP2A", "input", -1), ("SMAD3", "output", 1)]
    assert loaded.reactions["r_tgfbr"].params == {"weight": 0.9, "n": 2.0, "ec50": 0.3, "delay": 3.0}
    assert loaded.reactions["t_cycd"].function_terms == net.reactions["t_cycd"].function_terms
    assert loaded.species["ERK"].xrefs == net.species["ERK"].xrefs


def test_saving_again_is_unchanged(store):
    net = signaling_network()
    store.save_network(net)
    before = store.counts()
    again = store.save_network(signaling_network())
    assert again.status == "unchanged"
    assert store.counts() == before


def test_same_id_other_content_is_refused(store):
    store.save_network(signaling_network())
    before = store.counts()
    with pytest.raises(InputError, match="replace"):
        store.save_network(other_version(signaling_network(), "sha-m1-v2"))
    assert store.counts() == before
    assert_same_network(store.load_network(model="m1"), signaling_network())


def test_replace_swaps_the_model(store):
    store.save_network(signaling_network())
    new = other_version(signaling_network(), "sha-m1-v2")
    result = store.save_network(new, replace=True)
    assert result.status == "replaced"
    assert_same_network(store.load_network(model="m1"), new)
    counts = store.counts()
    assert counts["Model"] == 1 and counts["Species"] == len(new.species)
    assert counts["Reaction"] == len(new.reactions)
    assert counts["REGULATES"] == len(new.regulations())
    assert counts["Xref"] == len({x.resource for _, _, x in new.iter_xrefs()})


@pytest.mark.parametrize("rel_type", ["IN_MODEL", "REGULATES", "HAS_XREF"])
def test_failed_import_changes_nothing(store, monkeypatch, rel_type):
    store.save_network(signaling_network("m0", "sha-m0"))
    before = store.counts()
    monkeypatch.setattr(store, "_write_tx", failing_at(store, rel_type))
    with pytest.raises(RuntimeError, match="injected"):
        store.save_network(signaling_network("m1"))
    assert store.counts() == before
    assert list(store.list_models()["id"]) == ["m0"]


def test_failed_replace_keeps_the_old_model(store, monkeypatch):
    store.save_network(signaling_network())
    before = store.counts()
    monkeypatch.setattr(store, "_write_tx", failing_at(store, "PARTICIPATES"))
    with pytest.raises(RuntimeError, match="injected"):
        store.save_network(other_version(signaling_network(), "sha-m1-v2"), replace=True)
    assert store.counts() == before
    assert_same_network(store.load_network(model="m1"), signaling_network())


def test_dangling_reference_is_refused_before_writing(store):
    net = signaling_network()
    net.add_reaction(Reaction("bad", "netflux", [Participant("GHOST", "input"), Participant("ERK", "output")]))
    before = store.counts()
    with pytest.raises(InputError, match="GHOST"):
        store.save_network(net)
    assert store.counts() == before


def test_network_of_several_models_is_refused(store):
    with pytest.raises(InputError, match="one model"):
        store.save_network(union([signaling_network("a"), signaling_network("b")]))


def test_selection_across_models_uses_uids(store):
    a, b = signaling_network("a", "sha-a"), signaling_network("b", "sha-b")
    store.save_network(a)
    store.save_network(b)
    loaded = store.load_network()
    expected = union([a, b])
    assert_same_network(loaded, expected)
    assert "a/ERK" in loaded.species and loaded.species["b/CycD"].compartment == "b/nuc"
    assert loaded.reactions["a/r_smad"].rule_text == '"a/TGFBR" & !"a/PP2A"'


def test_selection_by_cell(store):
    store.save_network(signaling_network("a", "sha-a"), cell="fibroblast", cell_type="cardiac fibroblast",
                       organism="rat")
    store.save_network(signaling_network("b", "sha-b"), cell="myocyte")
    store.save_network(signaling_network("c", "sha-c"), cell="fibroblast")
    loaded = store.load_network(cell="fibroblast")
    assert [m.id for m in loaded.models] == ["a", "c"]
    assert_same_network(loaded, union([signaling_network("a", "sha-a"), signaling_network("c", "sha-c")]))
    assert loaded.cell.name == "fibroblast" and loaded.cell.cell_type == "cardiac fibroblast"
    single = store.load_network(cell="myocyte")
    assert "ERK" in single.species and single.cell.name == "myocyte"
    assert store.counts()["IN_CELL"] == 3 * (1 + 2)  # each model and its two pathways


def test_unchanged_import_can_join_a_cell(store):
    store.save_network(signaling_network())
    result = store.save_network(signaling_network(), cell="fibroblast")
    assert result.status == "unchanged"
    assert [m.id for m in store.load_network(cell="fibroblast").models] == ["m1"]
    store.save_network(signaling_network(), cell="fibroblast")
    assert store.counts()["IN_CELL"] == 3


def test_selection_by_pathway(store):
    store.save_network(signaling_network())
    loaded = store.load_network(model="m1", pathways=["tgfb"])
    assert list(loaded.pathways) == ["tgfb"]
    assert set(loaded.species) == {"TGFB", "TGFBR", "SMAD3"}
    # only reactions whose every participant is selected: r_smad needs PP2A, outside the pathway
    assert set(loaded.reactions) == {"in_TGFB", "r_tgfbr"}
    loaded.check()
    by_uid = store.load_network(pathways=["m1/growth"])
    assert set(by_uid.species) == {"proliferation", "ERK", "CycD"}


def test_unknown_selection_is_input_error(store):
    store.save_network(signaling_network())
    for selection in ({"model": "nope"}, {"cell": "nope"}, {"model": "m1", "pathways": ["nope"]}):
        with pytest.raises(InputError, match="nope"):
            store.load_network(**selection)


def test_xrefs_are_shared_and_cleaned_up(store):
    store.save_network(signaling_network("a", "sha-a"))
    store.save_network(signaling_network("b", "sha-b"))
    resources = {x.resource for _, _, x in signaling_network("a").iter_xrefs()}
    assert store.counts()["Xref"] == len(resources)
    shared = store.query("MATCH (s:Species)-[:HAS_XREF]->(x:Xref {uid: $uid}) RETURN s.uid AS uid ORDER BY uid",
                         {"uid": "uniprot:SHARED"})
    assert list(shared["uid"]) == ["a/ERK", "b/ERK"]
    store.remove_model("a")
    assert store.counts()["Xref"] == len(resources)
    store.remove_model("b")
    assert store.counts()["Xref"] == 0


def test_remove_model(store):
    store.save_network(signaling_network("a", "sha-a"), cell="fibroblast")
    store.save_network(signaling_network("b", "sha-b"))
    store.remove_model("a")
    counts = store.counts()
    assert counts["Model"] == 1 and counts["Species"] == 7 and counts["Cell"] == 1
    assert list(store.list_models()["id"]) == ["b"]
    with pytest.raises(InputError, match="a"):
        store.remove_model("a")


def test_list_models(store):
    assert list(store.list_models().columns) == ["id", "name", "format", "source_file", "sha256", "imported_at",
                                                 "organism"]
    store.save_network(signaling_network("b", "sha-b"))
    store.save_network(signaling_network("a", "sha-a"))
    models = store.list_models()
    assert list(models["id"]) == ["a", "b"]
    assert list(models["sha256"]) == ["sha-a", "sha-b"]


def test_counts_cover_the_whole_schema(store):
    schema = graph_schema()
    counts = store.counts()
    assert set(counts) == set(schema.data_labels) | set(schema.relationships)
    assert all(n == 0 for n in counts.values())
    net = signaling_network()
    store.save_network(net, cell="fibroblast")
    counts = store.counts()
    assert counts["Species"] == 7 and counts["Reaction"] == 6 and counts["Pathway"] == 2
    assert counts["PARTICIPATES"] == sum(len(r.participants) for r in net.reactions.values())
    assert counts["IN_PATHWAY"] == 6 and counts["IN_COMPARTMENT"] == 6 and counts["Cell"] == 1
    assert counts["IN_MODEL"] == 7 + 6 + 2 + 2
    assert counts["HAS_XREF"] == len(list(net.iter_xrefs()))


# ---- queries ----------------------------------------------------------------------------------------
def test_query_takes_parameters(store):
    store.save_network(signaling_network())
    frame = store.query("MATCH (s:Species) WHERE s.model = $model AND s.initial >= $low "
                        "RETURN s.id AS id ORDER BY id", {"model": "m1", "low": 0.1})
    assert list(frame["id"]) == ["ERK", "PP2A", "TGFBR"]


def test_query_without_write_refuses_to_write(store):
    before = store.counts()
    with pytest.raises(StoreError, match="--write"):
        store.query("CREATE (c:Cell {uid: $uid})", {"uid": "sneaky"})
    assert store.counts() == before
    store.query("CREATE (c:Cell {uid: $uid})", {"uid": "wanted"}, write=True)
    assert store.counts()["Cell"] == 1


@pytest.mark.parametrize("cypher", ["MATCH (n:Cell) RETURN n; CREATE (c:Cell {uid: 'x'})",
                                    "COMMIT", "BEGIN TRANSACTION"])
def test_query_refuses_several_statements_and_transaction_control(store, cypher):
    with pytest.raises(InputError):
        store.query(cypher)
    assert store.counts()["Cell"] == 0


def test_malformed_query_is_store_error(store):
    with pytest.raises(StoreError, match="query failed|Invalid input"):
        store.query("MATCH (n:Species RETURN n")


# ---- training runs and crosstalk ------------------------------------------------------------------------
def run_record(run_id: str, cell: str = "fibroblast", created_at: str = "") -> TrainingRunRecord:
    return TrainingRunRecord(id=run_id, model_kind="hmlm", cell=cell, fingerprint=f"fp-{run_id}",
                             config={"epochs": 3, "lr": 0.01}, metrics={"r2": 0.9}, checkpoint=f"/runs/{run_id}.pt",
                             created_at=created_at, model_ids=["m1"])


def edge(source: str, target: str, condition: str, weight: float, level: str = "species") -> CrosstalkEdge:
    return CrosstalkEdge(source=source, target=target, level=level, weight=weight, rank=1, condition=condition,
                         known=False)


def crosstalk_rows(store):
    return store.query("MATCH (a)-[c:CROSSTALK]->(b) RETURN a.uid AS source, b.uid AS target, "
                       "c.condition AS condition, c.run AS run ORDER BY run, condition, source, target")


def test_training_runs_newest_first(store):
    store.record_training_run(run_record("r1", created_at="2026-01-01T00:00:00+00:00"))
    store.record_training_run(run_record("r2", created_at="2026-02-01T00:00:00+00:00"))
    store.record_training_run(run_record("r3", cell="myocyte"))
    runs = store.training_runs()
    assert list(runs["id"]) == ["r3", "r2", "r1"]
    fibro = store.training_runs("fibroblast")
    assert list(fibro["id"]) == ["r2", "r1"]
    first = fibro.iloc[1]
    assert first["config"] == {"epochs": 3, "lr": 0.01} and first["metrics"] == {"r2": 0.9}
    assert first["model_ids"] == ["m1"] and first["checkpoint"] == "/runs/r1.pt"
    counts = store.counts()
    assert counts["TrainingRun"] == 3 and counts["PRODUCED"] == 3 and counts["Cell"] == 2


def test_crosstalk_replaces_earlier_runs_of_the_same_cell_and_condition(store):
    store.save_network(signaling_network(), cell="fibroblast")
    first = [edge("m1/ERK", "m1/SMAD3", "TGFB", 0.8), edge("m1/TGFB", "m1/ERK", "control", 0.3),
             edge("m1/tgfb", "m1/growth", "TGFB", 0.5, level="pathway")]
    assert store.write_crosstalk(run_record("r1"), first) == 3
    second = [edge("m1/PP2A", "m1/SMAD3", "TGFB", 0.6)]
    assert store.write_crosstalk(run_record("r2"), second) == 1
    rows = crosstalk_rows(store)
    assert list(zip(rows["run"], rows["condition"])) == [("r1", "control"), ("r2", "TGFB")]
    counts = store.counts()
    assert counts["TrainingRun"] == 2 and counts["CROSSTALK"] == 2 and counts["PRODUCED"] == 2


def test_crosstalk_keep_history_and_other_cells(store):
    store.save_network(signaling_network(), cell="fibroblast")
    store.write_crosstalk(run_record("r1"), [edge("m1/ERK", "m1/SMAD3", "TGFB", 0.8)])
    store.write_crosstalk(run_record("r2"), [edge("m1/PP2A", "m1/SMAD3", "TGFB", 0.6)], keep_history=True)
    store.write_crosstalk(run_record("r3", cell="myocyte"), [edge("m1/ERK", "m1/CycD", "TGFB", 0.4)])
    rows = crosstalk_rows(store)
    assert list(rows["run"]) == ["r1", "r2", "r3"]


def test_crosstalk_to_a_missing_node_writes_nothing(store):
    store.save_network(signaling_network(), cell="fibroblast")
    store.write_crosstalk(run_record("r1"), [edge("m1/ERK", "m1/SMAD3", "TGFB", 0.8)])
    before = store.counts()
    with pytest.raises(InputError, match="m1/GHOST"):
        store.write_crosstalk(run_record("r2"), [edge("m1/PP2A", "m1/SMAD3", "TGFB", 0.6),
                                                 edge("m1/GHOST", "m1/SMAD3", "TGFB", 0.5)])
    assert store.counts() == before
    with pytest.raises(InputError, match="level"):
        store.write_crosstalk(run_record("r2"), [replace(edge("m1/ERK", "m1/SMAD3", "TGFB", 0.6), level="cell")])
    assert store.counts() == before


def test_crosstalk_fills_in_created_at(store):
    store.save_network(signaling_network())
    run = replace(run_record("r1", cell=""), model_ids=[], config={}, metrics={})
    store.write_crosstalk(run, [edge("m1/ERK", "m1/SMAD3", "TGFB", 0.8)])
    assert run.created_at
    assert store.training_runs().iloc[0]["model_ids"] == []
    assert store.query("MATCH ()-[c:CROSSTALK]->() RETURN c.created_at AS t")["t"][0] == run.created_at
    assert store.counts()["PRODUCED"] == 0


def test_a_write_run_before_cannot_slip_through_read_only(store):
    # LadybugDB's client caches prepared statements: the same text must still be refused
    store.query("CREATE (c:Cell {uid: $uid})", {"uid": "first"}, write=True)
    with pytest.raises(StoreError, match="--write"):
        store.query("CREATE (c:Cell {uid: $uid})", {"uid": "second"})
    store.query("CREATE (c:Cell {uid: $uid})", {"uid": "third"}, write=True)
    assert sorted(store.query("MATCH (c:Cell) RETURN c.uid AS uid")["uid"]) == ["first", "third"]


def test_replaced_model_stays_in_its_cells(store):
    store.save_network(signaling_network(), cell="fibroblast")
    store.save_network(signaling_network(), cell="myocyte")  # unchanged, joins a second cell
    new = other_version(signaling_network(), "sha-m1-v2")
    assert store.save_network(new, replace=True).status == "replaced"
    for cell in ("fibroblast", "myocyte"):
        assert set(store.load_network(cell=cell).species) == set(new.species)
    assert store.counts()["IN_CELL"] == 2 * (1 + len(new.pathways))
    assert store.save_network(new, cell="myocyte").status == "unchanged"  # attached already: nothing added
    assert store.counts()["IN_CELL"] == 2 * (1 + len(new.pathways))
