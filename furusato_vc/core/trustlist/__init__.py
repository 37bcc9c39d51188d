"""The national trust list: model, wire forms (JWS and COSE), verification against pinned
trust anchors, anti-rollback, editing, and the verifier's view of it."""

from furusato_vc.core.trustlist.codec import (
    DEFAULT_TRUST_LIST_LIMITS,
    TrustListLimits,
    trust_list_entry_to_json,
    trust_list_from_cbor,
    trust_list_from_json,
    trust_list_to_cbor,
    trust_list_to_json,
)
from furusato_vc.core.trustlist.model import (
    TRUST_LIST_CWT_TYP,
    TRUST_LIST_JWT_TYP,
    BodyState,
    StatusListLocation,
    TrustedKey,
    TrustList,
    TrustListEntry,
)
from furusato_vc.core.trustlist.token import (
    MAX_TRUST_LIST_BYTES,
    check_not_rolled_back,
    sign_trust_list_cwt,
    sign_trust_list_jwt,
    verify_trust_list,
    verify_trust_list_cwt,
    verify_trust_list_jwt,
)
from furusato_vc.core.trustlist.view import TrustListTrust

__all__ = [
    "DEFAULT_TRUST_LIST_LIMITS",
    "MAX_TRUST_LIST_BYTES",
    "TRUST_LIST_CWT_TYP",
    "TRUST_LIST_JWT_TYP",
    "BodyState",
    "StatusListLocation",
    "TrustList",
    "TrustListEntry",
    "TrustListLimits",
    "TrustListTrust",
    "TrustedKey",
    "check_not_rolled_back",
    "sign_trust_list_cwt",
    "sign_trust_list_jwt",
    "trust_list_entry_to_json",
    "trust_list_from_cbor",
    "trust_list_from_json",
    "trust_list_to_cbor",
    "trust_list_to_json",
    "verify_trust_list",
    "verify_trust_list_cwt",
    "verify_trust_list_jwt",
]
