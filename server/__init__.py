"""Bali Process Knowledge Graph: the Python package behind the `balikg` command and the SPARQL endpoint.

Modules are named by the noun they own: `settings` (configuration), `datafiles` (where the graph's files
are and how they are named), `loader` (parsing them), `validation` (SHACL), `store` (the query engines),
`cli` (the command line).
"""

__version__ = "0.1.0"
