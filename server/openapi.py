"""OpenAPI: adds one documented operation per ready-made query, with its typed parameters and examples.

The HTTP route is generic (`/queries/{query_id}`); this module makes each query visible in `/docs` and
`/openapi.json` as `/queries/<id>` so that tools and people see its parameters without reading the file.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from . import formats

_SCHEMAS = {
    "iri": {"type": "string", "format": "uri"},
    "iso3": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "year": {"type": "string", "pattern": "^[0-9]{4}$"},
    "date": {"type": "string", "format": "date"},
    "language": {"type": "string"},
    "enum": {"type": "string"},
}


def openapi_with_queries(app: FastAPI) -> dict:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for query in app.state.kg.catalogue.available(app.state.kg.settings.service_allowlist):
        parameters = []
        for param in query.params:
            spec = dict(_SCHEMAS[param.type])
            if param.enum:
                spec["enum"] = list(param.enum)
            if param.default is not None:
                spec["default"] = param.default
            parameters.append(
                {
                    "name": param.name,
                    "in": "query",
                    "required": param.required and param.default is None,
                    "description": param.description,
                    "schema": spec,
                    "example": param.example,
                }
            )
        parameters.append(
            {
                "name": "format",
                "in": "query",
                "required": False,
                "description": "Result format (json, xml, csv, tsv; ttl, nt, jsonld for graphs); overrides Accept.",
                "schema": {"type": "string"},
            }
        )
        types = formats.offers("graph" if query.form == "graph" else "bindings")
        schema["paths"][f"/queries/{query.id}"] = {
            "get": {
                "tags": ["ready-made queries"],
                "summary": query.title,
                "description": query.description
                + (
                    "\n\nColumns: " + "; ".join(f"`{c.name}` — {c.description}" for c in query.columns)
                    if query.columns
                    else ""
                ),
                "operationId": "query_" + query.id.replace("-", "_"),
                "parameters": parameters,
                "responses": {
                    "200": {"description": "Query results", "content": {t: {} for t in types}},
                    "400": {"description": "A parameter does not fit its type", "content": {"text/plain": {}}},
                },
            }
        }
    app.openapi_schema = schema
    return schema
