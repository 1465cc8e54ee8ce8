from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from commands.ats.company import (
    PROFILE_FIELDS,
    ActivateCompany,
    CreateCompany,
    DeactivateCompany,
    SetCompanyBillingReadiness,
    SetCompanyMarketplaceVisibility,
    UpdateCompanyProfile,
    company,
)
from commands.ats.events import (
    CompanyBillingReadinessSet,
    CompanyCreated,
    CompanyMarketplaceVisibilitySet,
    CompanyProfileUpdated,
    CompanyStatusChanged,
)
from commands.core import Conflict, NotFound
from tests.unit.dsl import given

C = uuid4()
AT = datetime(2026, 11, 27, tzinfo=UTC)


def set_ready(ready: bool) -> SetCompanyBillingReadiness:
    return SetCompanyBillingReadiness(company_id=C, ready=ready, by="admin", at=AT)


def readiness_set(ready: bool) -> CompanyBillingReadinessSet:
    return CompanyBillingReadinessSet(company_id=C, ready=ready, by="admin", at=AT)


def test_new_company_made_ready_records_it():
    given(company).when(set_ready(True)).then(readiness_set(True))


def test_ready_company_made_ready_again_is_a_no_op():
    given(company, readiness_set(True)).when(set_ready(True)).then()


def test_ready_company_made_not_ready_records_it():
    given(company, readiness_set(True)).when(set_ready(False)).then(readiness_set(False))


def test_company_never_ready_made_not_ready_is_a_no_op():
    given(company).when(set_ready(False)).then()


# --- profile --------------------------------------------------------------------------------------

ORG = UUID("00000000-0000-4000-8000-0000000000e1")
ACTOR = "user_2abc"
T1 = AT + timedelta(hours=1)


def create(**overrides: Any) -> CreateCompany:
    return CreateCompany(**{"company_id": C, "identity_organization_id": ORG, "name": "Acme", "slug": "acme",
                            "by": ACTOR, "at": AT} | overrides)


def created(**overrides: Any) -> CompanyCreated:
    fields: dict[str, Any] = {
        "company_id": C, "identity_organization_id": ORG, "name": "Acme", "slug": "acme", "website": None,
        "industry": None, "company_size": None, "headquarters_location": None, "description": None,
        "logo_url": None, "stage": None, "founded_year": None, "tagline": None, "mission_statement": None,
        "benefits_summary": None, "employee_count": None, "tech_stack": [], "hiring_process": None,
        "social_links": {}, "marketplace_visible": False, "status": "active", "by": ACTOR, "at": AT,
    }
    return CompanyCreated(**fields | overrides)


def update(**fields: Any) -> UpdateCompanyProfile:
    return UpdateCompanyProfile(company_id=C, by=ACTOR, at=T1, **fields)


def updated(**changes: Any) -> CompanyProfileUpdated:
    return CompanyProfileUpdated(company_id=C, changes=changes, by=ACTOR, at=T1)


def status_changed(frm: str, to: str, reason: str | None = None) -> CompanyStatusChanged:
    return CompanyStatusChanged(company_id=C, from_status=frm, to_status=to, reason=reason, by=ACTOR, at=T1)


FULL_PROFILE: dict[str, Any] = {
    "website": "https://acme.example", "industry": "Software", "company_size": "51-200",
    "headquarters_location": "Lisbon", "description": "We build things.", "logo_url": "https://cdn.example/acme.png",
    "stage": "Series A", "founded_year": 2015, "tagline": "Build it", "mission_statement": "Make it good",
    "benefits_summary": "Health, 30 days off", "employee_count": 120, "tech_stack": ["Python", "PostgreSQL"],
    "hiring_process": "Two interviews", "social_links": {"linkedin": "https://linkedin.com/company/acme"},
    "marketplace_visible": True, "status": "inactive",
}


def test_new_company_created_records_every_field():
    given(company).when(create(**FULL_PROFILE)).then(created(**FULL_PROFILE))


def test_new_company_with_minimal_fields_gets_defaults():
    given(company).when(create()).then(created())


def test_existing_company_created_again_raises_conflict():
    given(company, created()).when(create()).then_raises(Conflict, "already exists")


def test_company_ready_before_creation_stays_ready():
    state = given(company, readiness_set(True), created()).state
    assert (state.exists, state.billing_ready) == (True, True)


def test_created_company_made_ready_records_it():
    given(company, created()).when(set_ready(True)).then(readiness_set(True))


def test_values_are_trimmed_and_social_link_names_lowercased():
    cmd = create(name="  Acme  ", website=" https://acme.example ", social_links={" LinkedIn ": "https://l.example/a"})
    assert (cmd.name, cmd.website) == ("Acme", "https://acme.example")
    assert cmd.social_links == {"linkedin": "https://l.example/a"}


@pytest.mark.parametrize("url", ["acme.example", "ftp://acme.example", "https://", "https://ac me.example",
                                 "javascript:alert(1)", "", "mailto:a@acme.example"])
@pytest.mark.parametrize("field", ["website", "logo_url"])
def test_bad_url_is_rejected(field: str, url: str):
    with pytest.raises(ValidationError, match=field):
        create(**{field: url})


def test_url_longer_than_500_characters_is_rejected():
    with pytest.raises(ValidationError, match="website"):
        create(website="https://acme.example/" + "a" * 500)


@pytest.mark.parametrize(
    "field, value",
    [("name", "  "), ("slug", "Acme Inc"), ("slug", "acme_inc"), ("founded_year", 1799), ("founded_year", 2101),
     ("employee_count", -1), ("tech_stack", ["Python", "python"]), ("tech_stack", [""]),
     ("social_links", {"linkedin": "not a url"}), ("social_links", {"link-ed in": "https://l.example"}),
     ("status", "closed"), ("by", ""), ("at", datetime(2026, 11, 27)), ("identity_organization_id", "org")],
)
def test_bad_field_value_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        create(**{field: value})


@pytest.mark.parametrize("year", [1800, 2100])
def test_founded_year_at_bounds_is_accepted(year: int):
    assert create(founded_year=year).founded_year == year


def test_update_records_only_the_fields_that_change():
    cmd = update(name="Acme Corp", slug="acme", tech_stack=["Go"])
    given(company, created()).when(cmd).then(updated(name="Acme Corp", tech_stack=["Go"]))


def test_update_repeating_current_values_is_a_no_op():
    given(company, created(**FULL_PROFILE)).when(update(**{k: v for k, v in FULL_PROFILE.items()
                                                           if k in PROFILE_FIELDS})).then()


def test_update_without_fields_is_a_no_op():
    given(company, created()).when(update()).then()


def test_update_already_applied_is_a_no_op():
    change = {"social_links": {"github": "https://github.com/acme"}, "tech_stack": ["Go", "Rust"], "founded_year": 2001}
    given(company, created(), updated(**change)).when(update(**change)).then()


def test_update_clearing_an_optional_field_records_none():
    given(company, created(website="https://acme.example")).when(update(website=None)).then(updated(website=None))


def test_update_emptying_lists_records_them_empty():
    start = created(tech_stack=["Go"], social_links={"x": "https://x.example/acme"})
    given(company, start).when(update(tech_stack=[], social_links={})).then(updated(social_links={}, tech_stack=[]))


@pytest.mark.parametrize("field", ["name", "slug", "tech_stack", "social_links"])
def test_update_clearing_a_required_field_is_rejected(field: str):
    with pytest.raises(ValidationError, match=f"cannot clear {field}"):
        update(**{field: None})


@pytest.mark.parametrize("field, value", [("website", "www.acme.example"), ("founded_year", 3000), ("slug", "A")])
def test_update_with_bad_value_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        update(**{field: value})


def test_update_command_covers_exactly_the_profile_fields():
    assert set(UpdateCompanyProfile.model_fields) - {"company_id", "by", "at"} == PROFILE_FIELDS
    assert PROFILE_FIELDS <= set(CompanyCreated.model_fields)


def test_organization_cannot_be_changed_by_an_update():
    with pytest.raises(ValidationError, match="identity_organization_id"):
        update(identity_organization_id=uuid4())


# --- marketplace visibility and status ------------------------------------------------------------

def visibility(visible: bool) -> SetCompanyMarketplaceVisibility:
    return SetCompanyMarketplaceVisibility(company_id=C, visible=visible, by=ACTOR, at=T1)


def visibility_set(visible: bool) -> CompanyMarketplaceVisibilitySet:
    return CompanyMarketplaceVisibilitySet(company_id=C, visible=visible, by=ACTOR, at=T1)


def test_hidden_company_made_visible_records_it():
    given(company, created()).when(visibility(True)).then(visibility_set(True))


def test_visible_company_made_visible_again_is_a_no_op():
    given(company, created(), visibility_set(True)).when(visibility(True)).then()


def test_visible_company_hidden_records_it():
    given(company, created(marketplace_visible=True)).when(visibility(False)).then(visibility_set(False))


def test_hidden_company_hidden_again_is_a_no_op():
    given(company, created()).when(visibility(False)).then()


def test_active_company_deactivated_records_it():
    cmd = DeactivateCompany(company_id=C, by=ACTOR, at=T1, reason="closed down")
    given(company, created()).when(cmd).then(status_changed("active", "inactive", "closed down"))


def test_inactive_company_deactivated_again_is_a_no_op():
    given(company, created(), status_changed("active", "inactive")).when(
        DeactivateCompany(company_id=C, by=ACTOR, at=T1)).then()


def test_inactive_company_activated_records_it():
    given(company, created(status="inactive")).when(ActivateCompany(company_id=C, by=ACTOR, at=T1)).then(
        status_changed("inactive", "active"))


def test_active_company_activated_is_a_no_op():
    given(company, created()).when(ActivateCompany(company_id=C, by=ACTOR, at=T1)).then()


def test_inactive_company_profile_can_still_be_updated():
    given(company, created(status="inactive")).when(update(name="Acme 2")).then(updated(name="Acme 2"))


@pytest.mark.parametrize(
    "cmd",
    [update(name="x"), visibility(True), DeactivateCompany(company_id=C, by=ACTOR, at=T1),
     ActivateCompany(company_id=C, by=ACTOR, at=T1)],
    ids=lambda cmd: type(cmd).__name__,
)
def test_command_on_missing_company_raises_not_found(cmd: Any):
    given(company).when(cmd).then_raises(NotFound)


@pytest.mark.parametrize(
    "cmd", [update(name="x"), visibility(True), DeactivateCompany(company_id=C, by=ACTOR, at=T1)],
    ids=lambda cmd: type(cmd).__name__,
)
def test_billing_readiness_alone_does_not_make_a_company_exist(cmd: Any):
    given(company, readiness_set(True)).when(cmd).then_raises(NotFound)
