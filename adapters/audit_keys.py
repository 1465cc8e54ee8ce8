"""The Ed25519 key that signs audit bundles.

`AUDIT_SIGNING_KEY` holds the 32-byte private key, base64-encoded (`splits audit keygen` prints a new one).
Production refuses to export without it. Elsewhere (`splits dev`, tests without the setting) a key is
generated once and kept in `<SPLITS_DATA_DIR>/audit_signing_key`, readable by its owner only: bundles signed
with it verify, against that key.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from adapters.settings import Settings


def encode_key(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()


def decode_key(text: str) -> Ed25519PrivateKey:
    raw = base64.b64decode(text.strip(), validate=True)
    if len(raw) != 32:
        raise ValueError("AUDIT_SIGNING_KEY must be 32 bytes, base64-encoded")
    return Ed25519PrivateKey.from_private_bytes(raw)


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.audit_signing_key is not None and settings.audit_signing_key.get_secret_value():
        return decode_key(settings.audit_signing_key.get_secret_value())
    if settings.environment == "production":
        raise RuntimeError("AUDIT_SIGNING_KEY is required in production: it signs audit bundles")
    path = Path(settings.splits_data_dir) / "audit_signing_key"
    if path.exists():
        return decode_key(path.read_text())
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: theirs stands
        return decode_key(path.read_text())
    with os.fdopen(fd, "w") as out:
        out.write(encode_key(key))
    return key


class AuditSigner:
    """The key audit bundles are signed with, as the settings name it (`audit_signer_for`; the composition root
    makes one a process).

    Found when first asked for, then kept: a process that signs nothing starts without one (and writes no
    development key), and production's missing key is refused where a bundle is signed, as by `signing_key`.
    `AuditSigner.of(key)` is a signer with a key given outright.
    """

    def __init__(self, settings: Settings | None, key: Ed25519PrivateKey | None = None) -> None:
        self._settings = settings
        self._key = key

    @classmethod
    def of(cls, key: Ed25519PrivateKey) -> AuditSigner:
        return cls(None, key)

    def private_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            assert self._settings is not None
            self._key = signing_key(self._settings)
        return self._key

    def public_key(self) -> Ed25519PublicKey:
        return self.private_key().public_key()


def audit_signer_for(settings: Settings) -> AuditSigner:
    return AuditSigner(settings)
