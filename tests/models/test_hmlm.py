"""The HMLM's differentiable prior ODE and integrator (the correction and training: test_hmlm_correction.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hmlm_sb.logic import parse_expr
from hmlm_sb.data.prior import build_prior
from hmlm_sb.nn.netflux import NetfluxRHS, compile_network, dnf, etd_solve, extend_grid, hermite, model_grid
from hmlm_sb.sim import netflux_ode
from tests.models.tiny import tiny_network


def test_dnf_pushes_negation_down_and_distributes():
    assert dnf(parse_expr("!(A & B)")) == [[("A", True)], [("B", True)]]
    assert dnf(parse_expr("A & (B | !C)")) == [[("A", False), ("B", False)], [("A", False), ("C", True)]]
    assert dnf(parse_expr("true")) == [[]] and dnf(parse_expr("false")) == []


def test_backbone_matches_the_simulator_rhs():
    network = tiny_network()
    sim = netflux_ode.compile_network(network)
    ours = NetfluxRHS(compile_network(network, sim.species, sim.inputs))
    rng = np.random.default_rng(1)
    y = rng.uniform(0, 1, (5, len(sim.species)))
    stimuli = rng.uniform(0, 1, (5, len(sim.inputs)))
    params = sim.params(5).with_input_weights(sim, stimuli)
    expected = netflux_ode.rhs(sim, y, params)
    with torch.no_grad():
        got = ours(torch.tensor(y, dtype=torch.float32),
                   ours.reaction_weights(torch.tensor(stimuli, dtype=torch.float32))).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-4)


def test_exponential_integrator_follows_the_stiff_reference():
    network = tiny_network()
    sim = netflux_ode.compile_network(network)
    sim.tau[:] = np.where(np.arange(len(sim.tau)) % 2 == 0, 0.05, 5.0)  # stiff mix
    for sid, tau in zip(sim.species, sim.tau):
        network.species[sid].tau = float(tau)
    times = np.linspace(0, 20, 41)
    stimuli = np.array([[0.7, 0.7]])
    reference = netflux_ode.simulate(sim, times, sim.params(1).with_input_weights(sim, stimuli))[0]
    rhs = NetfluxRHS(compile_network(network, sim.species, sim.inputs))
    grid = model_grid(0.0, 20.0, 30)
    weights = rhs.reaction_weights(torch.tensor(stimuli, dtype=torch.float32))
    with torch.no_grad():
        states, slopes = etd_solve(lambda y: rhs.production(y, weights), None, rhs.rate(),
                                   torch.zeros(1, len(sim.species)), grid)
        got = hermite(grid, states, slopes, times)[:, 0].numpy()
    assert np.abs(got - reference).max() < 0.05
    assert np.mean((got - reference) ** 2) < 1e-4


def test_grid_is_fine_first_and_extends_with_its_last_step():
    grid = model_grid(0.0, 10.0, 5)
    assert grid[0] == 0.0 and grid[-1] == 10.0 and np.all(np.diff(np.diff(grid)) > 0)
    longer = extend_grid(grid, 13.0)
    assert longer[-1] >= 13.0 and np.allclose(np.diff(longer)[-2:], grid[-1] - grid[-2])
    assert extend_grid(grid, 9.0) is grid


def test_hermite_hits_the_grid_and_stays_between_end_points():
    grid = np.array([0.0, 1.0, 3.0])
    states = torch.tensor([0.0, 1.0, 0.5]).view(3, 1, 1)
    slopes = torch.tensor([5.0, 0.0, 0.0]).view(3, 1, 1)
    got = hermite(grid, states, slopes, np.array([0.0, 0.5, 1.0, 2.0, 3.0, 7.0]))[:, 0, 0].numpy()
    np.testing.assert_allclose(got[[0, 2, 4, 5]], [0.0, 1.0, 0.5, 0.5])
    assert 0.0 <= got[1] <= 1.0 and 0.5 <= got[3] <= 1.0


def test_every_species_belongs_to_a_pathway():
    network = tiny_network()
    species = list(network.species) + ["orphan"]
    prior = build_prior(network, species, strict=False)
    member, names = prior.membership_matrix(drop_empty=True).astype(bool), prior.nonempty_pathways()
    assert member.shape == (len(species), len(names))
    assert member.any(axis=1).all()
    assert names[-1] == "(unassigned)" and member[-1, -1]


@pytest.mark.parametrize("name", ["hmlm", "ude-mlp"])
def test_hybrid_checkpoints_are_data_not_pickles(name, tmp_path):
    import json
    import zipfile

    from hmlm_sb.models.base import DynamicsModel, make_model
    from tests.models.tiny import tiny_dataset

    observed, _, prior, _ = tiny_dataset()
    model = make_model(name, **type(make_model(name)).test_params()).fit(observed, prior, seed=0)
    model.save(tmp_path / "m.ckpt")
    meta = json.loads(zipfile.ZipFile(tmp_path / "m.ckpt").read("format.json"))
    assert meta["storage"] == "data"
    loaded = DynamicsModel.load(tmp_path / "m.ckpt")
    args = (observed.stimuli, observed.initial, observed.times)
    np.testing.assert_array_equal(loaded.predict(*args), model.predict(*args))


def _without_attention_options(path, out):
    """A copy of checkpoint ``path`` whose params lack ``context``, ``values`` and
    ``min_epochs``: what a checkpoint of the previous design holds."""
    import json
    import zipfile

    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "format.json":
                meta = json.loads(data)
                params = meta["params"].get("__dict__", meta["params"])  # a dict is stored as {"__dict__": ...}
                for key in ("context", "values", "min_epochs"):
                    params.pop(key)
                data = json.dumps(meta).encode()
            dst.writestr(item, data)
    return out


def test_a_checkpoint_of_the_previous_attention_loads_as_that_design(tmp_path):
    from hmlm_sb.errors import InputError
    from hmlm_sb.models.base import DynamicsModel
    from hmlm_sb.models.hmlm import HMLM
    from tests.models.tiny import tiny_dataset

    observed, _, prior, _ = tiny_dataset()
    old = HMLM(**{**HMLM.test_params(), "context": "state", "values": "token"}).fit(observed, prior, seed=0)
    old.save(tmp_path / "old.ckpt")
    loaded = DynamicsModel.load(_without_attention_options(tmp_path / "old.ckpt", tmp_path / "legacy.ckpt"))
    assert (loaded.context, loaded.values) == ("state", "token")
    args = (observed.stimuli, observed.initial, observed.times)
    np.testing.assert_array_equal(loaded.predict(*args), old.predict(*args))
    new = HMLM(**{**HMLM.test_params(), "context": "condition", "values": "state"}).fit(observed, prior, seed=0)
    new.save(tmp_path / "new.ckpt")
    with pytest.raises(InputError, match="does not fit this version") as info:
        DynamicsModel.load(_without_attention_options(tmp_path / "new.ckpt", tmp_path / "bad.ckpt"))
    assert "\n" not in str(info.value)
