"""Synthetic signaling networks for benchmarks and training at scale: N species, seeded.

The species fall into modules of about 100 (pathways, SBML groups). Each module has one
input species driven by an input reaction ``=> X`` (Netflux; weight 0.1, a low basal
stimulus like the Rogers 2022 inputs) and a backbone: every other species of the module
is activated by one earlier species of the same module, so a stimulus reaches the whole
module. The remaining reactions (2N in all besides the inputs) have 1 to 3 sources
AND-ed into one non-input target, as a Netflux row would: one activator, and each other
source inhibiting with probability 1/2 (so no row is active when its sources are at rest,
and an unstimulated network stays low); 19 in 20 sources come from the target's own
module, the rest are crosstalk. Reaction weights are drawn from [0.5, 1]. Species carry one MIRIAM annotation each.

Named conditions (:func:`synthetic_conditions`, :func:`write_conditions`): ``control``
(every input basal), ``stim_<input>`` for each input alone at 0.7, and ``combined`` (the
first two inputs together), the counterparts of the Rogers control/TGFB/strain/combined.

The same random structure is available as a file (SBML-qual or SBML core text, written
directly for speed) or as a :class:`Network`.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from hmlm_sb.io.sbml_network import HMLM_NS
from hmlm_sb.logic import And, Expr, Literal, Not
from hmlm_sb.network import ModelInfo, Network, Participant, Pathway, Reaction, Species, Xref

if TYPE_CHECKING:
    from hmlm_sb.sim.conditions import Condition

FORMATS = ("sbml-qual", "sbml")
INHIBITOR_SBO, STIMULATOR_SBO = "SBO:0000020", "SBO:0000459"
MODULE_SIZE = 100
BASAL_WEIGHT, STIMULUS_WEIGHT = 0.1, 0.7
WITHIN_MODULE = 0.95 # chance that a non-backbone source comes from the target's module
WEIGHT_RANGE = (0.5, 1.0)  # reaction weights below 1: responses graded, not all-or-none
INHIBITING = 0.5  # chance that a source besides a row's activator inhibits


@dataclass
class _Structure:
    n_species: int
    reactions: list[tuple[list[tuple[int, int]], int]]  # ([(source, sign)], target)
    pathway_of: list[int]
    n_pathways: int
    inputs: list[int]  # the input species, one per module
    weights: list[float]  # Netflux weight of each reaction



def _structure(n_species: int, n_reactions: int, seed: int) -> _Structure:
    if n_species < 2:
        raise ValueError("a synthetic network needs at least 2 species")
    rng = random.Random(seed)
    n_modules = max(1, n_species // MODULE_SIZE)
    module_of = [i * n_modules // n_species for i in range(n_species)]
    first = _module_inputs(n_species)
    members = [list(range(first[m], first[m + 1] if m + 1 < n_modules else n_species)) for m in range(n_modules)]
    inputs = set(first)
    reactions: list[tuple[list[tuple[int, int]], int]] = []
    for i in range(n_species):
        if i not in inputs:
            reactions.append(([(rng.randrange(first[module_of[i]], i), 1)], i))
    targets = [i for i in range(n_species) if i not in inputs]
    for _ in range(max(0, n_reactions - len(reactions))):
        target = rng.choice(targets)
        own = members[module_of[target]]
        k = min(rng.choice((1, 1, 2, 3)), n_species - 1)
        sources: set[int] = set()
        while len(sources) < k:
            src = rng.choice(own) if len(own) > k and rng.random() < WITHIN_MODULE else rng.randrange(n_species)
            if src != target:
                sources.add(src)
        ordered = sorted(sources)
        activator = rng.randrange(k)  # an inhibitor only gates an activation: no row is active at rest
        reactions.append(([(s, 1 if a == activator or rng.random() >= INHIBITING else -1)
                           for a, s in enumerate(ordered)], target))
    weights = [round(rng.uniform(*WEIGHT_RANGE), 3) for _ in reactions]
    return _Structure(n_species, reactions, module_of, n_modules, first, weights)


def _sizes(n_species: int, n_reactions: int | None) -> int:
    return 2 * n_species if n_reactions is None else n_reactions


def synthetic_network(n_species: int, n_reactions: int | None = None, *, seed: int = 0,
                      model_id: str | None = None) -> Network:
    """The synthetic network as a Network (what reading its file gives, with kind="qual")."""
    st = _structure(n_species, _sizes(n_species, n_reactions), seed)
    mid = model_id or f"synthetic_{n_species}_{seed}"
    net = Network(models=[ModelInfo(id=mid, name=mid, format="synthetic")])
    for i in range(st.n_species):
        net.species[f"S{i}"] = Species(f"S{i}", name=f"S{i}", model=mid, xrefs=[Xref(f"synthetic:P{i}", "is")])
    for m, i in enumerate(st.inputs):
        net.reactions[f"I{m}"] = Reaction(f"I{m}", "qual", [Participant(f"S{i}", "output", 0)],
                                          params={"weight": BASAL_WEIGHT}, model=mid)
    for j, (sources, target) in enumerate(st.reactions):
        parts = [Participant(f"S{s}", "input", sign) for s, sign in sources]
        parts.append(Participant(f"S{target}", "output", 0))
        net.reactions[f"R{j}"] = Reaction(f"R{j}", "qual", parts, function_terms=[(1, _rule(sources))],
                                          params={"weight": st.weights[j]}, model=mid)
    for p in range(st.n_pathways):
        net.pathways[f"P{p}"] = Pathway(f"P{p}", name=f"pathway {p}", model=mid)
    for i, p in enumerate(st.pathway_of):
        net.pathways[f"P{p}"].members.append(f"S{i}")
    return net


def synthetic_conditions(n_species: int) -> dict[str, "Condition"]:
    """Named conditions of the synthetic network (see the module docstring), as
    :class:`hmlm_sb.sim.conditions.Condition` by name."""
    from hmlm_sb.sim.conditions import Condition

    inputs = [f"S{i}" for i in _module_inputs(n_species)]
    out = {"control": Condition("control", {}, description=f"all inputs at their basal weight {BASAL_WEIGHT}")}
    for sid in inputs:
        out[f"stim_{sid}"] = Condition(f"stim_{sid}", {sid: STIMULUS_WEIGHT},
                                       description=f"{sid} input at {STIMULUS_WEIGHT}")
    both = inputs[:2]
    out["combined"] = Condition("combined", {sid: STIMULUS_WEIGHT for sid in both},
                                description=" and ".join(both) + f" inputs at {STIMULUS_WEIGHT}")
    return out


def standard_conditions(n_species: int) -> list[str]:
    """control, the first two single-input conditions and combined: the four a dataset uses."""
    inputs = [f"S{i}" for i in _module_inputs(n_species)]
    return ["control", *[f"stim_{sid}" for sid in inputs[:2]], "combined"]


def _module_inputs(n_species: int) -> list[int]:
    n_modules = max(1, n_species // MODULE_SIZE)
    return [-(-m * n_species // n_modules) for m in range(n_modules)]


def write_conditions(path: str | Path, n_species: int) -> Path:
    """The named conditions as a TOML file for ``--conditions`` (sim.conditions.load_conditions)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# Named conditions of synthetic_network({n_species}) (any seed), written by hmlm_sb.io.synthetic", ""]
    for name, cond in synthetic_conditions(n_species).items():
        weights = ", ".join(f"{k} = {v}" for k, v in cond.weights.items())
        lines += [f"[conditions.{name}]", f"description = {json.dumps(cond.description)}",
                  f"weights = {{ {weights} }}" if weights else "weights = {}", ""]
    path.write_text("\n".join(lines))
    return path


def _rule(sources: list[tuple[int, int]]) -> Expr:
    lits: list[Expr] = [Literal(f"S{s}") if sign > 0 else Not(Literal(f"S{s}")) for s, sign in sources]
    return lits[0] if len(lits) == 1 else And(tuple(lits))


def write_synthetic(path: str | Path, n_species: int, n_reactions: int | None = None, *,
                    format: str = "sbml-qual", seed: int = 0) -> Path:
    """Write the synthetic network as SBML-qual (L3V1 qual + groups) or SBML core (L3V1 + groups)."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    st = _structure(n_species, _sizes(n_species, n_reactions), seed)
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


def _params_annotation(weight: float) -> str:
    """A reaction's weight, as write_sbml_qual keeps reaction parameters."""
    return (f'<annotation><hmlm:data xmlns:hmlm="{HMLM_NS}" '
            f'params={quoteattr(json.dumps({"weight": weight}))}/></annotation>')


def _write_qual(out, st: _Structure) -> None:
    out.write("<qual:listOfQualitativeSpecies>\n")
    for i in range(st.n_species):
        out.write(f'<qual:qualitativeSpecies metaid="m{i}" qual:id="S{i}" qual:name="S{i}" qual:compartment="cell" '
                  f'qual:constant="false" qual:maxLevel="1" qual:initialLevel="0">{_annotation(i)}'
                  "</qual:qualitativeSpecies>\n")
    out.write("</qual:listOfQualitativeSpecies>\n<qual:listOfTransitions>\n")
    for m, i in enumerate(st.inputs):
        out.write(f'<qual:transition qual:id="I{m}">{_params_annotation(BASAL_WEIGHT)}<qual:listOfOutputs>'
                  f'<qual:output qual:id="I{m}_out" qual:qualitativeSpecies="S{i}" '
                  'qual:transitionEffect="assignmentLevel"/></qual:listOfOutputs><qual:listOfFunctionTerms>'
                  '<qual:defaultTerm qual:resultLevel="0"/></qual:listOfFunctionTerms></qual:transition>\n')
    for j, (sources, target) in enumerate(st.reactions):
        inputs = "".join(
            f'<qual:input qual:id="R{j}_in{k}" qual:qualitativeSpecies="S{s}" qual:transitionEffect="none" '
            f'qual:sign="{"positive" if sign > 0 else "negative"}"/>' for k, (s, sign) in enumerate(sources))
        lits = [f"<apply><geq/><ci>S{s}</ci><cn type=\"integer\">1</cn></apply>" if sign > 0 else
                f"<apply><not/><apply><geq/><ci>S{s}</ci><cn type=\"integer\">1</cn></apply></apply>"
                for s, sign in sources]
        rule = lits[0] if len(lits) == 1 else f"<apply><and/>{''.join(lits)}</apply>"
        out.write(f'<qual:transition qual:id="R{j}">{_params_annotation(st.weights[j])}<qual:listOfInputs>{inputs}</qual:listOfInputs>'
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
    for m, i in enumerate(st.inputs):
        out.write(f'<reaction id="I{m}" reversible="false" fast="false">{_params_annotation(BASAL_WEIGHT)}<listOfProducts>'
                  f'<speciesReference species="S{i}" stoichiometry="1" constant="true"/></listOfProducts></reaction>\n')
    for j, (sources, target) in enumerate(st.reactions):
        # the first activating source is consumed; other sources act as signed modifiers
        first = next((s for s, sign in sources if sign > 0), None)
        reactants = (f'<listOfReactants><speciesReference species="S{first}" stoichiometry="1" constant="true"/>'
                     "</listOfReactants>") if first is not None else ""
        mods = "".join(f'<modifierSpeciesReference species="S{s}" sboTerm="'
                       f'{STIMULATOR_SBO if sign > 0 else INHIBITOR_SBO}"/>' for s, sign in sources if s != first)
        out.write(f'<reaction id="R{j}" reversible="false" fast="false">{_params_annotation(st.weights[j])}{reactants}<listOfProducts><speciesReference '
                  f'species="S{target}" stoichiometry="1" constant="true"/></listOfProducts>'
                  f"{f'<listOfModifiers>{mods}</listOfModifiers>' if mods else ''}</reaction>\n")
    out.write("</listOfReactions>\n")


def chain_sbml(model_id: str, species: list[str]) -> str:
    """A tiny SBML level 3 model as text: a chain of mass-action reactions through
    ``species`` (for import tests and benchmarks that need many small files)."""
    listed = "".join(f'<species id="{s}" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false" '
                     f'boundaryCondition="false" constant="false"/>' for s in species)
    reactions = "".join(
        f'<reaction id="r{k}" reversible="false"><listOfReactants><speciesReference species="{a}" '
        f'stoichiometry="1" constant="true"/></listOfReactants><listOfProducts><speciesReference species="{b}" '
        f'stoichiometry="1" constant="true"/></listOfProducts></reaction>'
        for k, (a, b) in enumerate(zip(species, species[1:])))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
            f'<model id="{model_id}"><listOfCompartments><compartment id="c" size="1" constant="true"/>'
            f'</listOfCompartments><listOfSpecies>{listed}</listOfSpecies>'
            f'<listOfReactions>{reactions}</listOfReactions></model></sbml>')
