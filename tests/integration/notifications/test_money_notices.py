"""The notices about placements and their money, against the fake Resend: a first placement told as such (and the
fee never to the candidate), each state of a placement its own notice, a payout held and released, a dispute at
each step (to the company and only the recruiters whose payout it holds, each reading their own amount), an
invoice on net terms to the company's admins and its billing email, billing set up, a tier lost."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from commands.ats import placement as placements
from commands.automation.reputation_events import RecruiterTierChanged
from commands.billing import billing_profile as profiles
from commands.billing import placement_billing as money
from commands.billing.placement_events import (
    PayoutTransaction,
    PayoutTransferred,
    PlacementSnapshotFrozen,
    PlacementSplitsComputed,
)
from commands.identity.user import user_id_for
from eventstore import RecordedEvent, handle, load_checkpoint
from tests.api import SEEDER, seed_user
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.helpers import settled_head, wait_until
from tests.integration.notifications.test_notifications import World, _inbox
from tests.integration.notifications.test_notifications import world as world  # noqa: F401  (the fixture)
from tests.integration.notifications.test_recorded_notices import _react, _recorded, _subjects

REX_CENTS, SAM_CENTS = 1_234_500, 456_700  # $12,345.00 held for Rex; $4,567.00 paid to Sam before any hold


def _cami(w: World) -> list[dict]:
    return w.resend.sent_to(f"cami_{w.run}@example.com")


async def _billing_projected(w: World) -> None:
    head = await settled_head(w.store)

    async def caught_up() -> bool:
        async with w.store.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, "projection:billing")
        return checkpoint is not None and checkpoint.position >= head

    await wait_until(caught_up)


async def _last(w: World, stream_id: str) -> RecordedEvent:
    return (await w.store.read_stream(stream_id))[-1]


async def _placement(w: World, *, sam: bool = False, at: datetime | None = None) -> tuple[UUID, RecordedEvent]:
    """A placement of Cami at Acme, credited to Rex (and to Sam as the company's recruiter): its creation."""
    placement_id, now = uuid4(), at or datetime.now(UTC)
    result = await handle(w.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=w.job_id, candidate_id=w.candidate_id,
        company_id=w.company_id, salary_cents=10_000_000, fee_bps=2000, guarantee_days=90, hired_at=now,
        start_date=date.today(), candidate_recruiter_id=w.recruiters["rex"],
        company_recruiter_id=w.recruiters["sam"] if sam else None, by="seed", at=now), SEEDER)
    return placement_id, await _last(w, result.stream_id)


async def _money_trail(w: World) -> UUID:
    """A placement whose payouts are Rex's (not transferred) and Sam's (transferred already)."""
    placement_id, now = (await _placement(w, sam=True))[0], datetime.now(UTC)
    rex_payout, sam_payout = uuid4(), uuid4()
    stream = f"placementbilling-{placement_id}"
    await _recorded(w, stream, PlacementSnapshotFrozen(
        placement_id=placement_id, application_id=uuid4(), job_id=w.job_id, company_id=w.company_id,
        fee_cents=2_000_000, hired_at=now, roles=[], at=now))
    await _recorded(w, stream, PlacementSplitsComputed(
        placement_id=placement_id, fee_cents=2_000_000, splits=[], platform_remainder_cents=2_000_000 - REX_CENTS
        - SAM_CENTS, transactions=[
            PayoutTransaction(transaction_id=rex_payout, role="candidate_recruiter", kind="member_payout",
                              payee_kind="recruiter", payee_id=w.recruiters["rex"], amount_cents=REX_CENTS),
            PayoutTransaction(transaction_id=sam_payout, role="company_recruiter", kind="member_payout",
                              payee_kind="recruiter", payee_id=w.recruiters["sam"], amount_cents=SAM_CENTS)],
        at=now))
    await _recorded(w, stream, PayoutTransferred(placement_id=placement_id, transaction_id=sam_payout,
                                                 stripe_transfer_id="tr_sam", stripe_account_id="acct_sam",
                                                 amount_cents=SAM_CENTS, at=now - timedelta(minutes=5)))
    return placement_id


async def _decided(w: World, placement_id: UUID, command: object) -> RecordedEvent:
    """The placement's money decider records the command; the reactor gets what it recorded, once projected."""
    result = await handle(w.store, money.placement_billing, placement_id, command, SEEDER)
    recorded = await _last(w, result.stream_id)
    await _billing_projected(w)
    return recorded


async def test_a_first_placement_is_told_as_such_the_next_is_not_and_the_candidate_never_reads_the_fee(
        world: World) -> None:
    w = world
    _, first = await _placement(w, at=datetime.now(UTC) - timedelta(hours=1))
    await _react(w, first)
    assert _subjects(w, "cora") == _subjects(w, "rex") == [
        "Your first placement on Splits: Cami Candidate · Staff Engineer"]
    assert "your company made its first hire" in w.resend.sent_to(w.email("cora"))[0]["text"]
    assert "Placement fee: $20,000.00" in w.resend.sent_to(w.email("rex"))[0]["text"]
    [to_cami] = _cami(w)
    assert to_cami["subject"] == "Placement: Cami Candidate · Staff Engineer"
    assert "$" not in to_cami["text"] + to_cami["html"] and "fee" not in to_cami["text"] + to_cami["html"]

    _, second = await _placement(w, sam=True)
    await _react(w, second)
    assert _subjects(w, "cora")[1:] == _subjects(w, "rex")[1:] == ["Placement: Cami Candidate · Staff Engineer"]
    assert [n["template"] for n in await _inbox(w, "sam")] == ["first_placement"]  # Sam's first (in-app: Starter)
    assert all("$" not in sent["text"] + sent["html"] for sent in _cami(w)) and len(_cami(w)) == 2


async def test_each_state_of_a_placement_is_its_own_notice_to_the_company_and_the_credited_recruiters(
        world: World) -> None:
    w = world
    placement_id, _ = await _placement(w)
    now = datetime.now(UTC)
    for command in (placements.ActivatePlacement(placement_id=placement_id, by="cora", at=now),
                    placements.CompletePlacementGuarantee(placement_id=placement_id, by="scheduler",
                                                          at=now + timedelta(days=120))):
        result = await handle(w.store, placements.placement, placement_id, command, SEEDER)
        await _react(w, await _last(w, result.stream_id))
    assert _subjects(w, "cora") == _subjects(w, "rex") == [
        "Placement active: Cami Candidate · Staff Engineer", "Placement completed: Cami Candidate · Staff Engineer"]
    assert "The guarantee period runs until" in w.resend.sent_to(w.email("rex"))[0]["text"]
    assert "The placement fee will be invoiced to you now." in w.resend.sent_to(w.email("cora"))[1]["text"]
    assert "your payout follows" in w.resend.sent_to(w.email("rex"))[1]["text"]
    assert _cami(w) == [] and await _inbox(w, "sam") == []  # not credited


async def test_a_dispute_reaches_the_company_and_only_the_recruiters_whose_payout_it_holds(world: World) -> None:
    w = world
    await seed_user(w.store, w.clerk_id("root"), roles=[("platform_admin", None)])
    placement_id = await _money_trail(w)
    dispute_id, cora = uuid4(), user_id_for(w.clerk_id("cora"))
    now = datetime.now(UTC)
    opened = await _decided(w, placement_id, money.OpenDispute(
        placement_id=placement_id, dispute_id=dispute_id, dispute_type="fee_amount",
        reason="The salary was lower than recorded", raised_by=str(cora), raised_by_role="company_admin", at=now))
    await _react(w, opened)
    assert w.resend.sent_to(w.email("cora")) == []  # she opened it
    [to_rex] = w.resend.sent_to(w.email("rex"))
    assert to_rex["subject"] == "Dispute opened: Cami Candidate · Staff Engineer"
    assert "The company opened a dispute about the fee amount" in to_rex["text"]
    assert "Your payout of $12,345.00 is held" in to_rex["text"] and "$4,567.00" not in to_rex["text"] + to_rex["html"]
    assert f"https://portal.example/disputes/{dispute_id}" in to_rex["text"]
    [to_root] = w.resend.sent_to(w.email("root"))
    assert f"https://portal.example/admin/disputes/{dispute_id}" in to_root["text"]
    assert "$" not in to_root["text"]

    reviewed = await _decided(w, placement_id, money.ReviewDispute(placement_id=placement_id, dispute_id=dispute_id,
                                                                   by="root", at=now))
    await _react(w, reviewed)
    resolved = await _decided(w, placement_id, money.CloseDispute(
        placement_id=placement_id, dispute_id=dispute_id, outcome="resolved", notes="Fee corrected by a credit note",
        by="root", at=now))
    await _react(w, resolved)
    assert _subjects(w, "cora") == ["Dispute under review: Cami Candidate · Staff Engineer",
                                    "Dispute resolved: Cami Candidate · Staff Engineer"]
    assert _subjects(w, "rex")[1:] == _subjects(w, "cora")
    assert "Fee corrected by a credit note" in w.resend.sent_to(w.email("rex"))[2]["text"]
    assert "$" not in "".join(sent["text"] for sent in w.resend.sent_to(w.email("cora")))
    assert await _inbox(w, "sam") == []  # paid before the dispute: it holds nothing of his
    assert _cami(w) == [] and len(w.resend.sent_to(w.email("root"))) == 1
    assert sorted(n["template"] for n in await _inbox(w, "rex")) == ["dispute_closed", "dispute_opened",
                                                                     "dispute_under_review"]


async def test_an_escrow_hold_tells_the_recruiters_it_holds_and_each_release(world: World) -> None:
    w = world
    placement_id = await _money_trail(w)
    now, manual, dated = datetime.now(UTC), uuid4(), uuid4()
    for hold_id, release_on in ((manual, None), (dated, now + timedelta(days=1))):
        await _react(w, await _decided(w, placement_id, money.PlaceEscrowHold(
            placement_id=placement_id, hold_id=hold_id, reason="The company reports a late start",
            release_on=release_on, by="root", at=now)))
    await _react(w, await _decided(w, placement_id, money.ReleaseEscrowHold(
        placement_id=placement_id, hold_id=manual, by="root", at=now)))
    await _react(w, await _decided(w, placement_id, money.ReleaseEscrowHold(
        placement_id=placement_id, hold_id=dated, automatic=True, by="scheduler", at=now + timedelta(days=1))))
    rex = w.resend.sent_to(w.email("rex"))
    assert [sent["subject"] for sent in rex] == ["Payout on hold: Cami Candidate · Staff Engineer"] * 2 + [
        "Hold released: Cami Candidate · Staff Engineer", "Hold ended: Cami Candidate · Staff Engineer"]
    assert "Your payout of $12,345.00 waits" in rex[0]["text"] and "The company reports a late start" in rex[0]["text"]
    assert "still held by another hold" in rex[2]["text"] and "no longer held" in rex[3]["text"]
    assert all("$4,567.00" not in sent["text"] for sent in rex)
    assert await _inbox(w, "sam") == [] and w.resend.sent_to(w.email("cora")) == [] and _cami(w) == []


async def test_billing_set_up_and_an_invoice_on_net_terms_reach_the_admins_and_the_billing_email(
        world: World) -> None:
    w = world
    now, key = datetime.now(UTC), profiles.billing_profile_key("company", w.company_id)
    billing_email = f"ap_{w.run}@example.com"
    for command in (
        profiles.SaveBillingProfile(owner_kind="company", owner_id=w.company_id, billing_terms="net_30",
                                    billing_email=billing_email, by="cora", at=now),
        profiles.AttachBillingCustomer(owner_kind="company", owner_id=w.company_id,
                                       stripe_customer_id=f"cus_{w.run}", by="cora", at=now),
        profiles.SetDefaultPaymentMethod(owner_kind="company", owner_id=w.company_id,
                                         payment_method_id=f"pm_{w.run}", by="cora", at=now),
    ):
        result = await handle(w.store, profiles.billing_profile, key, command, SEEDER)
        recorded = await _last(w, result.stream_id)
        await _billing_projected(w)
        await _react(w, recorded)  # only the last one is the readiness flipping
    assert _subjects(w, "cora") == ["Billing is set up on Splits"]

    charged, on_terms = await _money_trail(w), await _money_trail(w)
    for placement_id, collection in ((charged, "charge_automatically"), (on_terms, "send_invoice")):
        await _react(w, await _decided(w, placement_id, money.RecordInvoiceIssued(
            placement_id=placement_id, invoice_id=uuid4(), company_id=w.company_id,
            stripe_customer_id=f"cus_{w.run}", stripe_invoice_id=f"in_{uuid4().hex[:8]}", billing_terms="net_30",
            collection_method=collection, fee_cents=2_000_000, processing_fee_cents=60_000,
            amount_due_cents=2_060_000, status="open", number="SPL-0042",
            hosted_invoice_url="https://invoice.stripe.com/i/test", due_date=date(2027, 5, 4),
            by="reactor:invoicing", at=now)))  # charged at once: told when it is paid, not now
    assert _subjects(w, "cora")[1:] == ["Invoice SPL-0042: $20,600.00 due 2027-05-04"]
    [to_billing] = w.resend.sent_to(billing_email)
    assert to_billing["subject"] == "Invoice SPL-0042: $20,600.00 due 2027-05-04"
    assert "https://invoice.stripe.com/i/test" in to_billing["text"] and "net 30 terms" in to_billing["text"]
    assert f"https://portal.example/placements/{on_terms}" in to_billing["text"]
    assert w.resend.sent_to(w.email("rex")) == [] and _cami(w) == []


async def test_a_lost_tier_is_told_as_a_demotion(world: World) -> None:
    w = world
    rex = w.recruiters["rex"]
    demoted = RecruiterTierChanged(recruiter_id=rex, from_tier="pro", to_tier="active", score=61.0,
                                   at=datetime.now(UTC))
    await _react(w, await _recorded(w, f"reputation-recruiter-{rex}", demoted))
    [sent] = w.resend.sent_to(w.email("rex"))
    assert sent["subject"] == "Your Splits tier is now active"
    assert "moved down from pro to active (score 61.0)" in sent["text"]
