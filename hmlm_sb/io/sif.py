"""SIF (Cytoscape simple interaction format), read and written.

Each line is ``source relation target [target...]`` (tab-separated when the line has a
tab, else whitespace-separated); a line with one name is a lone node. Relation types:

* signed: ``1`` / ``+1`` / ``+`` / ``activates`` / ``up-regulates``... give +1,
  ``-1`` / ``-`` / ``inhibits`` / ``down-regulates``... give -1;
* directed, unsigned (Pathway Commons ``controls-state-change-of``, ``pd``, ``0``...): sign 0;
* undirected (``in-complex-with``, ``interacts-with``, ``pp``...): both nodes become
  reactants of a reaction with no product, so no direction is invented.

Reaction-node SIF (the shared Rogers 2022 file): nodes marked ``connector`` in the node
attributes file beside the SIF (``<stem>_nodeAttributes.txt`` or ``<stem>.noa``), or named
``rcnN`` when there is none, are AND gates: the nodes pointing at one are its sources (with
the edge's sign), the nodes it points at its products, and it becomes one Reaction with
the rule ``A & !B``. Direct signed edges become one-source reactions (``A`` or ``!A``).

CellNOpt AND gates: nodes named ``andN`` (CellNOptR, caspo and corneto write them so:
sources point at the node, the node points at the target) are AND gates the same way,
whether or not a node attributes file is present (unless it gives them another type).

A file that yields no reaction is refused (``allow_empty=True`` warns instead); a MIDAS
data table (``TR:``/``DA:``/``DV:`` header) is refused with a line saying so.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.logic import And, Expr, Literal, Not
from hmlm_sb.network import ModelInfo, Network, Participant, Reaction, Species

POSITIVE = {"1", "+1", "+", "->", "activates", "activation", "activate", "stimulates", "stimulation",
            "up-regulates", "upregulates", "up-regulates-expression", "upregulates-expression",
            "positive", "induces", "promotes"}
NEGATIVE = {"-1", "-", "-|", "inhibits", "inhibition", "inhibit", "represses", "repression",
            "down-regulates", "downregulates", "down-regulates-expression", "downregulates-expression",
            "negative", "suppresses"}
UNDIRECTED = {"in-complex-with", "interacts-with", "neighbor-of", "reacts-with", "pp", "binds",
              "interacts", "associates"}
CONNECTOR = "connector"
_RCN = re.compile(r"^rcn\d+$")
_AND_GATE = re.compile(r"^and\d+$", re.IGNORECASE)
_MIDAS_HEADER = re.compile(r"^\s*(TR|DA|DV|ID):", re.IGNORECASE)


def relation_sign(relation: str) -> int | None:
    """+1, -1, 0 (directed, unsigned) or None (undirected)."""
    rel = relation.strip().lower()
    if rel in POSITIVE:
        return 1
    if rel in NEGATIVE:
        return -1
    if rel in UNDIRECTED:
        return None
    return 0


@dataclass
class _Edge:
    source: str
    relation: str
    target: str
    line: int
    index: int = 0  # position among the targets of its line

    @property
    def reaction_id(self) -> str:
        return f"e{self.line}" if self.index == 0 else f"e{self.line}_{self.index + 1}"


def read_sif(path: str | Path, *, model_id: str | None = None, allow_empty: bool = False) -> Network:
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    data = path.read_bytes()
    _refuse_midas(data, path)
    edges, lone = _parse_lines(data, path)
    attributes = read_node_attributes(path)
    net = Network()
    net.models.append(ModelInfo(id=(model_id or path.stem).replace("/", "_"), name=path.stem,
                                source_file=str(path), format="sif", sha256=hashlib.sha256(data).hexdigest()))
    mid = net.model.id
    nodes = [n for e in edges for n in (e.source, e.target)] + lone
    connectors = _connectors(nodes, attributes, edges)
    for node in nodes:
        if node not in connectors and node not in net.species:
            net.species[node] = Species(id=node, name=node, kind=attributes.get(node, ""), model=mid)
    _gate_reactions(net, edges, connectors, path)
    for edge in edges:
        if edge.source not in connectors and edge.target not in connectors:
            net.reactions[edge.reaction_id] = _edge_reaction(edge.reaction_id, edge, mid)
    if not net.species:
        raise InputError("no interactions found", file=str(path))
    if not net.reactions:
        if not allow_empty:
            raise InputError(f"no reactions found ({len(net.species)} lone nodes): not a SIF network? "
                             "(--allow-empty imports it anyway)", file=str(path))
        net.warnings.append(f"{path.name}: no reactions, {len(net.species)} lone nodes")
    return net


def _refuse_midas(data: bytes, path: Path) -> None:
    first = data[:4096].decode("utf-8-sig", errors="replace").lstrip().split("\n", 1)[0]
    fields = [f.strip() for f in first.split(",")]
    if len(fields) > 1 and any(_MIDAS_HEADER.match(f) for f in fields):
        raise InputError("this is a MIDAS data table (TR:/DA:/DV: columns), not a SIF network: "
                         "import it as data (hmlm import FILE --format midas)", file=str(path))


def _parse_lines(data: bytes, path: Path) -> tuple[list[_Edge], list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    edges: list[_Edge] = []
    lone: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
        fields = [f for f in fields if f]
        if len(fields) == 1:
            lone.append(fields[0])
        elif len(fields) == 2:
            raise InputError(f"line has a relation but no target: {line!r}", file=str(path),
                             element=f"line {number}")
        else:
            for index, target in enumerate(fields[2:]):
                edges.append(_Edge(fields[0], fields[1], target, number, index))
    return edges, lone


def read_node_attributes(sif_path: Path) -> dict[str, str]:
    """``name = value`` lines of the node attributes file beside a SIF (first line a header)."""
    for candidate in (sif_path.with_name(sif_path.stem + "_nodeAttributes.txt"), sif_path.with_suffix(".noa")):
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8-sig", errors="replace")
            out = {}
            for line in text.splitlines()[1:]:
                name, sep, value = line.partition("=")
                if sep and name.strip():
                    out[name.strip()] = value.strip()
            return out
    return {}


def _connectors(nodes: list[str], attributes: dict[str, str], edges: list[_Edge]) -> set[str]:
    if attributes:
        marked = {n for n, v in attributes.items() if v.lower() == CONNECTOR}
        marked |= {n for n in nodes if _AND_GATE.match(n) and n not in attributes}
    else:
        marked = {n for n in nodes if _RCN.match(n) or _AND_GATE.match(n)}
    # a connector needs edges both in and out, all signed
    has_in = {e.target for e in edges}
    has_out = {e.source for e in edges}
    return {n for n in marked if n in has_in and n in has_out}


def _gate_reactions(net: Network, edges: list[_Edge], connectors: set[str], path: Path) -> None:
    for node in sorted(connectors, key=_natural):
        sources = [e for e in edges if e.target == node]
        products = [e for e in edges if e.source == node]
        parts: list[Participant] = []
        lits: list[Expr] = []
        for e in sources:
            if e.source in connectors:
                raise InputError("reaction node feeds another reaction node", file=str(path),
                                 element=f"line {e.line}")
            sign = relation_sign(e.relation) or 0
            parts.append(Participant(e.source, "input", sign))
            lits.append(Not(Literal(e.source)) if sign < 0 else Literal(e.source))
        for e in products:
            if e.target in connectors:
                raise InputError("reaction node feeds another reaction node", file=str(path),
                                 element=f"line {e.line}")
            parts.append(Participant(e.target, "output", 1))
        rule = lits[0] if len(lits) == 1 else And(tuple(lits))
        net.reactions[node] = Reaction(id=node, kind="sif", participants=parts, function_terms=[(1, rule)],
                                       model=net.model.id)


def _edge_reaction(rid: str, edge: _Edge, mid: str) -> Reaction:
    sign = relation_sign(edge.relation)
    if sign is None:
        parts = [Participant(edge.source, "reactant", 0), Participant(edge.target, "reactant", 0)]
        return Reaction(id=rid, kind="sif", participants=parts, name=edge.relation, model=mid)
    parts = [Participant(edge.source, "input", sign), Participant(edge.target, "output", 1)]
    terms = []
    if sign:
        terms = [(1, Literal(edge.source) if sign > 0 else Not(Literal(edge.source)))]
    return Reaction(id=rid, kind="sif", participants=parts, function_terms=terms, name=edge.relation, model=mid)


def _natural(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


# ---- writing -----------------------------------------------------------------------------------

def write_sif(network: Network, path: str | Path) -> Path:
    """One line per signed edge; reactions with several sources or products go through a
    connector node (named after the reaction), listed in ``<stem>_nodeAttributes.txt``.
    Input reactions (no sources) have no edge in SIF and are left out."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    kinds: dict[str, str] = {sid: sp.kind or "protein" for sid, sp in network.species.items()}
    rule_signs: dict[tuple[str, str], int] = {(r.reaction, r.source): r.sign for r in network.regulations()}
    for rxn in network.reactions.values():
        sources, targets = rxn.sources(), rxn.targets()
        signs = {s.species: rule_signs.get((rxn.id, s.species), 0) for s in sources}
        if not sources:
            continue
        if not targets:  # undirected association
            lines.extend(f"{a.species}\tinteracts-with\t{b.species}" for a, b in zip(sources, sources[1:]))
            continue
        if len(sources) == 1 and len(targets) == 1:
            sign = sources[0].sign or signs.get(sources[0].species, 0)
            lines.append(f"{sources[0].species}\t{sign}\t{targets[0].species}")
            continue
        node = rxn.id if rxn.id not in network.species else f"rcn_{rxn.id}"
        kinds[node] = CONNECTOR
        lines.extend(f"{node}\t1\t{t.species}" for t in targets)
        lines.extend(f"{s.species}\t{s.sign or signs.get(s.species, 0)}\t{node}" for s in sources)
    linked = {f for line in lines for f in line.split("\t")[::2]}
    lines.extend(sid for sid in network.species if sid not in linked)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    attr_path = path.with_name(path.stem + "_nodeAttributes.txt")
    attr_path.write_text("Type (class=String)\n" + "".join(f"{n} = {k}\n" for n, k in kinds.items()),
                         encoding="utf-8")
    return path
