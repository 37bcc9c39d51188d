"""Premium registration (issue 8), pure core: the derived identity facts, OpenID Connect
identity proofing, and the eligibility engine. See docs/premium-eligibility.md."""

from furusato_vc.core.premium.eligibility import (
    DEFAULT_RULES,
    ActivityAttendance,
    Applicant,
    EligibilityResult,
    EligibilityRules,
    RuleId,
    RuleOutcome,
    evaluate_eligibility,
)
from furusato_vc.core.premium.identity_facts import IdentityFacts, IdentityMethod
from furusato_vc.core.premium.oidc_identity import (
    OidcProvider,
    VerifiedOidcIdentity,
    derive_person_key,
    parse_provider_jwks,
    verify_id_token,
)

__all__ = [
    "DEFAULT_RULES",
    "ActivityAttendance",
    "Applicant",
    "EligibilityResult",
    "EligibilityRules",
    "IdentityFacts",
    "IdentityMethod",
    "OidcProvider",
    "RuleId",
    "RuleOutcome",
    "VerifiedOidcIdentity",
    "derive_person_key",
    "evaluate_eligibility",
    "parse_provider_jwks",
    "verify_id_token",
]
