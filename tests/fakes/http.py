"""The HTTP part every fake third-party server shares: listening on 127.0.0.1 on a free port from a background
thread, reading a request (with its JSON body) and writing an answer (JSON or not, with status and headers).

A fake subclasses `FakeServer` and answers each request in `answer()`; the rest of it is its provider's behaviour.
We write this ourselves rather than use pytest-httpserver because our fakes are stateful models of their
providers (Stripe, Resend and OpenAI keep objects, keys and programmed replies) that the real SDKs are pointed at,
not lists of canned answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self


@dataclass
class Request:
    """One request as received: `target` is the path with its query string, `headers` are case-insensitive."""

    method: str
    target: str
    headers: Message
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def lower_headers(self) -> dict[str, str]:
        """The headers as a plain dict with lower-cased names."""
        return {name.lower(): value for name, value in self.headers.items()}

    def json(self) -> Any:
        """The decoded body: None without a body, the text when it is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode(errors="replace")


@dataclass
class Response:
    """What to answer. `Content-Length` is added unless given (a HEAD answer gives the object's); no body is
    written for HEAD or 204. `drop` hangs up without answering; `after` runs once the answer is written (or dropped)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    after: Callable[[], None] | None = None


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None, *,
                  content_type: str = "application/json", indent: int | None = None) -> Response:
    """`body` JSON-encoded, after `headers` and with `Content-Type`."""
    return Response(status, json.dumps(body, indent=indent).encode(),
                    {**(headers or {}), "Content-Type": content_type})


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class _Handler(BaseHTTPRequestHandler):
    fake: FakeServer

    def _serve(self) -> None:
        response = self.fake.answer(Request(self.command, self.path, self.headers, _read_body(self)))
        try:
            if response is None:
                self.send_error(404)
            elif response.drop:
                self.close_connection = True
            else:
                self._write(response)
        finally:
            if response is not None and response.after is not None:
                response.after()

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if "Content-Length" not in response.headers:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.status != 204:
            self.wfile.write(response.body)

    def log_message(self, *args: Any) -> None:
        pass  # keep test output clean


class FakeServer:
    """A local HTTP server answering with `answer()`. Start with `start()` (or as a context manager), stop with
    `stop()`; `url` is `http://127.0.0.1:<port>` while it runs.

    `methods` are the HTTP methods it accepts (others get http.server's 501), `name` names its thread, and
    `protocol_version` "HTTP/1.1" keeps connections alive (the default answers once and closes).
    """

    methods: ClassVar[tuple[str, ...]] = ("GET", "POST", "DELETE")
    name: ClassVar[str] = "fake"
    protocol_version: ClassVar[str] = "HTTP/1.0"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def answer(self, request: Request) -> Response | None:
        """The answer to `request`; None answers http.server's own 404 page."""
        raise NotImplementedError

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def start(self) -> Self:
        """Listen on 127.0.0.1 on a free port and serve in a background thread."""
        serve = {f"do_{method}": _Handler._serve for method in self.methods}
        handler = type("Handler", (_Handler,), {"fake": self, "protocol_version": self.protocol_version, **serve})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        # A short poll interval so that stop() (shutdown) returns quickly.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.name}-{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket: later calls get "connection refused", like the provider being down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
