"""Files shipped with the package: the reference network and the named conditions."""
from __future__ import annotations

import hashlib
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
REFERENCE_FILE = RESOURCES / "rogers2022_fibroblast.sbml"
CONDITIONS_FILE = RESOURCES / "conditions.toml"


def reference_network() -> "Network":  # noqa: F821
    """The cardiac fibroblast network of Rogers & Richardson 2022 (eLife 62856):
    109 species, 172 reactions, 8 modules, published Netflux parameters."""
    from hmlm_sb.io.sbml_qual import read_sbml_qual

    network = read_sbml_qual(REFERENCE_FILE)
    info = network.model
    info.format = "bundled"
    info.source_file = f"hmlm_sb/resources/{REFERENCE_FILE.name}"
    info.sha256 = hashlib.sha256(REFERENCE_FILE.read_bytes()).hexdigest()
    return network
