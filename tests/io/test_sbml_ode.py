"""Independent check: the SBML rate-rule export simulated by libRoadRunner."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hmlm_sb.io.netflux import read_netflux
from hmlm_sb.io.sbml_ode import write_sbml_ode
from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, input_weights, load_conditions, simulate_conditions
from hmlm_sb.sim.netflux_ode import compile_network
from tests.conftest import need


def _roadrunner():
    try:
        import roadrunner
    except ImportError:
        need(False, "libroadrunner is not installed")
    return roadrunner


@pytest.fixture(scope="module")
def rogers_rr(rogers_xlsx: Path, tmp_path_factory):
    """(network, compiled, libRoadRunner model of the export, species -> SBML id), compiled
    once for the module (its JIT compilation takes seconds); each test resets it first."""
    roadrunner = _roadrunner()
    network = read_netflux(rogers_xlsx)
    path = tmp_path_factory.mktemp("sbml_ode") / "rogers.xml"
    ids = write_sbml_ode(network, path)
    return network, compile_network(network), roadrunner.RoadRunner(str(path)), ids


def test_roadrunner_agrees_on_rogers_all_conditions(rogers_rr) -> None:
    network, compiled, rr, ids = rogers_rr
    rr.resetAll()
    named = load_conditions()
    conditions = [named[c] for c in STANDARD_CONDITIONS]
    times = np.linspace(0, 80, 81)
    ours = simulate_conditions(compiled, conditions, times)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    for k, condition in enumerate(conditions):
        rr.reset()  # species back to y0; the weights are set below
        for row, weight in zip(compiled.input_rows, input_weights(compiled, condition)):
            rr[f"w_{compiled.reactions[row]}"] = float(weight)
        rr.timeCourseSelections = ["time"] + [ids[s] for s in compiled.species]
        result = np.asarray(rr.simulate(0, 80, 81))
        assert np.abs(result[:, 1:] - ours.values[k]).max() <= 1e-4, condition.name


def test_sbml_is_valid_and_names_parameters(rogers_xlsx: Path, tmp_path: Path) -> None:
    import libsbml

    network = read_netflux(rogers_xlsx)
    write_sbml_ode(network, tmp_path / "m.xml", input_weights={"i2": 0.7})
    doc = libsbml.readSBMLFromFile(str(tmp_path / "m.xml"))
    assert doc.getLevel() == 3 and doc.getVersion() == 2
    doc.checkConsistency()
    errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    assert not [e for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR], [e.getMessage() for e in errors]
    model = doc.getModel()
    assert model.getNumSpecies() == 109 and model.getNumRules() == 109
    assert model.getParameter("w_i2").getValue() == pytest.approx(0.7)
    assert model.getParameter("EC50_r18").getValue() == pytest.approx(0.6)
    assert model.getParameter("tau_AGT").getValue() == pytest.approx(10)


def _random_parameter_runs(rogers_rr, count: int, seed: int) -> None:
    """``count`` random parameter sets (perturbed published values, random input weights)
    through libRoadRunner on one exported model: no solver failure, |ours - theirs| < 1e-4."""
    from hmlm_sb.io.sbml_ode import roadrunner_parameters, simulate_roadrunner
    from hmlm_sb.sim.datasets import PERTURBATION_SIGMA, perturb_params
    from hmlm_sb.sim.netflux_ode import PARAM_FIELDS, OdeParams, simulate

    network, compiled, rr, ids = rogers_rr
    rng = np.random.default_rng(seed)
    sets = [perturb_params(compiled, PERTURBATION_SIGMA, rng) for _ in range(count)]
    params = OdeParams(*(np.concatenate([getattr(s, k) for s in sets]) for k in PARAM_FIELDS))
    params.weight[:, compiled.input_rows] = rng.uniform(0.0, 1.0, (count, len(compiled.input_rows)))
    rr.integrator.relative_tolerance = 1e-9
    rr.integrator.absolute_tolerance = 1e-11
    assert roadrunner_parameters(rr, compiled, ids, params).shape[0] == count
    theirs, failures = simulate_roadrunner(rr, compiled, ids, params, 80.0, 41)
    ours = simulate(compiled, np.linspace(0.0, 80.0, 41), params, rtol=1e-8, atol=1e-10, method="BDF")
    assert failures == 0
    assert np.abs(theirs - ours).max() < 1e-4


def test_roadrunner_agrees_on_random_parameter_sets(rogers_rr) -> None:
    _random_parameter_runs(rogers_rr, 20, seed=0)


@pytest.mark.slow
def test_roadrunner_agrees_on_1000_random_parameter_sets(rogers_rr) -> None:
    _random_parameter_runs(rogers_rr, 1000, seed=1)


def test_export_clamps_negative_states_like_the_simulator(rogers_rr) -> None:
    """From a state with negative entries, x^n of x < 0 must read as 0 (as the simulator's
    max(x, 0)), not NaN: the exported rates at t=0 equal ours."""
    network, compiled, rr, ids = rogers_rr
    rr.resetAll()
    y = np.random.default_rng(3).uniform(-0.2, 1.0, len(compiled.species))
    for s, sid in enumerate(compiled.species):
        rr[ids[sid]] = float(y[s])
    rates = rr.getRatesOfChangeNamedArray()
    order = [list(rates.colnames).index(ids[s] + "'") for s in compiled.species]  # d/dt X is "X'"
    rates = np.asarray(rates)[0]
    from hmlm_sb.sim.netflux_ode import rhs

    assert np.isfinite(rates).all()
    assert np.abs(rates[order] - rhs(compiled, y[None, :], compiled.params(1))[0]).max() < 1e-12
