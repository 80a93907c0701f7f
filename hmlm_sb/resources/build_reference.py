"""Build the bundled reference network (run once; the output is committed).

    python -m hmlm_sb.resources.build_reference ../shared/data/netflux/Rogers2022_snm_1_1_rev4.xlsx

Reads the published Netflux workbook of Rogers & Richardson 2022 and writes it as
SBML-qual (L3V1 qual + groups; Netflux parameters, y0, ymax and tau in hmlm annotations)
to ``hmlm_sb/resources/rogers2022_fibroblast.sbml``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from hmlm_sb.io.netflux import read_netflux
from hmlm_sb.io.sbml_qual import write_sbml_qual
from hmlm_sb.network import Xref

REFERENCE_FILE = Path(__file__).resolve().parent / "rogers2022_fibroblast.sbml"
MODEL_ID = "Rogers2022"
CITATION = ("Rogers JD, Richardson WJ. Fibroblast mechanotransduction network predicts targets for "
            "mechano-adaptive infarct therapies. eLife 2022;11:e62856. doi:10.7554/eLife.62856 "
            "(network snm_1_1_rev4, SysMechBioLab/Fibroblast_Signaling_Network_Model)")


def build(xlsx: str | Path, out: str | Path = REFERENCE_FILE) -> Path:
    network = read_netflux(xlsx, model_id=MODEL_ID)
    info = network.model
    info.name = "Cardiac fibroblast signaling network (Rogers & Richardson 2022)"
    info.source_file = Path(xlsx).name
    info.citation = CITATION
    info.xrefs.append(Xref("doi:10.7554/eLife.62856", "isDescribedBy"))
    return write_sbml_qual(network, out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(build(sys.argv[1]))
