"""Network -> HeteroData: ids, signs, memberships and the prior survive the trip."""
from __future__ import annotations

import importlib.util
from collections import Counter

import numpy as np
import pytest
import torch

from hmlm_sb.data.hetero import (
    IMPLICIT_CELL,
    SIGN_RELATIONS,
    UNASSIGNED_PATHWAY,
    network_to_hetero,
    signed_edges,
)
from hmlm_sb.data.topology import topology_prior
from hmlm_sb.logic import parse_expr
from hmlm_sb.network import Cell, ModelInfo, Network, Participant, Pathway, Reaction, Species
from tests.conftest import need

torch.set_num_threads(1)


def small_network() -> Network:
    net = Network(models=[ModelInfo(id="toy")], cell=Cell(name="fibroblast"))
    for sid, initial in [("A", 0.1), ("B", 0.2), ("C", 0.0), ("D", 0.0), ("E", 0.5), ("F", 0.0)]:
        net.add_species(Species(id=sid, name=f"name {sid}", initial=initial, ymax=2.0, tau=3.0))
    net.species["F"].max_level = 2
    net.add_reaction(Reaction(id="in_A", kind="netflux", participants=[Participant("A", "output")]))
    net.add_reaction(Reaction(
        id="r1", kind="netflux", params={"weight": 0.5, "n": 2.0, "ec50": 0.4},
        participants=[Participant("A", "reactant"), Participant("B", "reactant"), Participant("C", "product")],
        function_terms=[(1, parse_expr("A & !B"))]))
    net.add_reaction(Reaction(id="r2", kind="netflux", participants=[Participant("C", "reactant"),
                                                                     Participant("D", "product")],
                              function_terms=[(1, parse_expr("C"))]))
    net.add_reaction(Reaction(id="r3", kind="sbml", participants=[  # no rule: unknown sign
        Participant("D", "reactant"), Participant("E", "reactant"), Participant("F", "product")]))
    net.add_reaction(Reaction(id="r4", kind="qual", participants=[Participant("B", "modifier"),
                                                                  Participant("A", "output")],
                              function_terms=[(1, parse_expr("B | (C & D & E)"))]))
    net.add_pathway(Pathway(id="p1", name="first", members=["A", "B", "C"]))
    net.add_pathway(Pathway(id="p2", members=["C", "D"]))
    return net


def assert_matches(data, network: Network) -> None:
    """Ids, regulation signs and memberships in the tensors equal those of the network."""
    species = data["species"].ids
    pathways = data["pathway"].ids
    assert sorted(species) == sorted(network.species)
    assert len(set(species)) == len(species) == data["species"].num_nodes == data["species"].x.shape[0]
    got = Counter()
    for sign, relation in SIGN_RELATIONS.items():
        store = data["species", relation, "species"]
        for (s, t), r in zip(store.edge_index.T.tolist(), store.reaction.tolist()):
            got[species[s], species[t], sign, data.reaction_ids[r]] += 1
    expected = Counter((r.source, r.target, r.sign, r.reaction) for r in network.regulations())
    assert got == expected
    members = {(species[s], pathways[p]) for s, p in data["species", "in", "pathway"].edge_index.T.tolist()}
    expected_members = {(m, pw.id) for pw in network.pathways.values() for m in pw.members}
    orphans = set(network.species) - {m for m, _ in expected_members}
    assert members == expected_members | {(s, UNASSIGNED_PATHWAY) for s in orphans}
    assert (UNASSIGNED_PATHWAY in pathways) == bool(orphans)
    dense = data.species_to_pathway.to_dense()
    assert {(species[s], pathways[p]) for s, p in torch.nonzero(dense).tolist()} == members
    assert torch.equal(data["pathway", "has", "species"].edge_index,
                       data["species", "in", "pathway"].edge_index.flip(0))
    assert data.pathway_to_cell.to_dense().sum(0).tolist() == [len(pathways)]
    assert data["cell"].ids == [network.cell.name if network.cell else IMPLICIT_CELL]


def test_small_network_round_trip():
    net = small_network()
    data = network_to_hetero(net)
    data.validate()
    assert_matches(data, net)
    assert data["species"].ids == ["A", "B", "C", "D", "E", "F"]
    assert data["species"].uids[0] == "toy/A"
    assert data["pathway"].ids == ["p1", "p2", UNASSIGNED_PATHWAY]
    assert data["pathway"].names[:2] == ["first", "p2"]
    assert data["pathway"].unassigned.tolist() == [False, False, True]
    assert data["cell"].ids == ["fibroblast"] and not bool(data["cell"].implicit[0])
    assert data.model_ids == ["toy"] and data.fingerprint == net.fingerprint()


def test_species_features():
    data = network_to_hetero(small_network())
    x = dict(zip(data["species"].feature_names, data["species"].x.T))
    assert x["initial"].tolist() == pytest.approx([0.1, 0.2, 0.0, 0.0, 0.5, 0.0])
    assert x["is_input"].tolist() == [1, 0, 0, 0, 0, 0]
    assert x["max_level"].tolist() == [1, 1, 1, 1, 1, 2]
    assert x["tau"].tolist() == [3.0] * 6


def edge_attrs(data) -> dict[tuple[str, str, str], list[float]]:
    ids = data["species"].ids
    out = {}
    for _, relation in SIGN_RELATIONS.items():
        store = data["species", relation, "species"]
        for (s, t), r, attr in zip(store.edge_index.T.tolist(), store.reaction.tolist(), store.edge_attr.tolist()):
            out[ids[s], ids[t], data.reaction_ids[r]] = attr
    return out


def test_regulation_attributes_and_and_arity():
    data = network_to_hetero(small_network())
    attrs = edge_attrs(data)
    names = data.regulation_attr_names
    assert names == ["weight", "n", "ec50", "and_arity"]
    assert attrs["A", "C", "r1"] == pytest.approx([0.5, 2.0, 0.4, 2])
    assert attrs["B", "C", "r1"] == pytest.approx([0.5, 2.0, 0.4, 2])
    assert attrs["C", "D", "r2"] == pytest.approx([1.0, 1.4, 0.5, 1])  # Netflux defaults
    assert attrs["D", "F", "r3"][3] == 2 and attrs["E", "F", "r3"][3] == 2  # no rule: all sources
    assert attrs["B", "A", "r4"][3] == 1
    assert data["species", "inhibits", "species"].edge_index.shape[1] == 1
    assert data["species", "regulates", "species"].edge_index.shape[1] == 2


def test_prior_edges_and_dense_agree_with_regulation():
    data = network_to_hetero(small_network())
    ids = data["species"].ids
    prior = data["species", "prior", "species"]
    pairs = {(ids[s], ids[t]): tuple(a) for (s, t), a in zip(prior.edge_index.T.tolist(), prior.edge_attr.tolist())}
    assert pairs["A", "C"] == (1, 1) and pairs["B", "C"] == (1, -1)
    assert pairs["A", "D"] == (2, 1) and pairs["B", "D"] == (2, -1)
    assert pairs["C", "F"] == (2, 0)  # through an edge of unknown sign
    hops, sign = data.prior_hops, data.prior_sign
    for (s, t), (h, g) in pairs.items():
        assert hops[ids.index(t), ids.index(s)] == h and sign[ids.index(t), ids.index(s)] == g
    assert int((hops > 0).sum()) == len(pairs)
    edge_index, signs = signed_edges(data)
    again = topology_prior(edge_index.numpy(), signs.numpy(), len(ids))
    assert np.array_equal(again.edge_index, prior.edge_index.numpy())


def test_dense_prior_only_for_small_graphs():
    data = network_to_hetero(small_network(), dense_limit=3)
    assert "prior_hops" not in data
    assert data["species", "prior", "species"].edge_index.shape[1] > 0


def test_network_without_pathways_or_cell():
    net = small_network()
    net.pathways.clear()
    net.cell = None
    data = network_to_hetero(net)
    assert_matches(data, net)
    assert data["pathway"].ids == [UNASSIGNED_PATHWAY]
    assert data["cell"].ids == [IMPLICIT_CELL] and bool(data["cell"].implicit[0])


def test_saved_file_loads_back(tmp_path):
    data = network_to_hetero(small_network())
    path = tmp_path / "toy.pt"
    torch.save(data, path)
    loaded = torch.load(path, weights_only=False)
    assert loaded["species"].ids == data["species"].ids
    assert torch.equal(loaded.prior_hops, data.prior_hops)
    assert torch.equal(loaded.species_to_pathway.to_dense(), data.species_to_pathway.to_dense())


# ---- real inputs ------------------------------------------------------------------------------
def _reader(module: str, name: str):
    need(importlib.util.find_spec(module) is not None, f"{module} is not there yet")
    return getattr(importlib.import_module(module), name)


def test_rogers_netflux_round_trip(rogers_xlsx):
    read_netflux = _reader("hmlm_sb.io.netflux", "read_netflux")
    net = read_netflux(rogers_xlsx)
    data = network_to_hetero(net)
    assert_matches(data, net)
    assert data["species"].num_nodes == 109
    assert int(data["species"].x[:, data["species"].feature_names.index("is_input")].sum()) == 10
    assert len([p for p in data["pathway"].ids if p != UNASSIGNED_PATHWAY]) == 8
    assert data["species", "inhibits", "species"].edge_index.shape[1] > 0


SBML_MODELS = ["sbml/core/BIOMD0000000010.xml", "sbml/qual/ginsim-Traynard2016-mammalian-cell-cycle.sbml"]


def read_any(path):
    """The importers' format-detecting reader; the SBML readers until it lands."""
    if importlib.util.find_spec("hmlm_sb.io") and hasattr(importlib.import_module("hmlm_sb.io"), "read_network"):
        return importlib.import_module("hmlm_sb.io").read_network(path)
    if "/qual/" in str(path):
        return _reader("hmlm_sb.io.sbml_qual", "read_sbml_qual")(path)
    return _reader("hmlm_sb.io.sbml", "read_sbml")(path)


@pytest.mark.parametrize("relative", SBML_MODELS)
def test_sbml_round_trip(shared_data, relative):
    path = shared_data / relative
    need(path.is_file(), f"missing {path}")
    net = read_any(path)
    data = network_to_hetero(net)
    assert_matches(data, net)
    assert data["species"].x.shape[0] == len(net.species) > 0


def test_multi_level_species_keep_their_max_level(shared_data):
    net = read_any(shared_data / SBML_MODELS[1])
    data = network_to_hetero(net)
    max_level = data["species"].x[:, data["species"].feature_names.index("max_level")]
    assert max_level.tolist() == [float(s.max_level) for s in net.species.values()]
    assert max_level.max() > 1


def test_uids_are_not_prefixed_twice():
    from hmlm_sb.network import union

    data = network_to_hetero(union([small_network()]))
    assert data["species"].ids[0] == "toy/A" and data["species"].uids == data["species"].ids
    assert data["pathway"].uids[:2] == ["toy/p1", "toy/p2"] and data.reaction_uids[1] == "toy/r1"


def test_dangling_species_is_one_clear_error():
    from hmlm_sb.errors import InputError

    net = small_network()
    del net.species["E"]
    with pytest.raises(InputError, match="reaction r3.*'E'"):
        network_to_hetero(net)
