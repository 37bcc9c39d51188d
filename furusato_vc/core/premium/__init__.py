"""Premium registration (issue 8), pure core: the derived identity facts, OpenID Connect
identity proofing, the eligibility engine (docs/premium-eligibility.md), and the check-in
location rule (docs/activity-location-and-evidence.md)."""

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
from furusato_vc.core.premium.location import (
    COARSEN_DECIMALS,
    COARSENING_ERROR_M,
    EARTH_MEAN_RADIUS_M,
    MAX_ACCEPTED_ACCURACY_M,
    MAX_FIX_ACCURACY_M,
    MAX_GEOFENCE_RADIUS_M,
    MIN_GEOFENCE_RADIUS_M,
    CheckInMode,
    Geofence,
    LatLon,
    LocationFix,
    check_location,
    coarsen,
    distance_m,
    parse_location_fix,
)
from furusato_vc.core.premium.oidc_identity import (
    OidcProvider,
    VerifiedOidcIdentity,
    derive_person_key,
    parse_provider_jwks,
    verify_id_token,
)

__all__ = [
    "COARSENING_ERROR_M",
    "COARSEN_DECIMALS",
    "DEFAULT_RULES",
    "EARTH_MEAN_RADIUS_M",
    "MAX_ACCEPTED_ACCURACY_M",
    "MAX_FIX_ACCURACY_M",
    "MAX_GEOFENCE_RADIUS_M",
    "MIN_GEOFENCE_RADIUS_M",
    "ActivityAttendance",
    "Applicant",
    "CheckInMode",
    "EligibilityResult",
    "EligibilityRules",
    "Geofence",
    "IdentityFacts",
    "IdentityMethod",
    "LatLon",
    "LocationFix",
    "OidcProvider",
    "RuleId",
    "RuleOutcome",
    "VerifiedOidcIdentity",
    "check_location",
    "coarsen",
    "derive_person_key",
    "distance_m",
    "evaluate_eligibility",
    "parse_location_fix",
    "parse_provider_jwks",
    "verify_id_token",
]
