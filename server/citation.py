"""Citation: how to cite the dataset (and an entity in it), made from CITATION.cff.

The text a page shows, a BibTeX entry (`/cite.bib`), CSL-JSON (`/cite.json`, for Zotero and citation
processors) and schema.org JSON-LD for a page's `<script type="application/ld+json">` block (for search
engines and dataset search) all come from the one CITATION.cff shipped with the package, plus the served
data version and the day of access.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

import yaml

from .datafiles import ROOT

SCHEMA_TYPES = {  # bp: class → schema.org type of its page
    "State": "Country",
    "Territory": "AdministrativeArea",
    "InternationalOrganisation": "Organization",
    "Forum": "Organization",
    "Body": "Organization",
    "LegalAct": "Legislation",
    "ActionPlan": "CreativeWork",
    "Instrument": "Legislation",
    "Event": "Event",
    "Meeting": "Event",
}


@lru_cache(maxsize=1)
def metadata() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _authors() -> str:
    return " and ".join(
        a.get("name") or f"{a.get('family-names', '')}, {a.get('given-names', '')}" for a in metadata()["authors"]
    )


def text(data_version: str, iri: str | None = None, today: dt.date | None = None) -> str:
    meta, today = metadata(), today or dt.date.today()
    year = str(meta["date-released"])[:4]
    what = f"“{iri}”, in " if iri else ""
    return (
        f"{_authors()} ({year}). {what}{meta['title']}, version {meta['version']} (data {data_version}) "
        f"[data set]. {meta['url']} (accessed {today.isoformat()})."
    )


def bibtex(data_version: str, today: dt.date | None = None) -> str:
    meta, today = metadata(), today or dt.date.today()
    return (
        "@misc{bali_process_kg,\n"
        f"  author = {{{{{_authors()}}}}},\n"
        f"  title = {{{{{meta['title']}}}}},\n"
        f"  year = {{{str(meta['date-released'])[:4]}}},\n"
        f"  version = {{{meta['version']} (data {data_version})}},\n"
        f"  howpublished = {{\\url{{{meta['url']}}}}},\n"
        f"  note = {{Data set, {meta['license']}; accessed {today.isoformat()}}}\n"
        "}\n"
    )


def csl_json(data_version: str, today: dt.date | None = None) -> str:
    meta, today = metadata(), today or dt.date.today()
    released = str(meta["date-released"])
    item = {
        "id": "bali-process-kg",
        "type": "dataset",
        "title": meta["title"],
        "author": [
            {"literal": a["name"]} if "name" in a else {"family": a.get("family-names"), "given": a.get("given-names")}
            for a in meta["authors"]
        ],
        "issued": {"date-parts": [[int(part) for part in released.split("-")]]},
        "accessed": {"date-parts": [[today.year, today.month, today.day]]},
        "version": f"{meta['version']} (data {data_version})",
        "URL": meta["url"],
        "abstract": meta.get("abstract", ""),
    }
    return json.dumps([item], indent=2, ensure_ascii=False)


def dataset_jsonld(data_version: str, base_url: str) -> str:
    """schema.org `Dataset` for the home page."""
    meta = metadata()
    return _script(
        {
            "@context": "https://schema.org/",
            "@type": "Dataset",
            "name": meta["title"],
            "description": meta.get("abstract", ""),
            "url": meta["url"],
            "version": f"{meta['version']} (data {data_version})",
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "keywords": meta.get("keywords", []),
            "creator": [{"@type": "Organization", "name": a.get("name", "")} for a in meta["authors"]],
            "distribution": [
                {
                    "@type": "DataDownload",
                    "encodingFormat": "text/turtle",
                    "contentUrl": base_url + "dumps/bali-process-kg.ttl.gz",
                }
            ],
        }
    )


def entity_jsonld(iri: str, name: str, classes: set[str], same_as: list[str], data_version: str) -> str:
    """schema.org description of an entity page (Country, Organization, Legislation, Event…)."""
    kinds = [SCHEMA_TYPES[c.rsplit("#", 1)[-1]] for c in sorted(classes) if c.rsplit("#", 1)[-1] in SCHEMA_TYPES]
    return _script(
        {
            "@context": "https://schema.org/",
            "@type": kinds[0] if kinds else "Thing",
            "@id": iri,
            "name": name,
            "sameAs": same_as,
            "isPartOf": {
                "@type": "Dataset",
                "name": metadata()["title"],
                "url": metadata()["url"],
                "version": f"{metadata()['version']} (data {data_version})",
            },
        }
    )


def _script(document: dict) -> str:
    # `</` cannot appear in a JSON string here, so the block cannot be closed early by the data.
    return json.dumps(document, ensure_ascii=False).replace("</", "<\\/")
