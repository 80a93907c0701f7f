"""Bad SBML: one InputError naming file and element; modifier signs; groups."""
from __future__ import annotations

import pytest

from hmlm_sb.errors import InputError
from hmlm_sb.io import read_network

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" '
        'xmlns:groups="http://www.sbml.org/sbml/level3/version1/groups/version1" groups:required="false" '
        'level="3" version="1">')
COMP = '<listOfCompartments><compartment id="c" constant="true"/></listOfCompartments>'


def _species(*ids):
    body = "".join(f'<species id="{s}" compartment="c" hasOnlySubstanceUnits="false" boundaryCondition="false" '
                   f'constant="false" initialAmount="2"/>' for s in ids)
    return f"<listOfSpecies>{body}</listOfSpecies>"


def _write(tmp_path, body, name="m.xml"):
    path = tmp_path / name
    path.write_text(f'{HEAD}<model id="m">{body}</model></sbml>')
    return path


def _reaction(rid, reactant, product, modifiers=()):
    mods = "".join(f'<modifierSpeciesReference species="{s}" sboTerm="{sbo}"/>' for s, sbo in modifiers)
    return (f'<reaction id="{rid}" reversible="false"><listOfReactants><speciesReference species="{reactant}" '
            f'stoichiometry="2" constant="true"/></listOfReactants><listOfProducts><speciesReference '
            f'species="{product}" stoichiometry="1" constant="true"/></listOfProducts>'
            f'<listOfModifiers>{mods}</listOfModifiers></reaction>')


def test_modifier_signs_from_sbo_family(tmp_path):
    rxn = _reaction("r1", "A", "B", [("I", "SBO:0000020"), ("K", "SBO:0000206"), ("E", "SBO:0000460"),
                                     ("S", "SBO:0000459"), ("U", "SBO:0000019")])
    net = read_network(_write(tmp_path, COMP + _species("A", "B", "I", "K", "E", "S", "U")
                              + f"<listOfReactions>{rxn}</listOfReactions>"))
    regs = {(r.source, r.target): r.sign for r in net.regulations()}
    assert regs == {("A", "B"): 1, ("I", "B"): -1, ("K", "B"): -1, ("E", "B"): 1, ("S", "B"): 1, ("U", "B"): 0}
    reactant = net.reactions["r1"].participants[0]
    assert (reactant.role, reactant.stoichiometry) == ("reactant", 2.0)
    assert net.species["A"].initial == 2.0


def test_unknown_species_in_reaction_names_file_and_reaction(tmp_path):
    path = _write(tmp_path, COMP + _species("A") + f"<listOfReactions>{_reaction('r9', 'A', 'ghost')}</listOfReactions>")
    with pytest.raises(InputError) as err:
        read_network(path)
    assert str(path) in str(err.value) and "r9" in str(err.value) and "ghost" in str(err.value)


@pytest.mark.parametrize("text, match", [
    ("<sbml><model", "unreadable XML"),
    ("not xml at all", "unreadable XML"),
    ('<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1"></sbml>', "no <model>"),
    ("", "unreadable XML"),
])
def test_unreadable_or_empty_files(tmp_path, text, match):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        read_network(path)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_network(tmp_path / "absent.xml")


def _group(gid, refs, name=""):
    members = "".join(f'<groups:member groups:idRef="{r}"/>' for r in refs)
    return (f'<groups:group groups:id="{gid}" groups:name="{name}" groups:kind="collection">'
            f'<groups:listOfMembers>{members}</groups:listOfMembers></groups:group>')


def test_groups_become_pathways_with_nested_groups_and_reactions_expanded(tmp_path):
    groups = (_group("g1", ["A", "B"], "MAPK") + _group("g2", ["g1", "C"], "outer") + _group("g3", ["r1"]))
    body = (COMP + _species("A", "B", "C", "D") + f"<listOfReactions>{_reaction('r1', 'C', 'D')}</listOfReactions>"
            + f"<groups:listOfGroups>{groups}</groups:listOfGroups>")
    net = read_network(_write(tmp_path, body))
    assert net.pathways["g1"].members == ["A", "B"] and net.pathways["g1"].name == "MAPK"
    assert net.pathways["g2"].members == ["A", "B", "C"]
    assert net.pathways["g3"].members == ["C", "D"]


def test_group_member_to_unknown_element_is_an_input_error(tmp_path):
    body = COMP + _species("A") + f"<groups:listOfGroups>{_group('g1', ['A', 'nowhere'])}</groups:listOfGroups>"
    with pytest.raises(InputError, match="group g1.*nowhere"):
        read_network(_write(tmp_path, body))


def test_no_groups_no_pathways(tmp_path):
    net = read_network(_write(tmp_path, COMP + _species("A")))
    assert net.pathways == {}


def test_annotations_in_both_identifiers_forms_meet(tmp_path):
    rdf = ('<annotation><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns:bqbiol="http://biomodels.net/biology-qualifiers/"><rdf:Description rdf:about="#{m}">'
           '<bqbiol:is><rdf:Bag><rdf:li rdf:resource="{uri}"/></rdf:Bag></bqbiol:is>'
           '<bqbiol:hasTaxon><rdf:Bag><rdf:li rdf:resource="http://identifiers.org/taxonomy/10116"/></rdf:Bag>'
           '</bqbiol:hasTaxon></rdf:Description></rdf:RDF></annotation>')
    species = "".join(
        f'<species id="{s}" metaid="{s}m" compartment="c" hasOnlySubstanceUnits="false" boundaryCondition="false" '
        f'constant="false">{rdf.format(m=s + "m", uri=uri)}</species>'
        for s, uri in (("A", "http://identifiers.org/uniprot/P00533"), ("B", "https://identifiers.org/uniprot:P00533")))
    net = read_network(_write(tmp_path, COMP + f"<listOfSpecies>{species}</listOfSpecies>"))
    assert [x.resource for x in net.species["A"].xrefs if x.qualifier == "is"] == ["uniprot:P00533"]
    assert [x.resource for x in net.species["B"].xrefs if x.qualifier == "is"] == ["uniprot:P00533"]
    assert net.model.organism == "taxonomy:10116"
    assert read_network(_write(tmp_path, COMP + f"<listOfSpecies>{species}</listOfSpecies>", "n.xml"),
                        organism="rat").model.organism == "rat"
