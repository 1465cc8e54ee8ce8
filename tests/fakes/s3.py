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
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from tests.fakes.http import FakeServer, Request, Response


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return f'"{hashlib.md5(self.data).hexdigest()}"'


class FakeS3(FakeServer):
    methods = ("PUT", "GET", "HEAD", "DELETE")
    name = "fake-s3"
    protocol_version = "HTTP/1.1"  # keep-alive and `Expect: 100-continue`, as boto3 uses them

    def __init__(self, buckets: tuple[str, ...] = ("documents",)) -> None:
        super().__init__()
        self.buckets = set(buckets)
        self.objects: dict[tuple[str, str], StoredObject] = {}
        self.requests: list[tuple[str, str, bool]] = []  # method, path, whether it carried Authorization
        self._lock = threading.Lock()

    @property
    def endpoint_url(self) -> str:
        return self.url

    def answer(self, request: Request) -> Response:
        method, path = request.method, urlsplit(request.target).path
        authorized = bool(request.headers.get("Authorization"))
        with self._lock:
            self.requests.append((method, path, authorized))
        bucket, _, key = unquote(path).lstrip("/").partition("/")
        if not authorized:
            return _error(403, "AccessDenied", "Access Denied", key)
        if bucket not in self.buckets:
            return _error(404, "NoSuchBucket", "The specified bucket does not exist", key)
        if not key:
            return _error(501, "NotImplemented", "only object operations are faked", key)
        if method == "PUT":
            if request.headers.get("Content-Encoding", "").startswith("aws-chunked"):
                return _error(501, "NotImplemented", "aws-chunked bodies are not faked", key)
            stored = StoredObject(request.body, request.headers.get("Content-Type", "binary/octet-stream"))
            with self._lock:
                self.objects[(bucket, key)] = stored
            return _answer(200, b"", {"ETag": stored.etag})
        if method == "DELETE":
            with self._lock:
                self.objects.pop((bucket, key), None)
            return _answer(204, b"", {})
        with self._lock:
            found = self.objects.get((bucket, key))
        if found is None:
            return _error(404, "NoSuchKey", "The specified key does not exist.", key)
        return _answer(200, found.data, {
            "Content-Type": found.content_type, "ETag": found.etag, "Last-Modified": formatdate(usegmt=True)})


def _error(status: int, code: str, message: str, key: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
            f"</Message><Key>{escape(key)}</Key><RequestId>fake</RequestId></Error>").encode()
    return _answer(status, body, {"Content-Type": "application/xml"})


def _answer(status: int, body: bytes, headers: dict[str, str]) -> Response:
    """S3's answer; a HEAD's `Content-Length` is that of the body it would have had."""
    return Response(status, body, headers | {"Content-Length": str(len(body)), "x-amz-request-id": "fake"})


@contextmanager
def fake_s3(buckets: tuple[str, ...] = ("documents",)) -> Iterator[FakeS3]:
    """A fake S3 serving on 127.0.0.1 (a free port) in a background thread while the block runs."""
    with FakeS3(buckets) as fake:
        yield fake
