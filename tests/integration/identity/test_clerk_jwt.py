"""Clerk session-token verification against fake Clerk instances served over real sockets.

Every key is fetched by PyJWT's own client from a local HTTP server, so caching, the refetch bound
and outages are the real thing; only the refetch bound's clock is ours to move.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from api.auth.tokens import (
    AuthUnavailable,
    ClerkInstance,
    InvalidToken,
    TokenVerifier,
    clerk_instances,
)
from adapters.settings import load_settings

if TYPE_CHECKING:
    # Imported by pytest as a plugin (below), not here, so pytest can rewrite its asserts.
    from tests.fakes.clerk import FakeClerk



class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(*fakes: FakeClerk, names: tuple[str, ...] = ("splits", "app"), **kwargs) -> TokenVerifier:
    instances = [ClerkInstance(name, f.jwks_url, f.issuer) for name, f in zip(names, fakes)]
    return TokenVerifier(instances, **kwargs)


async def refused(v: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as info:
        await v.verify(token)
    return info.value.reason


# --- accepted -------------------------------------------------------------------------------------------


async def test_valid_portal_token_accepted_with_user_and_session(clerk: FakeClerk) -> None:
    v = verifier(clerk, authorized_parties=[clerk.azp])
    token = await v.verify(clerk.mint(user_id="user_2abc", session_id="sess_2xyz"))
    assert (token.instance, token.user_id, token.session_id, token.org_id) == ("splits", "user_2abc", "sess_2xyz", None)
    assert token.claims["iss"] == clerk.issuer


async def test_valid_tokens_of_both_instances_accepted_by_their_own(
    clerk: FakeClerk, candidate_clerk: FakeClerk,
) -> None:
    v = verifier(clerk, candidate_clerk)
    portal = await v.verify(clerk.mint(user_id="user_portal", session_id="sess_portal"))
    candidate = await v.verify(candidate_clerk.mint(user_id="user_cand", session_id="sess_cand"))
    assert (portal.instance, portal.user_id, portal.session_id) == ("splits", "user_portal", "sess_portal")
    assert (candidate.instance, candidate.user_id, candidate.session_id) == ("app", "user_cand", "sess_cand")


async def test_token_with_active_org_accepted_with_org_id(clerk: FakeClerk) -> None:
    v = verifier(clerk)
    assert (await v.verify(clerk.mint(org_id="org_2abc", org_role="org:admin"))).org_id == "org_2abc"
    assert (await v.verify(clerk.mint(o={"id": "org_v2", "rol": "admin"}))).org_id == "org_v2"


async def test_many_tokens_jwks_fetched_once(clerk: FakeClerk) -> None:
    v = verifier(clerk)
    for _ in range(5):
        await v.verify(clerk.mint())
    await asyncio.gather(*(v.verify(clerk.mint()) for _ in range(20)))
    assert clerk.fetches == 1


async def test_expired_within_leeway_accepted(clerk: FakeClerk) -> None:
    now = int(time.time())
    v = verifier(clerk, leeway_s=5)
    assert await v.verify(clerk.mint(iat=now - 60, nbf=now - 60, exp=now - 2))
    assert await v.verify(clerk.mint(iat=now, nbf=now + 2, exp=now + 60))


async def test_azp_not_configured_any_or_no_azp_accepted(clerk: FakeClerk) -> None:
    v = verifier(clerk, authorized_parties=[])
    assert (await v.verify(clerk.wrong_azp("https://evil.example"))).claims["azp"] == "https://evil.example"
    assert "azp" not in (await v.verify(clerk.mint(azp=None))).claims


# --- refused --------------------------------------------------------------------------------------------

REFUSALS = {
    "expired": (lambda c: c.expired(), "expired"),
    "nbf_in_future": (lambda c: c.not_yet_valid(), "not_yet_valid"),
    "iat_in_future": (lambda c: c.mint(iat=int(time.time()) + 600), "not_yet_valid"),
    "foreign_issuer": (lambda c: c.wrong_issuer(), "wrong_issuer"),
    "wrong_azp": (lambda c: c.wrong_azp(), "wrong_azp"),
    "unknown_kid": (lambda c: c.unknown_kid(), "unknown_key"),
    "alg_none": (lambda c: c.alg_none(), "bad_algorithm"),
    "hs256_keyed_with_public_key": (lambda c: c.hs256_with_public_key(), "bad_algorithm"),
    "tampered_payload": (lambda c: c.tampered(), "bad_signature"),
    "forged_under_known_kid": (lambda c: c.forged_with_known_kid(), "bad_signature"),
    "missing_sid": (lambda c: c.missing_sid(), "missing_claim"),
    "missing_sub": (lambda c: c.missing("sub"), "missing_claim"),
    "missing_exp": (lambda c: c.missing("exp"), "missing_claim"),
    "missing_nbf": (lambda c: c.missing("nbf"), "missing_claim"),
    "missing_iat": (lambda c: c.missing("iat"), "missing_claim"),
    "missing_iss": (lambda c: c.missing("iss"), "missing_claim"),
    "missing_azp_when_checked": (lambda c: c.mint(azp=None), "missing_claim"),
    "not_a_jwt": (lambda c: "not-a-jwt", "malformed"),
    "no_kid_header": (lambda c: c.mint(headers={"kid": None}), "malformed"),
    "sid_not_a_string": (lambda c: c.mint(sid=12345), "malformed"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
async def test_bad_token_refused_with_reason(clerk: FakeClerk, case: str) -> None:
    make, reason = REFUSALS[case]
    v = verifier(clerk, authorized_parties=[clerk.azp])
    await v.verify(clerk.mint())  # warm: the refusal must not come from an empty key cache
    assert await refused(v, make(clerk)) == reason


async def test_token_claiming_other_instance_issuer_refused_as_unknown_key(
    clerk: FakeClerk, candidate_clerk: FakeClerk,
) -> None:
    # Signed by the portal but claiming the candidate issuer: only the candidate's keys may vouch for it.
    v = verifier(clerk, candidate_clerk)
    assert await refused(v, clerk.mint(iss=candidate_clerk.issuer)) == "unknown_key"


async def test_refused_token_then_valid_token_accepted(clerk: FakeClerk) -> None:
    v = verifier(clerk)
    assert await refused(v, clerk.tampered()) == "bad_signature"
    assert (await v.verify(clerk.mint(user_id="user_ok"))).user_id == "user_ok"


# --- key rotation and the refetch bound -----------------------------------------------------------------


async def test_rotated_key_accepted_after_exactly_one_refetch(clerk: FakeClerk) -> None:
    v = verifier(clerk)
    await v.verify(clerk.mint())
    assert clerk.fetches == 1
    clerk.rotate()
    assert (await v.verify(clerk.mint(user_id="user_new"))).user_id == "user_new"
    assert clerk.fetches == 2
    await v.verify(clerk.mint())
    assert clerk.fetches == 2


async def test_token_of_withdrawn_key_after_rotation_refused(clerk: FakeClerk) -> None:
    v = verifier(clerk)
    old_token = clerk.mint()
    await v.verify(old_token)
    clerk.rotate()
    await v.verify(clerk.mint())  # picks up the new set, which no longer holds the old key
    assert await refused(v, old_token) == "unknown_key"
    assert clerk.fetches == 2


async def test_flood_of_unknown_kids_at_most_one_refetch_per_interval(clerk: FakeClerk) -> None:
    clock = Clock()
    v = verifier(clerk, refetch_interval_s=10, clock=clock)
    await v.verify(clerk.mint())
    results = await asyncio.gather(*(v.verify(clerk.unknown_kid()) for _ in range(50)), return_exceptions=True)
    assert all(isinstance(r, InvalidToken) and r.reason == "unknown_key" for r in results)
    assert clerk.fetches == 2
    clock.now += 9.9
    assert await refused(v, clerk.unknown_kid()) == "unknown_key"
    assert clerk.fetches == 2
    clock.now += 0.2
    assert await refused(v, clerk.unknown_kid()) == "unknown_key"
    assert clerk.fetches == 3


async def test_unknown_kid_on_cold_cache_no_refetch_beyond_first_fetch(clerk: FakeClerk) -> None:
    v = verifier(clerk, clock=Clock())
    assert await refused(v, clerk.unknown_kid()) == "unknown_key"
    assert clerk.fetches == 1  # the set was fetched for this very token: nothing newer to find
    results = await asyncio.gather(*(v.verify(clerk.unknown_kid()) for _ in range(30)), return_exceptions=True)
    assert all(isinstance(r, InvalidToken) and r.reason == "unknown_key" for r in results)
    assert clerk.fetches == 2


async def test_rotation_during_flood_new_key_accepted_once_interval_passes(clerk: FakeClerk) -> None:
    clock = Clock()
    v = verifier(clerk, refetch_interval_s=10, clock=clock)
    await v.verify(clerk.mint())
    assert await refused(v, clerk.unknown_kid()) == "unknown_key"  # spends the refetch
    clerk.rotate()
    fresh = clerk.mint()
    assert await refused(v, fresh) == "unknown_key"  # the price of the bound
    clock.now += 10
    assert await v.verify(fresh)
    assert clerk.fetches == 3


async def test_refetch_bound_is_per_instance(clerk: FakeClerk, candidate_clerk: FakeClerk) -> None:
    v = verifier(clerk, candidate_clerk, clock=Clock())
    await v.verify(clerk.mint())
    await v.verify(candidate_clerk.mint())
    assert await refused(v, clerk.unknown_kid()) == "unknown_key"
    candidate_clerk.rotate()
    assert (await v.verify(candidate_clerk.mint(user_id="user_c"))).user_id == "user_c"
    assert (clerk.fetches, candidate_clerk.fetches) == (2, 2)


# --- Clerk unavailable ----------------------------------------------------------------------------------


async def test_jwks_server_down_auth_unavailable(clerk: FakeClerk) -> None:
    v = verifier(clerk)
    token = clerk.mint()
    clerk.stop()
    with pytest.raises(AuthUnavailable) as info:
        await v.verify(token)
    assert info.value.instance == "splits"


async def test_jwks_server_error_auth_unavailable(clerk: FakeClerk) -> None:
    clerk.fail_with(503)
    with pytest.raises(AuthUnavailable):
        await verifier(clerk).verify(clerk.mint())
    assert clerk.fetches == 1


async def test_jwks_server_hanging_auth_unavailable_after_timeout(clerk: FakeClerk) -> None:
    clerk.stall(2.0)
    started = time.monotonic()
    with pytest.raises(AuthUnavailable):
        await verifier(clerk, fetch_timeout_s=0.3).verify(clerk.mint())
    assert time.monotonic() - started < 1.5


async def test_jwks_fetch_does_not_block_event_loop(clerk: FakeClerk) -> None:
    clerk.stall(0.5)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await verifier(clerk).verify(clerk.mint())
    finally:
        ticker.cancel()
    assert ticks >= 20


async def test_jwks_down_during_refetch_cached_keys_still_accepted(clerk: FakeClerk) -> None:
    v = verifier(clerk)
    await v.verify(clerk.mint())
    clerk.fail_with(503)
    with pytest.raises(AuthUnavailable):
        await v.verify(clerk.unknown_kid())  # may be a real new key: cannot say it is bad
    assert (await v.verify(clerk.mint(user_id="user_still"))).user_id == "user_still"


# --- construction ---------------------------------------------------------------------------------------


def test_two_instances_sharing_issuer_rejected_at_construction() -> None:
    same = "https://clerk.example.com"
    with pytest.raises(ValueError):
        TokenVerifier([ClerkInstance("splits", f"{same}/a", same), ClerkInstance("app", f"{same}/b", same)])


def test_no_instances_rejected_at_construction() -> None:
    with pytest.raises(ValueError):
        TokenVerifier([])


def test_settings_with_portal_only_one_instance_built() -> None:
    settings = load_settings(
        splits_clerk_jwks_url="https://clerk.splits.example/.well-known/jwks.json",
        splits_clerk_issuer="https://clerk.splits.example",
        app_clerk_jwks_url=None, app_clerk_issuer=None,
    )
    assert clerk_instances(settings) == [
        ClerkInstance("splits", "https://clerk.splits.example/.well-known/jwks.json", "https://clerk.splits.example"),
    ]


async def test_a_token_verified_before_is_refused_once_it_expires(clerk: FakeClerk) -> None:
    """Verified tokens are remembered (one signature check per token), never past their `exp` and leeway."""
    v = verifier(clerk, leeway_s=0)
    now = int(time.time())
    token = clerk.mint(iat=now, nbf=now, exp=now + 2)
    assert (await v.verify(token)).user_id == (await v.verify(token)).user_id
    await asyncio.sleep(now + 2.1 - time.time())
    assert await refused(v, token) == "expired"
