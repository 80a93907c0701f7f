"""MIRIAM annotations (CVTerms) to normalised :class:`Xref` ``namespace:accession``.

All these give ``uniprot:P00533``::

    http://identifiers.org/uniprot/P00533
    https://identifiers.org/uniprot:P00533
    urn:miriam:uniprot:P00533
    http://purl.uniprot.org/uniprot/P00533

Namespaces whose accessions carry their own prefix (GO, ChEBI...) keep it in the
accession: ``http://identifiers.org/go/GO:0005154`` and ``https://identifiers.org/GO:0005154``
both give ``go:GO:0005154``. A URI of no known form is kept whole as ``uri:<URI>``.
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator
from urllib.parse import unquote

from hmlm_sb.network import Xref

# Namespaces whose local ids embed an upper-case prefix: "GO:0005154", "CHEBI:15377".
EMBEDDED_PREFIX = {"go": "GO", "chebi": "CHEBI", "sbo": "SBO", "eco": "ECO", "cl": "CL",
                   "uberon": "UBERON", "doid": "DOID", "pr": "PR", "so": "SO", "bto": "BTO",
                   "fma": "FMA", "hp": "HP", "mod": "MOD", "mi": "MI", "pato": "PATO"}
# Old MIRIAM / identifiers.org names and synonyms to the current prefix.
NAMESPACE_ALIASES = {"obo.go": "go", "obo.chebi": "chebi", "obo.sbo": "sbo", "biomodels.sbo": "sbo",
                     "obo.eco": "eco", "obo.cl": "cl", "obo.pr": "pr", "obo.bto": "bto", "obo.fma": "fma",
                     "ncbitaxon": "taxonomy", "taxon": "taxonomy", "ec": "ec-code",
                     "uniprotkb": "uniprot", "entrez.gene": "ncbigene", "entrez": "ncbigene",
                     "pubmed.id": "pubmed", "kegg": "kegg.compound"}

_IDENTIFIERS = re.compile(r"^https?://(?:www\.)?identifiers\.org/(.+)$", re.IGNORECASE)
_URN = re.compile(r"^urn:miriam:([^:]+):(.+)$", re.IGNORECASE)
_PURL_OBO = re.compile(r"^https?://purl\.obolibrary\.org/obo/([A-Za-z]+)_(.+)$", re.IGNORECASE)
_PURL_UNIPROT = re.compile(r"^https?://purl\.uniprot\.org/(uniprot|taxonomy)/(.+)$", re.IGNORECASE)
_UNIPROT_WEB = re.compile(r"^https?://(?:www|rest)\.uniprot\.org/uniprot(?:kb)?/([A-Z0-9-]+)", re.IGNORECASE)
_PUBMED_WEB = re.compile(r"^https?://(?:www\.ncbi\.nlm\.nih\.gov/pubmed|pubmed\.ncbi\.nlm\.nih\.gov)/(\d+)")
_DOI_WEB = re.compile(r"^https?://(?:dx\.)?doi\.org/(.+)$", re.IGNORECASE)


def normalise_uri(uri: str) -> str:
    """The ``namespace:accession`` form of a MIRIAM / identifiers.org / purl URI."""
    uri = uri.strip()
    if m := _IDENTIFIERS.match(uri):
        rest = m.group(1)
        slash, colon = rest.find("/"), rest.find(":")
        if colon != -1 and (slash == -1 or colon < slash):  # compact form: prefix:accession
            ns, acc = rest.split(":", 1)
        elif slash != -1:  # old form: namespace/accession
            ns, acc = rest.split("/", 1)
        else:
            return f"uri:{uri}"
        return _join(ns, unquote(acc))
    if m := _URN.match(uri):
        return _join(m.group(1), unquote(m.group(2)))
    if m := _PURL_OBO.match(uri):
        return _join(m.group(1), f"{m.group(1).upper()}:{m.group(2)}")
    if m := _PURL_UNIPROT.match(uri):
        return _join(m.group(1), m.group(2))
    if m := _UNIPROT_WEB.match(uri):
        return _join("uniprot", m.group(1))
    if m := _PUBMED_WEB.match(uri):
        return _join("pubmed", m.group(1))
    if m := _DOI_WEB.match(uri):
        return _join("doi", unquote(m.group(1)))
    return f"uri:{uri}"


def _join(namespace: str, accession: str) -> str:
    ns = namespace.strip().lower()
    ns = NAMESPACE_ALIASES.get(ns, ns)
    acc = accession.strip()
    prefix = EMBEDDED_PREFIX.get(ns)
    if prefix and not acc.upper().startswith(prefix + ":"):
        acc = f"{prefix}:{acc}"
    elif prefix:
        acc = prefix + acc[len(prefix):]
    return f"{ns}:{acc}"


def xref_uri(resource: str) -> str:
    """The identifiers.org URI written for a normalised resource (inverse of normalise_uri)."""
    ns, _, acc = resource.partition(":")
    if ns == "uri":
        return acc
    if ns in EMBEDDED_PREFIX:
        return f"https://identifiers.org/{acc}"
    return f"https://identifiers.org/{ns}:{acc}"


# ---- libsbml CVTerms -----------------------------------------------------------------------

_BIO_QUALIFIERS = ("is", "hasPart", "isPartOf", "isVersionOf", "hasVersion", "isHomologTo",
                   "isDescribedBy", "isEncodedBy", "encodes", "occursIn", "hasProperty",
                   "isPropertyOf", "hasTaxon")
_MODEL_QUALIFIERS = ("is", "isDescribedBy", "isDerivedFrom", "isInstanceOf", "hasInstance")
MODEL_QUALIFIER_PREFIX = "model:"


def _qualifier_tables():
    import libsbml

    bio = {getattr(libsbml, "BQB_" + _snake(q).upper()): q for q in _BIO_QUALIFIERS
           if hasattr(libsbml, "BQB_" + _snake(q).upper())}
    model = {getattr(libsbml, "BQM_" + _snake(q).upper()): q for q in _MODEL_QUALIFIERS
             if hasattr(libsbml, "BQM_" + _snake(q).upper())}
    return bio, model


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name)


_TABLES: tuple[dict[int, str], dict[int, str]] | None = None


def _tables() -> tuple[dict[int, str], dict[int, str]]:
    global _TABLES
    if _TABLES is None:
        _TABLES = _qualifier_tables()
    return _TABLES


def qualifier_name(name: str, *, model: bool) -> str:
    """A MIRIAM qualifier as an Xref keeps it: ``is``, ``model:isDescribedBy``; ``unknown`` if not ours."""
    known = _MODEL_QUALIFIERS if model else _BIO_QUALIFIERS
    name = name if name in known else "unknown"
    return MODEL_QUALIFIER_PREFIX + name if model else name


def collect_xrefs(terms: Iterable[tuple[str, str]]) -> list[Xref]:
    """``(qualifier, uri)`` pairs as normalised Xrefs, first occurrence kept (both SBML readers)."""
    out: list[Xref] = []
    seen: set[tuple[str, str]] = set()
    for qualifier, uri in terms:
        key = (normalise_uri(uri), qualifier)
        if key not in seen:
            seen.add(key)
            out.append(Xref(*key))
    return out


def xrefs_of(sbase) -> list[Xref]:
    """The CVTerms of a libsbml element as Xrefs (model qualifiers prefixed ``model:``)."""
    terms = sbase.getCVTerms() if sbase.isSetAnnotation() else None
    if not terms:
        return []
    return collect_xrefs(_cvterm_pairs(terms))


def _cvterm_pairs(terms) -> Iterator[tuple[str, str]]:
    import libsbml

    bio, model = _tables()
    for term in terms:
        if term.getQualifierType() == libsbml.MODEL_QUALIFIER:
            qualifier = qualifier_name(model.get(term.getModelQualifierType(), ""), model=True)
        else:
            qualifier = qualifier_name(bio.get(term.getBiologicalQualifierType(), ""), model=False)
        for i in range(term.getNumResources()):
            yield qualifier, term.getResourceURI(i)


def add_cvterms(sbase, xrefs: list[Xref]) -> None:
    """Write Xrefs as CVTerms on a libsbml element (it needs a metaid)."""
    import libsbml

    bio, model = _tables()
    bio_codes = {v: k for k, v in bio.items()}
    model_codes = {v: k for k, v in model.items()}
    for x in xrefs:
        if x.qualifier.startswith(MODEL_QUALIFIER_PREFIX):
            code = model_codes.get(x.qualifier[len(MODEL_QUALIFIER_PREFIX):])
            if code is None:
                continue
            term = libsbml.CVTerm(libsbml.MODEL_QUALIFIER)
            term.setModelQualifierType(code)
        else:
            code = bio_codes.get(x.qualifier)
            if code is None:
                continue
            term = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
            term.setBiologicalQualifierType(code)
        term.addResource(xref_uri(x.resource))
        sbase.addCVTerm(term)


def taxon_of(xrefs: list[Xref]) -> str:
    """The first ``hasTaxon`` (or taxonomy) resource, e.g. ``taxonomy:10116``; '' if none."""
    for x in xrefs:
        if x.qualifier == "hasTaxon" or (x.namespace == "taxonomy" and x.qualifier in ("is", "hasTaxon")):
            return x.resource
    return ""
