"""Perturbation designs, conditions of any network, no leak of hidden edges, the
mismatched generator and the identifiability of hidden edges."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hmlm_sb.errors import InputError
from hmlm_sb.io.netflux import read_netflux
from hmlm_sb.sim.datasets import (DatasetSpec, edge_identifiability, hidden_edge_effects, logistic_activation,
                                  make_dataset, sparse_mask)
from hmlm_sb.sim.netflux_ode import hill
from tests.models.tiny import tiny_network


@pytest.fixture(scope="module")
def kraeutler(shared_data: Path):
    from tests.conftest import need

    path = shared_data / "netflux" / "Kraeutler2010_betaAdrenergic.xlsx"
    need(path.is_file(), f"missing {path}")
    return read_netflux(path)


def test_designs_add_single_inputs_then_hub_perturbations_the_models_are_told_about():
    net = tiny_network()
    standard = make_dataset(net, DatasetSpec(seed=3, n_times=20, design="standard")).truth
    single = make_dataset(net, DatasetSpec(seed=3, n_times=20, design="single")).truth
    kd = make_dataset(net, DatasetSpec(seed=3, n_times=20, design="single+kd"))
    assert standard.conditions == ["control", "TGFB", "strain", "combined"] and not standard.perturbed
    assert single.conditions == standard.conditions  # both inputs alone are already there
    extra = kd.truth.conditions[4:]
    assert extra and all(c.startswith(("kd_", "inh_")) for c in extra) and kd.observed.perturbed
    first = kd.truth.condition_index(extra[0])
    hub = kd.truth.species.index(extra[0].split("_", 1)[1])
    assert kd.truth.knockdown[first, hub] == pytest.approx(0.1) and kd.observed.knockdown[first, hub] == 0.1
    assert kd.truth.values[first, -1, hub] <= 0.1 + 1e-6
    if len(extra) > 1:
        second = kd.truth.condition_index(extra[1])
        assert kd.truth.inhibit[second, kd.truth.species.index(extra[1].split("_", 1)[1])] == 0.0
    # hubs come from the prior, not the truth: the same for any hidden edges of the full network
    assert all(sid.split("_", 1)[1] in kd.prior.species for sid in extra)


def test_a_network_without_the_bundled_inputs_gets_conditions_from_its_own(kraeutler):
    data = make_dataset(kraeutler, DatasetSpec(seed=1000, n_times=20, design="single"))
    conditions = data.truth.conditions
    assert conditions[0] == "control" and conditions[3] == "combined" and len(conditions[1:3]) == 2
    assert all(name in kraeutler.species for name in conditions[1:3])
    assert {"stim_Fsk", "stim_PKI"} <= set(conditions)


def test_the_prior_does_not_spell_out_hidden_edges():
    net = tiny_network()
    for rxn in net.reactions.values():
        rxn.name = rxn.rule_text + " => " + rxn.targets()[0].species  # Netflux: a name is its rule
        rxn.notes = rxn.name
    data = make_dataset(net, DatasetSpec(seed=5, n_times=10, hidden_fraction=0.4))
    assert data.hidden_edges
    for edge in data.hidden_edges:
        rxn = data.prior.reactions.get(edge.reaction)
        if rxn is not None:
            assert edge.source not in rxn.name.replace("=>", " ").split() and edge.source not in rxn.notes


def test_mismatch_generator_is_outside_the_netflux_family():
    x = np.linspace(0, 1, 11)
    curve = logistic_activation(x, np.full(11, 1.4), np.full(11, 0.5))
    assert curve[0] == pytest.approx(0.0) and curve[-1] == pytest.approx(1.0)
    assert np.abs(curve - hill(x, np.full(11, 1.4), np.full(11, 0.5))).max() > 0.05
    net = tiny_network()
    same = make_dataset(net, DatasetSpec(seed=2, n_times=15))
    other = make_dataset(net, DatasetSpec(seed=2, n_times=15, generator="mismatch"))
    assert same.hidden_edges == other.hidden_edges and np.abs(other.truth.values - same.truth.values).max() > 0.05
    assert other.truth.meta["generator"] == "mismatch"
    with pytest.raises(InputError, match="generator"):
        make_dataset(net, DatasetSpec(generator="roadrunner"))
    with pytest.raises(InputError, match="design"):
        make_dataset(net, DatasetSpec(design="everything"))


def test_identifiability_needs_an_effect_and_no_lockstep_partner():
    data = make_dataset(tiny_network(), DatasetSpec(seed=4, n_times=20, design="single+kd", hidden_fraction=0.3))
    effects = hidden_edge_effects(data)
    assert effects.shape == (len(data.hidden_edges), len(data.truth.conditions), 20)
    assert (effects[:, :, 0] == 0).all() and effects.max() > 0.01
    mask = sparse_mask(data.truth, 4)
    ident = edge_identifiability(data, mask, effects=effects)
    assert ident.identifiable.dtype == bool and len(ident.identifiable) == len(data.hidden_edges)
    assert not (ident.identifiable & (ident.effect <= ident.noise)).any()
    assert not (ident.identifiable & (ident.lockstep > 0)).any()
    strict = edge_identifiability(data, mask, effects=effects, r_threshold=0.0)  # everything in lockstep
    assert not strict.identifiable.any()
    summary = ident.summary()
    assert summary["n_hidden"] == len(data.hidden_edges) and 0 <= summary["n_identifiable"] <= summary["n_hidden"]


def test_rogers_prior_names_leak_no_hidden_edge(rogers):
    data = make_dataset(rogers, DatasetSpec(seed=1000, n_times=10))
    leaks = [e for e in data.hidden_edges if e.reaction in data.prior.reactions
             and e.source in data.prior.reactions[e.reaction].name.replace("!", " ").replace("&", " ").split()]
    assert len(data.hidden_edges) == 44 and not leaks
