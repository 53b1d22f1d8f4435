"""Performance benchmark of the Bali Process KG endpoint against Oxigraph server and rdflib-endpoint.

`python -m bench generate` writes scaled-up data (`generate`); `python -m bench run` starts the three
servers (`servers`), runs the workload (`workload`) through the measurements (`measure`) in one harness
(`harness`) and writes the Markdown report (`report`). See docs/benchmarks.md.
"""
