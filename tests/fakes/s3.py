"""A local stand-in for an S3-compatible object store: PUT, GET, HEAD and DELETE of objects, path-style
(`/<bucket>/<key>`), answering with S3's status codes and XML errors so that boto3 reads it as it reads S3.

Signatures are not checked, only that the request carries an `Authorization` header (403 AccessDenied
otherwise). Objects live in memory; `objects` and `requests` are there for the test to look at.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return f'"{hashlib.md5(self.data).hexdigest()}"'


class FakeS3:
    def __init__(self, buckets: tuple[str, ...] = ("documents",)) -> None:
        self.buckets = set(buckets)
        self.objects: dict[tuple[str, str], StoredObject] = {}
        self.requests: list[tuple[str, str, bool]] = []  # method, path, whether it carried Authorization
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive and `Expect: 100-continue`, as boto3 uses them

            def do_PUT(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self, "PUT")

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self, "GET")

            def do_HEAD(self) -> None:  # noqa: N802
                fake._handle(self, "HEAD")

            def do_DELETE(self) -> None:  # noqa: N802
                fake._handle(self, "DELETE")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(request.path).path
        authorized = bool(request.headers.get("Authorization"))
        body = b""
        if method == "PUT":
            body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        with self._lock:
            self.requests.append((method, path, authorized))
        bucket, _, key = unquote(path).lstrip("/").partition("/")
        if not authorized:
            return self._error(request, method, 403, "AccessDenied", "Access Denied", key)
        if bucket not in self.buckets:
            return self._error(request, method, 404, "NoSuchBucket", "The specified bucket does not exist", key)
        if not key:
            return self._error(request, method, 501, "NotImplemented", "only object operations are faked", key)
        if method == "PUT":
            if request.headers.get("Content-Encoding", "").startswith("aws-chunked"):
                return self._error(request, method, 501, "NotImplemented", "aws-chunked bodies are not faked", key)
            stored = StoredObject(body, request.headers.get("Content-Type", "binary/octet-stream"))
            with self._lock:
                self.objects[(bucket, key)] = stored
            return self._send(request, method, 200, b"", {"ETag": stored.etag})
        if method == "DELETE":
            with self._lock:
                self.objects.pop((bucket, key), None)
            return self._send(request, method, 204, b"", {})
        with self._lock:
            found = self.objects.get((bucket, key))
        if found is None:
            return self._error(request, method, 404, "NoSuchKey", "The specified key does not exist.", key)
        return self._send(request, method, 200, found.data, {
            "Content-Type": found.content_type, "ETag": found.etag, "Last-Modified": formatdate(usegmt=True)})

    def _error(self, request: BaseHTTPRequestHandler, method: str, status: int, code: str, message: str,
               key: str) -> None:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
                f"</Message><Key>{escape(key)}</Key><RequestId>fake</RequestId></Error>").encode()
        self._send(request, method, status, body, {"Content-Type": "application/xml"})

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, method: str, status: int, body: bytes, headers: dict[str, str]) -> None:
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.send_header("x-amz-request-id", "fake")
        request.end_headers()
        if method != "HEAD" and status != 204:
            request.wfile.write(body)


@contextmanager
def fake_s3(buckets: tuple[str, ...] = ("documents",)) -> Iterator[FakeS3]:
    """A fake S3 serving on 127.0.0.1 (a free port) in a background thread while the block runs."""
    fake = FakeS3(buckets)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
