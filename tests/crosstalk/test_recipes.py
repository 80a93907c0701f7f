"""The recipe book (docs/cypher_recipes.cypher) run on the embedded store with real data,
each answer checked against the same answer computed in Python from the written edges."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from hmlm_sb.crosstalk import trained_crosstalk_edges

RECIPES = Path(__file__).resolve().parents[2] / "docs" / "cypher_recipes.cypher"
NAMES = {"top_novel_crosstalk_under_condition", "pathway_coupling_change", "species_shared_across_models",
         "run_of_edge"}


def recipes() -> dict[str, str]:
    out = {}
    for chunk in re.split(r"(?m)^// ---\s*$", RECIPES.read_text())[1:]:
        name = re.search(r"(?m)^// name: (\S+)\s*$", chunk)
        assert name, f"a recipe without '// name:': {chunk[:80]!r}"
        out[name.group(1)] = chunk.strip()
    return out


def written_edges(trained) -> list:
    result = trained["result"]
    return trained_crosstalk_edges(result.model, result.train, trained["network"])


def test_recipe_book_names_every_statement():
    assert set(recipes()) == NAMES
    for text in recipes().values():
        assert ";" not in re.sub(r"(?m)^//.*$", "", text)


def test_top_novel_crosstalk_under_tgfb(trained_store):
    store = trained_store["store"]
    got = store.query(recipes()["top_novel_crosstalk_under_condition"], {"condition": "TGFB", "top": 10})
    expected = sorted((e for e in written_edges(trained_store)
                       if e.level == "species" and e.condition == "TGFB" and not e.known),
                      key=lambda e: (-e.weight, e.source, e.target))[:10]
    assert len(got) == 10
    assert list(zip(got["source"], got["target"])) == [(e.source, e.target) for e in expected]
    assert got["weight"].tolist() == pytest.approx([e.weight for e in expected])
    assert set(got["run"]) == {trained_store["result"].run.id}


def test_pathway_coupling_change_control_vs_strain(trained_store):
    store = trained_store["store"]
    got = store.query(recipes()["pathway_coupling_change"], {"base": "control", "other": "strain", "top": 5})
    weights: dict[tuple[str, str], list[float]] = {}
    for e in written_edges(trained_store):
        if e.level == "pathway" and e.condition in ("control", "strain"):
            weights.setdefault((e.source, e.target), [0.0, 0.0])[e.condition == "strain"] += e.weight
    change = sorted(((abs(b - a), s, t, b - a) for (s, t), (a, b) in weights.items()), key=lambda x: (-x[0], x[1], x[2]))
    assert len(got) == 5
    assert got["change"].tolist() == pytest.approx([c[3] for c in change[:5]])
    assert list(zip(got["source"], got["target"])) == [(c[1], c[2]) for c in change[:5]]


def test_species_shared_across_models_by_uniprot(trained_store):
    store = trained_store["store"]
    got = store.query(recipes()["species_shared_across_models"], {"namespace": "uniprot"})
    mapk = store.load_network(model="mapk_a")
    holders: dict[str, list[str]] = {}
    for sid, sp in mapk.species.items():
        for x in sp.xrefs:
            if x.namespace == "uniprot":
                holders.setdefault(x.resource, []).append(sid)
    expected = {(x, f"mapk_a/{a}", f"mapk_b/{b}") for x, sids in holders.items() for a in sids for b in sids}
    assert len(expected) >= 8
    assert set(zip(got["xref"], got["species_a"], got["species_b"])) == expected
    edges = trained_store["mapk_edges"]
    for row in got.itertuples():
        touching = [e.weight for e in edges if row.species_a in (e.source, e.target)]
        assert row.a_edges == len(touching)
        assert row.b_edges == 0  # crosstalk was written for model mapk_a only
        if touching:
            assert row.a_top_weight == pytest.approx(max(touching))


def test_run_of_edge(trained_store):
    store = trained_store["store"]
    run = trained_store["result"].run
    edge = next(e for e in written_edges(trained_store) if e.level == "species")
    got = store.query(recipes()["run_of_edge"], {"source": edge.source, "target": edge.target})
    assert not got.empty
    assert set(got["run"]) == {run.id}
    assert set(got["model_kind"]) == {"hmlm"}
    assert set(got["cell"]) == {"cardiac_fibroblast"}
    assert set(got["checkpoint"]) == {run.checkpoint}
    assert set(got["fingerprint"]) == {trained_store["network"].fingerprint()}


def test_recipes_refuse_nothing_on_an_empty_answer(trained_store):
    got = trained_store["store"].query(recipes()["run_of_edge"], {"source": "nope", "target": "nada"})
    assert isinstance(got, pd.DataFrame) and got.empty


@pytest.mark.parametrize("form", ["local id", "uid"])
def test_species_filter_matches_either_end(trained_store, form):
    from hmlm_sb.crosstalk import crosstalk_table

    store = trained_store["store"]
    everything = crosstalk_table(store, top=100_000)
    species = everything[everything["level"] == "species"]
    uid = species["source"].value_counts().index[0]  # the species with the most written edges
    name = uid if form == "uid" else uid.split("/", 1)[-1]
    expected = everything[(everything["source"] == uid) | (everything["target"] == uid)].head(8)
    got = crosstalk_table(store, species=name, top=8)
    assert len(expected) >= 2 and len(got) == len(expected)
    assert list(zip(got["source"], got["target"], got["condition"])) == \
        list(zip(expected["source"], expected["target"], expected["condition"]))
    assert crosstalk_table(store, species="no such species").empty
