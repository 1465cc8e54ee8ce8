"""A resource the caller may not see does not exist for them, on every route, reads and writes alike: each
route with an id in its path, called by a caller with no tie to the world's entities, answers for an existing
id exactly what it answers for an id nobody has used (404, or the same refusal of the caller's role). Only a
caller who may see the resource (its own GET answers them 200) may be told 403 for a change they may not make.

The world is that of tests/integration/ats/test_applications_api.py taken to a hire (tests/security/
test_field_visibility.py), plus a firm, a firm invitation and an organization invitation. The callers: the
world's recruiter with no ties, a registered user with no role at all, the admin of the other company, and a
candidate with no part in anything.
"""

from __future__ import annotations

import pytest
import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from infra.app import create_app
from commands.conversations import conversation as conversations
from commands.conversations.conversation_commands import FirstMessage
from commands.identity import invitation as invitations
from commands.identity.user import user_id_for
from commands.network import firm as firms
from commands.network import company_invitation as company_invitations
from commands.network import recruiter_code as codes
from commands.network.recruiter_candidate import recruiter_candidate_id_for
from commands.network.recruiter_company import recruiter_company_id_for
from tests.api import seed_user
from tests.integration.ats.test_applications_api import World, world_fixture  # noqa: F401  (the `world` fixture)
from tests.helpers import wait_until
from tests.security.test_field_visibility import _placed

# Path parameters no entity of the world stands behind, and why: both calls use ids nobody has used, so these
# routes are held only to answering the unknown id as they always do.
UNSEEDED = {
    "signal_id": "fraud signals are raised by a reactor; the routes are for platform admins only",
    "erasure_id": "an erasure request is a platform admin's; the route is for platform admins only",
    "dispute_id": "billing money routes: tests/integration/billing/test_billing_api.py",
    "hold_id": "billing money routes: tests/integration/billing/test_billing_api.py",
    "schedule_id": "billing money routes: tests/integration/billing/test_billing_api.py",
    "transaction_id": "billing money routes: tests/integration/billing/test_billing_api.py",
    "token": "an invitation token reaches only its candidate (by email)",
    "skill_id": "the catalogue's approved skills are public; approving one is a platform admin's",
    "report_id": "a conversation report is worked by platform admins only: tests/integration/conversations/"
                 "test_moderation.py",
}
# Path parameters that name no entity: the same value in both calls.
NOT_IDS = {"tier": "starter", "category": "application_updates"}


def _template_key(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()
            if "{" in path]


def _example(document: dict[str, Any], schema: dict[str, Any] | None) -> Any:
    """A small instance of a JSON schema: enough for the request to pass validation, so that what the route
    answers is about the resource, not the body."""
    schema = schema or {}
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(document, options[0])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object" or "properties" in schema:
        return {name: _example(document, sub) for name, sub in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    if kind == "array":
        return [_example(document, schema.get("items"))] * schema.get("minItems", 0)
    if kind == "integer":
        return max(schema.get("minimum", 1), 1 if schema.get("exclusiveMinimum") is None else
                   schema["exclusiveMinimum"] + 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if fmt == "uuid":
        return str(uuid4())
    if fmt == "email" or "@" in schema.get("pattern", ""):
        return "someone@example.com"
    if fmt == "date":
        return "2027-03-01"
    if fmt == "date-time":
        return "2027-03-01T09:00:00Z"
    if fmt == "uri":
        return "https://example.com/x"
    return "x" * max(schema.get("minLength", 1), 1)


async def _seed_ids(world: World) -> dict[str, Any]:
    """The id behind each path parameter, by the path's first segments where one name means several things."""
    placed = await _placed(world)
    now = datetime.now(UTC)
    firm_id, firm_owner = uuid4(), user_id_for(world.ids["rtr"])
    await world.command(firms.firm, firm_id, firms.CreateFirm(
        firm_id=firm_id, name="Quiet Search", slug=f"quiet-{str(firm_id)[:8]}", by_user_id=firm_owner,
        may_create_firms=True, by="test", at=now))
    firm_invitation = uuid4()
    await world.command(firms.firm, firm_id, firms.InviteToFirm(
        firm_id=firm_id, invitation_id=firm_invitation, email="newcomer@example.com", role="member",
        by_user_id=firm_owner, by="test", at=now))
    organizations = (await world.get("a_admin", "/v1/organizations")).json()["data"]
    organization_id = UUID(organizations[0]["id"])
    notices: list[dict[str, Any]] = []

    async def noticed() -> bool:  # the hire tells the candidate in-app (the notifier reactor runs in the world)
        notices[:] = (await world.get("cand", "/v1/notifications")).json()["data"]
        return bool(notices)

    await wait_until(noticed, timeout=30)
    document = await world.client.post("/v1/documents", headers=world.headers("rtr"), data={
        "entity_type": "candidate", "entity_id": str(world.candidate["cand"]), "document_type": "resume"},
        files={"file": ("resume.txt", b"Ten years of Python.\n", "text/plain")})
    assert document.status_code == 201, document.text
    world.token = document.json()["consistency_token"] or world.token  # the walk's reads wait for it
    org_invitation = uuid4()
    await world.command(invitations.invitation, org_invitation, invitations.CreateInvitation(
        invitation_id=org_invitation, email="joiner@example.com", organization_id=organization_id,
        role="hiring_manager", by="test", at=now))
    code_id, company_invitation = uuid4(), uuid4()  # a referral code and a company invitation of the recruiter
    await world.command(codes.recruiter_codes, world.recruiter["rtr"], codes.CreateRecruiterCode(
        recruiter_id=world.recruiter["rtr"], code_id=code_id, code="RTRCDE23", by="test", at=now))
    await world.command(company_invitations.company_invitation, company_invitation,
                        company_invitations.InviteCompanyToPlatform(
                            invitation_id=company_invitation, recruiter_id=world.recruiter["rtr"],
                            invite_code="SPLITS-RTR234", token="r" * 64, invited_email="boss@example.com",
                            by="test", at=now))
    talker, listener = user_id_for(world.ids["rtr"]), user_id_for(world.ids["cand"])  # a conversation of theirs
    conversation_id = conversations.conversation_id_for(talker, listener, "none", None)
    await world.command(conversations.conversation, conversation_id, conversations.StartConversation(
        conversation_id=conversation_id, started_by_user_id=talker, recipient_user_id=listener, context_type="none",
        context_id=None, first_message=FirstMessage(body="Hello", client_message_id="m1"), by="test", at=now))
    return {
        "conversation_id": conversation_id, "message_id": conversations.message_id_for(conversation_id, talker, "m1"),
        "job_id": world.jobs["a_draft"], "company_id": world.company_a, "owner_id": world.company_a,
        "candidate_id": world.candidate["cand"], "recruiter_id": world.recruiter["rtr"],
        "application_id": placed["application_id"], "placement_id": placed["placement_id"],
        "note_id": placed["note_id"], "organization_id": organization_id, "firm_id": firm_id,
        "user_id": user_id_for(world.ids["a_manager"]), "person_id": user_id_for(world.ids["cand"]),
        "/v1/recruiter-candidates": recruiter_candidate_id_for(world.recruiter["rtr"], world.candidate["cand"]),
        "/v1/recruiter-companies": recruiter_company_id_for(world.recruiter["co"], world.company_a),
        "/v1/firms": firm_invitation, "/v1/invitations": org_invitation, "notification_id": notices[0]["id"],
        "document_id": document.json()["id"], "code_id": code_id, "code": "RTRCDE23",
        "/v1/company-invitations": company_invitation,
    }


def _value(path: str, name: str, ids: dict[str, Any], schema: dict[str, Any]) -> tuple[Any, Any]:
    """(the existing value, the unknown value) of one path parameter."""
    if name in NOT_IDS:
        return NOT_IDS[name], NOT_IDS[name]
    if "enum" in schema:  # a verb in the path (/v1/jobs/{job_id}/{move})
        return schema["enum"][0], schema["enum"][0]
    prefix = "/".join(path.split("/")[:3])
    if name in {"relationship_id", "invitation_id"}:
        return ids.get(prefix, uuid4()), uuid4()
    if name == "owner_id" and prefix == "/v1/firms":  # a firm's billing
        return ids["firm_id"], uuid4()
    if name in UNSEEDED:
        value = "t" * 40 if name == "token" else uuid4()
        return value, ("u" * 40 if name == "token" else uuid4())
    return ids[name], uuid4()


# Where the read of a resource is not at its own path: an organization invitation is read, by whoever holds its
# link (the id is in it), through its public preview; a saved job or candidate is the job or candidate.
ROOTS = {"/v1/invitations/{invitation_id}": "/v1/invitations/{invitation_id}/preview",
         "/v1/saved/jobs/{job_id}": "/v1/jobs/{job_id}",
         "/v1/saved/candidates/{candidate_id}": "/v1/candidates/{candidate_id}"}


def _root(path: str) -> str:
    """The read of the resource a path acts on: the path up to its first parameter (/v1/jobs/{job_id}/skills →
    its job)."""
    root = path[:path.index("}") + 1]
    return ROOTS.get(root, root)


async def _call(world: World, caller: str, method: str, path: str, body: Any) -> tuple[int, str | None]:
    """The status and problem code (a route's own refusal of the caller's role is the same for both ids)."""
    params = {"after": world.token} if world.token else {}
    answer = await world.client.request(method, path, json=body, params=params, headers=world.headers(caller))
    code = answer.json().get("code") if "json" in answer.headers.get("content-type", "") else None
    return answer.status_code, code


@pytest.mark.slow
async def test_an_existing_resource_a_caller_may_not_see_answers_like_an_unknown_one(world: World) -> None:
    document = create_app(None).openapi()  # type: ignore[arg-type]
    ids = await _seed_ids(world)
    world.ids["nobody"] = f"{world.ids['admin']}_nobody"
    await seed_user(world.store, world.ids["nobody"])
    gets = {_template_key(path) for method, path, _ in _operations(document) if method == "get"}
    revealed, unparsed, compared, seen = [], [], 0, set()
    for caller in ("stranger", "nobody", "b_admin", "cand2"):
        for method, path, operation in _operations(document):
            params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            pairs = {p["name"]: _value(path, p["name"], ids, p.get("schema", {})) for p in params}
            existing = path.format(**{name: pair[0] for name, pair in pairs.items()})
            unknown = path.format(**{name: pair[1] for name, pair in pairs.items()})
            content = operation.get("requestBody", {}).get("content", {})
            body = _example(document, content["application/json"]["schema"]) if "application/json" in content else None
            root_template = _root(path)
            root = root_template.format(**{name: pair[0] for name, pair in pairs.items()})
            visible = _template_key(root_template) in gets and (await world.get(caller, root)).status_code == 200
            if visible:
                seen.add((caller, root_template))
                continue  # they may see it: a 403 for a change they may not make tells them nothing new
            told_unknown = await _call(world, caller, method.upper(), unknown, body)
            told_existing = await _call(world, caller, method.upper(), existing, body)
            compared += 1
            if told_existing[0] == 422:
                unparsed.append(f"{caller} {method.upper()} {path}")
            if told_existing != told_unknown:
                revealed.append(f"{caller} {method.upper()} {path}: existing {told_existing}, unknown {told_unknown}")
    assert not revealed, "\n".join(revealed)
    assert not unparsed, unparsed  # a body the route refused proves nothing about the resource: fix `_example`
    assert compared > 100, compared  # the walk reached the routes (and not only resources the callers may see)
    hidden = {"/v1/jobs/{job_id}", "/v1/applications/{application_id}", "/v1/placements/{placement_id}",
              "/v1/organizations/{organization_id}", "/v1/firms/{firm_id}",
              "/v1/recruiter-candidates/{relationship_id}", "/v1/recruiter-companies/{relationship_id}"}
    assert not {root for _, root in seen} & hidden, seen  # the world's private entities were hidden from both
