"""Schemathesis against the app, as a front-end team's client would meet it: every operation of `/openapi.json`,
every check schemathesis has, as an anonymous caller, a platform admin, a company admin and a recruiter, on a
marketplace where a company hired a recruiter's candidate. The ids of that marketplace stand in the paths (its
job, company, candidate, application, placement, organization, firm, ...), so requests reach the handlers and
not only their 404s.

Bounded and deterministic: a fixed seed, derandomized generation, a few examples per operation and phase. The
API serves on a socket of 127.0.0.1 from this process; schemathesis runs in a process of its own
(tests/contract/schemathesis_run.py). A failure lists each failing operation and check with a curl command that
repeats it; the whole outcome is written as JSON to SPLITS_SCHEMATHESIS_REPORT if set, else to the test's
temporary directory as schemathesis.json.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from commands.ats.placement import placement_id_for
from commands.identity.user import user_id_for
from commands.network.recruiter_candidate import recruiter_candidate_id_for
from commands.network.recruiter_company import recruiter_company_id_for
from adapters.settings import Settings
from tests.api import dev_auth, seed_user, serving_http
from tests.helpers import wait_until
from tests.integration.ats.test_applications_api import World, all_projected, world_fixture  # noqa: F401  (`world`)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEED = 1515
# Per operation: how many generated requests, of valid and of invalid input each, the fuzzing phase sends. An
# anonymous caller gets one of each: every operation that needs a session answers it 401 before reading anything,
# so more would only repeat that (the public operations still get valid and invalid input).
MAX_EXAMPLES = {"anonymous": 1, "rtr": 3, "a_admin": 3, "admin": 3}
# Who calls, in this order (the platform admin last: its commands change the most). No coverage phase (every
# boundary and every kind of invalid value of every parameter and field): for the platform admin alone it sent
# about 10,000 requests in close to 3 minutes on two cores, more than the suite's budget allows; the examples
# and fuzzing phases, valid and invalid input, run every check on every operation for every caller in ~2.5
# minutes.
CALLERS = ("anonymous", "rtr", "a_admin", "admin")
WEBHOOKS = ("/v2/webhooks/clerk", "/webhooks/stripe", "/webhooks/resend")


def _config(base_url: str, headers: dict[str, str], ids: dict[str, Any], *, examples: int) -> dict[str, Any]:
    """schemathesis's configuration (the keys of schemathesis.toml) for one caller: every check, the examples
    and fuzzing phases, the seeded ids as path parameters."""
    path_ids = {f"path.{name}": value for name, value in ids["path"].items()}
    return {
        "seed": SEED,
        "base-url": base_url,
        "headers": headers,
        "parameters": path_ids,
        "operations": [
            *({"include-path": path, "parameters": {f"path.{k}": v for k, v in values.items()}}
              for path, values in ids["by_path"].items()),
            # A webhook is valid only signed with the provider's secret, which no schema can say: every request
            # schemathesis makes is refused (400) as it must be, so "valid input is accepted" cannot apply.
            *({"include-path": path, "checks": {"positive_data_acceptance": {"enabled": False}}}
              for path in WEBHOOKS),
        ],
        "continue-on-failure": True,  # every failure of an operation, not only its first
        "request-timeout": 30,
        # One thread: with two, Hypothesis's generation met CPython 3.11.7's "AST constructor recursion depth
        # mismatch" (a SystemError in the ast module's per-interpreter bookkeeping).
        "workers": 1,
        "generation": {"max-examples": examples, "deterministic": True, "no-shrink": True, "mode": "all",
                       "database": "none"},
        # Every check, and ours (schema_valid_input_is_read, tests/contract/schemathesis_run.py). A refusal by a
        # business rule is a 422 by the contract (README, "Status codes"), so positive_data_acceptance takes 422
        # too; ours fails every 422 that is a validation error on a field the schema accepted.
        "checks": {"enabled": True, "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]}},
        # No stateful phase: the document declares no links between operations to follow.
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": False}},
    }


async def _schemathesis(base_url: str, config: dict[str, Any]) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.contract.schemathesis_run", cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    job = json.dumps({"schema_url": f"{base_url}/openapi.json", "config": config}).encode()
    out, err = await process.communicate(job)
    assert process.returncode == 0, err.decode()[-4000:]
    return json.loads(out)


# --- the marketplace --------------------------------------------------------------------------------------

class Seeder:
    """Commands through the live API, each asserted to succeed; reads wait for the last one's token."""

    def __init__(self, client: httpx.AsyncClient, world: World) -> None:
        self.client, self.world, self.token = client, world, None

    async def post(self, caller: str, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        answer = await self.client.post(path, json=body, headers=self.world.headers(caller), **kwargs)
        assert answer.status_code in (200, 201), (caller, path, answer.text)
        self.token = answer.json().get("consistency_token") or self.token
        return answer.json()

    async def put(self, caller: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.client.put(path, json=body, headers=self.world.headers(caller))
        assert answer.status_code == 200, (caller, path, answer.text)
        self.token = answer.json().get("consistency_token") or self.token
        return answer.json()

    async def get(self, caller: str, path: str) -> Any:
        params = {"after": self.token} if self.token else {}
        answer = await self.client.get(path, params=params, headers=self.world.headers(caller))
        assert answer.status_code == 200, (caller, path, answer.text)
        return answer.json()["data"]


async def _seed(world: World, client: httpx.AsyncClient) -> dict[str, Any]:
    """A hire and what hangs around it; returns the path parameters: by name, and per path where a name means
    different things on different routes."""
    seed = Seeder(client, world)
    run = secrets.token_hex(3)
    organization_id = (await seed.get("a_admin", "/v1/organizations"))[0]["id"]
    # Company A has its record, and can be invoiced (a placement the run activates is invoiced and paid).
    await seed.post("a_admin", "/v1/companies", {"identity_organization_id": organization_id, "name": "Company A",
                                                 "slug": f"company-a-{run}"})
    await seed.put("a_admin", f"/v1/companies/{world.company_a}/billing-profile", {"billing_email": "ap@a.example"})
    await seed.put("a_admin", f"/v1/companies/{world.company_a}/billing-profile/payment-method",
                   {"payment_method_id": "pm_card_visa"})
    application_id = UUID((await seed.post("rtr", "/v1/applications", {
        "job_id": str(world.jobs["a"]), "candidate_id": str(world.candidate["cand"])}))["id"])
    await world.ai_reviewed("rtr", application_id)
    await seed.post("rtr", f"/v1/applications/{application_id}/submit")
    await seed.post("a_admin", f"/v1/applications/{application_id}/request-prescreen",
                    {"company_recruiter_id": str(world.recruiter["co"])})
    await seed.post("co", f"/v1/applications/{application_id}/submit")
    for to in ("company_review", "offer"):
        await seed.post("a_manager", f"/v1/applications/{application_id}/stage", {"to": to})
    await seed.post("cand", f"/v1/applications/{application_id}/accept-offer")
    start = date.today() + timedelta(days=30)
    await seed.post("a_manager", f"/v1/applications/{application_id}/hire",
                    {"salary_cents": 12_000_000, "start_date": start.isoformat()})
    placement_id = placement_id_for(application_id)

    async def placed() -> bool:
        answer = await client.get(f"/v1/placements/{placement_id}", headers=world.headers("admin"))
        return answer.status_code == 200

    await wait_until(placed, timeout=60)
    note = await seed.post("a_admin", f"/v1/applications/{application_id}/notes",
                           {"visibility": "shared", "message": "Strong references."})
    firm = await seed.post("admin", "/v1/firms", {"name": "Contract Search", "slug": f"contract-{run}"})
    firm_invitation = await seed.post("admin", f"/v1/firms/{firm['id']}/invitations",
                                      {"email": f"firm-{run}@example.com"})
    invitation = await seed.post("a_admin", "/v1/invitations", {
        "email": f"org-{run}@example.com", "organization_id": organization_id, "role": "hiring_manager"})
    dispute = await seed.post("a_admin", "/v1/disputes", {
        "placement_id": str(placement_id), "dispute_type": "fee_amount", "reason": "The fee is not the agreed one."})
    hold = await seed.post("admin", "/v1/escrow-holds", {"placement_id": str(placement_id), "reason": "Review."})
    document = await seed.post("rtr", "/v1/documents", None, data={
        "entity_type": "candidate", "entity_id": str(world.candidate["cand"]), "document_type": "resume"},
        files={"file": ("resume.txt", b"Ten years of Python.\n", "text/plain")})
    # Someone without a part in anything: the target of user and erasure routes (the admin may delete them).
    spare = f"user_spare_{run}"
    spare_id = await seed_user(world.store, spare)
    await all_projected(world.store)
    firm_invitation_id = firm_invitation["data"]["invitation_id"]  # the firm's answer: the invitation under data
    return {
        "path": {
            "job_id": str(world.jobs["a"]), "company_id": str(world.company_a), "owner_id": str(world.company_a),
            "candidate_id": str(world.candidate["cand"]), "application_id": str(application_id),
            "placement_id": str(placement_id), "recruiter_id": str(world.recruiter["rtr"]),
            "relationship_id": str(recruiter_candidate_id_for(world.recruiter["rtr"], world.candidate["cand"])),
            "organization_id": organization_id, "firm_id": firm["id"], "note_id": note["id"],
            "invitation_id": invitation.get("invitation_id") or invitation["id"],
            "dispute_id": dispute["id"], "hold_id": hold["id"], "document_id": document["id"],
            "user_id": str(spare_id), "person_id": str(spare_id),
        },
        "by_path": {
            **{path: {"relationship_id": str(recruiter_company_id_for(world.recruiter["co"], world.company_a))}
               for path in ("/v1/recruiter-companies/{relationship_id}",
                            "/v1/recruiter-companies/{relationship_id}/accept",
                            "/v1/recruiter-companies/{relationship_id}/decline",
                            "/v1/recruiter-companies/{relationship_id}/terminate",
                            "/v1/recruiter-companies/{relationship_id}/permissions")},
            **{path: {"owner_id": firm["id"]}
               for path in ("/v1/firms/{owner_id}/billing-profile", "/v1/firms/{owner_id}/billing-profile/setup-intent",
                            "/v1/firms/{owner_id}/billing-profile/payment-method",
                            "/v1/firms/{owner_id}/billing-readiness")},
            **{path: {"invitation_id": firm_invitation_id}
               for path in ("/v1/firms/{firm_id}/invitations/{invitation_id}/revoke",
                            "/v1/firms/{firm_id}/invitations/{invitation_id}/accept")},
            "/v1/organizations/{organization_id}/members/{user_id}": {
                "user_id": str(user_id_for(world.ids["a_manager"]))},
        },
    }


# --- the run --------------------------------------------------------------------------------------------

def _summary(outcomes: dict[str, dict[str, Any]]) -> str:
    """One line per (caller, operation, check) that failed, with the first response and how to repeat it."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for caller, outcome in outcomes.items():
        for failure in outcome["failures"]:
            grouped[(failure["check"], failure["operation"], caller)].append(failure)
        for error in outcome["errors"]:
            grouped[("error", str(error["operation"]), caller)].append({**error, "status": None, "curl": ""})
    lines = [f"{len(grouped)} failing (check, operation, caller):"]
    for (check, operation, caller), failures in sorted(grouped.items()):
        first = failures[0]
        lines.append(f"- {check}: {operation} as {caller} ({first['phase']}, status {first.get('status')}): "
                     f"{first.get('title') or first.get('error')}\n    {first['curl']}")
    return "\n".join(lines)


@pytest.mark.timeout(1200)
async def test_the_api_keeps_its_openapi_contract(world: World, tmp_path: Path) -> None:
    settings = Settings(database_url=world.store.pool.conninfo, splits_dev_auth=True,
                        redis_url="redis://127.0.0.1:6379/15", rate_limit_per_ip=1_000_000,
                        rate_limit_per_user=1_000_000, consistency_wait_s=2, documents_dir=str(tmp_path / "documents"),
                        # a live stream (GET /v1/stream) ends after this, as every stream does after its limit: each
                        # request schemathesis makes of it is answered whole, not left open until its timeout
                        live_stream_max_s=1,
                        # the webhooks check signatures (and refuse what schemathesis sends) rather than answer
                        # that they are not configured
                        splits_clerk_webhook_secret="whsec_" + base64.b64encode(b"c" * 24).decode(),
                        stripe_webhook_secret="whsec_contract")
    async with serving_http(world.store, settings) as (base_url, client, _):
        ids = await _seed(world, client)
        outcomes = {}
        for caller in CALLERS:
            headers = {} if caller == "anonymous" else dev_auth(world.ids[caller])
            config = _config(base_url, headers, ids, examples=MAX_EXAMPLES[caller])
            outcomes[caller] = await _schemathesis(base_url, config)
    report = Path(os.environ.get("SPLITS_SCHEMATHESIS_REPORT") or tmp_path / "schemathesis.json")
    report.write_text(json.dumps(outcomes, indent=1))
    for caller, outcome in outcomes.items():
        assert outcome["stop_reason"] == "completed", (caller, outcome["stop_reason"])
        assert outcome["cases"] > 0, caller
    assert not any(o["failures"] or o["errors"] for o in outcomes.values()), _summary(outcomes)
