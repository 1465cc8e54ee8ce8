from datetime import UTC, datetime
from uuid import uuid4

from commands.ats.company import SetCompanyBillingReadiness, company
from commands.ats.events import CompanyBillingReadinessSet
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
