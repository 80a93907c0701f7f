"""The import graph of hmlm_sb, read from the source (every import, lazy ones included).

    python tools/import_graph.py            # rooms and the rooms each imports, top to bottom
    python tools/import_graph.py --check    # exit 1 on a cycle or an import that runs up

The rooms and their order are LAYERS below; a room may import only rooms of lower layers
(and the rooms of its own layer, without cycles). tests/test_architecture.py runs --check.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hmlm_sb"

LAYERS: list[tuple[str, ...]] = [  # top first
    ("cli",),
    ("demo", "retrain"),
    ("pipeline", "benchmark"),
    ("crosstalk",),
    ("models",),
    ("nn",),
    ("data",),
    ("resources", "io"),
    ("sim", "store"),
    ("demo_report", "trajectories", "reporting", "network", "experiment", "logic", "errors", "hmlm_sb"),
]
LAYER_OF = {room: depth for depth, rooms in enumerate(LAYERS) for room in rooms}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_graph() -> dict[str, set[str]]:
    """module -> the hmlm_sb modules it imports."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hmlm_sb"):
                if node.module in modules:
                    graph[module].add(node.module)
                graph[module].update(f"{node.module}.{a.name}" for a in node.names
                                     if f"{node.module}.{a.name}" in modules)
            elif isinstance(node, ast.Import):
                graph[module].update(a.name for a in node.names if a.name in modules)
        ancestors = {".".join(module.split(".")[:k]) for k in range(1, len(module.split(".")) + 1)}
        graph[module] -= ancestors  # its own packages are running already
    return graph


def package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: edges to them
    (except to the importer's own packages, which are running already)."""
    out = {m: set(targets) for m, targets in graph.items()}
    for module, targets in graph.items():
        own = {".".join(module.split(".")[:k]) for k in range(1, len(module.split(".")) + 1)}
        for target in targets:
            parts = target.split(".")
            out[module].update(p for p in (".".join(parts[:k]) for k in range(2, len(parts)))
                               if p in graph and p not in own)
        out[module].discard(module)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """``module -> target`` where the target's room sits in a higher layer (or is unknown)."""
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            a, b = room_of(module), room_of(target)
            if a == b:
                continue
            if a not in LAYER_OF or b not in LAYER_OF:
                bad.append(f"{module} -> {target} (room {a if a not in LAYER_OF else b} is in no layer)")
            elif LAYER_OF[b] < LAYER_OF[a]:
                bad.append(f"{module} -> {target} ({a} is below {b})")
    return bad


def room_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        rooms[room_of(module)].update(room_of(t) for t in targets if room_of(t) != room_of(module))
    return rooms


def main(argv: list[str]) -> int:
    graph = module_graph()
    if "--check" in argv:
        problems = [f"cycle: {' <-> '.join(c)}" for c in cycles(package_inits(graph))] + upward_imports(graph)
        for line in problems:
            print(line)
        return 1 if problems else 0
    rooms = room_graph(graph)
    for depth, layer in enumerate(LAYERS):
        for room in layer:
            print(f"{depth} {room:12s} -> {', '.join(sorted(rooms.get(room, ()))) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
