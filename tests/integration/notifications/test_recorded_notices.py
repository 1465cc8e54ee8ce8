"""The notices that were recorded and reached nobody: an expiry coming, an offer accepted, a pre-screen asked
for, a note, a placement's state, a payout failed for good, a Connect account's state, a subscription cancelled,
a representation declined or withdrawn, a company and a recruiter asking to work together. Each goes to the
people it concerns, through the same gates and once however often the event comes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from commands.ats import application as applications
from commands.ats import company as companies
from commands.ats import job as jobs
from commands.ats import placement as placements
from commands.ats.application_events import ApplicationStageChanged
from commands.ats.events import JobStatusChanged
from commands.ats.note_events import ApplicationNoteAdded
from commands.billing.events import ConnectAccountDisabled, ConnectAccountOnboarded, SubscriptionCanceled
from commands.billing.placement_events import PayoutTransaction, PayoutTransferFailed, PlacementSplitsComputed
from commands.identity.events import InvitationAccepted
from commands.identity.user import user_id_for
from commands.network import firm as firms
from commands.network.events import (
    FirmInvitationAccepted,
    RecruiterCandidateConsentDeclined,
    RecruiterCandidateInvitationCancelled,
    RecruiterCompanyAccepted,
    RecruiterCompanyConnectionRequested,
)
from consumers.notifications.reactions import notifications_reactor
from eventstore import ANY_VERSION, RecordedEvent, handle, load, stream_id_for
from tests.api import SEEDER
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.integration.notifications.test_notifications import World, _application, _inbox, _reaction
from tests.integration.notifications.test_notifications import world as world  # noqa: F401  (the fixture)


async def _react(w: World, recorded: RecordedEvent, times: int = 2) -> None:
    await w.projected()
    for _ in range(times):  # delivered again: nobody is told twice
        await notifications_reactor.handler(_reaction(w, recorded))


async def _recorded(w: World, stream_id: str, event: Any) -> RecordedEvent:
    assert w.store.registry is not None
    await w.store.append(stream_id, [w.store.registry.encode(event)], ANY_VERSION)
    return (await w.store.read_stream(stream_id))[-1]


async def _at_stage(w: World, application_id: UUID, stage: str) -> None:
    """Walks the application to `stage` as its history would (the moves to get there are not what is tested)."""
    state, _, _ = await load(w.store, applications.application, stream_id_for(applications.application,
                                                                               application_id))
    await _recorded(w, stream_id_for(applications.application, application_id), ApplicationStageChanged(
        application_id=application_id, from_stage=state.stage, to_stage=stage, reason=None, by="seed",
        by_role="platform_admin", at=datetime.now(UTC)))


def _subjects(w: World, name: str) -> list[str]:
    return [sent["subject"] for sent in w.resend.sent_to(w.email(name))]


async def test_an_expiry_warning_reaches_every_party_and_says_whom_it_waits_on(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "submitted")
    warned = await handle(w.store, applications.application, application_id, applications.RecordExpiryWarning(
        application_id=application_id, by="scheduler", at=datetime.now(UTC) + timedelta(days=13)), SEEDER)
    recorded = (await w.store.read_stream(warned.stream_id))[-1]
    assert recorded.type == "ApplicationExpiryWarned"
    await _react(w, recorded)

    cami, rex, cora = (w.resend.sent_to(f"cami_{w.run}@example.com"), w.resend.sent_to(w.email("rex")),
                       w.resend.sent_to(w.email("cora")))
    assert [len(cami), len(rex), len(cora)] == [1, 1, 1]
    assert w.resend.sent_to(w.email("sam")) == []  # Starter: in-app only
    assert cami[0]["subject"].startswith("Expiring on ")
    assert "It is waiting on the company." in cami[0]["text"] and "It is waiting on you." in cora[0]["text"]
    assert f"https://app.example/applications/{application_id}" in cami[0]["text"]
    assert [n["template"] for n in await _inbox(w, "sam")] == ["expiry_warning"]


async def test_an_early_expiry_warning_does_not_reach_the_company(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "recruiter_proposed")
    warned = await handle(w.store, applications.application, application_id, applications.RecordExpiryWarning(
        application_id=application_id, by="scheduler", at=datetime.now(UTC) + timedelta(days=6)), SEEDER)
    await _react(w, (await w.store.read_stream(warned.stream_id))[-1])
    assert len(w.resend.sent_to(f"cami_{w.run}@example.com")) == 1 and len(w.resend.sent_to(w.email("rex"))) == 1
    assert w.resend.sent_to(w.email("cora")) == []


async def test_a_note_is_announced_only_to_those_who_read_it_and_never_to_its_author(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "submitted")
    cora = user_id_for(w.clerk_id("cora"))
    company_only = ApplicationNoteAdded(
        note_id=uuid4(), application_id=application_id, created_by_user_id=cora, created_by_type="company_admin",
        note_type="note", visibility="company_only", message="Strong, but the salary is high", in_response_to_id=None,
        by=w.clerk_id("cora"), at=datetime.now(UTC))
    await _react(w, await _recorded(w, f"note-{company_only.note_id}", company_only))
    assert w.resend.sent_to(f"cami_{w.run}@example.com") == [] and w.resend.sent_to(w.email("rex")) == []
    assert w.resend.sent_to(w.email("cora")) == []  # the author
    assert [n["template"] for n in await _inbox(w, "sam")] == ["note_added"]  # the company's recruiter
    assert all("salary" not in sent["text"] for sent in w.resend.sent)

    rex = user_id_for(w.clerk_id("rex"))
    shared = company_only.model_copy(update={"note_id": uuid4(), "created_by_user_id": rex, "visibility": "shared",
                                             "created_by_type": "candidate_recruiter", "by": w.clerk_id("rex")})
    await _react(w, await _recorded(w, f"note-{shared.note_id}", shared))
    assert len(w.resend.sent_to(f"cami_{w.run}@example.com")) == 1 and len(w.resend.sent_to(w.email("cora"))) == 1
    assert w.resend.sent_to(w.email("rex")) == []


async def test_an_accepted_offer_reaches_the_recruiters_and_the_company(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "offer")
    accepted = await handle(w.store, applications.application, application_id, applications.AcceptOffer(
        application_id=application_id, by=w.clerk_id("rex"), by_role="candidate_recruiter", at=datetime.now(UTC)),
        SEEDER)
    recorded = (await w.store.read_stream(accepted.stream_id))[-1]
    assert recorded.type == "ApplicationOfferAccepted"
    await _react(w, recorded)
    assert _subjects(w, "cora") == _subjects(w, "rex") == ["Offer accepted: Cami Candidate · Staff Engineer"]
    assert w.resend.sent_to(f"cami_{w.run}@example.com") == []  # they accepted it


async def test_a_failed_placement_reaches_the_company_and_the_credited_recruiters(world: World) -> None:
    w = world
    placement_id, now = uuid4(), datetime.now(UTC)
    await handle(w.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=w.job_id, candidate_id=w.candidate_id,
        company_id=w.company_id, salary_cents=10_000_000, fee_bps=2000, guarantee_days=90, hired_at=now,
        start_date=date.today(), candidate_recruiter_id=w.recruiters["rex"], by="seed", at=now), SEEDER)
    failed = await handle(w.store, placements.placement, placement_id, placements.FailPlacement(
        placement_id=placement_id, reason="left in the first month", by="cora", at=now), SEEDER)
    await _react(w, (await w.store.read_stream(failed.stream_id))[-1])
    assert _subjects(w, "cora") == _subjects(w, "rex") == ["Placement failed: Cami Candidate · Staff Engineer"]
    assert "left in the first month" in w.resend.sent_to(w.email("rex"))[0]["text"]
    assert w.resend.sent_to(w.email("sam")) == [] and await _inbox(w, "sam") == []  # not credited


async def test_a_payout_that_failed_for_good_reaches_its_recruiter_and_a_retried_one_does_not(world: World) -> None:
    w = world
    placement_id, transaction_id, now = uuid4(), uuid4(), datetime.now(UTC)
    computed = PlacementSplitsComputed(placement_id=placement_id, fee_cents=2_000_000, splits=[], transactions=[
        PayoutTransaction(transaction_id=transaction_id, role="candidate_recruiter", kind="member_payout",
                          payee_kind="recruiter", payee_id=w.recruiters["rex"], amount_cents=1_000_000)],
        platform_remainder_cents=1_000_000, at=now)
    stream = f"placementbilling-{placement_id}"
    await _recorded(w, stream, computed)
    retried = PayoutTransferFailed(placement_id=placement_id, transaction_id=transaction_id, reason="rate limited",
                                   retry_count=1, final=False, at=now)
    await _react(w, await _recorded(w, stream, retried))
    assert w.resend.sent_to(w.email("rex")) == []
    final = retried.model_copy(update={"reason": "account closed", "retry_count": 5, "final": True})
    await _react(w, await _recorded(w, stream, final))
    assert _subjects(w, "rex") == ["A payout could not be made"]
    assert "account closed" in w.resend.sent_to(w.email("rex"))[0]["text"]


async def test_connect_account_and_subscription_changes_reach_their_owner(world: World) -> None:
    w = world
    now, rex = datetime.now(UTC), w.recruiters["rex"]
    for event in (ConnectAccountOnboarded(payee_kind="recruiter", payee_id=rex, stripe_account_id="acct_1", at=now),
                  ConnectAccountDisabled(payee_kind="recruiter", payee_id=rex, stripe_account_id="acct_1",
                                         reason="requirements.past_due", at=now)):
        await _react(w, await _recorded(w, f"connect-{rex}", event))
    rex_user = user_id_for(w.clerk_id("rex"))
    canceled = SubscriptionCanceled(user_id=rex_user, cancel_at=now + timedelta(days=20), by="rex", at=now)
    await _react(w, await _recorded(w, f"subscription-{rex_user}", canceled))
    assert _subjects(w, "rex") == ["Payouts are enabled for your Stripe account",
                                   "Payouts are paused for your Stripe account", "Your subscription is cancelled"]
    assert "requirements.past_due" in w.resend.sent_to(w.email("rex"))[1]["text"]


async def test_representation_declined_and_withdrawn_reach_the_other_party(world: World) -> None:
    w = world
    now, relationship_id = datetime.now(UTC), uuid4()
    declined = RecruiterCandidateConsentDeclined(relationship_id=relationship_id, recruiter_id=w.recruiters["rex"],
                                                 candidate_id=w.candidate_id, reason="I have a recruiter",
                                                 by="cami", at=now)
    await _react(w, await _recorded(w, f"rtr-{relationship_id}", declined))
    cancelled = RecruiterCandidateInvitationCancelled(relationship_id=uuid4(), recruiter_id=w.recruiters["rex"],
                                                      candidate_id=w.candidate_id, by="rex", at=now)
    await _react(w, await _recorded(w, f"rtr-{cancelled.relationship_id}", cancelled))
    assert _subjects(w, "rex") == ["Cami Candidate declined your representation"]
    cami = w.resend.sent_to(f"cami_{w.run}@example.com")
    assert [sent["subject"] for sent in cami] == [f"{_name(w)} withdrew their invitation"]


def _name(w: World) -> str:
    return w.clerk_id("rex")  # seeded users are named after their Clerk id


async def test_a_company_and_a_recruiter_are_told_of_each_others_steps(world: World) -> None:
    w = world
    now, relationship_id = datetime.now(UTC), uuid4()
    rex = w.recruiters["rex"]
    requested = RecruiterCompanyConnectionRequested(
        relationship_id=relationship_id, recruiter_id=rex, company_id=w.company_id, relationship_type="recruiter",
        message="I place staff engineers", terms_acknowledged_at=now, terms_acknowledged_by="rex", by="rex", at=now)
    await _react(w, await _recorded(w, f"rc-{relationship_id}", requested))
    assert _subjects(w, "cora") == [f"{_name(w)} asks to work with Acme"]
    assert w.resend.sent_to(w.email("rex")) == []  # who asked
    accepted = RecruiterCompanyAccepted(
        relationship_id=relationship_id, recruiter_id=rex, company_id=w.company_id, relationship_type="recruiter",
        permissions=[], accepted_by="company", terms_acknowledged_at=now, terms_acknowledged_by="rex", by="cora",
        at=now)
    await _react(w, await _recorded(w, f"rc-{relationship_id}", accepted))
    assert _subjects(w, "rex") == ["Working together: Acme accepted"]
    assert len(w.resend.sent_to(w.email("cora"))) == 1  # who accepted is not told again


async def test_a_job_moving_is_told_to_the_company_admins_but_not_to_whoever_moved_it(world: World) -> None:
    w = world
    for by, expected in ((w.clerk_id("sam"), 1), (w.clerk_id("cora"), 1)):
        moved = JobStatusChanged(job_id=w.job_id, from_status="draft", to_status="closed", reason="budget frozen",
                                 by=by, at=datetime.now(UTC))
        await _react(w, await _recorded(w, stream_id_for(jobs.job, w.job_id), moved))
        assert len(w.resend.sent_to(w.email("cora"))) == expected  # the second move was hers: no second email
    assert _subjects(w, "cora") == ["Staff Engineer is now closed"]
    assert "budget frozen" in w.resend.sent_to(w.email("cora"))[0]["text"]


async def test_a_new_member_is_announced_to_the_organizations_admins_and_the_firms_owner(world: World) -> None:
    w = world
    company, _, _ = await load(w.store, companies.company, stream_id_for(companies.company, w.company_id))
    sam = user_id_for(w.clerk_id("sam"))
    joined = InvitationAccepted(invitation_id=uuid4(), organization_id=company.identity_organization_id,
                                company_id=None, email=w.email("sam"), role="hiring_manager", user_id=sam,
                                by=w.clerk_id("sam"), at=datetime.now(UTC))
    await _react(w, await _recorded(w, f"invitation-{joined.invitation_id}", joined))
    [subject] = _subjects(w, "cora")
    assert subject.startswith(f"{w.clerk_id('sam')} joined Org ")  # the seeded organization's name
    assert w.resend.sent_to(w.email("sam")) == []

    firm_id, rex = uuid4(), user_id_for(w.clerk_id("rex"))
    await handle(w.store, firms.firm, firm_id, firms.CreateFirm(
        firm_id=firm_id, name="Rex & Co", slug=f"rex-co-{w.run}", by_user_id=rex, may_create_firms=True, by="rex",
        at=datetime.now(UTC)), SEEDER)
    member = FirmInvitationAccepted(invitation_id=uuid4(), firm_id=firm_id, email=w.email("sam"), role="member",
                                    user_id=sam, by=w.clerk_id("sam"), at=datetime.now(UTC))
    await _react(w, await _recorded(w, f"firminvitation-{member.invitation_id}", member))
    assert _subjects(w, "rex") == [f"{w.clerk_id('sam')} joined Rex & Co"]
