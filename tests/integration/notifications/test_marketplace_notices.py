"""The marketplace's notices of domain §10 against the fake Resend: an application's creation and each move (who is
told, and that the company hears nothing of an application it has not seen), a proposal answered, an AI review
failed, a pre-screen's confirmation, an expiry, a reactivation; a job created (the company's first), expired and
edited; the welcomes; a candidate sourced; a résumé read; an invitation revoked and a company's platform
invitation accepted.

The world (tests/integration/notifications/test_notifications.py): Cami the candidate, represented by Rex (Pro:
emails); Sam the company's recruiter (Starter: in-app only); Cora the company's admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from commands.ats import application as applications
from commands.ats import company as companies
from commands.ats import job as jobs
from commands.ats.application_events import (
    ApplicationAIReviewFailed,
    ApplicationCreated,
    ApplicationExpired,
    ApplicationHired,
    ApplicationPrescreenRequested,
    ApplicationProposalDeclined,
    ApplicationReactivated,
    ApplicationSubmitted,
)
from commands.ats.events import CompanyCreated, JobEdited, JobStatusChanged
from commands.ats.job_rules import CLOSING_DATE_PASSED
from commands.ats.sourcer_events import CandidateSourced
from commands.documents import document as documents
from commands.identity import invitation as invitations
from commands.identity import user as users
from commands.identity.events import UserRegistered
from commands.identity.user import user_id_for
from commands.network import company_invitation as company_invitations
from commands.network import recruiter as recruiters
from commands.network.company_invitation_events import CompanyPlatformInvitationAccepted
from eventstore import handle, load, stream_id_for
from tests.api import SEEDER
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.integration.notifications.test_notifications import World, _application, _inbox
from tests.integration.notifications.test_notifications import world as world  # noqa: F401  (the fixture)
from tests.integration.notifications.test_recorded_notices import _at_stage, _react, _recorded, _subjects

NOW = datetime.now(UTC)


def _cami(w: World) -> list[str]:
    return [sent["subject"] for sent in w.resend.sent_to(f"cami_{w.run}@example.com")]


def _stream(application_id: UUID) -> str:
    return stream_id_for(applications.application, application_id)


async def _templates(w: World, name: str) -> list[str]:
    return sorted(n["template"] for n in await _inbox(w, name))


async def test_a_draft_rejected_is_not_the_companys_news(world: World) -> None:
    w = world
    application_id = await _application(w)  # a draft: the company has not seen it
    await _react(w, await w.moved(application_id, "rejected", reason="not the right time"))
    assert _cami(w) == ["Your application for Staff Engineer: not selected"]
    assert _subjects(w, "rex") == ["Not selected: Cami Candidate · Staff Engineer"]
    assert _subjects(w, "cora") == [] and await _inbox(w, "cora") == []
    assert await _inbox(w, "sam") == []  # the company's recruiter neither


async def test_an_application_created_tells_the_candidate_and_their_recruiter_not_the_company(world: World) -> None:
    w = world
    application_id = uuid4()
    created = await handle(w.store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=w.job_id, candidate_id=w.candidate_id, company_id=w.company_id,
        source="direct", candidate_recruiter_id=w.recruiters["rex"], company_recruiter_id=None,
        by=w.clerk_id("cami"), at=NOW), SEEDER)
    recorded = (await w.store.read_stream(created.stream_id))[-1]
    assert recorded.type == ApplicationCreated.__name__
    await _react(w, recorded)
    assert _cami(w) == ["Your application for Staff Engineer is started"]
    [to_rex] = w.resend.sent_to(w.email("rex"))
    assert to_rex["subject"] == "Cami Candidate started an application for Staff Engineer"
    assert f"https://portal.example/applications/{application_id}" in to_rex["text"]
    assert _subjects(w, "cora") == [] and await _inbox(w, "cora") == []


async def test_a_submission_reaches_the_company_and_spares_the_recruiter_who_made_it(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "ai_reviewed")
    submitted = await _recorded(w, _stream(application_id), ApplicationSubmitted(
        application_id=application_id, from_stage="ai_reviewed", to_stage="submitted", submitted_at=NOW,
        by=w.clerk_id("rex"), by_role="candidate_recruiter", at=NOW))
    await _react(w, submitted)
    [to_cami] = w.resend.sent_to(f"cami_{w.run}@example.com")
    assert to_cami["subject"] == "Submitted to Acme: Staff Engineer"
    assert "submitted your application for Staff Engineer to Acme" in to_cami["text"]
    assert f"https://app.example/applications/{application_id}" in to_cami["text"]
    assert _subjects(w, "cora") == ["New application: Cami Candidate for Staff Engineer"]
    assert _subjects(w, "rex") == []  # he submitted it
    assert await _templates(w, "sam") == ["application_submitted"]


async def test_an_interview_and_a_hire_say_each_partys_words_and_never_the_fee(world: World) -> None:
    w = world
    application_id = await _application(w, seen_by_company=True)
    await _react(w, await w.moved(application_id, "interview"))
    assert _cami(w) == ["Interview invitation: Staff Engineer at Acme"]
    assert _subjects(w, "cora") == ["Interview: Cami Candidate · Staff Engineer"]
    await _at_stage(w, application_id, "offer")
    hired = await _recorded(w, _stream(application_id), ApplicationHired(
        application_id=application_id, from_stage="offer", to_stage="hired", placement_id=uuid4(),
        salary_cents=18_000_000, start_date=date(2027, 1, 4), by=w.clerk_id("cora"), by_role="company", at=NOW))
    await _react(w, hired)
    to_cami = w.resend.sent_to(f"cami_{w.run}@example.com")[-1]
    assert to_cami["subject"] == "Congratulations: you are hired for Staff Engineer"
    assert "starting 2027-01-04" in to_cami["text"] and "$" not in to_cami["text"] + to_cami["html"]
    assert _subjects(w, "rex")[-1] == "Hired: Cami Candidate · Staff Engineer"
    assert _subjects(w, "cora") == ["Interview: Cami Candidate · Staff Engineer"]  # she hired: no second email


async def test_an_unanswered_proposal_expires_as_an_opportunity_and_a_reactivation_is_told(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "recruiter_proposed")
    expired = await _recorded(w, _stream(application_id), ApplicationExpired(
        application_id=application_id, from_stage="recruiter_proposed", to_stage="expired", idle_since=NOW,
        by="scheduler", at=NOW))
    await _react(w, expired)
    assert _cami(w) == ["The opportunity Staff Engineer expired"]
    assert _subjects(w, "rex") == ["Proposal expired: Cami Candidate · Staff Engineer"]
    assert _subjects(w, "cora") == [] and await _inbox(w, "sam") == []
    back = await _recorded(w, _stream(application_id), ApplicationReactivated(
        application_id=application_id, from_stage="expired", to_stage="recruiter_proposed", by=w.clerk_id("rex"),
        by_role="candidate_recruiter", at=NOW))
    await _react(w, back)
    assert _cami(w)[-1] == "Cami Candidate · Staff Engineer: proposed by your recruiter"
    assert len(_subjects(w, "rex")) == 1  # he reactivated it


async def test_a_declined_proposal_tells_the_recruiter_with_the_candidates_reason(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "recruiter_proposed")
    declined = await _recorded(w, _stream(application_id), ApplicationProposalDeclined(
        application_id=application_id, from_stage="recruiter_proposed", to_stage="rejected",
        reason="I am staying where I am", by=w.clerk_id("cami"), by_role="candidate", at=NOW))
    await _react(w, declined)
    [to_rex] = w.resend.sent_to(w.email("rex"))
    assert to_rex["subject"] == "Proposal declined: Cami Candidate · Staff Engineer"
    assert "I am staying where I am" in to_rex["text"]
    assert _cami(w) == [] and _subjects(w, "cora") == []


async def test_a_failed_ai_review_tells_the_candidate_and_recruiter_without_the_models_words(world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "ai_review")
    failed = await _recorded(w, _stream(application_id), ApplicationAIReviewFailed(
        application_id=application_id, from_stage="ai_review", to_stage="ai_failed", review_id=uuid4(),
        reason="model said the candidate lacks depth", by="reactor:ai-review", at=NOW))
    await _react(w, failed)
    [to_cami] = w.resend.sent_to(f"cami_{w.run}@example.com")
    [to_rex] = w.resend.sent_to(w.email("rex"))
    assert to_cami["subject"] == to_rex["subject"] == "AI review failed: Staff Engineer"
    assert all("lacks depth" not in m["text"] + m["html"] for m in (to_cami, to_rex))
    assert _subjects(w, "cora") == [] and await _inbox(w, "sam") == []


async def test_a_prescreen_asked_for_tells_the_screener_confirms_to_the_asker_and_moves_for_the_candidate(
        world: World) -> None:
    w = world
    application_id = await _application(w)
    await _at_stage(w, application_id, "submitted")
    asked = await _recorded(w, _stream(application_id), ApplicationPrescreenRequested(
        application_id=application_id, from_stage="submitted", to_stage="screen",
        company_recruiter_id=w.recruiters["sam"], message="Notice period?", by=w.clerk_id("cora"), by_role="company",
        at=NOW))
    await _react(w, asked)
    [confirmation] = w.resend.sent_to(w.email("cora"))
    assert confirmation["subject"] == "Pre-screen requested: Cami Candidate · Staff Engineer"
    assert "user_sam_" in confirmation["text"] and "was asked to screen them" in confirmation["text"]
    assert await _templates(w, "sam") == ["prescreen_requested"]  # not the screen notice as well
    assert _cami(w) == ["Screening: Staff Engineer"]
    assert _subjects(w, "rex") == ["Screening: Cami Candidate · Staff Engineer"]


async def test_a_job_created_is_the_companys_first_then_an_ordinary_one(world: World) -> None:
    w = world
    first = (await w.store.read_stream(stream_id_for(jobs.job, w.job_id)))[0]
    await _react(w, first)
    second_id = uuid4()
    made = await handle(w.store, jobs.job, second_id, jobs.CreateJob(
        job_id=second_id, company_id=w.company_id, title="Data Engineer", fee_bps=2000, by="cora", at=NOW), SEEDER)
    await _react(w, (await w.store.read_stream(made.stream_id))[0])
    assert _subjects(w, "cora") == ["Your first job on Splits: Staff Engineer", "Job created: Data Engineer"]
    assert "It is a draft" in w.resend.sent_to(w.email("cora"))[1]["text"]
    assert _subjects(w, "rex") == []


async def test_a_job_past_its_closing_date_is_told_as_expired(world: World) -> None:
    w = world
    closed = await _recorded(w, stream_id_for(jobs.job, w.job_id), JobStatusChanged(
        job_id=w.job_id, from_status="active", to_status="closed", reason=CLOSING_DATE_PASSED, by="scheduler", at=NOW))
    await _react(w, closed)
    assert _subjects(w, "cora") == ["Staff Engineer closed: its closing date passed"]


async def test_a_job_edited_in_what_recruiters_work_from_tells_the_recruiters_on_it(world: World) -> None:
    w = world
    await _application(w)  # Rex's and Sam's candidate on the job
    other = await _application(w)
    await _at_stage(w, other, "withdrawn")
    edited = await _recorded(w, stream_id_for(jobs.job, w.job_id), JobEdited(
        job_id=w.job_id, changes={"fee_bps": 1800, "department": "Data"}, by=w.clerk_id("cora"), at=NOW))
    await _react(w, edited)
    assert _subjects(w, "rex") == ["Staff Engineer changed: fee"]
    assert await _templates(w, "sam") == ["job_updated"]
    assert _subjects(w, "cora") == [] and _cami(w) == []  # the editor; a candidate never sees the fee
    unseen = await _recorded(w, stream_id_for(jobs.job, w.job_id), JobEdited(
        job_id=w.job_id, changes={"department": "Platform"}, by=w.clerk_id("cora"), at=NOW))
    await _react(w, unseen)
    assert len(_subjects(w, "rex")) == 1  # a department is not what recruiters work from


async def test_the_welcomes_go_to_a_candidate_a_recruiter_and_a_companys_creator(world: World) -> None:
    w = world
    newcomer = uuid4()
    registered = await _recorded(w, stream_id_for(users.user, newcomer), UserRegistered(
        user_id=newcomer, clerk_user_id=f"user_nina_{w.run}", email=f"nina_{w.run}@example.com", name="Nina",
        image_url=None, source="candidate", referred_by_recruiter_id=None, by="clerk", at=NOW))
    await _react(w, registered)
    [welcome] = w.resend.sent_to(f"nina_{w.run}@example.com")
    assert welcome["subject"] == "Welcome to Splits" and "https://app.example" in welcome["text"]
    assert "notifications@updates.applicant.network" in welcome["from"]

    rex_created = (await w.store.read_stream(stream_id_for(recruiters.recruiter, w.recruiters["rex"])))[0]
    await _react(w, rex_created)
    assert _subjects(w, "rex") == ["Your recruiter profile is ready"]

    company, _, _ = await load(w.store, companies.company, stream_id_for(companies.company, w.company_id))
    for by in (w.clerk_id("sam"), w.clerk_id("cora")):  # Sam is no admin of the organization: not welcomed
        other = uuid4()
        created = await _recorded(w, stream_id_for(companies.company, other), CompanyCreated(
            company_id=other, identity_organization_id=company.identity_organization_id, name="Acme Labs",
            slug=f"acme-labs-{w.run}-{by[-4:]}", website=None, industry=None, company_size=None,
            headquarters_location=None, description=None, logo_url=None, stage=None, founded_year=None, tagline=None,
            mission_statement=None, benefits_summary=None, employee_count=None, tech_stack=[], hiring_process=None,
            social_links={}, marketplace_visible=False, status="active", by=by, at=NOW))
        await _react(w, created)
    assert _subjects(w, "cora") == ["Acme Labs is on Splits"]
    assert await _templates(w, "sam") == []


async def test_a_candidate_sourced_tells_the_sourcer_and_the_candidate_but_not_by_referral(world: World) -> None:
    w = world
    for method in ("referral_code", "manual"):
        sourced = await _recorded(w, f"candidate_sourcer-{w.candidate_id}-{method}", CandidateSourced(
            candidate_id=w.candidate_id, sourcer_recruiter_id=w.recruiters["rex"], sourcer_type="recruiter",
            source_method=method, sourced_at=NOW, protection_window_days=365,
            protection_expires_at=NOW + timedelta(days=365), notes="met at a meetup", by=w.clerk_id("rex"), at=NOW))
        await _react(w, sourced)
    assert _subjects(w, "rex") == ["You sourced Cami Candidate"]
    assert _cami(w) == ["user_rex_" + w.run + " added you to their network"]
    assert all("meetup" not in m["text"] for m in w.resend.sent)


async def test_a_resume_read_is_told_to_whoever_uploaded_it(world: World) -> None:
    w = world
    document_id = uuid4()
    uploaded = await handle(w.store, documents.document, document_id, documents.UploadDocument(
        document_id=document_id, entity_type="candidate", entity_id=w.candidate_id, document_type="resume",
        filename="cami-cv.pdf", content_type="application/pdf", size_bytes=2048, sha256="ab" * 32,
        storage_key=f"candidate/{w.candidate_id}/{document_id}", uploaded_by=user_id_for(w.clerk_id("rex")),
        text_status="extracted", text="Python, Kubernetes", by=w.clerk_id("rex"), at=NOW), SEEDER)
    extracted = (await w.store.read_stream(uploaded.stream_id))[-1]
    assert extracted.type == "DocumentTextExtracted"
    await _react(w, extracted)
    [to_rex] = w.resend.sent_to(w.email("rex"))
    assert to_rex["subject"] == "Résumé read: cami-cv.pdf" and "Kubernetes" not in to_rex["text"]
    assert f"https://portal.example/candidates/{w.candidate_id}" in to_rex["text"]
    assert _cami(w) == []


async def test_an_invitation_revoked_tells_the_address_and_an_accepted_company_tells_its_recruiter(
        world: World) -> None:
    w = world
    company, _, _ = await load(w.store, companies.company, stream_id_for(companies.company, w.company_id))
    invitation_id, invited = uuid4(), f"hm_{w.run}@example.com"
    await handle(w.store, invitations.invitation, invitation_id, invitations.CreateInvitation(
        invitation_id=invitation_id, email=invited, organization_id=company.identity_organization_id,
        role="hiring_manager", by=w.clerk_id("cora"), at=NOW), SEEDER)
    revoked = await handle(w.store, invitations.invitation, invitation_id, invitations.RevokeInvitation(
        invitation_id=invitation_id, by=w.clerk_id("cora"), at=NOW), SEEDER)
    await _react(w, (await w.store.read_stream(revoked.stream_id))[-1])
    [told] = w.resend.sent_to(invited)
    assert told["subject"] == f"Your invitation to Org {w.company_id} was withdrawn"
    assert "no longer works" in told["text"]

    accepted = await _recorded(w, f"company_invitation-{uuid4()}", CompanyPlatformInvitationAccepted(
        invitation_id=uuid4(), recruiter_id=w.recruiters["rex"], accepted_by_user_id=user_id_for(w.clerk_id("cora")),
        organization_id=company.identity_organization_id, company_id=w.company_id, by=w.clerk_id("cora"), at=NOW))
    await _react(w, accepted)
    assert _subjects(w, "rex") == ["Acme accepted your invitation to Splits"]


async def test_a_company_platform_invitation_revoked_tells_the_invited_address_who_withdrew_it(world: World) -> None:
    w = world
    invitation_id, invited = uuid4(), f"founder_{w.run}@example.com"
    invite = company_invitations.InviteCompanyToPlatform(
        invitation_id=invitation_id, recruiter_id=w.recruiters["rex"], invite_code="SPLITS-ABCDEF", token="t" * 40,
        invited_email=invited, company_name_hint="Acme", by=w.clerk_id("rex"), at=NOW)
    await handle(w.store, company_invitations.company_invitation, invitation_id, invite, SEEDER)
    revoke = company_invitations.RevokeCompanyInvitation(
        invitation_id=invitation_id, by_recruiter_id=w.recruiters["rex"], by=w.clerk_id("rex"), at=NOW)
    revoked = await handle(w.store, company_invitations.company_invitation, invitation_id, revoke, SEEDER)
    last = (await w.store.read_stream(revoked.stream_id))[-1]
    assert last.type == "CompanyPlatformInvitationRevoked"
    await _react(w, last)
    [told] = w.resend.sent_to(invited)
    assert told["subject"] == f"user_rex_{w.run}'s invitation to Splits was withdrawn"
    assert _subjects(w, "rex") == []
