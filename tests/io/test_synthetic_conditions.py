"""Synthetic networks that can be trained on: input reactions, modules, named conditions."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.io import read_network
from hmlm_sb.io.synthetic import (MODULE_SIZE, STIMULUS_WEIGHT, standard_conditions, synthetic_conditions,
                                  synthetic_network, write_conditions, write_synthetic)
from hmlm_sb.sim.conditions import input_weights, load_conditions, simulate_conditions
from hmlm_sb.sim.datasets import DatasetSpec, make_dataset
from hmlm_sb.sim.netflux_ode import compile_network


def test_one_input_per_module_and_every_condition_applies(tmp_path):
    net = synthetic_network(450, seed=3)
    compiled = compile_network(net)
    assert len(net.pathways) == 4 and len(compiled.input_rows) == 4
    for pathway, sid in zip(net.pathways.values(), compiled.input_species):
        assert sid in pathway.members  # each module is driven by its own input
    named = load_conditions(write_conditions(tmp_path / "c.toml", 450), include_bundled=False)
    assert set(named) == set(synthetic_conditions(450))
    assert [f"stim_{s}" for s in compiled.input_species] == [n for n in named if n.startswith("stim_")]
    for cond in named.values():
        weights = input_weights(compiled, cond)  # raises on an input the network lacks
        assert np.count_nonzero(weights == STIMULUS_WEIGHT) == len(cond.weights)
    assert standard_conditions(450) == ["control", "stim_S0", "stim_S113", "combined"]


def test_a_stimulus_acts_on_its_own_module_most():
    net = synthetic_network(400, seed=1)
    named = synthetic_conditions(400)
    traj = simulate_conditions(net, [named["control"], named["stim_S0"]], np.linspace(0, 60, 7))
    change = np.abs(traj.values[1, -1] - traj.values[0, -1])
    index = {s: i for i, s in enumerate(traj.species)}
    own = [index[s] for s in net.pathways["P0"].members]
    others = [i for i in range(len(traj.species)) if i not in set(own)]
    assert change[own].mean() > 0.05 and change[own].mean() > 5 * change[others].mean()
    assert traj.values[0, -1].mean() < 0.1  # unstimulated, the network stays low


def test_a_dataset_is_made_from_the_written_files(tmp_path):
    n = 2 * MODULE_SIZE
    network = read_network(write_synthetic(tmp_path / "s.xml", n, seed=5))
    named = load_conditions(write_conditions(tmp_path / "c.toml", n))
    spec = DatasetSpec(seed=0, conditions=standard_conditions(n), n_times=20, t_end=40.0)
    data = make_dataset(network, spec, named)
    assert data.truth.values.shape == (4, 20, n)
    assert data.truth.inputs == ["I0", "I1"] and data.hidden_edges
    assert np.isfinite(data.observed.values).all()


@pytest.mark.slow
def test_a_dataset_is_made_on_1000_species(tmp_path):
    network = synthetic_network(1000)
    spec = DatasetSpec(seed=0, conditions=standard_conditions(1000), single_inputs=True)
    data = make_dataset(network, spec, synthetic_conditions(1000))
    assert data.truth.values.shape == (4 + 8, 100, 1000)  # + the 8 inputs not in a standard condition
