"""The bundled SBML-qual reference network equals the published Netflux workbook."""
from __future__ import annotations

from pathlib import Path

from hmlm_sb.io.netflux import read_netflux
from hmlm_sb.resources import REFERENCE_FILE, reference_network


def test_bundled_network_equals_published_xlsx(rogers_xlsx: Path) -> None:
    bundled = reference_network()
    published = read_netflux(rogers_xlsx)
    assert (len(bundled.species), len(bundled.reactions), len(bundled.pathways)) == (109, 172, 8)
    assert bundled.fingerprint() == published.fingerprint()
    for rid, rxn in published.reactions.items():
        mine = bundled.reactions[rid]
        assert (mine.rule, mine.params, mine.module, mine.references) == (rxn.rule, rxn.params, rxn.module, rxn.references)
        assert [(p.species, p.role, p.sign) for p in mine.participants] == \
            [(p.species, p.role, p.sign) for p in rxn.participants]
    for sid, sp in published.species.items():
        mine = bundled.species[sid]
        assert (mine.name, mine.initial, mine.ymax, mine.tau, mine.kind, mine.gene) == \
            (sp.name, sp.initial, sp.ymax, sp.tau, sp.kind, sp.gene)
    assert {k: sorted(v.members) for k, v in bundled.pathways.items()} == \
        {k: sorted(v.members) for k, v in published.pathways.items()}


def test_bundled_provenance() -> None:
    info = reference_network().model
    assert info.id == "Rogers2022" and info.format == "bundled"
    assert "eLife" in info.citation and "62856" in info.citation
    assert REFERENCE_FILE.stat().st_size > 0 and b"qual" in REFERENCE_FILE.read_bytes()[:2000]
