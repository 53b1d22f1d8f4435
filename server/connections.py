"""Connections: the limits on one HTTP connection that uvicorn does not set itself.

`balikg serve` runs uvicorn with `LimitedHttpToolsProtocol`, its httptools protocol with three limits:
- the request head (request line and headers) may hold at most `max_header_bytes` bytes and
  `max_headers` header fields; past either the client gets 431 and the connection is closed, before the
  app sees anything (an 8 MB header would otherwise be parsed and handed to the app);
- a request must arrive whole — head and body — within `request_read_timeout` seconds of its first byte
  (and a new connection must start one within that time), or the client gets 408 and the connection is
  closed, so slow or silent clients cannot hold connections open;
- everything else is uvicorn's own (its flow control pauses reading while a body waits to be consumed,
  so a large body never piles up unread; the app stops reading one at `max_body_bytes`).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import Settings


def _answer(status: int, reason: str, message: str) -> bytes:
    body = message.encode() + b"\n"
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


def protocol_for(settings: Settings) -> type[HttpToolsProtocol]:
    """The protocol class uvicorn runs, with `settings`' limits."""

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        max_header_bytes = settings.max_header_bytes
        max_headers = settings.max_headers
        read_timeout = settings.request_read_timeout

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._head_bytes = 0
            self._header_count = 0
            self._in_head = True
            self._refused = False
            self._reading = None
            self._start_read_clock()

        def _start_read_clock(self) -> None:
            if self._reading is None:
                self._reading = self.loop.call_later(self.read_timeout, self._read_too_slow)

        def _stop_read_clock(self) -> None:
            if self._reading is not None:
                self._reading.cancel()
                self._reading = None

        def _read_too_slow(self) -> None:
            self._reading = None
            if self.cycle is None or self._in_head or not self.cycle.response_started:
                self._refuse(408, "Request Timeout", f"the request did not arrive whole within {self.read_timeout:g} s")

        def _refuse(self, status: int, reason: str, message: str) -> None:
            if self._refused or self.transport.is_closing():
                return
            self._refused = True
            self._stop_read_clock()
            if self.cycle is not None and self.cycle.response_started:
                self.transport.close()
                return
            self.transport.write(_answer(status, reason, message))
            self.transport.close()

        def connection_lost(self, exc) -> None:
            self._stop_read_clock()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._in_head:
                end = data.find(b"\r\n\r\n")
                self._head_bytes += len(data) if end < 0 else end + 4
                if self._head_bytes > self.max_header_bytes:
                    self._refuse(
                        431,
                        "Request Header Fields Too Large",
                        f"the request head is larger than {self.max_header_bytes} bytes",
                    )
                    return
            super().data_received(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = True
            self._header_count = 0
            self._start_read_clock()

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_count += 1
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._head_bytes = 0
            if self._header_count > self.max_headers:
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    f"the request has more than {self.max_headers} header fields",
                )
                return
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._stop_read_clock()
            self._in_head, self._head_bytes = True, 0  # what comes next on this connection is a new head
            if not self._refused:
                super().on_message_complete()

    return LimitedHttpToolsProtocol
