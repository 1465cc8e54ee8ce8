"""Notices about candidates beside their representation (consumers/notifications/relationships.py):

- a candidate sourced: the sourcing recruiter gets the confirmation and how long the protection lasts, the
  candidate learns they were added to that recruiter's network; a sourcing by referral code is told by the
  referral's own notice (`referral_redeemed`) and not again here;
- a résumé read (the documents context's text extraction of a candidate's `resume`): whoever uploaded it, the
  candidate in the candidate app or a recruiter in the portal, is told whether its text could be read for the
  AI review. The text itself is never in the notice."""

from __future__ import annotations

from commands.ats.sourcer_events import CandidateSourced
from commands.documents import document as documents
from commands.documents.events import DocumentTextExtracted
from consumers.notifications.people import (
    CANDIDATE, RECRUITER, Notice, Planner, Reads, find_candidate, find_recruiter, find_user,
)
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for


async def _sourced(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: CandidateSourced = reaction.event
    if e.source_method == "referral_code":
        return []
    recruiter = await find_recruiter(db, e.sourcer_recruiter_id)
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    if recruiter is None or candidate is None:
        return []
    context = {"candidate_name": candidate.name or "A candidate", "recruiter_name": recruiter.name or "A recruiter",
               "protection_days": e.protection_window_days,
               "protected_until": e.protection_expires_at.date().isoformat()}
    return [Notice(recruiter, "candidate_sourced", "candidates", context | {"audience": RECRUITER},
                   f"{portal}/candidates/{e.candidate_id}", RECRUITER),
            Notice(candidate, "candidate_sourced", "candidates", context | {"audience": CANDIDATE},
                   f"{candidate_app}/profile", CANDIDATE)]


async def _resume_read(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: DocumentTextExtracted = reaction.event
    doc, _, _ = await load(reaction.store, documents.document, stream_id_for(documents.document, e.document_id))
    if not doc.exists or doc.deleted or doc.document_type != "resume" or doc.entity_type != "candidate":
        return []
    candidate = await find_candidate(reaction.store, db, doc.entity_id)
    if candidate is None:
        return []
    context = {"candidate_name": candidate.name or "A candidate", "filename": doc.filename,
               "readable": e.text_status == "extracted", "truncated": e.truncated}
    if candidate.user_id is not None and doc.uploaded_by == candidate.user_id:
        return [Notice(candidate, "resume_processed", "candidates", context | {"audience": CANDIDATE},
                       f"{candidate_app}/profile", CANDIDATE)]
    uploader = await find_user(db, doc.uploaded_by, is_recruiter=True)
    return [Notice(uploader, "resume_processed", "candidates", context | {"audience": RECRUITER},
                   f"{portal}/candidates/{doc.entity_id}", RECRUITER)] if uploader else []


PLANNERS: dict[type, Planner] = {CandidateSourced: _sourced, DocumentTextExtracted: _resume_read}
