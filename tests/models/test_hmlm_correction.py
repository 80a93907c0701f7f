"""The HMLM's correction (sparse attention over candidate sources, scales), its training
(deterministic, epochs only), perturbations, partial readouts and rate Jacobians."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from hmlm_sb.models.hmlm import HMLM
from hmlm_sb.models.ude_mlp import UDEMLP
from hmlm_sb.nn.hierarchy import candidate_table, parse_scales, sparsemax
from hmlm_sb.nn.hybrid import Perturbation, build_hybrid
from hmlm_sb.nn.netflux import model_grid
from tests.models.tiny import copy_of, tiny_dataset

SMALL = dict(dim=8, heads=2, n_steps=8, iterations=2, max_epochs=12, patience=12, threads=1)


def test_sparsemax_projects_onto_the_simplex_with_exact_zeros():
    z = torch.tensor([[3.0, 1.0, 0.2, -1.0], [0.5, 0.5, 0.5, 0.5]])
    p = sparsemax(z)
    torch.testing.assert_close(p.sum(dim=-1), torch.ones(2))
    assert (p >= 0).all()
    torch.testing.assert_close(p[0], torch.tensor([1.0, 0.0, 0.0, 0.0]))  # 3 - 1 >= 1: one winner
    torch.testing.assert_close(p[1], torch.full((4,), 0.25))
    close = sparsemax(torch.tensor([1.0, 0.6, -2.0]))
    torch.testing.assert_close(close, torch.tensor([0.7, 0.3, 0.0]))
    z = torch.randn(3, 5, requires_grad=True)
    (sparsemax(z) * torch.randn(3, 5)).sum().backward()
    assert torch.isfinite(z.grad).all()


def _sorted_sparsemax(z: torch.Tensor) -> torch.Tensor:
    """The textbook algorithm (sort, cumulative sum), the reference for the sort-free one."""
    zs, _ = torch.sort(z, dim=-1, descending=True)
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cumsum = zs.cumsum(-1)
    size = ((1 + k * zs) > cumsum).sum(-1, keepdim=True)
    return (z - (cumsum.gather(-1, size - 1) - 1) / size).clamp(min=0)


@pytest.mark.parametrize("scale", [0.01, 1.0, 30.0])
def test_sort_free_sparsemax_matches_the_sorted_algorithm(scale):
    torch.manual_seed(0)
    z = torch.randn(500, 70) * scale
    z[:, 60:] = -1e4  # padding as the attention writes it
    torch.testing.assert_close(sparsemax(z), _sorted_sparsemax(z), atol=1e-5, rtol=0)
    w = torch.randn(500, 70)
    a = z.clone().requires_grad_(True)
    b = z.clone().requires_grad_(True)
    (sparsemax(a) * w).sum().backward()
    (_sorted_sparsemax(b) * w).sum().backward()
    torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=0)


def test_candidate_sources_are_all_species_or_k_hops():
    edges = np.array([[0, 1, 2], [1, 2, 3]])  # 0 -> 1 -> 2 -> 3
    everyone = candidate_table(edges, 4, None)
    assert everyone.shape == (4, 3) and all(i not in row for i, row in enumerate(everyone))
    one = candidate_table(edges, 4, 1)
    assert sorted(one[1][one[1] < 4]) == [0, 2] and sorted(one[3][one[3] < 4]) == [2]
    two = candidate_table(edges, 4, 2)
    assert sorted(two[0][two[0] < 4]) == [1, 2] and sorted(two[1][two[1] < 4]) == [0, 2, 3]


def test_scales_parse_and_refuse_unknown_names():
    assert parse_scales("species,pathway,cell") == ("species", "pathway", "cell")
    assert parse_scales("cell, species") == ("species", "cell")
    assert parse_scales("none") == () and parse_scales("") == ()
    with pytest.raises(ValueError, match="tissue"):
        parse_scales("species,tissue")


@pytest.mark.parametrize("correction,scales", [("attention", ("species", "pathway", "cell")),
                                               ("attention", ()), ("mlp", ())])
def test_hybrid_starts_as_the_prior_ode(correction, scales):
    observed, _, prior, _ = tiny_dataset()
    torch.manual_seed(0)
    hybrid, _, _ = build_hybrid(prior, observed.species, observed.inputs, correction=correction, dim=8,
                                scales=scales)
    plain, _, _ = build_hybrid(prior, observed.species, observed.inputs, correction="none")
    y0 = torch.tensor(observed.initial, dtype=torch.float32)
    cond = Perturbation.of(observed.stimuli, n_species=len(observed.species))
    grid = model_grid(0.0, float(observed.times[-1]), 10)
    with torch.no_grad():
        a, penalty = hybrid.simulate(y0, cond, grid, observed.times)
        b, _ = plain.simulate(y0, cond, grid, observed.times)
    torch.testing.assert_close(a, b)
    assert float(penalty) == 0.0


@pytest.fixture(scope="module")
def trained() -> HMLM:
    observed, _, prior, _ = tiny_dataset()
    return HMLM(dim=8, heads=2, n_steps=10, max_epochs=40, patience=40, threads=1,
                scales="species,pathway,cell").fit(observed, prior, seed=0)


def test_training_beats_the_prior_with_published_parameters(trained):
    observed, truth, prior, _ = tiny_dataset()
    untrained = HMLM(dim=8, heads=2, n_steps=10, max_epochs=0, threads=1).fit(observed, prior, seed=0)
    before = np.mean((untrained.predict(observed.stimuli, observed.initial, observed.times) - truth.values) ** 2)
    after = np.mean((trained.predict(observed.stimuli, observed.initial, observed.times) - truth.values) ** 2)
    assert after < 0.7 * before
    assert trained.history_["epochs"] == 40 and trained.history_["best_val"] < untrained.history_["best_val"]


def test_prediction_starts_at_the_initial_state(trained):
    observed, _, _, _ = tiny_dataset()
    pred = trained.predict(observed.stimuli, observed.initial, np.array([observed.times[0], 3.0]))
    np.testing.assert_allclose(pred[:, 0], observed.initial, atol=1e-6)


def test_attention_view_is_sparse_and_leaves_mass_to_the_null_source(trained):
    observed, _, prior, _ = tiny_dataset()
    species = trained.crosstalk("TGFB")
    assert species.shape == (len(observed.species),) * 2
    assert (species >= 0).all() and (species.sum(axis=1) <= 1 + 1e-5).all()
    assert np.all(np.diag(species) == 0)  # a target is not its own candidate
    pathways = trained.pathway_crosstalk()
    assert pathways.shape == (len(trained.pathways_),) * 2
    assert set(trained.pathways_) == set(prior.pathways)
    assert not np.allclose(trained.crosstalk("control"), trained.crosstalk("combined"))
    with pytest.raises(KeyError):
        trained.crosstalk("no such condition")


def test_ablated_scales_train_and_lose_their_views():
    observed, _, prior, _ = tiny_dataset()
    assert HMLM().scales == "species"  # the default: pathway and cell scales did not help (docs/hmlm.md)
    local = HMLM(scales="none", **SMALL).fit(observed, prior)
    assert local.crosstalk() is None and local.pathway_crosstalk() is None
    assert np.isfinite(local.predict(observed.stimuli, observed.initial, observed.times)).all()
    species_only = HMLM(scales="species", candidates="1", **SMALL).fit(observed, prior)
    assert species_only.crosstalk().shape == (len(observed.species),) * 2
    assert species_only.pathway_crosstalk() is None


def test_without_correction_there_is_no_crosstalk():
    observed, _, prior, _ = tiny_dataset()
    model = HMLM(use_correction=False, n_steps=8, max_epochs=3, threads=1).fit(observed, prior)
    assert model.crosstalk() is None


@pytest.mark.parametrize("cls,params", [(HMLM, SMALL), (UDEMLP, dict(hidden=16, n_steps=8, iterations=2,
                                                                     max_epochs=12, patience=12))])
def test_same_seed_same_predictions_and_no_clock_is_read(cls, params, monkeypatch):
    observed, _, prior, _ = tiny_dataset()
    first = cls(**params).fit(observed, prior, seed=3)

    def no_clock(*_):
        raise AssertionError("training read the clock")

    for name in ("time", "perf_counter", "monotonic", "process_time"):
        monkeypatch.setattr(time, name, no_clock)
    second = cls(**params).fit(observed, prior, seed=3)
    monkeypatch.undo()
    a = first.predict(observed.stimuli, observed.initial, observed.times)
    b = second.predict(observed.stimuli, observed.initial, observed.times)
    assert np.array_equal(a, b)
    assert first.history_["epochs"] == second.history_["epochs"] == 12
    other = cls(**params).fit(observed, prior, seed=4).predict(observed.stimuli, observed.initial, observed.times)
    assert not np.array_equal(a, other)


def test_training_stops_on_patience_not_on_time():
    observed, _, prior, _ = tiny_dataset()
    early = HMLM(**{**SMALL, "max_epochs": 200, "patience": 3, "min_epochs": 0, "lr": 0.3}).fit(observed, prior)
    assert early.history_["stopped"] == "patience" and early.history_["epochs"] < 200
    assert "time_budget_s" not in early.get_params()
    # patience counts only from min_epochs on: the plateau while the attention is uniform
    late = HMLM(**{**SMALL, "max_epochs": 200, "patience": 3, "min_epochs": 60, "lr": 0.3}).fit(observed, prior)
    assert late.history_["epochs"] >= 60 > early.history_["epochs"]


@pytest.mark.parametrize("cls,params", [(HMLM, SMALL), (UDEMLP, dict(hidden=16, n_steps=8, iterations=2,
                                                                     max_epochs=5, patience=5))])
def test_rate_jacobian_matches_finite_differences(cls, params):
    observed, truth, prior, _ = tiny_dataset()
    model = cls(**params).fit(observed, prior, seed=0)
    with torch.no_grad():  # a correction that is not zero
        for p in model.module_.correction.parameters():
            p.add_(0.3 * torch.randn_like(p))
    states = truth.values[1, [3, 10]]
    stimuli = np.repeat(observed.stimuli[1:2], 2, axis=0)
    cond = model._condition(stimuli, None, None)
    for part in ("correction", "full"):
        jac = model.rate_jacobian(states, stimuli, part=part)
        assert jac.shape == (2, len(observed.species), len(observed.species))
        eps = 1e-3
        for j in (0, 4):
            up, down = states.copy(), states.copy()
            up[:, j] += eps
            down[:, j] -= eps
            with torch.no_grad():
                f = [model.module_.rate_of_change(torch.tensor(x, dtype=torch.float32), cond, part).numpy()
                     for x in (up, down)]
            np.testing.assert_allclose(jac[:, :, j], (f[0] - f[1]) / (2 * eps), atol=5e-3)
    full, learned = (model.rate_jacobian(states, stimuli, part=p) for p in ("full", "correction"))
    assert not np.allclose(full, learned)


def test_partial_readouts_are_masked_and_missing_initial_states_use_the_prior():
    observed, truth, prior, _ = tiny_dataset()
    partial = copy_of(observed)
    partial.values[:, :, 2:5] = np.nan  # three species never measured
    partial.initial[:, 3] = np.nan
    model = HMLM(**SMALL).fit(partial, prior)
    assert np.isfinite(model.history_["train"]).all()
    pred = model.predict(partial.stimuli, partial.initial, partial.times)
    assert np.isfinite(pred).all()
    np.testing.assert_allclose(pred[:, 0, 3], model.prior_y0_[3])
    # unmeasured species do not enter the loss: their values cannot change the fit
    changed = copy_of(partial)
    changed.values[:, :, 2:5] = 123.0
    changed.values[:, :, 2:5] = np.nan
    again = HMLM(**SMALL).fit(changed, prior).predict(partial.stimuli, partial.initial, partial.times)
    assert np.array_equal(pred, again)


BOTH_HYBRIDS = [(HMLM, SMALL), (UDEMLP, dict(hidden=16, n_steps=8, iterations=2, max_epochs=5, patience=5))]


def _smad3_switched_off(cls, params, perturbation: str):
    """(observed, smad3's index, prediction, prediction with smad3 at 0 by ``perturbation``)."""
    observed, _, prior, _ = tiny_dataset()
    model = cls(**params).fit(observed, prior)
    s = observed.species.index("smad3")
    base = model.predict(observed.stimuli, observed.initial, observed.times)
    off = np.ones((len(observed.conditions), len(observed.species)))
    off[:, s] = 0.0
    return observed, s, base, model.predict(observed.stimuli, observed.initial, observed.times,
                                            **{perturbation: off})


@pytest.mark.parametrize("cls,params", BOTH_HYBRIDS)
def test_knockdown_shrinks_the_species(cls, params):
    _, s, base, knocked = _smad3_switched_off(cls, params, "knockdown")
    assert knocked[:, -1, s].max() < 0.5 * base[:, -1, s].max()


@pytest.mark.parametrize("cls,params", BOTH_HYBRIDS)
def test_inhibition_silences_what_targets_read(cls, params):
    observed, s, base, inhibited = _smad3_switched_off(cls, params, "inhibit")
    targets = [observed.species.index(t) for t in ("aSMA", "proCI")]
    assert not np.allclose(inhibited[:, -1, targets], base[:, -1, targets])
    # an inhibited species keeps its own state; its targets read it as zero
    np.testing.assert_allclose(inhibited[:, :, s], base[:, :, s], atol=0.05)


@pytest.mark.parametrize("context", ["condition", "state"])
def test_gathered_candidates_give_the_dense_attention_and_checkpointing_changes_nothing(monkeypatch, context):
    from hmlm_sb.nn import hierarchy
    from hmlm_sb.nn.hierarchy import HierarchicalCorrection

    n = 7
    everyone = candidate_table(np.zeros((2, 0), dtype=np.int64), n, None)
    padded = np.concatenate([everyone, np.full((n, 2), n)], axis=1)  # same sources, gathered path
    member = np.ones((n, 1), dtype=bool)
    torch.manual_seed(0)
    dense = HierarchicalCorrection(everyone, member, dim=8, heads=2, context=context)
    gathered = HierarchicalCorrection(padded, member, dim=8, heads=2, context=context)
    assert dense.molecular[0].dense and not gathered.molecular[0].dense
    with torch.no_grad():
        dense.head[-1].weight.normal_()  # a correction that is not zero
    state = {k: v for k, v in dense.state_dict().items() if "pair_logit" not in k and "table" not in k
             and "padding" not in k}
    gathered.load_state_dict(state, strict=False)
    features = torch.randn(3, n, 5)
    torch.testing.assert_close(dense(features), gathered(features), atol=1e-5, rtol=0)

    x = features.clone().requires_grad_(True)
    dense(x).sum().backward()
    plain = x.grad.clone()
    monkeypatch.setattr(hierarchy, "CHECKPOINT_PAIRS", 0)
    x.grad = None
    dense(x).sum().backward()
    torch.testing.assert_close(x.grad, plain)


def _correction(context: str, **kwargs):
    from hmlm_sb.nn.hierarchy import HierarchicalCorrection

    n = 6
    torch.manual_seed(0)
    module = HierarchicalCorrection(candidate_table(np.zeros((2, 0), dtype=np.int64), n, None),
                                    np.ones((n, 1), dtype=bool), dim=8, heads=2, context=context, **kwargs)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.5)
    return module, n


@pytest.mark.parametrize("context", ["condition", "none"])
def test_state_free_attention_is_computed_once_per_condition(context):
    module, n = _correction(context)
    quiet, knocked = torch.zeros(1, n, 3), torch.zeros(1, n, 3)
    knocked[0, 2, 1] = 1.0  # a knockdown on species 2
    step = module.bind(torch.cat([quiet, knocked]))
    weights = module.last_weights[0]
    features = torch.rand(2, n, 5)
    out = step(features)
    # the weights are those of the condition, at any state
    step(torch.rand(2, n, 5))
    assert torch.equal(module.last_weights[0], weights)
    assert out.shape == (2, n)
    torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)))
    differs = not torch.allclose(weights[0], weights[-1])
    assert differs == (context == "condition")  # only condition tokens see the knockdown


def test_state_context_recomputes_weights_at_every_state():
    module, n = _correction("state")
    step = module.bind(torch.zeros(1, n, 3))
    module.recording = True
    a = step(torch.rand(1, n, 5)).detach()
    first = module.species_attention_sum.clone()
    step(torch.rand(1, n, 5))
    assert not torch.allclose(module.species_attention_sum - first, first)
    assert module.source_mass() == 0  # no state-free weights to penalise
    assert a.shape == (1, n)


def test_source_penalty_moves_mass_to_the_null_source():
    from hmlm_sb.models.hmlm import HMLM

    data, _, prior, _ = tiny_dataset()
    free = HMLM(**{**SMALL, "max_epochs": 30, "patience": 30, "context": "condition"}).fit(data, prior, seed=0)
    held = HMLM(**{**SMALL, "max_epochs": 30, "patience": 30, "context": "condition",
                   "source_penalty": 1.0}).fit(data, prior, seed=0)
    assert held.crosstalk().sum() < 0.8 * free.crosstalk().sum()


def test_unknown_attention_options_are_refused():
    with pytest.raises(ValueError, match="context"):
        _correction("sometimes")
    with pytest.raises(ValueError, match="weighting"):
        _correction("condition", weighting="argmax")
    with pytest.raises(ValueError, match="values"):
        _correction("condition", values="both")


def test_backbone_prediction_switches_the_learned_correction_off(trained):
    observed, _, prior, _ = tiny_dataset()
    args = (observed.stimuli, observed.initial, observed.times)
    assert np.abs(trained.backbone_predict(*args) - trained.predict(*args)).max() > 1e-3
    untrained = HMLM(max_epochs=0, **{k: v for k, v in SMALL.items() if k != "max_epochs"}).fit(observed, prior)
    np.testing.assert_allclose(untrained.backbone_predict(*args), untrained.predict(*args), atol=1e-6)
