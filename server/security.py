"""Security headers: what every response tells a browser about how it may be used.

A pure ASGI middleware (no body buffering) adds, to every response that does not set them itself:
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


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in HEADERS if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
