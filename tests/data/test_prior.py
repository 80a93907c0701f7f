"""NetworkPrior: the one place the prior's tensors are built; the export is a view of it."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.data.prior import UNASSIGNED_PATHWAY, build_prior, species_uid
from hmlm_sb.errors import InputError
from hmlm_sb.network import Participant
from tests.data.test_hetero import small_network


def test_edges_inputs_and_memberships_follow_the_network():
    net = small_network()
    prior = build_prior(net)
    assert prior.species == list(net.species)
    assert prior.inputs == ["in_A"]
    assert prior.input_matrix.tolist() == [[1, 0, 0, 0, 0, 0]]
    got = sorted((prior.species[s], prior.species[t], int(g)) for (s, t), g in zip(prior.edge_index.T, prior.edge_sign))
    want = sorted((r.source, r.target, r.sign) for r in net.regulations())
    assert got == want
    assert prior.pathways == ["p1", "p2", UNASSIGNED_PATHWAY]
    member = prior.membership_matrix()
    assert member[:, 2].tolist() == [0, 0, 0, 0, 1, 1]  # E and F are in no pathway
    assert np.allclose(prior.pathway_means().sum(axis=0), 1.0)
    assert prior.species_uids[0] == species_uid(net, "A") == "toy/A"


def test_dense_views_use_target_source_order():
    prior = build_prior(small_network())
    adj = prior.adjacency(signed=True)
    a, b, c = (prior.species.index(x) for x in "ABC")
    assert adj[c, a] == 1 and adj[c, b] == -1 and adj[a, c] == 0
    edges, signs = prior.unique_edges()
    assert len(set(map(tuple, edges.T.tolist()))) == edges.shape[1]
    assert (adj[edges[1], edges[0]] == signs).all()
    assert prior.hops()[prior.species.index("D"), a] == 2


def test_a_dataset_order_and_foreign_species():
    net = small_network()
    prior = build_prior(net, species=["F", "A", "X"], inputs=["in_A", "nope"])
    assert prior.input_matrix.tolist() == [[0, 1, 0], [0, 0, 0]]
    assert prior.in_network.tolist() == [True, True, False]
    assert prior.pathways[-1] == UNASSIGNED_PATHWAY


def test_a_regulation_of_an_unknown_species_is_refused_when_strict():
    net = small_network()
    net.reactions["r2"].participants.append(Participant("ghost", "reactant"))
    with pytest.raises(InputError, match="ghost"):
        build_prior(net)
    assert build_prior(net, strict=False).edge_index.shape[1] == len(small_network().regulations())


def test_the_prior_gives_what_crosstalk_still_builds(rogers_xlsx):
    """The builders the prior replaces in crosstalk.py agree with it."""
    from hmlm_sb import crosstalk
    from hmlm_sb.io.netflux import read_netflux

    net = read_netflux(rogers_xlsx)
    species = sorted(net.species)
    inputs = [r.id for r in net.input_reactions()]
    prior = build_prior(net, species, inputs)
    pathway_ids, assignment = crosstalk.membership(species, {p: pw.members for p, pw in net.pathways.items()})
    assert pathway_ids == prior.nonempty_pathways(unassigned=False)
    np.testing.assert_array_equal(assignment, prior.membership_matrix(drop_empty=True, unassigned=False))
    assert [crosstalk.species_uid(net, s) for s in species] == prior.species_uids
