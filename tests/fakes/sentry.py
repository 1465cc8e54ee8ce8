"""A local stand-in for Sentry's ingest endpoint: records every envelope the real SDK sends."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.http import FakeServer, Request, Response


class FakeSentry(FakeServer):
    methods = ("POST",)
    name = "fake-sentry"

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[list[dict]] = []

    def answer(self, request: Request) -> Response:
        body = request.body
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append([json.loads(line) for line in body.splitlines() if line.strip().startswith(b"{")])
        return Response(200)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    def exceptions(self) -> list[dict]:
        return [item for envelope in self.envelopes for item in envelope if "exception" in item]


@contextmanager
def fake_sentry() -> Iterator[FakeSentry]:
    with FakeSentry() as fake:
        yield fake
