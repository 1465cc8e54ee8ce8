"""Where document content lives: a local folder by default, an S3-compatible bucket when one is configured.

Both speak the small `Storage` protocol and take keys that are safe relative paths (`a/b/c`, never
absolute, never `..` or `.`, no backslashes or control characters), so a key can never name a file
outside the folder whatever a caller passes. Every call is async; the blocking work (file I/O, boto3)
runs in a worker thread, never on the event loop.

The local folder writes atomically (a temporary file in the same folder, flushed, then renamed over the
key), so a reader never sees half a file and a crash leaves at most a stray `.tmp-*` file. The bucket is
reached with path-style addressing (`<endpoint>/<bucket>/<key>`), which every S3-compatible server and
local fakes understand, and checksums only where S3 requires them, which those servers accept.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from adapters.settings import Settings

MAX_KEY_LENGTH = 512


class StorageError(Exception):
    """The storage backend failed."""


class ContentNotFound(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no content stored under {key!r}")
        self.key = key


class UnsafeKey(ValueError):
    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"storage key {key!r} is refused: {why}")
        self.key = key


def check_key(key: str) -> str:
    """`key` if it is a safe relative path; `UnsafeKey` otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise UnsafeKey(key, f"a key has 1 to {MAX_KEY_LENGTH} characters")
    if any(ord(c) < 32 or c in "\\\x7f" for c in key):
        raise UnsafeKey(key, "no backslashes or control characters")
    if key.startswith("/"):
        raise UnsafeKey(key, "a key is relative")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise UnsafeKey(key, "no empty, '.' or '..' segments")
    return key


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there."""

    async def get(self, key: str) -> bytes:
        """The content under `key`; `ContentNotFound` when there is none."""

    async def delete(self, key: str) -> None:
        """Remove the content under `key`; nothing there is not an error."""

    async def exists(self, key: str) -> bool:
        """Whether content is stored under `key`."""


class LocalStorage:
    """Content as files under `folder` (created when first written)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()

    def path_of(self, key: str) -> Path:
        path = (self.folder / check_key(key)).resolve()
        if not path.is_relative_to(self.folder):  # a symlink inside the folder pointing out of it
            raise UnsafeKey(key, "it leads out of the storage folder")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._run(f"writing {key!r}", self._write, self.path_of(key), data)

    async def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ContentNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"reading {key!r} failed: {exc}") from exc

    async def delete(self, key: str) -> None:
        await self._run(f"deleting {key!r}", self.path_of(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await self._run(f"looking up {key!r}", self.path_of(key).is_file)

    @staticmethod
    async def _run(what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        except OSError as exc:
            raise StorageError(f"{what} failed: {exc}") from exc

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """Content as objects of one bucket of an S3-compatible service, through boto3."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        import boto3
        from botocore.config import Config

        assert settings.s3_bucket, "S3Storage needs settings.s3_bucket"
        secret = settings.aws_secret_access_key.get_secret_value() if settings.aws_secret_access_key else None
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.aws_region,
            aws_access_key_id=settings.aws_access_key_id or None,
            aws_secret_access_key=secret,
            config=Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        return cls(settings.s3_bucket, client)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._call("put_object", Key=check_key(key), Body=data, ContentType=content_type)

    async def get(self, key: str) -> bytes:
        check_key(key)

        def read() -> bytes:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            with answer["Body"] as body:
                return body.read()

        try:
            return await asyncio.to_thread(read)
        except Exception as exc:
            if _error_code(exc) in _MISSING:
                raise ContentNotFound(key) from None
            raise StorageError(f"reading {key!r} from bucket {self.bucket} failed: {exc}") from exc

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=check_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=check_key(key))
        except Exception as exc:
            if _error_code(exc) in _MISSING:
                return False
            raise StorageError(f"looking up {key!r} in bucket {self.bucket} failed: {exc}") from exc
        return True

    async def _call(self, operation: str, **params: Any) -> Any:
        try:
            return await asyncio.to_thread(getattr(self.client, operation), Bucket=self.bucket, **params)
        except Exception as exc:
            raise StorageError(f"{operation} on bucket {self.bucket} failed: {exc}") from exc


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code", "")) or None


def storage_for(settings: Settings) -> Storage:
    """The bucket when `s3_bucket` is set, else the local folder `documents_dir`."""
    if settings.s3_bucket:
        return S3Storage.from_settings(settings)
    return LocalStorage(settings.documents_dir)
