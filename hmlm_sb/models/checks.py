"""``check_model``: the contract every registered model must pass, as scikit-learn's
``check_estimator`` (run it on a new model before registering it).

The checks fit on a tiny Netflux network (:func:`tiny_network`, 9 species, 4 conditions):
no validation in ``__init__``; predict before fit raises; fit leaves the hyper-parameters
unchanged; refitting with the same seed gives the same predictions; a save/load round
trip gives the same predictions and parameters; perturbations (inhibit, knockdown) are
accepted by every model and change the predictions of a mechanistic one; NaN readouts
(a species never measured, scattered missing entries) are accepted.
"""
from __future__ import annotations

import copy
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from hmlm_sb.logic import parse_expr
from hmlm_sb.models.base import DynamicsModel, make_model, model_class
from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species

# input species named as in the bundled conditions (control / TGFB / strain / combined)
RULES = [
    ("i1", "", "TGFB"), ("i2", "", "tension"),
    ("r1", "TGFB", "smad3"), ("r2", "tension", "YAP"), ("r3", "smad3 & !YAP", "aSMA"),
    ("r4", "YAP", "aSMA"), ("r5", "aSMA", "proCI"), ("r6", "smad3", "proCI"),
    ("r7", "!proCI", "MMP"), ("r8", "YAP & smad3", "fibronectin"),
]
PATHWAYS = {"growth factor": ["TGFB", "smad3"], "mechanical": ["tension", "YAP"],
            "ECM": ["aSMA", "proCI", "MMP", "fibronectin"]}


def tiny_network() -> Network:
    net = Network(models=[ModelInfo(id="tiny", name="tiny test network", format="netflux")])
    names = dict.fromkeys(s for _, rule, target in RULES for s in [target] + rule.replace("!", " ").replace("&", " ").split())
    for sid in names:
        net.add_species(Species(id=sid, name=sid, tau=0.5 if sid in ("smad3", "YAP") else 2.0, model="tiny"))
    for rid, rule, target in RULES:
        params = {"weight": 0.1 if not rule else 1.0, "n": 1.4, "ec50": 0.5}
        if not rule:
            net.add_reaction(Reaction(rid, "netflux", [Participant(target, "product")], [], params=params))
            continue
        expr = parse_expr(rule)
        parts = [Participant(tok.lstrip("!"), "reactant", -1 if tok.startswith("!") else 1)
                 for tok in rule.replace("&", " ").split()]
        net.add_reaction(Reaction(rid, "netflux", parts + [Participant(target, "product")], [(1, expr)],
                                  params=params))
    for pid, members in PATHWAYS.items():
        net.add_pathway(Pathway(pid, pid, members))
    return net


@lru_cache(maxsize=4)
def tiny_dataset(seed: int = 0, n_times: int = 25):
    """(observed with 4 sparse points, truth, prior with hidden edges, full network)."""
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset, sparse_mask

    network = tiny_network()
    ds = make_dataset(network, DatasetSpec(seed=seed, n_times=n_times, hidden_fraction=0.2))
    observed = ds.observed.with_observed(sparse_mask(ds.observed, 4))
    return observed, ds.truth, ds.prior, network



def small_settings(name: str) -> dict:
    """A model's small settings (its ``test_params()`` hook, else its defaults)."""
    cls = model_class(name)
    return cls.test_params() if hasattr(cls, "test_params") else {}


def check_model(model_or_name: DynamicsModel | str, *, seed: int = 0) -> None:
    """Run every check on a model (an unfitted instance or a registered name); raise
    AssertionError naming the first that fails."""
    model = make_model(model_or_name, **small_settings(model_or_name)) if isinstance(model_or_name, str) \
        else model_or_name
    observed, _, prior, _ = tiny_dataset()
    for check in CHECKS:
        check(model, observed, prior, seed)


def _fresh(model: DynamicsModel) -> DynamicsModel:
    return type(model)(**copy.deepcopy(model.get_params()))


def _fit(model: DynamicsModel, train, prior, seed: int) -> DynamicsModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(train, prior, seed=seed)


def _predict(model: DynamicsModel, data, **perturbations) -> np.ndarray:
    return model.predict(data.stimuli, data.initial, data.times, conditions=data.conditions, **perturbations)


def check_init_only_stores(model, observed, prior, seed) -> None:
    params = model.get_params()
    clone = type(model)(**params)
    stored = {k: v for k, v in vars(clone).items() if not k.endswith("_")}
    assert set(stored) <= set(params), f"{type(model).__name__}.__init__ sets more than its parameters: {sorted(set(stored) - set(params))}"
    for key, value in params.items():
        assert getattr(clone, key) is value or getattr(clone, key) == value, f"__init__ changes {key!r}"
    bogus = {k: "not a valid value" for k, v in params.items() if isinstance(v, str)}
    if bogus:
        type(model)(**{**params, **bogus})  # must not raise: validation belongs in fit


def check_predict_before_fit_raises(model, observed, prior, seed) -> None:
    try:
        _predict(_fresh(model), observed)
    except (RuntimeError, ValueError, AttributeError):
        return
    raise AssertionError(f"{type(model).__name__}: predict before fit did not raise")


def check_fit_keeps_params(model, observed, prior, seed) -> None:
    fresh = _fresh(model)
    before = copy.deepcopy(fresh.get_params())
    _fit(fresh, observed, prior, seed)
    assert repr(fresh.get_params()) == repr(before), f"{type(model).__name__}: fit changed hyper-parameters"


def check_refit_is_deterministic(model, observed, prior, seed) -> None:
    a = _predict(_fit(_fresh(model), observed, prior, seed), observed)
    b = _predict(_fit(_fresh(model), observed, prior, seed), observed)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=f"{type(model).__name__}: refit with seed {seed}")


def check_save_load_round_trip(model, observed, prior, seed) -> None:
    fitted = _fit(_fresh(model), observed, prior, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.ckpt"
        fitted.save(path)
        loaded = type(fitted).load(path)
    np.testing.assert_array_equal(_predict(fitted, observed), _predict(loaded, observed),
                                  err_msg=f"{type(model).__name__}: predictions after save/load")
    assert repr(loaded.get_params()) == repr(fitted.get_params()), "params after save/load"


def check_perturbations(model, observed, prior, seed) -> None:
    perturbed = observed.subset(list(observed.conditions))
    target = perturbed.species.index("smad3")
    perturbed.inhibit[1, target] = 0.0
    perturbed.knockdown[2, perturbed.species.index("YAP")] = 0.2
    fitted = _fit(_fresh(model), perturbed, prior, seed)
    plain = _predict(fitted, observed)
    inhibit, knockdown = np.ones_like(observed.initial), np.ones_like(observed.initial)
    knockdown[:, np.argmax(np.ptp(plain, axis=1).max(axis=0))] = 0.0  # knock out the most active species
    knocked = _predict(fitted, observed, inhibit=inhibit, knockdown=knockdown)
    assert knocked.shape == plain.shape and np.isfinite(knocked).all(), "predict with perturbations"
    if type(model).mechanistic:
        assert np.abs(knocked - plain).max() > 1e-3, f"{type(model).__name__}: a knockout changes nothing"


def check_nan_readouts(model, observed, prior, seed) -> None:
    partial = observed.subset(list(observed.conditions))
    partial.values[:, :, partial.species.index("MMP")] = np.nan
    holes = np.random.default_rng(seed).uniform(size=partial.values.shape) < 0.2
    holes[:, 0] = False
    partial.values[holes] = np.nan
    partial.initial[:, partial.species.index("MMP")] = np.nan
    fitted = _fit(_fresh(model), partial, prior, seed)
    pred = _predict(fitted, partial)
    assert pred.shape == partial.values.shape and np.isfinite(pred).all(), \
        f"{type(model).__name__}: NaN readouts give non-finite predictions"


CHECKS = (check_init_only_stores, check_predict_before_fit_raises, check_fit_keeps_params,
          check_refit_is_deterministic, check_save_load_round_trip, check_perturbations, check_nan_readouts)
