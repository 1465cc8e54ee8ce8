"""The audit bundles' signing key is an adapter chosen once, by the composition root (adapters/audit_keys.py,
infra/bootstrap.py): the audit routes sign with the signer of the System's adapters (api/deps.py
`AuditSignerDep`), whatever key the settings name."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.audit_keys import AuditSigner, encode_key
from adapters.settings import Settings
from eventstore import EventStore
from infra.bootstrap import adapters_for
from projections.audit.bundle import public_key_hex
from tests.api import serving


async def test_the_public_key_is_the_systems_signers(store: EventStore, tmp_path: Path) -> None:
    named, swapped = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    settings = Settings(database_url=store.pool.conninfo, audit_signing_key=encode_key(named),
                        splits_data_dir=tmp_path)
    async with serving(store, settings) as (client, _):
        answer = await client.get("/v1/audit/public-key")
    assert answer.json()["public_key"] == public_key_hex(named.public_key())

    adapters = dataclasses.replace(adapters_for(settings), audit=AuditSigner.of(swapped))
    async with serving(store, settings, adapters=adapters) as (client, _):
        answer = await client.get("/v1/audit/public-key")
    assert answer.status_code == 200, answer.text
    assert answer.json()["public_key"] == public_key_hex(swapped.public_key())


def test_the_key_is_found_when_first_asked_for_and_kept(tmp_path: Path) -> None:
    """Outside production without a key, a development key is made in the data folder only once a bundle is
    signed, and the same key signs from then on."""
    signer = adapters_for(Settings(audit_signing_key=None, splits_data_dir=tmp_path, environment="test")).audit
    assert not (tmp_path / "audit_signing_key").exists()
    first = signer.private_key()
    assert (tmp_path / "audit_signing_key").exists()
    assert public_key_hex(signer.public_key()) == public_key_hex(first.public_key())
    again = adapters_for(Settings(audit_signing_key=None, splits_data_dir=tmp_path, environment="test")).audit
    assert public_key_hex(again.public_key()) == public_key_hex(first.public_key())
