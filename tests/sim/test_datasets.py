"""Ground-truth datasets: seeded, hidden edges kept out of the prior, noise, protocols, files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network
from hmlm_sb.sim.datasets import DatasetSpec, load_dataset, make_dataset, sparse_indices, sparse_mask
from hmlm_sb.sim.netflux_ode import compile_network


@pytest.fixture(scope="module")
def dataset(rogers: Network):
    return make_dataset(rogers, DatasetSpec(seed=7))


def test_shapes_grid_and_noise(dataset) -> None:
    truth, observed = dataset.truth, dataset.observed
    assert truth.conditions == ["control", "TGFB", "strain", "combined"]
    assert truth.values.shape == (4, 100, 109) and truth.times[0] == 0 and truth.times[-1] == 80
    assert np.allclose(truth.initial, 0.0) and np.allclose(observed.initial, truth.initial)
    residual = observed.values - truth.values
    assert 0.018 < residual.std() < 0.022 and abs(residual.mean()) < 0.002
    assert truth.inputs == [f"i{k}" for k in range(1, 11)]
    assert truth.stimuli[1, 1] == 0.7 and truth.stimuli[0, 1] == 0.1


def test_truth_parameters_differ_from_published(dataset, rogers: Network) -> None:
    compiled = compile_network(rogers)
    p = dataset.truth_params
    ratio = p.tau[0] / compiled.tau
    assert 0.2 < np.log(ratio).std() < 0.4  # log-normal sigma 0.3
    assert np.allclose(p.weight[0, compiled.input_rows], compiled.weight[compiled.input_rows])
    assert (p.weight <= 1).all() and (p.ec50 > 0).all() and (p.ec50 < 1).all()


def test_hidden_edges_are_hidden_and_recorded(dataset, rogers: Network) -> None:
    sources = [(r, p.species) for r, rx in rogers.reactions.items() if not rx.is_input for p in rx.sources()]
    hidden = {(e.reaction, e.source) for e in dataset.hidden_edges}
    assert len(hidden) == round(0.2 * len(sources))
    prior = dataset.prior
    prior.check()
    compile_network(prior)
    for rid, source in hidden:
        assert rogers.reactions[rid].sources()
        if rid in prior.reactions:
            assert source not in [p.species for p in prior.reactions[rid].sources()]
            assert prior.reactions[rid].sources()
    assert {r.id for r in prior.input_reactions()} == {r.id for r in rogers.input_reactions()}
    prior_edges = {(e.source, e.target, e.reaction) for e in prior.regulations()}
    assert not {(e.source, e.target, e.reaction) for e in dataset.hidden_edges} & prior_edges


def test_seeded(rogers: Network, dataset) -> None:
    again = make_dataset(rogers, DatasetSpec(seed=7))
    assert np.array_equal(again.observed.values, dataset.observed.values)
    assert again.hidden_edges == dataset.hidden_edges
    other = make_dataset(rogers, DatasetSpec(seed=8, hidden_fraction=0.0, noise_sd=0.0))
    assert not other.hidden_edges and np.array_equal(other.observed.values, other.truth.values)
    assert not np.allclose(other.truth.values, dataset.truth.values)


def test_steady_protocol_and_extra_conditions(rogers: Network) -> None:
    data = make_dataset(rogers, DatasetSpec(seed=1, protocol="steady", single_inputs=True, knockdowns=["smad3"]))
    truth = data.truth
    assert "stim_IL1" in truth.conditions and "stim_TGFB" not in truth.conditions  # same as TGFB
    control = truth.condition_index("control")
    assert np.abs(truth.values[control] - truth.values[control, 0]).max() < 1e-5  # at rest
    assert np.allclose(truth.initial, truth.initial[0]) and truth.initial[0].max() > 0.5
    kd = truth.condition_index("kd_smad3")
    smad3 = truth.species.index("smad3")
    assert truth.values[kd, -1, smad3] < 0.1 + 1e-9 < truth.values[truth.condition_index("combined"), -1, smad3]


def test_sparse_schemes(dataset) -> None:
    assert list(sparse_indices(100, 4)) == [25, 50, 74, 99]
    assert list(sparse_indices(100, 8)) == [12, 25, 37, 50, 62, 74, 87, 99]
    assert len(sparse_indices(100, 16)) == 16
    mask = sparse_mask(dataset.truth, 4)
    assert mask.shape == (4, 100) and mask[:, 0].all() and mask.sum() == 4 * 5


def test_save_and_load(dataset, tmp_path: Path) -> None:
    import pandas as pd

    folder = dataset.save(tmp_path / "d")
    tidy = pd.read_csv(folder / "observed.csv")
    assert list(tidy.columns) == ["condition", "replicate", "time", "species", "value", "observed"]
    assert len(tidy) == 4 * 100 * 109
    back = load_dataset(folder)
    assert np.allclose(back.observed.values, dataset.observed.values)
    assert back.hidden_edges == dataset.hidden_edges
    assert back.prior.fingerprint() == dataset.prior.fingerprint()
    assert np.allclose(back.truth_params.tau, dataset.truth_params.tau)


@pytest.mark.parametrize("spec", [DatasetSpec(hidden_fraction=1.5), DatasetSpec(noise_sd=float("nan")),
                                  DatasetSpec(protocol="later"), DatasetSpec(conditions=["nope"]),
                                  DatasetSpec(knockdowns=["nope"])])
def test_bad_specs(rogers: Network, spec: DatasetSpec) -> None:
    with pytest.raises(InputError):
        make_dataset(rogers, spec)
