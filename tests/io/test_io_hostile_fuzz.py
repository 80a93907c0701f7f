"""Fuzz target for hostile input: depth, entities, long ids and names, zip bombs.

Every case runs in a child process bounded in memory and wall time (``read_network`` by
address space, RLIMIT_AS; the CLI, whose store reserves terabytes of address space, by
resident memory), so a crash, a blow-up or a hang fails the case instead of the test run. A case passes
when it is refused with one line (or, for the few kinds that are not hostile at that
size, read): never a crash, a traceback, a timeout or an accepted entity expansion.
The fast set reads with ``read_network``; the slow set imports through the CLI.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import hostile

FAST = settings(max_examples=4, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SMALL_KINDS = ["kinetic_depth", "annotation_depth", "rule_depth", "entity_id", "entity_notes", "external_entity",
               "long_id", "long_name", "duplicate_attribute", "duplicate_qual", "control_id"]


@st.composite
def hostile_sbml(draw) -> tuple[str, str]:
    kind = draw(st.sampled_from(SMALL_KINDS))
    if kind == "kinetic_depth":
        return kind, hostile.nested_kinetic_law(draw(st.integers(257, 20_000)))
    if kind == "annotation_depth":
        return kind, hostile.nested_annotation(draw(st.integers(257, 200_000)))
    if kind == "rule_depth":
        return kind, hostile.nested_function_term(draw(st.integers(257, 5_000)))
    if kind in ("entity_id", "entity_notes"):
        return kind, hostile.entity_expansion(draw(st.integers(2, 30)), draw(st.integers(1, 6)), kind[7:])
    if kind == "long_id":
        return kind, hostile.long_model_id(draw(st.integers(257, 500_000)), draw(st.sampled_from([3, 2000])))
    if kind == "long_name":
        return kind, hostile.long_species_name(draw(st.integers(4097, 200_000)))
    return kind, {"external_entity": hostile.external_entity, "duplicate_attribute": hostile.duplicated_attribute,
                  "duplicate_qual": hostile.duplicate_qual_species,
                  "control_id": hostile.control_character_id}[kind]()


def _refused_in_bounds(result: dict) -> None:
    verdict = hostile.judge(result)
    assert verdict == "refused", f"{verdict}: {result['stderr'][-500:]}"
    assert len(result.get("message", "x").splitlines()) == 1


@FAST
@given(case=hostile_sbml())
@example(case=("kinetic_depth", hostile.nested_kinetic_law(10_000)))
@example(case=("annotation_depth", hostile.nested_annotation(200_000)))
@example(case=("long_id", hostile.long_model_id(500_000, species=2000)))
@example(case=("entity_notes", hostile.entity_expansion(10, 5, "notes")))
def test_hostile_sbml_is_refused_within_bounds(tmp_path, case):
    kind, text = case
    path = tmp_path / f"{kind}.xml"
    path.write_text(text)
    _refused_in_bounds(hostile.run_read(path, memory=1 << 30, seconds=30))


def test_shared_strings_bomb_is_refused_within_bounds(tmp_path):
    path = hostile.workbook(tmp_path / "strings.xlsx", shared_strings_bytes=64 << 20)
    result = hostile.run_read(path, memory=1 << 30, seconds=30)
    _refused_in_bounds(result)
    assert "unpacks to" in result["message"]


@pytest.mark.slow
def test_hostile_corpus_through_the_cli(tmp_path):
    """The issue's corpus, smaller: random cases of every kind plus the two full-size
    workbook bombs (5 million rows; a 2 GB shared-strings table), each through
    ``hmlm import`` under 2 GiB resident and 60 s."""
    rng = random.Random(16)
    cases = [hostile.corpus_case(rng, tmp_path, k) for k in range(40)]
    cases.append(("workbook_rows", hostile.workbook(tmp_path / "rows5m.xlsx", extra_rows=5_000_000)))
    cases.append(("workbook_strings", hostile.workbook(tmp_path / "sst2g.xlsx", shared_strings_bytes=2 << 30)))
    failures = []
    for kind, path in cases:
        result = hostile.run_import(Path(path))
        verdict = hostile.judge(result)
        if verdict != "refused" or result["seconds"] > 30:
            failures.append((kind, verdict, round(result["seconds"], 1), result["stderr"][-300:]))
        Path(path).unlink()
    assert failures == []
