"""Mutated real files: read_network raises only InputError, and a rejected input leaves
the store as it was."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import SHARED_DATA, need
from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network
from hmlm_sb.store import open_store

SBML_FILES = ["sbml/qual/bbm-131-TGFB-PATHWAY.sbml", "sbml/qual/sedml-showcase-toymodel.sbml",
              "sbml/core/BIOMD0000000010.xml", "sbml/qual/biolqm-minimal_example.sbml"]
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_ATTRIBUTE = re.compile(rb'(\w+(?::\w+)?)="([^"]*)"')
ODD_VALUES = [b"", b"-1", b"999999999999", b"abc", b"1.5", b"NaN", b"ghost", b"&amp;", b"v_Orf8", b"true"]


def _outcome(path: Path, **kwargs):
    """The network, or None for an InputError; anything else, or an exception a reader
    let through to the dispatcher's catch-all (``unexpected``), fails the test."""
    try:
        net = read_network(path, **kwargs)
    except InputError as err:
        assert not getattr(err, "unexpected", False), f"reader bug surfaced as: {err}"
        assert str(path) in str(err)
        return None
    net.check()
    return net


def _stream_outcome(path: Path) -> None:
    """The streaming reader (large files) also raises nothing but InputError."""
    from hmlm_sb.io.sbml_stream import NotStreamable, read_sbml_stream

    try:
        read_sbml_stream(path).check()
    except (InputError, NotStreamable):
        pass


@st.composite
def mutated_sbml(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(SBML_FILES))
    data = bytearray((SHARED / name).read_bytes())
    kind = draw(st.sampled_from(["flip", "truncate", "attribute", "drop_element", "insert"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    elif kind == "truncate":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "insert":
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(min_size=1, max_size=20))
    elif kind == "attribute":
        matches = list(_ATTRIBUTE.finditer(data))
        m = matches[draw(st.integers(0, len(matches) - 1))]
        value = draw(st.sampled_from(ODD_VALUES))
        data[m.start(2):m.end(2)] = value
    else:
        tags = [m.start() for m in re.finditer(rb"<(?!/)[A-Za-z]", data)]
        start = tags[draw(st.integers(0, len(tags) - 1))]
        end = data.find(b">", start)
        del data[start:end + 1]
    return name, bytes(data)


SHARED: Path = SHARED_DATA


@pytest.fixture
def store(shared_data, tmp_path):
    for name in SBML_FILES:
        need((shared_data / name).is_file(), f"missing {name}")
    with open_store(str(tmp_path / "db"), max_db_size=1 << 30) as st_:
        for name in SBML_FILES:
            st_.save_network(read_network(shared_data / name, model_id=Path(name).stem))
        yield st_


@FUZZ
@given(case=mutated_sbml())
def test_mutated_sbml_raises_only_input_error_and_store_is_unchanged(store, tmp_path, case):
    name, data = case
    path = tmp_path / Path(name).name
    path.write_bytes(data)
    before = store.counts()
    net = _outcome(path, model_id=Path(name).stem)
    _stream_outcome(path)
    if net is not None and data != (SHARED / name).read_bytes():
        # same model id, other content: refused without --replace, store untouched
        with pytest.raises(InputError):
            store.save_network(net)
    assert store.counts() == before


@st.composite
def mutated_workbook(draw) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(SHARED / "netflux" / "exampleNet.xlsx")
    for _ in range(draw(st.integers(1, 3))):
        sheet = book[draw(st.sampled_from(book.sheetnames))]
        row = draw(st.integers(1, max(sheet.max_row, 1)))
        col = draw(st.integers(1, max(sheet.max_column, 1)))
        sheet.cell(row=row, column=col).value = draw(st.one_of(
            st.none(), st.sampled_from(["=>", "A & => B", "!!A => B", "-1", "x y", "A => ghost", "nan", "0"]),
            st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12),
            st.floats(allow_nan=True), st.integers(-5, 5)))
    buffer = io.BytesIO()
    book.save(buffer)
    data = bytearray(buffer.getvalue())
    if draw(st.booleans()):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(data=mutated_workbook())
def test_mutated_workbooks_raise_only_input_error(shared_data, tmp_path, data):
    need((shared_data / "netflux" / "exampleNet.xlsx").is_file(), "missing exampleNet.xlsx")
    path = tmp_path / "exampleNet.xlsx"
    path.write_bytes(data)
    _outcome(path)


@st.composite
def mutated_sif(draw) -> bytes:
    data = bytearray((SHARED / "sif" / "Rogers2022_snm_1_1_rev4.sif").read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        choice = draw(st.sampled_from(["flip", "tab", "newline", "cut"]))
        if choice == "flip":
            data[at] = draw(st.integers(0, 255))
        elif choice == "cut":
            del data[at:at + draw(st.integers(1, 200))]
        else:
            data[at:at] = b"\t" if choice == "tab" else b"\n"
    return bytes(data)


@FUZZ
@given(data=mutated_sif())
def test_mutated_sif_raises_only_input_error(shared_data, tmp_path, data):
    need((shared_data / "sif" / "Rogers2022_snm_1_1_rev4.sif").is_file(), "missing the Rogers SIF")
    path = tmp_path / "Rogers2022_snm_1_1_rev4.sif"
    path.write_bytes(data)
    _outcome(path)
