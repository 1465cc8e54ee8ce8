"""A referral code is for signing up: the recruiter whose code a user registers with becomes the sourcer of what
the user brings, and earns a share of every placement of it for a year. A user registered long ago (with no code)
must not name a sourcer after the fact by calling the idempotent registration again with a code (say, just
before their hire): refused 422 `referral_code_too_late`, nothing written. Registering with a code just after
Clerk's webhook registered the user is still signing up, and is taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commands.identity import user as users
from eventstore import handle
from tests.api import SEEDER
from tests.integration.ats.test_applications_api import assert_refused, stored
from tests.integration.network.test_referral_sourcing_api import (  # noqa: F401  (the fixture)
    ClerkWorld,
    _default_code,
    clerk_world_fixture,
    settled,
)


async def _registered_by_webhook(w: ClerkWorld, name: str, at: datetime) -> None:
    user_id = w.newcomer(name)
    await handle(w.store, users.user, user_id, users.RegisterUser(
        user_id=user_id, clerk_user_id=w.ids[name], email=f"{name}.{w.run}@example.com", email_verified=True,
        name=name, source="portal", by="webhook", at=at), SEEDER)


async def test_a_long_registered_user_cannot_name_a_referrer_after_the_fact(cworld: ClerkWorld) -> None:
    w = cworld
    code = await _default_code(w, "stranger")
    await _registered_by_webhook(w, "old", datetime.now(UTC) - timedelta(days=30))
    before = await settled(w.store)
    late = await w.register("old", code)
    await assert_refused(late, 422)
    assert late.json()["code"] == "referral_code_too_late"
    assert await stored(w.store) == before
    assert (await w.register("old")).status_code == 200  # registering again without a code is as before

    await _registered_by_webhook(w, "new", datetime.now(UTC) - timedelta(minutes=2))
    signed_up = await w.register("new", code)
    assert signed_up.status_code == 200, signed_up.text
    assert (await w.register("new", code)).status_code == 200  # retried: nothing more
