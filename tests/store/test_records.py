"""The tables a Network becomes (column by column) before either store writes them."""
from __future__ import annotations

import pytest

from hmlm_sb.store import records
from hmlm_sb.store.schema import graph_schema

from .networks import signaling_network


def tables_of(net, cells=()):
    return records.network_columns(net, sha256="sha", imported_at="2026-01-01T00:00:00+00:00", cells=list(cells))


def test_every_table_has_every_schema_column_in_schema_order():
    schema = graph_schema()
    tables = tables_of(signaling_network(), cells=["fibroblast"])
    for label, columns in tables.nodes.items():
        assert list(columns) == schema.node(label).property_names
        assert len({len(v) for v in columns.values()}) == 1
    for (rel, _, _), columns in tables.rels.items():
        assert list(columns) == ["from", "to", *schema.rel(rel).property_names]
        assert len({len(v) for v in columns.values()}) == 1


def test_rows_match_the_network_element_by_element():
    net = signaling_network()
    tables = tables_of(net, cells=["fibroblast"])
    species = records.rows_of(tables.nodes["Species"])
    assert [row["id"] for row in species] == list(net.species)
    assert [row["position"] for row in species] == list(range(len(net.species)))
    erk = next(row for row in species if row["id"] == "ERK")
    assert erk["uid"] == "m1/ERK" and erk["tau"] == net.species["ERK"].tau and erk["gene"] == "erk"
    participates = records.rows_of(tables.rels[("PARTICIPATES", "Species", "Reaction")])
    expected = [(f"m1/{p.species}", f"m1/{rid}", p.role, p.sign, position)
                for rid, rxn in net.reactions.items() for position, p in enumerate(rxn.participants)]
    assert [(r["from"], r["to"], r["role"], r["sign"], r["position"]) for r in participates] == expected
    regulates = tables.rels[("REGULATES", "Species", "Species")]
    assert len(regulates["from"]) == len(net.regulations())
    in_cell = records.rows_of(tables.rels[("IN_CELL", "Pathway", "Cell")])
    assert {r["from"] for r in in_cell} == {f"m1/{p}" for p in net.pathways} and {r["to"] for r in in_cell} == {
        "fibroblast"}
    assert tables.rels[("IN_CELL", "Model", "Cell")] == {"from": ["m1"], "to": ["fibroblast"]}


def test_xrefs_are_one_node_each_and_links_keep_their_order():
    net = signaling_network()
    tables = tables_of(net)
    uids = tables.nodes["Xref"]["uid"]
    assert len(uids) == len(set(uids))
    links = records.rows_of(tables.rels[("HAS_XREF", "Species", "Xref")])
    smad3 = [(r["to"], r["qualifier"], r["position"]) for r in links if r["from"] == "m1/SMAD3"]
    assert smad3 == [("uniprot:PSMAD3", "is", 0), ("hgnc:6769", "isVersionOf", 1)]


def test_no_cells_means_no_in_cell_tables():
    tables = tables_of(signaling_network())
    assert not [key for key in tables.rels if key[0] == "IN_CELL"]


def test_columns_refuse_unknown_properties_and_ragged_lengths():
    tables = records.GraphColumns(graph_schema())
    with pytest.raises(KeyError, match="colour"):
        tables.add_nodes("Species", uid=["m/a"], colour=["red"])
    with pytest.raises(ValueError, match="different lengths"):
        tables.add_nodes("Species", uid=["m/a", "m/b"], id=["a"])


def test_adding_to_a_table_extends_it():
    tables = records.GraphColumns(graph_schema())
    tables.add_rels(("IN_CELL", "Pathway", "Cell"), ["m/p1"], ["c"])
    tables.add_rels(("IN_CELL", "Pathway", "Cell"), ["m/p2"], ["c"])
    assert tables.rels[("IN_CELL", "Pathway", "Cell")] == {"from": ["m/p1", "m/p2"], "to": ["c", "c"]}


def test_rows_and_columns_convert_both_ways():
    rows = [{"a": 1, "b": None}, {"a": 2, "b": "x"}]
    columns = records.columns_of(rows, ["a", "b"])
    assert columns == {"a": [1, 2], "b": [None, "x"]}
    assert records.rows_of(columns) == rows
    assert records.complete(columns, ["b", "c"]) == {"b": [None, "x"], "c": [None, None]}
    assert records.select(columns, [False, True]) == {"a": [2], "b": ["x"]}
