"""HTTP routers, one module per concern: `sparql` (the SPARQL 1.1 Protocol endpoint), `health`."""
