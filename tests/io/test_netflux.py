"""Netflux .xlsx reader on the four published files and on broken workbooks."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from hmlm_sb.errors import InputError
from hmlm_sb.io.netflux import read_netflux
from hmlm_sb.logic import And, Literal, Not
from tests.conftest import need

FILES = {"Rogers2022_snm_1_1_rev4.xlsx": (109, 172, 8, 10), "Zeigler2016_cardiac_fibroblast.xlsx": (91, 142, 9, 11),
         "Kraeutler2010_betaAdrenergic.xlsx": (25, 36, 2, 5), "exampleNet.xlsx": (5, 6, 0, 2)}


@pytest.mark.parametrize("name", sorted(FILES))
def test_published_files_import(shared_data: Path, name: str) -> None:
    path = shared_data / "netflux" / name
    need(path.is_file(), f"missing {path}")
    net = read_netflux(path)
    net.check()
    species, reactions, modules, inputs = FILES[name]
    assert (len(net.species), len(net.reactions), len(net.pathways), len(net.input_species())) == \
        (species, reactions, modules, inputs)
    assert all(r.kind == "netflux" for r in net.reactions.values())


def test_rogers_quirks(rogers_xlsx: Path) -> None:
    net = read_netflux(rogers_xlsx, model_id="rogers")
    assert net.model.id == "rogers" and net.model.format == "netflux" and len(net.model.sha256) == 64
    assert "FAK" in net.species and "AP1" in net.species  # 'FAK ', 'AP1 ' in the sheet
    assert any("r4" in w and "AND" in w for w in net.warnings)  # 'CREB + CBP => IL6'
    assert net.reactions["r4"].rule == And((Literal("CREB"), Literal("CBP")))
    assert net.reactions["r57"].rule == Literal("FAK")  # 'FAK =>MEKK1'
    assert net.reactions["r18"].rule == And((Literal("TGFB1R"), Not(Literal("PKG")), Not(Literal("smad7"))))
    r18 = net.reactions["r18"]
    assert [(p.species, p.role, p.sign) for p in r18.participants] == [
        ("TGFB1R", "input", 1), ("PKG", "input", -1), ("smad7", "input", -1), ("smad3", "output", 1)]
    assert r18.params == {"weight": 1.0, "n": 1.25, "ec50": 0.6}
    assert r18.references[0] == "pubmed:17513491"
    assert net.reactions["r1"].module == "fback"


def test_input_rows_and_or_rows(rogers_xlsx: Path) -> None:
    net = read_netflux(rogers_xlsx)
    i2 = net.reactions["i2"]
    assert i2.is_input and not i2.function_terms and [p.species for p in i2.targets()] == ["TGFB"]
    assert i2.params["weight"] == 0.1
    il6_rows = [r.id for r in net.reactions.values() if any(t.species == "IL6" for t in r.targets())]
    assert il6_rows == ["i4", "r4", "r5", "r6"]  # OR: several rows, one product
    sp = net.species["AGT"]
    assert (sp.tau, sp.ymax, sp.initial, sp.kind, sp.gene) == (10, 1, 0, "protein", "AGT")
    assert "AGT" in net.pathways["g-coupled"].members


def _workbook(path: Path, reactions: list[tuple], species: list[tuple] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "species"
    sheet.append(["Species information"])
    sheet.append(["module", "ID", "name", "Yinit", "Ymax", "tau", "type"])
    for row in species or [("m", "A", "a", 0, 1, 1, "protein"), ("m", "B", "b", 0, 1, 1, "protein"),
                           ("m", "C", "c", None, None, None, "protein")]:
        sheet.append(list(row))
    rx = book.create_sheet("reactions")
    rx.append(["Reaction information"])
    rx.append(["module", "ID", "Rule", "Weight", "n", "EC50"])
    for row in reactions:
        rx.append(list(row))
        for cell in rx[rx.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a rule '=> A' is text, not an Excel formula
    book.save(path)
    return path


def test_missing_parameters_take_netflux_defaults(tmp_path: Path) -> None:
    net = read_netflux(_workbook(tmp_path / "m.xlsx", [("", "r1", "=> A", None, None, None),
                                                      ("", "r2", "A  &  !B => C", 0.5, None, None)]))
    assert net.reactions["r2"].params == {"weight": 0.5, "n": 1.4, "ec50": 0.5}
    assert net.reactions["r1"].params["weight"] == 1.0
    c = net.species["C"]
    assert (c.initial, c.ymax, c.tau) == (0.0, 1.0, 1.0)


@pytest.mark.parametrize("row, needle", [
    (("", "r9", "A & X => C", 1, 1.4, 0.5), "unknown species 'X'"),
    (("", "r9", "A => C", -1, 1.4, 0.5), "weight must be"),
    (("", "r9", "A => C", 1, "NaN", 0.5), "n must be"),
    (("", "r9", "A | B => C", 1, 1.4, 0.5), "cannot parse"),
    (("", "r9", "A C", 1, 1.4, 0.5), "exactly one '=>'"),
])
def test_bad_rows_name_file_and_reaction(tmp_path: Path, row: tuple, needle: str) -> None:
    path = _workbook(tmp_path / "bad.xlsx", [("", "r1", "=> A", 1, 1.4, 0.5), row])
    with pytest.raises(InputError) as err:
        read_netflux(path)
    text = str(err.value)
    assert needle in text and "bad.xlsx" in text and "r9" in text and "row 4" in text


def test_missing_file_and_sheet(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_netflux(tmp_path / "none.xlsx")
    book = openpyxl.Workbook()
    book.active.title = "other"
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="no 'species' sheet"):
        read_netflux(tmp_path / "x.xlsx")
