"""`hmlm import`, `hmlm models`, `hmlm export` against an embedded store."""
from __future__ import annotations

from pathlib import Path

import libsbml
import pytest

from conftest import need
from hmlm_sb.io import read_network
from hmlm_sb.store import open_store
from tests.conftest import run_cli

QUAL = "bbm-131-TGFB-PATHWAY.sbml"


run = run_cli


def counts(db: Path) -> dict[str, int]:
    with open_store(str(db), read_only=True, max_db_size=1 << 30) as store:
        return store.counts()


@pytest.fixture
def qual_file(shared_data) -> Path:
    path = shared_data / "sbml" / "qual" / QUAL
    need(path.is_file(), f"missing {path}")
    return path


def test_import_is_idempotent_and_replace_is_needed_for_changes(qual_file, tmp_path, capsys):
    db = tmp_path / "db"
    assert run(db, "import", str(qual_file), "--cell", "fibroblast", "--organism", "taxonomy:9606") == 0
    out = capsys.readouterr()
    assert "imported bbm-131-TGFB-PATHWAY" in out.out and "libsbml error" in out.err
    first = counts(db)
    assert first["Species"] == 21 and first["Reaction"] == 21 and first["Model"] == 1
    assert run(db, "import", str(qual_file)) == 0
    assert "unchanged" in capsys.readouterr().out
    assert counts(db) == first
    changed = tmp_path / QUAL
    changed.write_text(qual_file.read_text().replace('qual:maxLevel="1" qual:constant="false" qual:name="v_E"',
                                                     'qual:maxLevel="2" qual:constant="false" qual:name="v_E"'))
    assert run(db, "import", str(changed)) == 2
    assert "--replace" in capsys.readouterr().err
    assert counts(db) == first
    assert run(db, "import", str(changed), "--replace") == 0
    assert "replaced" in capsys.readouterr().out
    assert counts(db)["Species"] == 21


def test_rejected_inputs_leave_the_store_unchanged(qual_file, tmp_path, capsys):
    db = tmp_path / "db"
    assert run(db, "import", str(qual_file)) == 0
    capsys.readouterr()
    before = counts(db)
    broken = tmp_path / "broken.xml"
    broken.write_text(qual_file.read_text()[:5000])
    dangling = tmp_path / "dangling.sbml"
    dangling.write_text(qual_file.read_text().replace('qual:qualitativeSpecies="v_Orf8"', 'qual:qualitativeSpecies="ghost"'))
    for args in (["import", str(broken)], ["import", str(dangling)], ["import", "--strict", str(qual_file)],
                 ["import", str(tmp_path / "none.xml")]):
        assert run(db, *args) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err
    # several files: each its own transaction; the bad one is refused, the good one goes in
    assert run(db, "import", str(broken), str(qual_file.with_name("sedml-showcase-toymodel.sbml"))) == 2
    out = capsys.readouterr().out
    assert "refused" in out and "broken.xml" in out and "1 imported" in out
    assert counts(db)["Model"] == before["Model"] + 1


def test_export_sbml_qual_from_store_round_trips(rogers_xlsx, tmp_path, capsys):
    db = tmp_path / "db"
    assert run(db, "import", str(rogers_xlsx), "--cell", "fibroblast") == 0
    out = tmp_path / "rogers.xml"
    assert run(db, "export", "sbml-qual", str(out), "--cell", "fibroblast") == 0
    doc = libsbml.readSBMLFromFile(str(out))
    doc.checkConsistency()
    assert [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR] == []
    original, again = read_network(rogers_xlsx), read_network(out)
    edges = lambda n: sorted((g.source, g.target, g.sign) for g in n.regulations())  # noqa: E731
    assert edges(again) == edges(original)
    assert {r.rule_text for r in again.reactions.values()} == {r.rule_text for r in original.reactions.values()}
    assert {p.name: sorted(p.members) for p in again.pathways.values()} == \
        {p.name: sorted(p.members) for p in original.pathways.values()}
    assert run(db, "export", "sif", str(tmp_path / "r.sif")) == 0
    assert run(db, "export", "sbml", str(tmp_path / "core.xml")) == 0
    assert run(db, "export", "sbml", str(tmp_path / "ode.xml"), "--ode", "netflux") == 0
    assert (tmp_path / "ode.xml").stat().st_size > 0


def test_models_list_and_remove(qual_file, tmp_path, capsys):
    db = tmp_path / "db"
    assert run(db, "import", str(qual_file), "--model-id", "tgfb") == 0
    capsys.readouterr()
    assert run(db, "models", "--output", "csv") == 0
    assert "tgfb" in capsys.readouterr().out
    assert run(db, "models", "--remove", "tgfb") == 0
    assert counts(db)["Species"] == 0
    assert run(db, "models", "--remove", "tgfb") == 2


def test_species_of_two_models_meet_at_one_xref(tmp_path, capsys):
    from test_io_sbml_errors import COMP, _write

    rdf = ('<annotation><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns:bqbiol="http://biomodels.net/biology-qualifiers/"><rdf:Description rdf:about="#egfr">'
           '<bqbiol:is><rdf:Bag><rdf:li rdf:resource="{uri}"/></rdf:Bag></bqbiol:is></rdf:Description>'
           '</rdf:RDF></annotation>')
    paths = []
    for name, uri in (("a.xml", "http://identifiers.org/uniprot/P00533"), ("b.xml", "https://identifiers.org/uniprot:P00533")):
        species = (f'<listOfSpecies><species id="EGFR" metaid="egfr" compartment="c" hasOnlySubstanceUnits="false" '
                   f'boundaryCondition="false" constant="false">{rdf.format(uri=uri)}</species></listOfSpecies>')
        paths.append(_write(tmp_path, COMP + species, name))
    db = tmp_path / "db"
    assert run(db, "import", str(paths[0]), "--model-id", "first") == 0
    assert run(db, "import", str(paths[1]), "--model-id", "second") == 0
    with open_store(str(db), read_only=True, max_db_size=1 << 30) as store:
        frame = store.query("MATCH (s:Species)-[:HAS_XREF]->(x:Xref) WHERE x.uid = $uid RETURN s.model AS model",
                            {"uid": "uniprot:P00533"})
        assert sorted(frame["model"]) == ["first", "second"]
        assert store.counts()["Xref"] == 1
