"""Small made-up worlds for pinning what the shipped ready-made queries decide: the ontology plus a few
records written for the test (no real facts), so a rule is tested independently of the real data."""

import pyoxigraph as ox

from server.catalogue import Catalogue
from server.datafiles import DataLayout

CATALOGUE = Catalogue()
PREFIXES = """
@prefix bp: <https://w3id.org/bali-process-kg/def#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix id: <https://w3id.org/bali-process-kg/id/> .
@prefix src: <https://example.org/source/> .
@prefix wikibase: <http://wikiba.se/ontology#> .

id:instrument\\/tip-protocol a bp:Instrument .
"""


def state(code: str) -> str:
    """A member state of the forum, named and coded `code`."""
    return (
        f'id:state\\/{code} a bp:State ; rdfs:label "{code}"@en ; bp:iso3 "{code}" .\n'
        f"id:membership\\/{code.lower()} org:member id:state\\/{code} ; "
        "org:organization id:forum\\/bali-process ; org:role bp:MemberRole .\n"
    )


def store_of(turtle: str) -> ox.Store:
    """The ontology and `turtle` (written with `PREFIXES`) in one store."""
    store = ox.Store()
    store.load(path=str(DataLayout().ontology_file), format=ox.RdfFormat.TURTLE)
    store.load((PREFIXES + turtle).encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return store


def run(store: ox.Store, query_id: str, **values) -> list[dict]:
    """The rows of ready-made query `query_id` with parameters `values`, as variable → value text."""
    query = CATALOGUE.get(query_id)
    substitutions = {ox.Variable(name): binding.to_term() for name, binding in query.bindings(values).items()}
    solutions = store.query(query.body, substitutions=substitutions)
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]
