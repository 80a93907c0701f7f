"""Attention matrices to CROSSTALK edges: direction, threshold, ranks, known, pathways."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.crosstalk import (Threshold, crosstalk_edges, known_species_pairs, pathway_edges,
                               pathway_matrix, species_edges, membership)
from hmlm_sb.logic import parse_expr
from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species


def small_network() -> Network:
    """A -> B -| C, with pathways P1 = {A, B}, P2 = {C, D}."""
    net = Network(models=[ModelInfo(id="m1")])
    for sid in "ABCD":
        net.add_species(Species(id=sid, model="m1"))
    net.add_reaction(Reaction(id="r1", kind="netflux", model="m1",
                              participants=[Participant("A", "reactant"), Participant("B", "product")],
                              function_terms=[(1, parse_expr("A"))]))
    net.add_reaction(Reaction(id="r2", kind="netflux", model="m1",
                              participants=[Participant("B", "reactant"), Participant("C", "product")],
                              function_terms=[(1, parse_expr("!B"))]))
    net.add_pathway(Pathway(id="P1", members=["A", "B"], model="m1"))
    net.add_pathway(Pathway(id="P2", members=["C", "D"], model="m1"))
    return net


def test_edge_runs_from_column_to_row():
    m = np.zeros((3, 3))
    m[2, 0] = 0.9  # species 0 acts on species 2
    edges = species_edges(m, ["x", "y", "z"], "ctl")
    assert [(e.source, e.target, e.rank) for e in edges] == [("x", "z", 1)]
    assert edges[0].weight == pytest.approx(0.9) and edges[0].condition == "ctl"


def test_diagonal_never_written_and_weights_absolute():
    m = np.diag([5.0, 5.0]) + np.array([[0, -0.8], [0.4, 0]])
    edges = species_edges(m, ["a", "b"], "c")
    assert [(e.source, e.target) for e in edges] == [("b", "a"), ("a", "b")]
    assert edges[0].weight == pytest.approx(0.8)


def test_relative_threshold_and_top_k():
    rng = np.random.default_rng(0)
    m = rng.uniform(0, 1, (20, 20))
    m[3, 4] = 10.0
    strong = species_edges(m, [f"s{i}" for i in range(20)], "c", threshold=Threshold(relative=0.5))
    assert [(e.source, e.target) for e in strong] == [("s4", "s3")]
    top = species_edges(m, [f"s{i}" for i in range(20)], "c", threshold=Threshold(relative=0.0, top_k_species=7))
    assert [e.rank for e in top] == list(range(1, 8))
    weights = [e.weight for e in top]
    assert weights == sorted(weights, reverse=True)
    off = m.copy()
    np.fill_diagonal(off, 0)
    assert weights[6] == pytest.approx(np.sort(off.ravel())[::-1][6])


def test_all_zero_or_nan_matrix_gives_nothing():
    assert species_edges(np.zeros((4, 4)), list("abcd"), "c") == []
    assert species_edges(np.full((2, 2), np.nan), list("ab"), "c") == []


def test_wrong_shape_refused():
    with pytest.raises(ValueError, match="shape"):
        species_edges(np.zeros((3, 2)), list("abc"), "c")


def test_known_flag_follows_regulations():
    net = small_network()
    known = known_species_pairs(net)
    assert known == {("A", "B"), ("B", "C")}
    m = np.zeros((4, 4))
    m[1, 0] = 1.0  # A -> B: known
    m[0, 1] = 0.9  # B -> A: novel
    m[3, 2] = 0.8  # C -> D: novel
    edges = species_edges(m, list("ABCD"), "c", known=known)
    assert {(e.source, e.target): e.known for e in edges} == {("A", "B"): True, ("B", "A"): False,
                                                              ("C", "D"): False}


def test_pathway_matrix_is_mean_of_member_pairs():
    species = list("ABCD")
    names, assign = membership(species, {"P1": ["A", "B"], "P2": ["C", "D"]})
    m = np.arange(16, dtype=float).reshape(4, 4)
    pm = pathway_matrix(m, assign)
    # [P2, P1]: rows C, D; cols A, B -> 8, 9, 12, 13
    assert pm[names.index("P2"), names.index("P1")] == pytest.approx(np.mean([8, 9, 12, 13]))
    assert pm[0, 0] == 0 and pm[1, 1] == 0


def test_pathway_known_when_any_member_edge_is_known():
    net = small_network()
    m = np.zeros((4, 4))
    m[2, 1] = 1.0  # B -> C, known, crosses P1 -> P2
    m[0, 3] = 0.5  # D -> A, novel, crosses P2 -> P1
    edges = pathway_edges(m, list("ABCD"), {"P1": ["A", "B"], "P2": ["C", "D"]}, "c",
                          known=known_species_pairs(net))
    assert {(e.source, e.target): (e.known, e.rank) for e in edges} == {("P1", "P2"): (True, 1),
                                                                       ("P2", "P1"): (False, 2)}
    assert all(e.level == "pathway" for e in edges)


def test_crosstalk_edges_use_graph_uids_for_every_condition():
    net = small_network()
    m = np.zeros((4, 4))
    m[2, 1] = 1.0
    edges = crosstalk_edges({"control": m, "TGFB": 2 * m}, list("ABCD"), net)
    species_level = [e for e in edges if e.level == "species"]
    assert {(e.source, e.target, e.condition) for e in species_level} == {
        ("m1/B", "m1/C", "control"), ("m1/B", "m1/C", "TGFB")}
    assert {(e.source, e.target) for e in edges if e.level == "pathway"} == {("m1/P1", "m1/P2")}


def test_species_missing_from_network_are_dropped():
    net = small_network()
    m = np.ones((5, 5))
    edges = crosstalk_edges({"c": m}, list("ABCDX"), net, threshold=Threshold(top_k_species=1000))
    assert all("X" not in e.source and "X" not in e.target for e in edges)
    assert len([e for e in edges if e.level == "species"]) == 12
