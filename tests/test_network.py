import numpy as np
import pytest

from hmlm_sb.logic import parse_expr
from hmlm_sb.network import (ModelInfo, Network, Participant, Pathway, Reaction, Species, parse_rule_text,
                             union)


def small_network(model_id="m1") -> Network:
    net = Network(models=[ModelInfo(id=model_id)])
    for sid in "ABCD":
        net.add_species(Species(sid, model=model_id))
    net.add_reaction(Reaction("in1", "netflux", [Participant("A", "output")], params={"weight": 0.1}))
    net.add_reaction(Reaction("r1", "netflux",
                              [Participant("A", "input", 1), Participant("B", "input", -1), Participant("C", "output")],
                              [(1, parse_expr("A & !B"))], params={"weight": 1.0, "n": 1.4, "ec50": 0.5}))
    net.add_reaction(Reaction("r2", "qual", [Participant("C", "input"), Participant("D", "output")],
                              [(2, parse_expr("C >= 1")), (1, parse_expr("!C"))]))
    net.add_pathway(Pathway("p1", members=["A", "C"]))
    return net


def test_regulations_take_sign_from_participant_or_rule():
    edges = {(e.source, e.target): e.sign for e in small_network().regulations()}
    assert edges == {("A", "C"): 1, ("B", "C"): -1, ("C", "D"): 0}


def test_inputs_and_pathways():
    net = small_network()
    assert net.input_species() == ["A"]
    assert [r.id for r in net.input_reactions()] == ["in1"]
    assert net.pathways_of("C") == ["p1"]


def test_rule_text_round_trip():
    net = small_network()
    for rxn in net.reactions.values():
        assert parse_rule_text(rxn.rule_text) == rxn.function_terms


def test_check_names_dangling_reference():
    net = small_network()
    net.pathways["p1"].members.append("Z")
    with pytest.raises(ValueError, match="unknown species 'Z'"):
        net.check()


def test_fingerprint_changes_with_content_only():
    a, b = small_network(), small_network()
    assert a.fingerprint() == b.fingerprint()
    b.reactions["r1"].params["weight"] = 0.9
    assert a.fingerprint() != b.fingerprint()


def test_union_qualifies_ids():
    merged = union([small_network("m1"), small_network("m2")])
    assert len(merged.species) == 8 and "m2/C" in merged.species
    merged.check()
    assert {(e.source, e.target) for e in merged.regulations()} >= {("m1/A", "m1/C"), ("m2/C", "m2/D")}


def test_to_dict_formats_nested_rules():
    data = small_network().to_dict()
    assert data["reactions"]["r1"]["function_terms"] == [(1, "A & !B")]
    assert data["reactions"]["r2"]["function_terms"] == [(2, "C"), (1, "!C")]
