"""What a training run writes back: the model's signed influence (its Jacobian) with a
confidence from how consistently the conditions rank each edge; the view otherwise."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.crosstalk import crosstalk_table, trained_crosstalk_edges
from hmlm_sb.trajectories import Trajectories
from tests.crosstalk.test_edges import small_network


def two_conditions() -> Trajectories:
    t = np.linspace(0, 1, 6)
    values = np.stack([np.stack([t, np.sin(5 * t), np.cos(4 * t), t ** 3], axis=1),
                       np.stack([1 - t, np.sin(3 * t), np.cos(2 * t), t ** 2], axis=1)])
    return Trajectories(["a", "b"], t, list("ABCD"), values, stimuli=np.array([[0.0], [1.0]]), inputs=["in"])


class FieldModel:
    """A vector field whose Jacobian is A -| D in both conditions, C -> D only under b."""

    def rate_jacobian(self, states, stimuli, inhibit, knockdown, part):
        jac = np.zeros((len(states), 4, 4))
        jac[:, 3, 0] = -1.0
        jac[:, 3, 2] = 3.0 * stimuli[:, 0]
        return jac

    def crosstalk(self, condition):
        raise AssertionError("a model with a vector field is read by its Jacobian, not its view")


class ViewModel:
    def crosstalk(self, condition):
        m = np.zeros((4, 4))
        m[3, 0] = 1.0
        return m


def species_edges(edges):
    return {(e.condition, e.source, e.target): e for e in edges if e.level == "species"}


def test_a_vector_field_writes_its_signed_jacobian_with_confidence_across_conditions():
    edges = trained_crosstalk_edges(FieldModel(), two_conditions(), small_network(), top_k=1)
    got = species_edges(edges)
    ad = got[("a", "m1/A", "m1/D")]
    assert ad.method == "jacobian" and ad.sign == -1 and ad.weight == pytest.approx(1.0)
    assert ad.confidence == pytest.approx(0.5)  # top 1 under a, second under b
    cd = got[("b", "m1/C", "m1/D")]
    assert cd.sign == 1 and cd.confidence == pytest.approx(0.5) and isinstance(cd.identifiable, bool)
    assert ("a", "m1/C", "m1/D") not in got  # no influence under a
    assert all(e.method == "jacobian" for e in edges)


class CorrelationModel(FieldModel):
    """Edges from the correlation of a learned correction with each source (the HMLM before the backbone residual).
    The correction of D is -2 * A, so D's row correlates with A at -1 in both conditions."""

    edge_method = "correlation"

    def predict(self, stimuli, initial, times, conditions=None, **_):
        return two_conditions().values[:, : len(times)]

    def correction_rate(self, states, stimuli, inhibit=None, knockdown=None):
        out = np.zeros_like(states)
        out[:, 3] = -2.0 * states[:, 0]
        return out


def three_conditions() -> Trajectories:
    base = two_conditions()
    values = np.concatenate([base.values, base.values[:1] * 0.5])
    return Trajectories(["a", "b", "c"], base.times, list("ABCD"), values,
                        stimuli=np.array([[0.0], [1.0], [0.5]]), inputs=["in"])


def test_a_model_with_edge_method_correlation_writes_its_pooled_correlation():
    class Three(CorrelationModel):
        def predict(self, stimuli, initial, times, conditions=None, **_):
            return three_conditions().values[: len(stimuli), : len(times)]

    edges = trained_crosstalk_edges(Three(), three_conditions(), small_network(), top_k=1)
    got = species_edges(edges)
    assert {e.method for e in edges} == {"correlation"}
    for condition in ("a", "b", "c"):  # pooled over the design: the same edge under every condition
        ad = got[(condition, "m1/A", "m1/D")]
        assert ad.sign == -1 and ad.weight == pytest.approx(1.0)
        assert ad.confidence == pytest.approx(1.0)  # every leave-one-condition-out ranks it first


class BackboneModel(FieldModel):
    """The HMLM's way: edges from what its fitted backbone leaves. The backbone predicts D
    as flat; the data's D is -2 * A (+ a little of C), so the residual falls with A."""

    edge_method = "residual"

    def backbone_predict(self, stimuli, initial, times, **_):
        out = three_conditions().values[: len(stimuli), : len(times)].copy()
        out[..., 3] = 0.0
        return out


def test_a_model_with_edge_method_residual_writes_its_backbone_residual_ridge():
    data = three_conditions()
    values = data.values.copy()
    values[..., 3] = -2.0 * values[..., 0] + 0.1 * values[..., 2]
    data = Trajectories(data.conditions, data.times, data.species, values, stimuli=data.stimuli, inputs=data.inputs)
    edges = trained_crosstalk_edges(BackboneModel(), data, small_network(), top_k=1)
    got = species_edges(edges)
    assert {e.method for e in edges} == {"residual"}
    for condition in ("a", "b", "c"):
        ad = got[(condition, "m1/A", "m1/D")]
        assert ad.sign == -1 and ad.rank == 1  # weight: |ridge coefficient| per sd of A
        assert ad.confidence == pytest.approx(1.0)
    assert got[("a", "m1/C", "m1/D")].weight < 0.5 * got[("a", "m1/A", "m1/D")].weight


def test_a_model_without_what_its_edge_method_needs_falls_back_to_its_jacobian():
    class NoBackbone(FieldModel):
        edge_method = "residual"

    edges = trained_crosstalk_edges(NoBackbone(), two_conditions(), small_network(), top_k=1)
    assert {e.method for e in edges} == {"jacobian"}


def test_a_model_without_a_field_writes_its_view():
    edges = trained_crosstalk_edges(ViewModel(), two_conditions(), small_network())
    assert edges and all(e.method == "view" for e in edges)
    assert species_edges(edges)[("a", "m1/A", "m1/D")].confidence == pytest.approx(1.0)


def test_write_run_stores_the_influence_edges(tmp_path):
    from hmlm_sb.pipeline import write_run
    from hmlm_sb.store import open_store
    from hmlm_sb.store.base import TrainingRunRecord

    net = small_network()
    with open_store(str(tmp_path / "s.lbdb"), max_db_size=1 << 28) as store:
        store.save_network(net, cell="cell")
        written = write_run(store, TrainingRunRecord(id="r1", model_kind="x", cell="cell"), FieldModel(),
                            two_conditions(), net)
        table = crosstalk_table(store, condition="b", top=50)
    assert written > 0
    row = table[(table["source"] == "m1/A") & (table["target"] == "m1/D")].iloc[0]
    assert row["method"] == "jacobian" and row["sign"] == -1 and 0 < row["confidence"] <= 1


class Recorder:
    def __init__(self):
        self.lines, self.tables = [], []

    def say(self, message):
        self.lines.append(message)

    def table(self, frame, title=""):
        self.tables.append((title, frame))


def test_demo_marks_true_hidden_edges_with_sign_and_confidence_and_scores_recovery(tmp_path):
    from hmlm_sb.demo import DemoConfig, _top_novel, hidden_edge_auroc
    from hmlm_sb.pipeline import write_run
    from hmlm_sb.store import open_store
    from hmlm_sb.store.base import TrainingRunRecord

    net, data = small_network(), two_conditions()
    with open_store(str(tmp_path / "s.lbdb"), max_db_size=1 << 28) as store:
        store.save_network(net, cell="cell")
        write_run(store, TrainingRunRecord(id="r1", model_kind="hmlm", cell="cell"), FieldModel(), data, net)
        said = Recorder()
        frame = _top_novel(store, DemoConfig(cell="cell", novel_condition="b", top=5), said,
                           hidden=[("m1/C", "m1/D")])
    title, shown = said.tables[0]
    assert {"sign", "confidence", "true hidden"} <= set(shown.columns) and "1 of 2 are edges the dataset hid" in title
    by_source = shown.set_index("source")
    assert by_source.loc["C", "true hidden"] == "yes" and by_source.loc["A", "true hidden"] == ""
    assert by_source.loc["A", "sign"] == "-" and by_source.loc["C", "sign"] == "+"
    assert by_source.loc["A", "confidence"] == "1.00"  # top 50 of both conditions and frame["hidden"].sum() == 1
    scores = hidden_edge_auroc(FieldModel(), data, net, [("C", "D")])
    assert scores["n_hidden"] == 1 and scores["auroc"] == pytest.approx(1.0)  # C -> D is the strongest novel pair
    assert scores["method"] == "jacobian"
