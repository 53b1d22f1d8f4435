"""Content negotiation: q-values, specificity, server preference, and refusals."""

import pytest

from server.negotiation import choose, prefers_html

OFFERS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]


@pytest.mark.parametrize(
    "accept,chosen",
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("application/sparql-results+xml;q=0.9, text/csv;q=0.8", "application/sparql-results+xml"),
        ("application/*;q=0.2, text/csv;q=0.1", "application/sparql-results+json"),
        ("text/*, application/sparql-results+json;q=0.5", "text/csv"),
        ("application/json", "application/sparql-results+json"),
        ("*/*;q=0.5, text/csv;q=0", "application/sparql-results+json"),
        ("image/png", None),
        ("text/csv;q=0", None),
    ],
)
def test_choose(accept, chosen):
    assert choose(OFFERS, accept) == chosen


@pytest.mark.parametrize(
    "accept,html",
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/sparql-results+json", False),
        ("*/*", False),
        (None, False),
        ("text/turtle, text/html;q=0.5", False),
    ],
)
def test_prefers_html(accept, html):
    assert prefers_html(accept) is html
