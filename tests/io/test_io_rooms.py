"""The io rooms import downward only (issue 12): no circle among the SBML readers."""
from __future__ import annotations

import ast
from pathlib import Path

IO = Path(__file__).resolve().parents[2] / "hmlm_sb" / "io"

# Bottom to top; a room may import only rooms of a lower rank (docs/importers.md).
RANKS = {"limits": 0, "annotations": 0, "sbml_rules": 0, "xml_guard": 1, "checks": 1, "sbml_network": 2,
         "workbook_guard": 2, "sbml_common": 3, "sbml_core_reader": 4, "sbml_qual_reader": 4,
         "sbml_groups_reader": 4, "sbml_stream": 4, "netflux": 3, "sbml": 5, "sbml_qual": 6}


def _io_imports(path: Path) -> set[str]:
    """Rooms of hmlm_sb.io a module imports, at the top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("hmlm_sb.io."):
                out.add(name.split(".")[2])
    return out


def test_every_ranked_room_imports_only_lower_rooms():
    wrong = [(room, dep) for room, rank in RANKS.items() for dep in _io_imports(IO / f"{room}.py")
             if dep in RANKS and RANKS[dep] >= rank]
    assert wrong == []


def test_no_import_circle_in_io():
    graph = {p.stem: _io_imports(p) for p in IO.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(room: str, path: tuple[str, ...]) -> None:
        assert room not in path, " -> ".join(path + (room,))
        if room in done or room not in graph:
            return
        for dep in graph[room]:
            visit(dep, path + (room,))
        done.add(room)

    for room in graph:
        visit(room, ())
