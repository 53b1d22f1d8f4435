"""Scale-up data: the real graph's shape multiplied ×N with fresh IRIs, conforming to the shapes.

Every data file is parsed and written back (as N-Triples, which is valid Turtle, under the same file name
so it lands in the same named graph) N times: copy 0 is the original, copy k ≥ 1 rewrites
- every IRI under `id/` to `<iri>-x<k>` (memberships, treaty actions, laws, plans, events, rankings …),
- every jurisdiction (anything with `bp:iso3`) to a fresh three-letter code used both as the IRI's last
  segment and as its `bp:iso3`, because the shapes require the two to match,
- every source URL (a `bp:Source`, or the object of `dcterms:source`) to `<url>#copy-<k>`,
- every blank node to a fresh one.
The forum `id/forum/bali-process` and the instruments `id/instrument/*` are kept shared: the ready-made
queries name them in their text or parameters, so copies of members and treaty actions stay reachable
and the queries' answers grow with N. Three capital letters give 17 576 codes, enough for about 290
copies of the real graph's jurisdictions; beyond that, copies reuse the codes of earlier copies (their
jurisdictions are then shared; conformance of such output is not tested). Validation is `balikg
validate`'s job; this module only writes files.
"""

from __future__ import annotations

import itertools
import string
from pathlib import Path

import pyoxigraph as ox

from server.datafiles import DataLayout

ID = "https://w3id.org/bali-process-kg/id/"
ISO3 = ox.NamedNode("https://w3id.org/bali-process-kg/def#iso3")
SOURCE_CLASS = ox.NamedNode("https://w3id.org/bali-process-kg/def#Source")
SOURCE = ox.NamedNode("http://purl.org/dc/terms/source")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")
SHARED = (ID + "forum/bali-process", ID + "instrument/")


def _is_shared(iri: str) -> bool:
    return iri == SHARED[0] or iri.startswith(SHARED[1])


class Copier:
    """Rewrites the terms of one graph for copy k; built once from every file's triples."""

    def __init__(self, triples: list[ox.Triple]):
        self.codes = {t.subject.value: t.object.value for t in triples if t.predicate == ISO3}
        self.sources = {t.subject.value for t in triples if t.predicate == RDF_TYPE and t.object == SOURCE_CLASS}
        self.sources |= {
            t.object.value for t in triples if t.predicate == SOURCE and isinstance(t.object, ox.NamedNode)
        }
        taken = set(self.codes.values())
        self.free = [c for c in map("".join, itertools.product(string.ascii_uppercase, repeat=3)) if c not in taken]
        self.order = {iri: i for i, iri in enumerate(sorted(self.codes))}

    def code(self, iri: str, k: int) -> str:
        index = (k - 1) * len(self.order) + self.order[iri]
        return self.free[index % len(self.free)]

    def term(self, term, k: int):
        if isinstance(term, ox.BlankNode):
            return ox.BlankNode(f"{term.value}x{k}")
        if isinstance(term, ox.Literal):
            return term
        iri = term.value
        if iri in self.codes:
            return ox.NamedNode(iri.rsplit("/", 1)[0] + "/" + self.code(iri, k))
        if iri in self.sources:
            return ox.NamedNode(iri + (f"-copy-{k}" if "#" in iri else f"#copy-{k}"))
        if iri.startswith(ID) and not _is_shared(iri):
            return ox.NamedNode(f"{iri}-x{k}")
        return term

    def copy(self, triple: ox.Triple, k: int) -> ox.Triple:
        if k == 0:
            return triple
        if triple.predicate == ISO3:
            return ox.Triple(
                self.term(triple.subject, k), ISO3, ox.Literal(self.code(triple.subject.value, k), datatype=XSD_STRING)
            )
        return ox.Triple(self.term(triple.subject, k), triple.predicate, self.term(triple.object, k))


def generate(factor: int, out: Path, data_dir: Path | None = None) -> dict[str, int]:
    """Write the ×`factor` graph into `out` (one file per real data file); return triples per file."""
    if factor < 1:
        raise ValueError("factor must be at least 1")
    files = DataLayout.for_data_dir(data_dir).data_files()
    parsed = {}
    for path in files:
        if path.suffix != ".ttl":
            raise ValueError(f"{path.name}: only Turtle data files can be scaled")
        parsed[path] = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=ID))
    copier = Copier([t for triples in parsed.values() for t in triples])
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for path, triples in parsed.items():
        with (out / path.name).open("wb") as handle:
            for k in range(factor):
                handle.write(ox.serialize([copier.copy(t, k) for t in triples], format=ox.RdfFormat.N_TRIPLES))
        counts[path.name] = len(triples) * factor
    return counts
