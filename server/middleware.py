"""Middleware: what every request and response gets, whatever route serves it, in one pure ASGI layer
(no body buffering; each layer costs every request).

It answers `HEAD` on every `GET` route: the route runs as for GET, the client gets the same status and
headers (Content-Length included) and no body — link checkers, crawlers and `curl -I` need it.

It adds, to every response that does not set them itself:
a Content-Security-Policy that allows scripts, styles and images from this site only — no inline
scripts (JSON-LD data blocks are not scripts and stay allowed), no plug-ins, no framing by other sites;
`X-Content-Type-Options: nosniff`, so a text/plain error is never sniffed as HTML; `X-Frame-Options`;
and a Referrer-Policy that sends only the origin to other sites.
"""

from __future__ import annotations

HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


class SiteHeaders:
    """Both jobs in one layer (each layer costs every request): HEAD as GET, and the security headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        head = scope["method"] == "HEAD"
        ended = False

        async def send_with_headers(message):
            nonlocal ended
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in HEADERS if name not in present),
                ]
            elif head and message["type"] == "http.response.body":
                if ended:
                    return
                ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"} if head else scope, receive, send_with_headers)
