"""The HTTP contract of the ats routes (jobs and their details, companies, candidates, sourcers): request
bodies and responses, apart from events and commands. The models live by resource in base_models.py,
job_models.py, company_models.py and candidate_models.py; routes and other contexts import them from here."""

from __future__ import annotations

from api.responses import Pagination  # noqa: F401 (the one definition; routes import it from here)
from api.ats.base_models import (  # noqa: F401
    Percentage,
    FeePercentage,
    percentage_to_bps,
    _Body,
    StatusReason,
)
from api.ats.job_models import (  # noqa: F401
    JobTitle,
    JobDescription,
    GuaranteeDays,
    CommuteTypes,
    CreateJobBody,
    EditJobBody,
    StatusBody,
    JobOut,
    JobPage,
    JobEnvelope,
    SortOrder,
    RequirementIn,
    SkillIn,
    QuestionIn,
    RequirementsBody,
    SkillsBody,
    QuestionsBody,
    JobOwnerBody,
    RequirementOut,
    SkillOut,
    QuestionOut,
    JobDetailsOut,
    JobDetailsEnvelope,
)
from api.ats.company_models import (  # noqa: F401
    CompanyStatusOut,
    FoundedYear,
    EmployeeCount,
    TechStack,
    LinkName,
    SocialLinks,
    _CompanyProfile,
    CreateCompanyBody,
    UpdateCompanyBody,
    CompanyVisibilityBody,
    CompanyOut,
    CompanyPage,
    CompanyEnvelope,
    ProtectionDays,
    ClaimSourcerBody,
    SourcerOut,
    SourcerEnvelope,
)
from api.ats.candidate_models import (  # noqa: F401
    MarketplaceVisibilityIn,
    VerificationStatusIn,
    Phone,
    Availability,
    _CandidateProfile,
    CreateCandidateBody,
    UpdateCandidateBody,
    CandidatePrivacyBody,
    CandidateVisibilityBody,
    VerificationBody,
    CandidateOut,
    CandidatePage,
    CandidateEnvelope,
)
