"""Bali Process Knowledge Graph: the Python package behind the `balikg` command and the SPARQL endpoint.

Modules are named by the noun they own: `settings` (configuration), `datafiles` (where the graph's files
are and how they are named), `loader` (parsing them), `validation` (SHACL), `dataset` (writing the store
directory), `store` (the query engines), `executor` (worker processes), `service` (the one query path),
`errors` (failures and their HTTP answers), `formats` (every format, once), `app` and `routers/` (HTTP),
`cli` (the command line). The version is the installed package's, declared once in pyproject.toml.
"""

from importlib.metadata import version

__version__ = version("bali-process-kg")
