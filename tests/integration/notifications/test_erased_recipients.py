"""A person whose data was erased is among the people an event tells: nothing is recorded or sent to them, and
everyone else the event concerns is still told (the erased one does not silence the rest of the list)."""

from __future__ import annotations

from commands.identity.user import user_id_for
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.integration.notifications.test_money_notices import _cami, _placement
from tests.integration.notifications.test_notifications import World, _inbox
from tests.integration.notifications.test_notifications import world as world  # noqa: F401  (the fixture)
from tests.integration.notifications.test_recorded_notices import _react, _subjects


async def test_an_erased_company_admin_is_skipped_and_the_recruiter_and_candidate_are_still_told(
        world: World) -> None:
    w = world
    _, created = await _placement(w)
    assert w.store.keyring is not None
    await w.store.keyring.erase([f"user:{user_id_for(w.clerk_id('cora'))}"])  # Cora, the company's admin: erased
    await _react(w, created)
    assert w.resend.sent_to(w.email("cora")) == []
    assert _subjects(w, "rex") == ["Your first placement on Splits: Cami Candidate · Staff Engineer"]
    assert [sent["subject"] for sent in _cami(w)] == ["Placement: Cami Candidate · Staff Engineer"]
    assert [n["template"] for n in await _inbox(w, "rex")] == ["first_placement"]


async def test_nothing_is_sent_to_an_erased_candidates_address_and_the_others_read_their_name_as_erased(
        world: World) -> None:
    w = world
    _, created = await _placement(w)
    assert w.store.keyring is not None
    await w.store.keyring.erase([f"candidate:{w.candidate_id}"])  # Cami (no account): her name and address erased
    await _react(w, created)
    addressed = [str(r.json.get("to")) for r in w.resend.requests if isinstance(r.json, dict)]
    assert addressed and not [to for to in addressed if "[erased]" in to]  # not even tried
    assert _subjects(w, "rex") == ["Your first placement on Splits: [erased] · Staff Engineer"]
    assert "Cami" not in "".join(sent["text"] + sent["html"] for sent in w.resend.sent)
