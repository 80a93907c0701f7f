"""Hostile input (issue 16): each kind refused with one line naming the file and the limit.

These run in-process at sizes that cannot crash it even if a guard regressed (depth 300
is under libsbml's recursion limit); the full-size cases (10,000 nested <apply>, 200,000
nested annotation elements, zip bombs) run bounded in child processes in
test_io_hostile_fuzz.py.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

import hostile
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network
from hmlm_sb.io.sbml import read_sbml
from hmlm_sb.io.xml_guard import check_xml_file


def _refusal(path: Path, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        read_network(path, **kwargs)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    return message


def _write(tmp_path: Path, text: str, name: str = "m.xml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("engine", ["libsbml", "stream"])
@pytest.mark.parametrize("build", [hostile.nested_kinetic_law, hostile.nested_annotation, hostile.nested_function_term])
def test_nesting_over_the_depth_limit_is_refused_by_both_engines(tmp_path, build, engine):
    path = _write(tmp_path, build(300))
    with pytest.raises(InputError, match=r"nested 257 elements deep \(limit 256 .*HMLM_MAX_XML_DEPTH"):
        read_sbml(path, engine=engine)


@pytest.mark.parametrize("engine", ["libsbml", "stream"])
def test_nesting_under_the_limit_reads(tmp_path, engine):
    net = read_sbml(_write(tmp_path, hostile.nested_kinetic_law(120)), engine=engine)
    assert net.reactions["r"].kinetic_law.count("+") == 120
    rule = read_sbml(_write(tmp_path, hostile.nested_function_term(120), "q.xml"), engine=engine)
    assert rule.reactions["t"].function_terms  # 120 <not> fold to the literal


def test_depth_limit_can_be_raised(tmp_path, monkeypatch):
    path = _write(tmp_path, hostile.nested_kinetic_law(300))
    monkeypatch.setenv("HMLM_MAX_XML_DEPTH", "1000")
    assert read_network(path).reactions["r"].kinetic_law


@pytest.mark.parametrize("where", ["id", "notes"])
def test_internal_entities_are_refused_not_expanded(tmp_path, where):
    message = _refusal(_write(tmp_path, hostile.entity_expansion(10, 3, where)))
    assert "DTD" in message and "not expanded" in message


@pytest.mark.parametrize("engine", ["libsbml", "stream"])
def test_entities_refused_by_both_engines(tmp_path, engine):
    with pytest.raises(InputError, match="DTD"):
        read_sbml(_write(tmp_path, hostile.entity_expansion(2, 1)), engine=engine)
    with pytest.raises(InputError, match="DTD"):
        read_sbml(_write(tmp_path, hostile.external_entity(), "x.xml"), engine=engine)


def test_long_model_id_is_refused_before_anything_is_built(tmp_path):
    path = _write(tmp_path, hostile.long_model_id(500_000, species=2000))
    started = time.process_time()
    message = _refusal(path)
    assert time.process_time() - started < 2.0  # the guard stops at the first tag; no uid is built
    assert "500,000 characters" in message and "limit 256" in message
    assert "xxxxxxxxxx" not in message  # the value itself is not echoed


def test_long_name_and_model_id_option_are_refused(tmp_path):
    assert "limit 4,096" in _refusal(_write(tmp_path, hostile.long_species_name(5000)))
    ok = _write(tmp_path, hostile.sbml(), "ok.xml")
    assert "--model-id is 300 characters long" in _refusal(ok, model_id="y" * 300)


def test_format_characters_in_an_id_are_refused(tmp_path):
    assert "U+202E" in _refusal(_write(tmp_path, hostile.control_character_id()))


def test_ids_at_the_limit_read(tmp_path):
    assert len(read_network(_write(tmp_path, hostile.long_model_id(256))).model.id) == 256


def test_duplicated_attribute_is_reported_as_not_well_formed(tmp_path):
    message = _refusal(_write(tmp_path, hostile.duplicated_attribute()))
    assert "not well-formed" in message and "duplicate attribute" in message and "line 2" in message
    assert "no <model>" not in message


@pytest.mark.parametrize("engine", ["libsbml", "stream"])
def test_duplicate_qualitative_species_is_named(tmp_path, engine):
    with pytest.raises(InputError, match="duplicate qualitative species id 'A'"):
        read_sbml(_write(tmp_path, hostile.duplicate_qual_species()), engine=engine)


def test_guard_reports_digest_and_counts(tmp_path):
    import hashlib

    path = _write(tmp_path, hostile.sbml())
    checked = check_xml_file(path)
    assert checked.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert checked.max_depth == 4 and checked.elements == 6  # sbml > model > listOfSpecies > species
    assert read_network(path).model.sha256 == checked.sha256


def test_element_and_text_limits(tmp_path, monkeypatch):
    path = _write(tmp_path, hostile.sbml())
    monkeypatch.setenv("HMLM_MAX_XML_ELEMENTS", "5")
    assert "more than 5 elements" in _refusal(path)
    monkeypatch.delenv("HMLM_MAX_XML_ELEMENTS")
    monkeypatch.setenv("HMLM_MAX_XML_TEXT_BYTES", "1000")
    notes = '<notes><body xmlns="http://www.w3.org/1999/xhtml"><p>' + "t" * 5000 + "</p></body></notes>"
    big = _write(tmp_path, hostile.sbml(notes + hostile.SPECIES), "notes.xml")
    assert "HMLM_MAX_XML_TEXT_BYTES" in _refusal(big)


# ---- workbooks ------------------------------------------------------------------------------------

def test_minimal_workbook_reads(tmp_path):
    net = read_network(hostile.workbook(tmp_path / "ok.xlsx"))
    assert sorted(net.species) == ["A", "B"] and sorted(net.reactions) == ["r1", "r2"]


def test_shared_strings_bomb_is_refused_from_the_zip_directory(tmp_path):
    path = hostile.workbook(tmp_path / "strings.xlsx", shared_strings_bytes=40 << 20)
    started = time.process_time()
    message = _refusal(path)
    assert time.process_time() - started < 1.0
    assert "unpacks to" in message and "xl/sharedStrings.xml" in message and "HMLM_MAX_WORKBOOK_BYTES" in message


def test_declared_dimension_over_the_row_limit_is_refused(tmp_path):
    message = _refusal(hostile.workbook(tmp_path / "dim.xlsx", dimension="A1:G5000000"))
    assert "sheet 'species'" in message and "5,000,000 rows" in message


def test_counted_rows_over_the_limit_are_refused(tmp_path, monkeypatch):
    path = hostile.workbook(tmp_path / "rows.xlsx", extra_rows=500)
    assert len(read_network(path).species) == 2  # empty rows are skipped under the limit
    monkeypatch.setenv("HMLM_MAX_SHEET_ROWS", "100")
    assert "more than 100 rows" in _refusal(path)


def test_doctype_inside_a_workbook_part_is_refused(tmp_path):
    path = hostile.workbook(tmp_path / "dtd.xlsx", sheet_prolog='<!DOCTYPE worksheet [<!ENTITY a "aaaa">]>')
    message = _refusal(path)
    assert "xl/worksheets/sheet1.xml" in message and "DTD" in message
