"""Synthetic signaling networks for benchmarks: N species, 2N reactions, seeded.

Each reaction has 1 to 3 sources (a quarter of them inhibiting) AND-ed into one target,
as a Netflux row would; species carry one MIRIAM annotation each and belong to one of
N/100 pathways (SBML groups). The same random structure is available as a file (SBML-qual
or SBML core text, written directly for speed) or as a :class:`Network`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from hmlm_sb.logic import And, Expr, Literal, Not
from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species, Xref

FORMATS = ("sbml-qual", "sbml")
INHIBITOR_SBO, STIMULATOR_SBO = "SBO:0000020", "SBO:0000459"


@dataclass
class _Structure:
    n_species: int
    reactions: list[tuple[list[tuple[int, int]], int]]  # ([(source, sign)], target)
    pathway_of: list[int]
    n_pathways: int


def _structure(n_species: int, n_reactions: int, seed: int) -> _Structure:
    if n_species < 2:
        raise ValueError("a synthetic network needs at least 2 species")
    rng = random.Random(seed)
    reactions = []
    for _ in range(n_reactions):
        target = rng.randrange(n_species)
        k = rng.choice((1, 1, 2, 3))
        sources = set()
        while len(sources) < k:
            src = rng.randrange(n_species)
            if src != target:
                sources.add(src)
        reactions.append(([(s, -1 if rng.random() < 0.25 else 1) for s in sorted(sources)], target))
    n_pathways = max(1, n_species // 100)
    return _Structure(n_species, reactions, [rng.randrange(n_pathways) for _ in range(n_species)], n_pathways)


def synthetic_network(n_species: int, n_reactions: int | None = None, *, seed: int = 0,
                      model_id: str | None = None) -> Network:
    """The synthetic network as a Network (what reading its file gives, with kind="qual")."""
    st = _structure(n_species, 2 * n_species if n_reactions is None else n_reactions, seed)
    mid = model_id or f"synthetic_{n_species}_{seed}"
    net = Network(models=[ModelInfo(id=mid, name=mid, format="synthetic")])
    for i in range(st.n_species):
        net.species[f"S{i}"] = Species(f"S{i}", name=f"S{i}", model=mid, xrefs=[Xref(f"synthetic:P{i}", "is")])
    for j, (sources, target) in enumerate(st.reactions):
        parts = [Participant(f"S{s}", "input", sign) for s, sign in sources]
        parts.append(Participant(f"S{target}", "output", 0))
        net.reactions[f"R{j}"] = Reaction(f"R{j}", "qual", parts, function_terms=[(1, _rule(sources))], model=mid)
    for p in range(st.n_pathways):
        net.pathways[f"P{p}"] = Pathway(f"P{p}", name=f"pathway {p}", model=mid)
    for i, p in enumerate(st.pathway_of):
        net.pathways[f"P{p}"].members.append(f"S{i}")
    return net


def _rule(sources: list[tuple[int, int]]) -> Expr:
    lits: list[Expr] = [Literal(f"S{s}") if sign > 0 else Not(Literal(f"S{s}")) for s, sign in sources]
    return lits[0] if len(lits) == 1 else And(tuple(lits))


def write_synthetic(path: str | Path, n_species: int, n_reactions: int | None = None, *,
                    format: str = "sbml-qual", seed: int = 0) -> Path:
    """Write the synthetic network as SBML-qual (L3V1 qual + groups) or SBML core (L3V1 + groups)."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    st = _structure(n_species, 2 * n_species if n_reactions is None else n_reactions, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write(_header(format, f"synthetic_{n_species}_{seed}"))
        out.write('<listOfCompartments><compartment id="cell" constant="true" size="1"/></listOfCompartments>\n')
        (_write_qual if format == "sbml-qual" else _write_core)(out, st)
        out.write("<groups:listOfGroups>\n")
        members: list[list[int]] = [[] for _ in range(st.n_pathways)]
        for i, p in enumerate(st.pathway_of):
            members[p].append(i)
        for p, ids in enumerate(members):
            if not ids:
                continue
            out.write(f'<groups:group groups:id="P{p}" groups:name="pathway {p}" groups:kind="collection">'
                      "<groups:listOfMembers>")
            out.write("".join(f'<groups:member groups:idRef="S{i}"/>' for i in ids))
            out.write("</groups:listOfMembers></groups:group>\n")
        out.write("</groups:listOfGroups>\n</model>\n</sbml>\n")
    return path


def _header(format: str, model_id: str) -> str:
    qual = (' xmlns:qual="http://www.sbml.org/sbml/level3/version1/qual/version1" qual:required="true"'
            if format == "sbml-qual" else "")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core"'
            ' xmlns:groups="http://www.sbml.org/sbml/level3/version1/groups/version1" groups:required="false"'
            f'{qual} level="3" version="1">\n<model id="{escape(model_id)}">\n')


def _annotation(i: int) -> str:
    return ('<annotation><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:bqbiol="http://biomodels.net/biology-qualifiers/">'
            f'<rdf:Description rdf:about="#m{i}"><bqbiol:is><rdf:Bag>'
            f'<rdf:li rdf:resource="https://identifiers.org/synthetic:P{i}"/>'
            "</rdf:Bag></bqbiol:is></rdf:Description></rdf:RDF></annotation>")


def _write_qual(out, st: _Structure) -> None:
    out.write("<qual:listOfQualitativeSpecies>\n")
    for i in range(st.n_species):
        out.write(f'<qual:qualitativeSpecies metaid="m{i}" qual:id="S{i}" qual:name="S{i}" qual:compartment="cell" '
                  f'qual:constant="false" qual:maxLevel="1" qual:initialLevel="0">{_annotation(i)}'
                  "</qual:qualitativeSpecies>\n")
    out.write("</qual:listOfQualitativeSpecies>\n<qual:listOfTransitions>\n")
    for j, (sources, target) in enumerate(st.reactions):
        inputs = "".join(
            f'<qual:input qual:id="R{j}_in{k}" qual:qualitativeSpecies="S{s}" qual:transitionEffect="none" '
            f'qual:sign="{"positive" if sign > 0 else "negative"}"/>' for k, (s, sign) in enumerate(sources))
        lits = [f"<apply><geq/><ci>S{s}</ci><cn type=\"integer\">1</cn></apply>" if sign > 0 else
                f"<apply><not/><apply><geq/><ci>S{s}</ci><cn type=\"integer\">1</cn></apply></apply>"
                for s, sign in sources]
        rule = lits[0] if len(lits) == 1 else f"<apply><and/>{''.join(lits)}</apply>"
        out.write(f'<qual:transition qual:id="R{j}"><qual:listOfInputs>{inputs}</qual:listOfInputs>'
                  f'<qual:listOfOutputs><qual:output qual:id="R{j}_out" qual:qualitativeSpecies="S{target}" '
                  'qual:transitionEffect="assignmentLevel"/></qual:listOfOutputs><qual:listOfFunctionTerms>'
                  '<qual:defaultTerm qual:resultLevel="0"/><qual:functionTerm qual:resultLevel="1">'
                  f'<math xmlns="http://www.w3.org/1998/Math/MathML">{rule}</math></qual:functionTerm>'
                  "</qual:listOfFunctionTerms></qual:transition>\n")
    out.write("</qual:listOfTransitions>\n")


def _write_core(out, st: _Structure) -> None:
    out.write("<listOfSpecies>\n")
    for i in range(st.n_species):
        out.write(f'<species metaid="m{i}" id="S{i}" name="S{i}" compartment="cell" initialConcentration="0" '
                  'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false">'
                  f"{_annotation(i)}</species>\n")
    out.write("</listOfSpecies>\n<listOfReactions>\n")
    for j, (sources, target) in enumerate(st.reactions):
        # the first activating source is consumed; other sources act as signed modifiers
        first = next((s for s, sign in sources if sign > 0), None)
        reactants = (f'<listOfReactants><speciesReference species="S{first}" stoichiometry="1" constant="true"/>'
                     "</listOfReactants>") if first is not None else ""
        mods = "".join(f'<modifierSpeciesReference species="S{s}" sboTerm="'
                       f'{STIMULATOR_SBO if sign > 0 else INHIBITOR_SBO}"/>' for s, sign in sources if s != first)
        out.write(f'<reaction id="R{j}" reversible="false" fast="false">{reactants}<listOfProducts><speciesReference '
                  f'species="S{target}" stoichiometry="1" constant="true"/></listOfProducts>'
                  f"{f'<listOfModifiers>{mods}</listOfModifiers>' if mods else ''}</reaction>\n")
    out.write("</listOfReactions>\n")
