"""Ensemble confidence, sign and identifiability on CROSSTALK edges; the design warning;
write-back through the store and `hmlm crosstalk --min-confidence / --method`."""
from __future__ import annotations

import numpy as np
import pytest

from hmlm_sb.crosstalk import (confident_crosstalk_edges, crosstalk_table, design_identifiability, edge_confidence,
                               hidden_edge_recovery, identifiable_sources, mark_hidden, unidentifiable_note)
from hmlm_sb.trajectories import Trajectories
from tests.crosstalk.test_edges import small_network


def test_confidence_is_the_share_of_members_ranking_an_edge_in_their_top_k():
    a = np.zeros((3, 3))
    a[2, 0], a[1, 0] = -1.0, 0.5
    b = a.copy()
    b[1, 0], b[0, 2] = 0.0, 2.0
    sign, confidence = edge_confidence([a, b, a], top_k=1)
    assert confidence[2, 0] == pytest.approx(2 / 3) and confidence[0, 2] == pytest.approx(1 / 3)
    assert confidence[1, 0] == 0.0 and np.all(np.diag(confidence) == 0)
    assert sign[2, 0] == -1 and sign[1, 0] == 1 and sign[0, 2] == 0


def test_lockstep_sources_are_not_identifiable():
    t = np.linspace(0, 1, 10)
    values = np.stack([t, 2 * t + 0.01 * np.sin(9 * t), np.sin(6 * t), np.full_like(t, 0.2)], axis=1)
    ident = identifiable_sources(values)
    assert not ident[2, 0] and not ident[2, 1]  # 0 and 1 move together: which acts on 2?
    assert ident[0, 2] and not ident[0, 3]  # 3 does not move
    assert identifiable_sources(values, known={(1, 2)})[2, 0]  # 1 -> 2 is known: 0 is the only candidate


def test_a_design_that_moves_everything_together_is_flagged_in_one_line():
    t = np.linspace(0, 1, 8)
    together = np.stack([t, t ** 1.01, 0.5 * t, 0.9 * t], axis=1)[None]
    data = Trajectories(["c"], t, list("ABCD"), together)
    _, warning = design_identifiability(data, small_network())
    assert warning and "\n" not in warning and "cannot identify" in warning
    apart = np.stack([t, np.sin(5 * t), np.cos(4 * t), t ** 3], axis=1)[None]
    assert design_identifiability(Trajectories(["c"], t, list("ABCD"), apart), small_network())[1] is None


def test_ensemble_edges_carry_sign_confidence_identifiable_and_method():
    net = small_network()
    m = np.zeros((4, 4))
    m[3, 0] = -1.0  # A -| D, novel
    other = m.copy()
    other[3, 2] = 3.0
    ident = np.ones((4, 4), dtype=bool)
    edges = confident_crosstalk_edges([{"c": m}, {"c": m}, {"c": other}], list("ABCD"), net, identifiable=ident,
                                      top_k=1)
    species = {(e.source, e.target): e for e in edges if e.level == "species"}
    ad = species[("m1/A", "m1/D")]
    assert ad.sign == -1 and ad.confidence == pytest.approx(2 / 3) and ad.identifiable and ad.method == "jacobian"
    assert species[("m1/C", "m1/D")].confidence == pytest.approx(1 / 3)
    assert all(e.method == "jacobian" and e.confidence is None for e in edges if e.level == "pathway")


def test_hidden_edges_marked_and_recovered():
    import pandas as pd

    table = pd.DataFrame({"source": ["m1/A", "m1/C"], "target": ["m1/D", "m1/A"]})
    assert mark_hidden(table, {("m1/A", "m1/D")})["hidden"].tolist() == [True, False]
    m = np.zeros((4, 4))
    m[3, 0] = 1.0
    scores = hidden_edge_recovery(m, list("ABCD"), small_network(), [("A", "D")])
    assert scores["auroc"] == pytest.approx(1.0) and scores["n_hidden"] == 1


def test_written_edges_read_back_with_min_confidence_and_method(tmp_path):
    from hmlm_sb.store import open_store
    from hmlm_sb.store.base import TrainingRunRecord

    net = small_network()
    m = np.zeros((4, 4))
    m[3, 0], m[2, 0] = 1.0, 0.5
    weak = m.copy()
    weak[2, 0] = 0.0
    edges = confident_crosstalk_edges([{"c": m}, {"c": weak}], list("ABCD"), net, top_k=2,
                                      identifiable=np.zeros((4, 4), dtype=bool))
    view = confident_crosstalk_edges([{"c": m}], list("ABCD"), net, method="attention")
    with open_store(str(tmp_path / "s.lbdb"), max_db_size=1 << 28) as store:
        store.save_network(net, cell="cell")
        store.write_crosstalk(TrainingRunRecord(id="r1", model_kind="hmlm", cell="cell"), edges)
        store.write_crosstalk(TrainingRunRecord(id="r2", model_kind="hmlm", cell="cell"), view, keep_history=True)
        every = crosstalk_table(store, top=50)
        confident = crosstalk_table(store, min_confidence=0.9, top=50)
        attention = crosstalk_table(store, method="attention", top=50)
    assert set(every["method"]) == {"jacobian"} and len(every) == 2
    assert confident[["source", "target"]].values.tolist() == [["m1/A", "m1/D"]]
    assert confident["sign"].tolist() == [1] and not confident["identifiable"].any()
    assert set(attention["method"]) == {"attention"} and len(attention) == 2
    assert "cannot tell" in unidentifiable_note(every)


def test_an_ensemble_of_fits_writes_confident_edges_and_the_design_warning():
    from hmlm_sb.crosstalk import ensemble_crosstalk_edges
    from hmlm_sb.models.base import make_model, model_class
    from tests.models.tiny import tiny_dataset

    observed, _, prior, _ = tiny_dataset()
    params = model_class("cellbox").test_params()
    edges, warning = ensemble_crosstalk_edges(lambda: make_model("cellbox", **params), observed, prior, members=2)
    species = [e for e in edges if e.level == "species"]
    assert species and all(e.method == "finite-difference" for e in species)
    assert {e.confidence for e in species} <= {0.0, 0.5, 1.0} and all(e.sign in (-1, 0, 1) for e in species)
    assert all(isinstance(e.identifiable, bool) for e in species)
    assert warning is None or "cannot identify" in warning
