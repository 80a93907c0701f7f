import pytest

from hmlm_sb.io.annotations import normalise_uri, taxon_of, xref_uri
from hmlm_sb.network import Xref


@pytest.mark.parametrize("uri", [
    "http://identifiers.org/uniprot/P00533",
    "https://identifiers.org/uniprot:P00533",
    "https://identifiers.org/uniprot/P00533",
    "urn:miriam:uniprot:P00533",
    "http://purl.uniprot.org/uniprot/P00533",
    "https://www.uniprot.org/uniprot/P00533",
    " http://identifiers.org/UniProt/P00533 ",
])
def test_uniprot_forms_normalise_to_one_id(uri):
    assert normalise_uri(uri) == "uniprot:P00533"


@pytest.mark.parametrize("uri", [
    "http://identifiers.org/go/GO:0005154",
    "https://identifiers.org/GO:0005154",
    "urn:miriam:obo.go:GO%3A0005154",
    "http://identifiers.org/obo.go/GO:0005154",
    "http://purl.obolibrary.org/obo/GO_0005154",
])
def test_embedded_prefix_namespaces_keep_their_prefix(uri):
    assert normalise_uri(uri) == "go:GO:0005154"


def test_other_namespaces():
    assert normalise_uri("http://identifiers.org/taxonomy/10116") == "taxonomy:10116"
    assert normalise_uri("urn:miriam:taxonomy:9606") == "taxonomy:9606"
    assert normalise_uri("http://identifiers.org/chebi/CHEBI:15422") == "chebi:CHEBI:15422"
    assert normalise_uri("urn:miriam:pubmed:10712587") == "pubmed:10712587"
    assert normalise_uri("http://identifiers.org/kegg.compound/C00002") == "kegg.compound:C00002"
    assert normalise_uri("https://doi.org/10.7554/eLife.62856") == "doi:10.7554/eLife.62856"


def test_unknown_uri_is_kept_whole():
    assert normalise_uri("http://example.org/thing/1") == "uri:http://example.org/thing/1"


@pytest.mark.parametrize("resource", ["uniprot:P00533", "go:GO:0005154", "taxonomy:9606",
                                      "uri:http://example.org/x", "kegg.compound:C00002",
                                      "doi:10.7554/eLife.62856"])
def test_written_uri_reads_back(resource):
    assert normalise_uri(xref_uri(resource)) == resource


def test_taxon_from_has_taxon():
    xrefs = [Xref("uniprot:P00533", "is"), Xref("taxonomy:10116", "hasTaxon")]
    assert taxon_of(xrefs) == "taxonomy:10116"
    assert taxon_of([Xref("uniprot:P00533")]) == ""
