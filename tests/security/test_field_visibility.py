"""Reads showing more than the reader's role allows: every GET route of the app, called as each kind of caller
on a marketplace where a company hired a recruiter's candidate, answers only the fields declared for that
caller (api/visibility.py); and the two leaks found by hand, reproduced.

Callers: anonymous; the placed candidate; a recruiter with no part in the placement; the recruiter who brought
the candidate (credited with a split); the company's admin and a hiring manager; a platform admin. The world is
that of tests/integration/ats/test_applications_api.py, taken to a hire by tests/integration/ats/test_placements_api.py.
"""

from __future__ import annotations

import pytest
import re
from collections.abc import Iterator, Mapping
from typing import Any, get_args, get_origin
from uuid import uuid4

from fastapi.routing import APIRoute
from pydantic import BaseModel

from infra.app import create_app
from api.visibility import (
    APPLICATION,
    CANDIDATE,
    JOB,
    NOTE,
    PLACEMENT,
    READ_MODELS,
    RECRUITER,
    RECRUITER_CANDIDATE,
    RECRUITER_COMPANY,
    STAGE_MOVE,
)
from commands.identity.user import user_id_for
from commands.network.recruiter_candidate import recruiter_candidate_id_for
from tests.integration.ats.test_applications_api import World, world_fixture  # noqa: F401  (the `world` fixture)
from tests.integration.ats.test_placements_api import _hired

# The caller of each role in the world of tests/integration/ats/test_applications_api.py, after a hire.
WHO = {"anonymous": "anonymous", "candidate": "cand", "recruiter": "stranger", "split_recruiter": "rtr",
       "company_admin": "a_admin", "hiring_manager": "a_manager", "platform_admin": "admin"}
ROLES = tuple(WHO)

# Which read model each route answers with, and which viewer of it each caller is in the world (the test's own
# reading of domain §2.3, not the code's): a caller missing here must be given no row of that model at all.
ROUTE_MODELS = {
    "/v1/jobs": "job", "/v1/jobs/{job_id}": "job",
    "/v1/placements": "placement", "/v1/placements/{placement_id}": "placement",
    "/v1/applications/{application_id}/notes": "note",
    "/v1/applications": "application", "/v1/applications/{application_id}": "application",
    "/v1/candidates": "candidate", "/v1/candidates/{candidate_id}": "candidate", "/v1/candidates/me": "candidate",
    "/v1/recruiters": "recruiter", "/v1/recruiters/me": "recruiter", "/v1/recruiters/{recruiter_id}": "recruiter",
    "/v1/recruiter-candidates": "recruiter_candidate",
    "/v1/recruiter-candidates/{relationship_id}": "recruiter_candidate",
    "/v1/recruiter-companies": "recruiter_company", "/v1/recruiter-companies/{relationship_id}": "recruiter_company",
    "/v1/jobs/{job_id}/activity": "job_activity", "/v1/applications/{application_id}/activity": "application_activity",
}
VIEWERS: dict[str, dict[str, str]] = {
    "job": {"anonymous": "anonymous", "candidate": "candidate", "recruiter": "recruiter",
            "split_recruiter": "recruiter", "company_admin": "company", "hiring_manager": "company",
            "platform_admin": "platform_admin"},
    "placement": {"candidate": "candidate", "split_recruiter": "party_recruiter", "company_admin": "company",
                  "hiring_manager": "company", "platform_admin": "platform_admin"},
    "application": {"candidate": "candidate", "split_recruiter": "candidate_recruiter", "company_admin": "company",
                    "hiring_manager": "company", "platform_admin": "platform_admin"},
    # The one note was written by the company's recruiter, none of these callers.
    "note": {"candidate": "reader", "split_recruiter": "reader", "company_admin": "reader",
             "hiring_manager": "reader", "platform_admin": "platform_admin"},
    # Every candidate of the world has an account of their own: only they control their record. The company
    # hired the placed candidate (what a hire unlocks: docs/decisions.md).
    "candidate": {"candidate": "controller", "recruiter": "recruiter", "split_recruiter": "recruiter",
                  "company_admin": "hiring_company", "hiring_manager": "hiring_company",
                  "platform_admin": "platform_admin"},
    # The job is company A's: its staff are its parties; a candidate and the recruiters with no tie to it read
    # what the marketplace shows of it.
    "job_activity": {"candidate": "public", "recruiter": "recruiter", "split_recruiter": "recruiter",
                     "company_admin": "party", "hiring_manager": "party", "platform_admin": "platform_admin"},
    "application_activity": {"candidate": "party", "split_recruiter": "party", "company_admin": "party",
                             "hiring_manager": "party", "platform_admin": "platform_admin"},
    # The world's recruiters are not on the marketplace: only they and platform admins read their profiles.
    "recruiter": {"recruiter": "self", "split_recruiter": "self", "platform_admin": "platform_admin"},
    "recruiter_candidate": {"candidate": "candidate", "split_recruiter": "recruiter",
                            "platform_admin": "platform_admin"},
    "recruiter_company": {"company_admin": "company", "hiring_manager": "company", "platform_admin": "platform_admin"},
}

# Routes whose `data` is not a read model's rows: health and status reports, a payout summary, maps keyed by
# category or company. A new route of that kind must be named here; any other must declare its fields (a
# model above, or a response model), so that this walk holds it to them.
UNTYPED = {"/health", "/ready", "/admin/status", "/v1/payout-schedules/stats", "/v1/notification-preferences",
           "/v1/recruiter-companies/my-permissions"}

# Routes whose answer is not a JSON read model: documentation, metrics text, files and signed bundles.
NOT_JSON = {"/openapi.json", "/asyncapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics", "/v1/users/me/export",
            "/v1/admin/subjects/{person_id}/export", "/v1/audit/placements/{placement_id}/export",
            "/v1/documents/{document_id}/content",
            "/v1/stream"}  # server-sent events, open until the stream's limit: what each event carries is its own test


def get_routes() -> Iterator[APIRoute]:
    """Every GET route of the app, through the routers it includes."""
    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            if hasattr(route, "effective_candidates"):  # an included router
                yield from walk(route.effective_candidates())
            else:
                yield route

    for route in walk(create_app(None).routes):  # type: ignore[arg-type]
        if "GET" in (getattr(route, "methods", None) or ()):
            yield route


def _path(template: str, world: World, ids: dict[str, Any]) -> str:
    """The route's path for the world's own entities (a random id where the world has none)."""
    known = {"job_id": world.jobs["a"], "candidate_id": world.candidate["cand"], "company_id": world.company_a,
             "owner_id": world.company_a, "recruiter_id": world.recruiter["rtr"], "tier": "starter", "token": "t" * 40,
             "relationship_id": recruiter_candidate_id_for(world.recruiter["rtr"], world.candidate["cand"]), **ids}
    return re.sub(r"\{(\w+)\}", lambda m: str(known.get(m.group(1), uuid4())), template)


def _items(body: Any) -> list[Mapping[str, Any]]:
    """The objects of a `{"data": …}` answer."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    return []


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through lists, unions, optionals)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _declared_by_schema(route: Any) -> frozenset[str] | None:
    """For a route answering one shape to everyone: the fields its response model declares for the items of
    its `data` (None when it declares none, or when `data` is a map keyed by names rather than a model)."""
    model = getattr(route, "response_model", None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        if "data" not in model.model_fields:
            return frozenset(model.model_fields)
        data = model.model_fields["data"].annotation
    elif get_origin(model) is dict:  # a return annotation such as dict[str, list[FirmOut]]
        data = get_args(model)[1]
    else:
        return None
    if get_origin(data) is dict:
        return None  # a map keyed by names (categories, companies), not a read model's fields
    models = _models_in(data)
    return frozenset().union(*(m.model_fields for m in models)) if models else None


async def _placed(world: World) -> dict[str, Any]:
    """The hire, and a note the company's recruiter shares with every party of the application."""
    application_id, placement_id = await _hired(world)
    noted = await world.post("co", f"/v1/applications/{application_id}/notes",
                             {"visibility": "shared", "message": "Start date confirmed"})
    assert noted.status_code == 201, noted.text
    return {"application_id": application_id, "placement_id": placement_id, "note_id": noted.json()["id"]}


@pytest.mark.slow
async def test_every_get_route_answers_each_role_only_its_declared_fields(world: World) -> None:
    ids = await _placed(world)
    leaks: list[str] = []
    seen_models: set[tuple[str, str]] = set()
    for route in get_routes():
        if route.path_format in NOT_JSON:
            continue
        path = _path(route.path_format, world, ids)
        for role, caller in WHO.items():
            answer = await world.get(caller, path)
            if answer.status_code != 200 or "json" not in answer.headers.get("content-type", ""):
                continue
            items = _items(answer.json())
            model_name, viewer = ROUTE_MODELS.get(route.path_format), None
            if model_name is not None:
                viewer = VIEWERS[model_name].get(role)
                if items and viewer is None:
                    leaks.append(f"{role} GET {route.path_format}: given {model_name} rows it may not see")
                    continue
                allowed = READ_MODELS[model_name].sees(viewer) if viewer else frozenset()
                if items:
                    seen_models.add((model_name, role))
            else:
                declared = _declared_by_schema(route)
                if declared is None:
                    if route.path_format not in UNTYPED:
                        leaks.append(f"GET {route.path_format}: no declaration of the fields it answers")
                    continue
                allowed = declared
            nested = READ_MODELS[model_name].nested if model_name and viewer else {}
            for item in items:
                extra = set(item) - allowed
                for key, inner in nested.items():  # rows of another model inside this one (stage history)
                    for row in item.get(key) or ():
                        extra |= {f"{key}.{name}" for name in set(row) - inner.sees(viewer)}
                if extra:
                    leaks.append(f"{role} GET {route.path_format}: {sorted(extra)}")
    assert not leaks, "\n".join(leaks)
    # The walk reached each declared model as each role that may read it (else it proves nothing).
    expected = {(m, r) for m, viewers in VIEWERS.items() for r in viewers}
    assert expected <= seen_models, sorted(expected - seen_models)


async def test_the_public_and_candidates_do_not_see_a_jobs_terms(world: World) -> None:
    """Reproduction: anonymous and candidate callers of GET /v1/jobs[/{id}] got the fee, the recruiters' brief,
    the guarantee and the internal id of the user who created the job."""
    job_id = str(world.jobs["a"])
    hidden = {"fee_percentage", "recruiter_description", "guarantee_days", "created_by", "job_owner_recruiter_id"}
    for caller in ("anonymous", "cand"):
        listed = await world.get(caller, "/v1/jobs")
        detail = await world.get(caller, f"/v1/jobs/{job_id}")
        assert listed.status_code == detail.status_code == 200, (caller, listed.text, detail.text)
        jobs = listed.json()["data"] + [detail.json()["data"]]
        assert job_id in {j["id"] for j in jobs} and len(jobs) == 4  # the three active jobs, and the one read
        for job in jobs:
            assert not hidden & set(job), (caller, sorted(hidden & set(job)))
            assert job["status"] == "active"
    # The recruiters who work it and the company that posted it still see its terms; only admins who made it.
    for caller in ("stranger", "a_admin"):
        job = (await world.get(caller, f"/v1/jobs/{job_id}")).json()["data"]
        assert (job["fee_percentage"], job["guarantee_days"]) == (22.5, 60), caller
        assert "created_by" not in job
    assert (await world.get("admin", f"/v1/jobs/{job_id}")).json()["data"]["created_by"] == "test"


async def test_the_placed_candidate_does_not_see_the_fee_or_who_earns_it(world: World) -> None:
    """Reproduction: the candidate of a placement got `fee_bps`, `fee_cents` and every credited recruiter's id
    from GET /v1/placements/{id}, while GET …/money answers them 404."""
    placement_id = str((await _placed(world))["placement_id"])
    assert (await world.get("cand", f"/v1/placements/{placement_id}/money")).status_code == 404
    hidden = {"fee_bps", "fee_cents", "guarantee_days", "guarantee_expires_at", "candidate_recruiter_id",
              "company_recruiter_id", "job_owner_recruiter_id", "candidate_sourcer_recruiter_id",
              "company_sourcer_recruiter_id"}
    detail = (await world.get("cand", f"/v1/placements/{placement_id}")).json()["data"]
    listed = (await world.get("cand", "/v1/placements")).json()["data"]
    assert [x["id"] for x in listed] == [placement_id]
    for placement in (detail, *listed):
        assert not hidden & set(placement), sorted(hidden & set(placement))
        assert (placement["state"], placement["salary_cents"]) == ("hired", 12_345_679)
    # The recruiter credited with the split and the company see the terms.
    for caller in ("rtr", "a_admin"):
        seen = (await world.get(caller, f"/v1/placements/{placement_id}")).json()["data"]
        assert (seen["fee_cents"], seen["candidate_recruiter_id"]) == (2_777_778, str(world.recruiter["rtr"])), caller


async def test_a_notes_readers_learn_its_authors_side_not_their_user_id(world: World) -> None:
    """Every party of an application got the internal user id of whoever wrote each note they read."""
    ids = await _placed(world)
    path = f"/v1/applications/{ids['application_id']}/notes"
    for caller in ("cand", "rtr", "a_admin"):
        notes = (await world.get(caller, path)).json()["data"]
        assert [(n["id"], n["created_by_type"]) for n in notes] == [(ids["note_id"], "company_recruiter")], caller
        assert "created_by_user_id" not in notes[0], caller
    for caller in ("co", "admin"):  # its author, and platform admins
        notes = (await world.get(caller, path)).json()["data"]
        assert notes[0]["created_by_user_id"] == str(user_id_for(world.ids["co"])), caller


def test_the_declarations_cover_the_response_models() -> None:
    """Every field a read model's response can carry is declared for some viewer, and every field some viewer
    is denied is optional in the OpenAPI schema (so a client knows it may be absent)."""
    from api.ats.application_models import ApplicationDetail, NoteOut, PlacementOut, StageMove
    from api.ats.models import CandidateOut, JobOut
    from api.network.models import RecruiterCandidateOut, RecruiterCompanyOut, RecruiterOut, RecruiterPublic
    from api.ats.activity_models import ApplicationActivityOut, JobActivityOut, JobNoteOut
    from api.ats.candidate_profile_models import CandidateProfileOut

    # A recruiter's profile has a schema per view: the marketplace's and the whole one.
    assert RECRUITER.sees("public") == frozenset(RecruiterPublic.model_fields)
    assert RECRUITER.sees("self") == RECRUITER.sees("platform_admin") == frozenset(RecruiterOut.model_fields)
    pairs = ((JOB, JobOut), (APPLICATION, ApplicationDetail), (PLACEMENT, PlacementOut),
             (CANDIDATE, CandidateOut), (STAGE_MOVE, StageMove), (NOTE, NoteOut),
             (RECRUITER_CANDIDATE, RecruiterCandidateOut), (RECRUITER_COMPANY, RecruiterCompanyOut),
             (READ_MODELS["candidate_profile"], CandidateProfileOut), (READ_MODELS["job_activity"], JobActivityOut),
             (READ_MODELS["application_activity"], ApplicationActivityOut), (READ_MODELS["job_note"], JobNoteOut))
    # Every read model is held to its schema here (the recruiter's, with two schemas, above): a new one joins.
    assert set(READ_MODELS) <= {model.name for model, _ in pairs} | {RECRUITER.name}, \
        sorted(set(READ_MODELS) - {model.name for model, _ in pairs} - {RECRUITER.name})
    for model, schema in pairs:
        declared = frozenset.union(*model.fields.values())
        assert declared == frozenset(schema.model_fields), (model.name, declared ^ frozenset(schema.model_fields))
        required = {name for name, f in schema.model_fields.items() if f.is_required()}
        assert required <= model.everyone_sees, (model.name, sorted(required - model.everyone_sees))

