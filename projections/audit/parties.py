"""Who is who in a placement's money trail, by name: the candidate, the recruiter of each split role, the firms
paid, and the people who acted (company admins, platform admins, the recruiters themselves).

A finance person reading a dispute should not have to decode UUIDs. The roles come from the trail itself (the
placement's attribution, the billing snapshot, the payees, the roles a dispute or an export records); a user
who acted is also looked up in the placement company's organization (company admin, hiring manager) and in
their own roles (platform admin). The names come from the people's own streams, folded by their deciders at
export time — so they are decrypted then, with the keys of that moment: a person whose data is erased shows as
`erased`, never as a name that an earlier bundle may have held.

Everything here reads events, never read models: the names are what the event store holds at the export.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from commands.ats.candidate import candidate as candidates
from commands.ats.company import company as companies
from commands.identity.organization import organization as organizations
from commands.identity.user import user as users
from commands.network.firm import firm as firms
from commands.network.recruiter import recruiter as recruiters
from eventstore import EventStore, load, stream_id_for
from eventstore.personal import ERASED

ERASED_NAME = "erased"
"""What an erased person's name reads as in the report and the timeline."""

_MAX_PARTIES = 200  # people named in one trail; a trail naming more is not one placement's story
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ACTOR_FIELDS = ("by", "raised_by", "exporter", "created_by", "requested_by")
# The placement's attribution: its field of each split role.
_ATTRIBUTION = {"candidate_recruiter": "candidate_recruiter_id", "company_recruiter": "company_recruiter_id",
                "job_owner": "job_owner_recruiter_id", "candidate_sourcer": "candidate_sourcer_recruiter_id",
                "company_sourcer": "company_sourcer_recruiter_id"}


@dataclass(frozen=True)
class Party:
    """One person or firm of the trail: what they are to us, their id as the events carry it, their roles in
    this placement, and their name (`erased`, or empty when no record of them is found)."""

    kind: str  # candidate | recruiter | user | firm
    id: str
    roles: tuple[str, ...]
    name: str

    @property
    def role(self) -> str:
        return ", ".join(self.roles)

    @property
    def label(self) -> str:
        """`Name (role)`, for a cell or a summary beside the id."""
        name = self.name or "name unknown"
        return f"{name} ({self.role})" if self.roles else name


Parties = Mapping[str, Party]
"""The trail's people and firms by id (`trail_parties`); empty when the names are not at hand."""


def _role(text: str) -> str:
    return text.replace("_", " ")


def _uuid(value: Any) -> UUID | None:
    text = str(value) if value is not None else ""
    return UUID(text) if _UUID.match(text) else None


class _Cast:
    """The trail's people and their roles, as the events name them (before any name is looked up)."""

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}
        self.roles: dict[str, list[str]] = defaultdict(list)
        self.user_of_recruiter: dict[str, str] = {}
        self.companies: set[UUID] = set()

    def add(self, kind: str, ident: Any, role: str | None = None) -> None:
        key = str(ident)
        if _uuid(key) is None or (key not in self.kinds and len(self.kinds) >= _MAX_PARTIES):
            return
        self.kinds.setdefault(key, kind)
        if role and role not in self.roles[key]:
            self.roles[key].append(role)

    def read(self, line: Mapping[str, Any]) -> None:
        data, meta = line.get("data"), line.get("metadata")
        data = data if isinstance(data, Mapping) else {}
        match line.get("type"):
            case "PlacementCreated":
                self.add("candidate", data.get("candidate_id"), "candidate")
                for role, field in _ATTRIBUTION.items():
                    self.add("recruiter", data.get(field), _role(role))
                if (company := _uuid(data.get("company_id"))) is not None:
                    self.companies.add(company)
            case "PlacementSnapshotFrozen":
                for r in data.get("roles") or []:
                    if isinstance(r, Mapping) and r.get("recruiter_id"):
                        self.add("recruiter", r["recruiter_id"], _role(str(r.get("role"))))
                        if r.get("user_id"):
                            self.user_of_recruiter[str(r["recruiter_id"])] = str(r["user_id"])
                            self.add("user", r["user_id"], _role(str(r.get("role"))))
                        if r.get("firm_id"):
                            self.add("firm", r["firm_id"], f"firm of the {_role(str(r.get('role')))}")
            case "PlacementSplitsComputed":
                for t in data.get("transactions") or []:
                    if isinstance(t, Mapping) and t.get("payee_kind") in ("recruiter", "firm"):
                        self.add(str(t["payee_kind"]), t.get("payee_id"))
            case "DisputeOpened":
                self.add("user", data.get("raised_by"), _role(str(data.get("raised_by_role") or "")) or None)
            case "AuditBundleExported":
                self.add("user", data.get("exporter"), _role(str(data.get("exporter_role") or "")) or None)
        for name in _ACTOR_FIELDS:
            if _uuid(data.get(name)) is not None and str(data[name]) not in self.kinds:
                self.add("user", data[name])
        if isinstance(meta, Mapping) and _uuid(meta.get("actor")) is not None:
            self.add("user", meta["actor"])


async def trail_parties(store: EventStore, lines: Sequence[Mapping[str, Any]], *,
                        emails: bool = True) -> dict[str, Party]:
    """Every party of the trail `lines` (with their data opened), by id. A person without a name is named by
    their email only when `emails` (a platform admin's bundle): no one else's bundle shows another's address."""
    cast = _Cast()
    for line in lines:
        cast.read(line)
    members: dict[str, list[str]] = defaultdict(list)
    for company_id in sorted(cast.companies):
        company, _, _ = await load(store, companies, stream_id_for(companies, company_id))
        if company.identity_organization_id is None:
            continue
        org, _, _ = await load(store, organizations, stream_id_for(organizations, company.identity_organization_id))
        for (user_id, scope), role in org.members.items():
            if scope is None or scope == company_id:
                members[str(user_id)].append(_role(role))

    names: dict[str, str] = {}
    subjects: dict[str, list[str]] = {}
    platform_admins: set[str] = set()
    order = {"candidate": 0, "firm": 0, "recruiter": 1, "user": 2}  # a recruiter's user takes its split roles
    for ident, kind in sorted(cast.kinds.items(), key=lambda item: order.get(item[1], 3)):
        match kind:
            case "candidate":
                state, _, _ = await load(store, candidates, stream_id_for(candidates, UUID(ident)))
                names[ident] = state.full_name if state.exists else ""
                subjects[ident] = [f"candidate:{ident}"]
            case "recruiter":
                state, _, _ = await load(store, recruiters, stream_id_for(recruiters, UUID(ident)))
                user_id = str(state.user_id) if state.user_id else cast.user_of_recruiter.get(ident)
                if user_id and user_id in cast.kinds:
                    for role in cast.roles.get(ident, []):
                        cast.add("user", user_id, role)
                person = await _user(store, user_id) if user_id else None
                names[ident] = _user_name(person, emails)
                subjects[ident] = [f"recruiter:{ident}", *([f"user:{user_id}"] if user_id else [])]
            case "firm":
                state, _, _ = await load(store, firms, stream_id_for(firms, UUID(ident)))
                names[ident] = state.name if state.exists else ""
                subjects[ident] = []
            case _:
                person = await _user(store, ident)
                names[ident] = _user_name(person, emails)
                subjects[ident] = [f"user:{ident}"]
                if person is not None and any(role == "platform_admin" for role, _ in person.roles):
                    platform_admins.add(ident)
    erased = await store.keyring.erased({s for wanted in subjects.values() for s in wanted})

    parties: dict[str, Party] = {}
    for ident, kind in cast.kinds.items():
        roles = list(cast.roles.get(ident, []))
        for role in (*members.get(ident, []), *(["platform admin"] if ident in platform_admins else [])):
            if role not in roles:
                roles.append(role)
        if kind == "recruiter" and not roles:
            roles.append("recruiter")
        name = names.get(ident, "")
        if any(s in erased for s in subjects.get(ident, [])) or name == ERASED:
            name = ERASED_NAME
        if name or roles:  # an id in an actor field that is nobody we know of adds nothing
            parties[ident] = Party(kind, ident, tuple(roles), name)
    return parties


async def _user(store: EventStore, user_id: str) -> Any:
    ident = _uuid(user_id)
    if ident is None:
        return None
    state, _, _ = await load(store, users, stream_id_for(users, ident))
    return state if state.exists else None


def _user_name(person: Any, emails: bool = True) -> str:
    if person is None:
        return ""
    if person.name == ERASED or person.email == ERASED:
        return ERASED
    return person.name or (person.email if emails else "") or ""


def parties_rows(parties: Mapping[str, Party]) -> list[Party]:
    """The parties in reading order: the candidate, the recruiters and firms, then the people who acted."""
    order = {"candidate": 0, "recruiter": 1, "firm": 2, "user": 3}
    return sorted(parties.values(), key=lambda p: (order.get(p.kind, 9), p.role, p.name, p.id))
