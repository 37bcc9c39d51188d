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
    IdTokenAlgorithm,
    OidcProvider,
    ProviderKey,
    VerifiedOidcIdentity,
    derive_person_key,
    parse_provider_jwks,
    verify_id_token,
)
from furusato_vc.core.premium.rsa_jwk import (
    RsaPublicJwk,
    parse_rsa_public_jwk,
    rsa_public_jwk_from_key,
)

__all__ = [
    "DEFAULT_RULES",
    "ActivityAttendance",
    "Applicant",
    "EligibilityResult",
    "EligibilityRules",
    "IdTokenAlgorithm",
    "IdentityFacts",
    "IdentityMethod",
    "OidcProvider",
    "ProviderKey",
    "RsaPublicJwk",
    "RuleId",
    "RuleOutcome",
    "VerifiedOidcIdentity",
    "derive_person_key",
    "evaluate_eligibility",
    "parse_provider_jwks",
    "parse_rsa_public_jwk",
    "rsa_public_jwk_from_key",
    "verify_id_token",
]
