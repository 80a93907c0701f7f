"""The import graph: no cycle, and every import runs down the layers of tools/import_graph.py
(nothing below cli/ imports cli/). Run `python tools/import_graph.py` to see it."""
from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "import_graph.py"
KNOWN_CYCLES: list[list[str]] = []  # none left (the SBML readers' circle went with issue 12 item 5)


def graph_tool():
    spec = importlib.util.spec_from_file_location("import_graph", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_runs_up_a_layer():
    tool = graph_tool()
    assert tool.upward_imports(tool.module_graph()) == []


def test_no_cycle():
    tool = graph_tool()
    found = tool.cycles(tool.package_inits(tool.module_graph()))
    assert [c for c in found if c not in KNOWN_CYCLES] == []
    assert all(c in found for c in KNOWN_CYCLES), "a known cycle is gone: remove it from KNOWN_CYCLES"


def test_the_check_sees_an_upward_import():
    tool = graph_tool()
    graph = tool.module_graph()
    graph["hmlm_sb.models.base"].add("hmlm_sb.cli.common")
    graph["hmlm_sb.cli.common"].add("hmlm_sb.models.base")
    assert any("models is below cli" in line for line in tool.upward_imports(graph))
    assert any("hmlm_sb.models.base" in c for c in tool.cycles(graph))
