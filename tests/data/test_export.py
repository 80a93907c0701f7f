"""Export through the GraphStore interface and the `hmlm export pyg` command."""
from __future__ import annotations

import importlib.util
import os

import pytest
import torch
from click.testing import CliRunner

import hmlm_sb.store
from hmlm_sb.cli.export_pyg import pyg
from hmlm_sb.data.hetero import export_subgraph, network_to_hetero, signed_edges
from hmlm_sb.network import Cell, Network, union
from tests.conftest import need
from tests.data.test_hetero import SBML_MODELS, assert_matches, read_any, small_network

torch.set_num_threads(1)


class RecordingStore:
    """Stands in for a GraphStore: hands out a network, records the selection asked for."""

    url = "memory://test"

    def __init__(self, network: Network):
        self.network = network
        self.calls: list[dict] = []

    def load_network(self, *, model=None, cell=None, pathways=None) -> Network:
        self.calls.append({"model": model, "cell": cell, "pathways": pathways})
        return self.network

    def close(self) -> None:
        pass


def test_export_subgraph_lets_the_store_select():
    store = RecordingStore(small_network())
    data = export_subgraph(store, cell="fibroblast", pathways=("p1", "p2"))
    assert store.calls == [{"model": None, "cell": "fibroblast", "pathways": ["p1", "p2"]}]
    assert data.selection["cell"] == "fibroblast" and data.selection["store"] == "memory://test"
    assert_matches(data, store.network)


def run_cli(monkeypatch, store, args):
    monkeypatch.setattr(hmlm_sb.store, "open_store", lambda url, **kw: store)
    return CliRunner().invoke(pyg, args, obj={"db": "unused"}, catch_exceptions=True)


def test_cli_writes_a_loadable_file(tmp_path, monkeypatch):
    store = RecordingStore(small_network())
    out = tmp_path / "sub" / "toy.pt"
    result = run_cli(monkeypatch, store, [str(out), "--model", "toy", "--pathway", "p1", "--pathway", "p2"])
    assert result.exit_code == 0, result.output
    assert "6 species" in result.output
    assert store.calls == [{"model": "toy", "cell": None, "pathways": ["p1", "p2"]}]
    data = torch.load(out, weights_only=False)
    assert_matches(data, store.network)


def test_cli_refuses_an_empty_selection(tmp_path, monkeypatch):
    from hmlm_sb.errors import InputError

    result = run_cli(monkeypatch, RecordingStore(Network()), [str(tmp_path / "x.pt"), "--cell", "nowhere"])
    assert isinstance(result.exception, InputError)
    assert "--cell nowhere" in str(result.exception)
    assert not (tmp_path / "x.pt").exists()


# ---- real stores: LadybugDB always, Neo4j when NEO4J_URI is set ------------------------------
NEO4J_URI = os.environ.get("NEO4J_URI")
BACKENDS = [pytest.param("ladybug", id="ladybug")]
if NEO4J_URI:
    BACKENDS.append(pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j))


@pytest.fixture(params=BACKENDS)
def graph_store(request, tmp_path):
    if request.param == "neo4j":
        store = hmlm_sb.store.open_store(NEO4J_URI)
        store.query("MATCH (n) WHERE NOT n:Meta DETACH DELETE n", write=True)
    else:
        need(importlib.util.find_spec("hmlm_sb.store.ladybug_store") is not None,
             "hmlm_sb.store.ladybug_store is not there yet")
        store = hmlm_sb.store.open_store(str(tmp_path / "x.lbdb"), max_db_size=1 << 30)
    yield store
    store.close()


def as_uids(data) -> None:
    """Replace ids by graph uids so a store export compares with ``union([network])``."""
    data["species"].ids = list(data["species"].uids)
    data["pathway"].ids = list(data["pathway"].uids)
    data.reaction_ids = list(data.reaction_uids)


@pytest.mark.parametrize("selection", [{"model": "toy"}, {"cell": "fibroblast"}])
def test_store_round_trip(graph_store, selection):
    net = small_network()
    graph_store.save_network(net, cell="fibroblast")
    data = export_subgraph(graph_store, **selection)
    as_uids(data)
    expected = union([net])
    expected.cell = net.cell
    assert_matches(data, expected)


def test_store_round_trip_of_rogers(graph_store, rogers_xlsx):
    need(importlib.util.find_spec("hmlm_sb.io.netflux") is not None, "hmlm_sb.io.netflux is not there yet")
    from hmlm_sb.io.netflux import read_netflux

    net = read_netflux(rogers_xlsx, model_id="rogers")
    graph_store.save_network(net, cell="fibroblast")
    data = export_subgraph(graph_store, model="rogers")
    as_uids(data)
    expected = union([net])
    expected.cell = Cell(name="fibroblast")
    assert_matches(data, expected)


def test_store_selects_by_pathway(graph_store):
    net = small_network()
    graph_store.save_network(net, cell="fibroblast")
    data = export_subgraph(graph_store, pathways=["p1"])
    as_uids(data)
    assert sorted(data["species"].ids) == ["toy/A", "toy/B", "toy/C"]
    assert [p for p in data["pathway"].ids] == ["toy/p1"]
    full = network_to_hetero(union([net]))
    inside = {edge for edge in regulation_triples(full) if edge[0] in data["species"].ids
              and edge[1] in data["species"].ids}
    assert regulation_triples(data) == inside
    assert ("toy/A", "toy/C", 1) in inside and ("toy/B", "toy/C", -1) in inside


def regulation_triples(data) -> set[tuple[str, str, int]]:
    ids = data["species"].ids
    edge_index, signs = signed_edges(data)
    return {(ids[s], ids[t], g) for (s, t), g in zip(edge_index.T.tolist(), signs.tolist())}


@pytest.mark.parametrize("relative", SBML_MODELS)
def test_store_round_trip_of_sbml(graph_store, shared_data, relative):
    path = shared_data / relative
    need(path.is_file(), f"missing {path}")
    net = read_any(path)
    graph_store.save_network(net)
    data = export_subgraph(graph_store, model=net.model.id)
    as_uids(data)
    expected = union([net])
    expected.cell = None
    assert_matches(data, expected)
