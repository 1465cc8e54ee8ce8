"""Personal data in an immutable store: per-subject encryption of declared fields, and erasure by
destroying the subject's key (crypto-shredding).

Each event type declares which of its fields are personal and whose they are (its *subject*: a user,
a candidate record, a recruiter, a contact …, named ``<kind>:<id>``). On append those fields are
replaced by a sealed value, ``{"$pii": "<subject>", "c": "<base64 nonce ‖ AES-256-GCM ciphertext>"}``,
encrypted with the subject's data key; the associated data is ``<event id>/<field>``, so a sealed
value cannot be moved to another event or field unnoticed. The hash chain covers the sealed value,
exactly as stored, so it verifies before and after an erasure.

Data keys live in ``eventstore.data_keys``, each wrapped (AES-256-GCM, the subject as associated
data) by a key-encryption key (KEK) from settings (``SPLITS_DATA_KEY`` / ``SPLITS_DATA_KEY_FILE``).
A field may also be sealed for a second subject (``"also"`` in the sealed value): it is then encrypted
with a key derived from both subjects' data keys, so erasing either makes it unreadable (a notification's
words belong to its recipient and to the person it tells about).

Several KEKs may be configured: the first wraps new keys, the others still unwrap old ones until
``splits keys rotate`` has rewrapped everything. Erasure sets the wrapped key to NULL: from then on
every sealed field of that subject reads as erased, a replay rebuilds the scrubbed state, and an
append that would seal new data for the subject is refused (`SubjectErased`).

Reads decrypt in one place, `EventRegistry.decode`, from keys loaded beforehand (`Keyring.load`), so
deciders, projections and reactors see plain values and no decode blocks on the database.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
import psycopg
import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

    from eventstore.types import RecordedEvent

log = structlog.get_logger(__name__)

MARKER = "$pii"
"""The key of a sealed field's value: ``{"$pii": subject, "c": ciphertext}``."""

ERASED = "[erased]"
"""What a text field of an erased subject reads as."""

_NONCE = 12


class SubjectErased(Exception):
    """New personal data was to be recorded for a subject whose data has been erased."""

    def __init__(self, subjects: Sequence[str]) -> None:
        super().__init__(f"personal data of {', '.join(sorted(subjects))} has been erased; nothing new is recorded for it")
        self.subjects = tuple(sorted(subjects))


class KeyNotLoaded(RuntimeError):
    """An event was decoded before its subjects' keys were loaded (`Keyring.load`): a bug, not bad data."""


class DataKeyProblem(RuntimeError):
    """The key-encryption key setting is malformed, or no configured KEK unwraps a stored data key."""


def parse_keks(text: str) -> list[tuple[str, bytes]]:
    """KEKs from a setting: ``[<id>:]<base64 of 32 bytes>``, separated by commas or new lines; first is current."""
    keks: list[tuple[str, bytes]] = []
    for item in text.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        kek_id, sep, encoded = item.rpartition(":")
        try:
            kek = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            raise DataKeyProblem("SPLITS_DATA_KEY: an entry is not base64 (generate one with `splits keys generate`)") from None
        if len(kek) != 32:
            raise DataKeyProblem(f"SPLITS_DATA_KEY: an entry is {len(kek)} bytes, expected 32 (AES-256)")
        keks.append(((kek_id.strip() if sep else "") or kek_fingerprint(kek), kek))
    if not keks:
        raise DataKeyProblem("SPLITS_DATA_KEY is empty")
    return keks


def kek_fingerprint(kek: bytes) -> str:
    return hashlib.sha256(b"splits-kek\n" + kek).hexdigest()[:12]


def generate_kek() -> str:
    """A new key-encryption key, as SPLITS_DATA_KEY takes it."""
    return base64.b64encode(os.urandom(32)).decode()


# --- sealing and opening fields -------------------------------------------------------------------

def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and MARKER in value


def seal(
    value: Any, key: bytes, subject: str, event_id: UUID, field: str, also: tuple[str, bytes] | None = None
) -> dict[str, str]:
    """`value` sealed for `subject` (and, with `also`, for a second subject: both keys are needed to open it)."""
    nonce = os.urandom(_NONCE)
    if also is not None:
        key = joint_key(key, also[1])
    ciphertext = AESGCM(key).encrypt(nonce, orjson.dumps(value), _aad(event_id, field))
    sealed = {MARKER: subject, "c": base64.b64encode(nonce + ciphertext).decode()}
    if also is not None:
        sealed["also"] = also[0]
    return sealed


def joint_key(first: bytes, second: bytes) -> bytes:
    """The key of a value sealed for two subjects: derived from both data keys (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"splits sealed for two subjects").derive(
        first + second
    )


def open_sealed(sealed: Mapping[str, Any], key: bytes, event_id: UUID, field: str) -> Any:
    raw = base64.b64decode(sealed["c"])
    return orjson.loads(AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _aad(event_id, field)))


def _aad(event_id: UUID, field: str) -> bytes:
    return f"{event_id}/{field}".encode()


def sealed_subjects(data: Mapping[str, Any]) -> set[str]:
    """The subjects whose sealed fields `data` holds (the second subjects of jointly sealed ones too)."""
    found: set[str] = set()
    for value in data.values():
        if is_sealed(value):
            found.add(value[MARKER])
            if also := value.get("also"):
                found.add(also)
    return found


def seal_fields(
    data: Mapping[str, Any], fields: Iterable[str], subject: str, key: bytes, event_id: UUID,
    also: tuple[str, bytes] | None = None,
) -> dict[str, Any]:
    """`data` with each named field that holds something sealed for `subject` (None stays None)."""
    sealed = dict(data)
    for field in fields:
        value = sealed.get(field)
        if value is not None and not is_sealed(value):
            sealed[field] = seal(value, key, subject, event_id, field, also)
    return sealed


def open_fields(
    data: Mapping[str, Any],
    event_id: UUID,
    key_of: Callable[[str], bytes | None],
    erased_value: Callable[[str], Any],
) -> dict[str, Any]:
    """`data` with every sealed field opened; a field of an erased subject becomes `erased_value(field)`."""
    if not any(is_sealed(v) for v in data.values()):
        return dict(data)
    opened: dict[str, Any] = {}
    for field, value in data.items():
        if not is_sealed(value):
            opened[field] = value
            continue
        key = key_of(value[MARKER])
        if key is not None and (also := value.get("also")):
            second = key_of(also)
            key = None if second is None else joint_key(key, second)
        if key is None:
            opened[field] = erased_value(field)
            continue
        try:
            opened[field] = open_sealed(value, key, event_id, field)
        except InvalidTag:
            raise DataKeyProblem(f"a sealed field ({field} of event {event_id}) does not open with its subject's key") from None
    return opened


# --- the keys --------------------------------------------------------------------------------------

class Keyring:
    """The subjects' data keys: created on first use, unwrapped into a bounded cache, erased for good.

    `keks` are the configured key-encryption keys, current first. None means none is configured: a
    development KEK kept in the database is used (created on first use, with a warning); the
    composition root refuses that in production.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool,
        keks: Sequence[tuple[str, bytes]] | None = None,
        *,
        cache_ttl_s: float = 5.0,
        cache_size: int = 50_000,
    ) -> None:
        self.pool = pool
        self._keks: list[tuple[str, bytes]] | None = list(keks) if keks else None
        self.development = keks is None
        self._ttl = cache_ttl_s
        self._size = cache_size
        # subject -> (data key, or None once erased; when it was loaded)
        self._cache: OrderedDict[str, tuple[bytes | None, float]] = OrderedDict()

    # -- reading

    def key(self, subject: str) -> bytes | None:
        """The subject's data key from the cache; None if erased. Raises `KeyNotLoaded` on a miss."""
        try:
            return self._cache[subject][0]
        except KeyError:
            raise KeyNotLoaded(f"the data key of {subject} was not loaded before decoding") from None

    async def load(self, events: Iterable[RecordedEvent], conn: psycopg.AsyncConnection | None = None) -> None:
        """Bring the keys of every subject sealed in `events` into the cache (one query for the misses)."""
        now = time.monotonic()
        wanted: set[str] = set()
        for event in events:
            for subject in sealed_subjects(event.data):
                cached = self._cache.get(subject)
                if cached is None or now - cached[1] > self._ttl:
                    wanted.add(subject)
        if wanted:
            await self._fetch(sorted(wanted), conn)

    async def _fetch(self, subjects: list[str], conn: psycopg.AsyncConnection | None) -> None:
        if conn is None:
            async with self.pool.connection() as own:
                rows = await self._select(own, subjects)
                keks = await self._kek_list(own)
        else:
            rows = await self._select(conn, subjects)
            keks = await self._kek_list(conn)
        now = time.monotonic()
        found = {subject: (kek_id, wrapped) for subject, kek_id, wrapped in rows}
        for subject in subjects:
            kek_id, wrapped = found.get(subject, (None, None))
            if subject not in found:
                log.error("a sealed field names a subject without a data key; it reads as erased", subject=subject)
            self._remember(subject, None if wrapped is None else self._unwrap(keks, subject, kek_id, wrapped), now)

    @staticmethod
    async def _select(conn: psycopg.AsyncConnection, subjects: list[str]) -> list[tuple[str, str | None, bytes | None]]:
        cur = await conn.execute(
            "SELECT subject, kek_id, wrapped FROM eventstore.data_keys WHERE subject = ANY(%s)", (subjects,)
        )
        return [(s, k, None if w is None else bytes(w)) for s, k, w in await cur.fetchall()]

    def _remember(self, subject: str, key: bytes | None, now: float) -> None:
        self._cache[subject] = (key, now)
        self._cache.move_to_end(subject)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)

    # -- writing

    async def keys_for_append(self, subjects: Iterable[str]) -> dict[str, bytes]:
        """The data key of each subject, creating the missing ones; `SubjectErased` if any is erased.

        Always asks the database (never the cache) whether a subject is erased, so no process records
        new personal data for an erased subject. The keys are committed before the append that uses
        them: a key no event ends up using is harmless.
        """
        wanted = sorted(set(subjects))
        async with self.pool.connection() as conn:
            keks = await self._kek_list(conn)
            rows = await self._select(conn, wanted)
            missing = sorted(set(wanted) - {r[0] for r in rows})
            if missing:
                current_id, current = keks[0]
                fresh = [(s, current_id, self._wrap(current, s, AESGCM.generate_key(bit_length=256))) for s in missing]
                async with conn.cursor() as cur:
                    await cur.executemany(
                        "INSERT INTO eventstore.data_keys (subject, kek_id, wrapped) VALUES (%s, %s, %s)"
                        " ON CONFLICT (subject) DO NOTHING",
                        fresh,
                    )
                await conn.commit()
                rows = await self._select(conn, wanted)
        erased = [s for s, _, wrapped in rows if wrapped is None]
        if erased:
            raise SubjectErased(erased)
        now = time.monotonic()
        keys: dict[str, bytes] = {}
        for subject, kek_id, wrapped in rows:
            assert wrapped is not None
            keys[subject] = self._unwrap(keks, subject, kek_id, wrapped)
            self._remember(subject, keys[subject], now)
        return keys

    async def erase(self, subjects: Iterable[str]) -> list[str]:
        """Destroy the data keys of `subjects` (also of those that have none yet, so none is made later).

        Returns the subjects erased by this call; erasing twice changes nothing.
        """
        wanted = sorted(set(subjects))
        if not wanted:
            return []
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO eventstore.data_keys AS k (subject, kek_id, wrapped, erased_at)"
                " SELECT s, NULL, NULL, now() FROM unnest(%s::text[]) AS s"
                " ON CONFLICT (subject) DO UPDATE SET kek_id = NULL, wrapped = NULL, erased_at = now()"
                "   WHERE k.erased_at IS NULL"
                " RETURNING subject",
                (wanted,),
            )
            erased = sorted(r[0] for r in await cur.fetchall())
        now = time.monotonic()
        for subject in wanted:
            self._remember(subject, None, now)
        return erased

    async def erased(self, subjects: Iterable[str]) -> set[str]:
        """Which of `subjects` are erased."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT subject FROM eventstore.data_keys WHERE subject = ANY(%s) AND erased_at IS NOT NULL",
                (sorted(set(subjects)),),
            )
            return {r[0] for r in await cur.fetchall()}

    async def rotate(self, batch: int = 1000, progress: Callable[[int], None] | None = None) -> int:
        """Rewrap every data key not wrapped by the current KEK with it; returns how many were rewrapped.

        `progress` is told the running count after each batch. Running it again rewraps nothing.
        """
        rewrapped = 0
        async with self.pool.connection() as conn:
            keks = await self._kek_list(conn)
            current_id, current = keks[0]
            while True:
                cur = await conn.execute(
                    "SELECT subject, kek_id, wrapped FROM eventstore.data_keys"
                    " WHERE wrapped IS NOT NULL AND kek_id <> %s LIMIT %s",
                    (current_id, batch),
                )
                rows = await cur.fetchall()
                if not rows:
                    return rewrapped
                async with conn.transaction(), conn.cursor() as upd:
                    await upd.executemany(
                        "UPDATE eventstore.data_keys SET kek_id = %s, wrapped = %s WHERE subject = %s AND kek_id = %s",
                        [
                            (current_id, self._wrap(current, s, self._unwrap(keks, s, k, bytes(w))), s, k)
                            for s, k, w in rows
                        ],
                    )
                rewrapped += len(rows)
                if progress is not None:
                    progress(rewrapped)

    # -- key-encryption keys

    async def _kek_list(self, conn: psycopg.AsyncConnection) -> list[tuple[str, bytes]]:
        if self._keks is None:
            self._keks = [("development", await _development_kek(conn))]
        return self._keks

    @staticmethod
    def _wrap(kek: bytes, subject: str, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(kek).encrypt(nonce, key, subject.encode())

    @staticmethod
    def _unwrap(keks: Sequence[tuple[str, bytes]], subject: str, kek_id: str | None, wrapped: bytes) -> bytes:
        for candidate_id, kek in keks:
            if candidate_id != kek_id:
                continue
            try:
                return AESGCM(kek).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], subject.encode())
            except InvalidTag:
                raise DataKeyProblem(f"the data key of {subject} does not unwrap with key-encryption key {kek_id}") from None
        raise DataKeyProblem(
            f"the data key of {subject} is wrapped by key-encryption key {kek_id!r}, which SPLITS_DATA_KEY does not hold"
        )


async def _development_kek(conn: psycopg.AsyncConnection) -> bytes:
    cur = await conn.execute("SELECT kek FROM eventstore.development_data_key")
    row = await cur.fetchone()
    if row is None:
        await conn.execute(
            "INSERT INTO eventstore.development_data_key (kek) VALUES (%s) ON CONFLICT DO NOTHING", (os.urandom(32),)
        )
        cur = await conn.execute("SELECT kek FROM eventstore.development_data_key")
        row = await cur.fetchone()
        log.warning(
            "SPLITS_DATA_KEY is not set: personal data is encrypted under a development key kept in the database "
            "itself; set SPLITS_DATA_KEY (or SPLITS_DATA_KEY_FILE) before real data arrives"
        )
    assert row is not None
    return bytes(row[0])
