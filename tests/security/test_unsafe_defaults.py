"""Unsafe unless told otherwise: a deployment that forgot `ENVIRONMENT=production` (neither the compose file
nor the image set it) handed every email to anonymous callers through the dev mailbox, signed invitation links
with the secret printed in the source, let `dev:user_<real id>` sign in as a real Clerk user, and quietly
simulated payments, email and AI when their keys were missing.

Now every command but `splits dev` runs as production unless ENVIRONMENT says otherwise, and a production
process refuses to start, in one line naming each missing setting, without its secrets; a simulation runs only
when asked for by name, and `/ready` says so.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore import EventStore
from eventstore.personal import generate_kek
from adapters.audit_keys import encode_key
from adapters.settings import Settings
from tests.api import bearer, dev_auth, running_consumers, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import wait_until

SPLITS = str(Path(sys.executable).parent / "splits")
# Every setting a test below gives or takes away; anything the test runner's environment holds of them is dropped.
SETTINGS = {name.upper() for name in Settings.model_fields}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(database_url: str, clerk: FakeClerk, **changes: str | None) -> dict[str, str]:
    """Everything a production process needs, with `changes` applied (None removes a setting). No ENVIRONMENT:
    production is what a command runs as when nobody says otherwise."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {
        "DATABASE_URL": database_url, "LOG_LEVEL": "warning", "PORT": str(_free_port()),
        "SPLITS_CLERK_JWKS_URL": clerk.jwks_url, "SPLITS_CLERK_ISSUER": clerk.issuer,
        "SPLITS_CLERK_SECRET_KEY": "sk_test_clerk_unused", "CLERK_AUTHORIZED_PARTIES": clerk.azp,
        "SPLITS_TOKEN_SECRET": "t" * 40, "AUDIT_SIGNING_KEY": encode_key(Ed25519PrivateKey.generate()),
        "SPLITS_DATA_KEY": generate_kek(),
        "STRIPE_SECRET_KEY": "sk_test_unused", "STRIPE_WEBHOOK_SECRET": "whsec_unused",
        "RESEND_API_KEY": "re_unused", "RESEND_WEBHOOK_SECRET": "whsec_unused", "OPENAI_API_KEY": "sk-unused",
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def start_refused(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a process that should refuse to start; one that starts anyway is stopped and fails the test."""
    try:
        return subprocess.run([SPLITS, *command], env=env, cwd=cwd, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"`splits {' '.join(command)}` started instead of refusing: {exc.stderr!r}") from None


REQUIRED = ["SPLITS_TOKEN_SECRET", "AUDIT_SIGNING_KEY", "SPLITS_DATA_KEY", "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET", "RESEND_API_KEY", "RESEND_WEBHOOK_SECRET", "OPENAI_API_KEY", "SPLITS_CLERK_JWKS_URL", "SPLITS_CLERK_ISSUER"]


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_start_without_a_secret_is_refused_naming_it(missing: str, fresh_database_url: str,
                                                                clerk: FakeClerk, tmp_path: Path) -> None:
    done = start_refused(["api"], production_env(fresh_database_url, clerk, **{missing: None}), tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert missing in lines[0] and "ENVIRONMENT=production" in lines[0]
    assert not [name for name in REQUIRED if name != missing and name in lines[0]], lines[0]


def test_a_clerk_instance_without_its_backend_key_is_refused_naming_it(fresh_database_url: str, clerk: FakeClerk,
                                                                       tmp_path: Path) -> None:
    """Emails and their verification are read from Clerk's Backend API: an instance without its key would answer
    every registration 503."""
    done = start_refused(["api"], production_env(fresh_database_url, clerk, SPLITS_CLERK_SECRET_KEY=None), tmp_path)
    [line] = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "SPLITS_CLERK_SECRET_KEY" in line and "APP_CLERK_SECRET_KEY" not in line


def test_production_without_anything_lists_every_missing_setting_in_one_line(fresh_database_url: str,
                                                                             clerk: FakeClerk, tmp_path: Path) -> None:
    env = production_env(fresh_database_url, clerk, **{name: None for name in REQUIRED})
    for process in (["api"], ["relay"], ["consumers"], ["scheduler"]):
        done = start_refused(process, env, tmp_path)
        [line] = done.stderr.strip().splitlines()
        assert done.returncode == 2
        assert all(name in line for name in REQUIRED), (process, line)
        assert "APP_CLERK_JWKS_URL" in line and "SPLITS_PAYMENTS=simulated" in line


def test_the_development_mode_is_only_splits_dev(fresh_database_url: str, clerk: FakeClerk, tmp_path: Path) -> None:
    env = production_env(fresh_database_url, clerk, ENVIRONMENT="development")
    done = start_refused(["api"], env, tmp_path)
    assert done.returncode == 2 and "splits dev" in done.stderr


@pytest.fixture
def simulated_api(fresh_database_url: str, clerk: FakeClerk, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`splits api` in production, its providers simulated by name."""
    env = production_env(fresh_database_url, clerk, STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None,
                         RESEND_API_KEY=None, OPENAI_API_KEY=None, SPLITS_PAYMENTS="simulated",
                         SPLITS_EMAIL="mailbox", SPLITS_AI="local")
    proc = subprocess.Popen([SPLITS, "api"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert proc.poll() is None, proc.communicate(timeout=10)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)


def test_simulation_named_starts_in_production_and_ready_says_so(simulated_api) -> None:
    base, proc = simulated_api
    ready = httpx.get(f"{base}/ready", timeout=5)
    assert ready.status_code == 200 and ready.json()["simulated"] == ["payments", "email", "ai"], ready.text
    proc.terminate()
    stderr = proc.communicate(timeout=30)[1]
    for said in ("SIMULATED payments (SPLITS_PAYMENTS=simulated)", "SIMULATED email (SPLITS_EMAIL=mailbox)",
                 "SIMULATED ai (SPLITS_AI=local)"):
        assert said in stderr, stderr


def test_a_production_process_takes_no_development_token_and_has_no_mailbox(simulated_api, clerk: FakeClerk) -> None:
    base, _ = simulated_api
    assert httpx.get(f"{base}/v1/users/me", headers=dev_auth("user_dev_admin"), timeout=5).status_code == 401
    assert httpx.get(f"{base}/dev/mailbox", timeout=5).status_code == 404
    signed_in = httpx.get(f"{base}/dev/mailbox", headers=bearer(clerk.mint(user_id="user_someone")), timeout=5)
    assert signed_in.status_code == 404


# --- development sign-in ---------------------------------------------------------------------------------

def test_development_sign_in_is_refused_outside_splits_dev(fresh_database_url: str, clerk: FakeClerk,
                                                           tmp_path: Path) -> None:
    for environment in (None, "test"):
        env = production_env(fresh_database_url, clerk, SPLITS_DEV_AUTH="1", ENVIRONMENT=environment)
        done = start_refused(["api"], env, tmp_path)
        assert done.returncode == 2 and "SPLITS_DEV_AUTH works only under `splits dev`" in done.stderr, done.stderr


async def test_development_sign_in_is_refused_in_test_mode_in_process(fresh_store: EventStore) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, environment="test", splits_dev_auth=True,
                        splits_token_secret="t" * 40)
    with pytest.raises(RuntimeError, match="only under `splits dev`"):
        async with serving(fresh_store, settings):
            pass


async def test_development_tokens_are_refused_while_a_clerk_instance_is_configured(fresh_store: EventStore,
                                                                                   clerk: FakeClerk) -> None:
    """`dev:user_<real id>` would be that real Clerk user: the API does not start with both."""
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True,
                        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer)
    with pytest.raises(RuntimeError, match="Clerk instance is configured"):
        async with serving(fresh_store, settings):
            pass


def test_splits_dev_with_clerk_configured_refuses_development_sign_in(clerk: FakeClerk, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {
        "SPLITS_DEV_AUTH": "1", "SPLITS_CLERK_JWKS_URL": clerk.jwks_url, "SPLITS_CLERK_ISSUER": clerk.issuer,
        "SPLITS_DATA_DIR": str(tmp_path / "data"), "PORT": str(_free_port()), "LOG_LEVEL": "warning"}
    done = start_refused(["dev"], env, tmp_path)
    assert done.returncode == 2 and "Clerk instance is configured" in done.stderr, done.stderr


# --- the development mailbox and the development token secret --------------------------------------------

async def test_the_mailbox_does_not_exist_outside_splits_dev(fresh_store: EventStore, clerk: FakeClerk) -> None:
    admin = f"user_mailadmin_{os.getpid()}"
    for environment in ("test", "production"):
        settings = Settings(database_url=fresh_store.pool.conninfo, environment=environment,
                            splits_token_secret="t" * 40, splits_clerk_jwks_url=clerk.jwks_url,
                            splits_clerk_issuer=clerk.issuer, consistency_wait_s=10)
        async with serving(fresh_store, settings) as (client, _):
            assert (await client.get("/dev/mailbox")).status_code == 404, environment
            as_admin = await client.get("/dev/mailbox", headers=bearer(clerk.mint(user_id=admin)))
            assert as_admin.status_code == 404, (environment, as_admin.text)


async def test_the_mailbox_under_splits_dev_is_for_platform_admins(fresh_store: EventStore) -> None:
    admin, plain = f"user_mbadmin_{os.getpid()}", f"user_mbplain_{os.getpid()}"
    await seed_user(fresh_store, admin, roles=[("platform_admin", None)])
    await seed_user(fresh_store, plain)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10)
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only={"identity"}):
        assert (await client.get("/dev/mailbox")).status_code == 401

        async def known() -> bool:
            return all([(await client.get("/v1/users/me", headers=dev_auth(who))).status_code == 200
                        for who in (admin, plain)])

        await wait_until(known)
        refused = await client.get("/dev/mailbox", headers=dev_auth(plain))
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        assert (await client.get("/dev/mailbox", headers=dev_auth(admin))).status_code == 200


async def test_the_public_development_token_secret_is_refused_outside_splits_dev(fresh_store: EventStore) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, environment="test")
    with pytest.raises(RuntimeError, match="SPLITS_TOKEN_SECRET"):
        async with serving(fresh_store, settings):
            pass
