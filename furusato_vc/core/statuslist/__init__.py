"""Token Status List (draft-ietf-oauth-status-list-20): the status claim credentials carry
(§6), the compressed list (§4), and its signed JWT and CWT tokens (§5)."""

from furusato_vc.core.statuslist.encoding import (
    DEFAULT_STATUS_LIST_LIMITS,
    STATUS_LIST_DRAFT,
    ParsedStatusList,
    StatusList,
    StatusListBuilder,
    StatusListLimits,
    StatusType,
    parse_status_list_cbor,
    parse_status_list_json,
)
from furusato_vc.core.statuslist.reference import StatusChecker, StatusReference, parse_status_claim
from furusato_vc.core.statuslist.token import (
    STATUS_LIST_CWT_TYP,
    STATUS_LIST_JWT_TYP,
    StatusListCwtClaim,
    StatusListForm,
    StatusListTokenContent,
    VerifiedStatusList,
    sign_status_list_cwt,
    sign_status_list_jwt,
    verify_status_list_cwt,
    verify_status_list_jwt,
)

__all__ = [
    "DEFAULT_STATUS_LIST_LIMITS",
    "STATUS_LIST_CWT_TYP",
    "STATUS_LIST_DRAFT",
    "STATUS_LIST_JWT_TYP",
    "ParsedStatusList",
    "StatusChecker",
    "StatusList",
    "StatusListBuilder",
    "StatusListCwtClaim",
    "StatusListForm",
    "StatusListLimits",
    "StatusListTokenContent",
    "StatusReference",
    "StatusType",
    "VerifiedStatusList",
    "parse_status_claim",
    "parse_status_list_cbor",
    "parse_status_list_json",
    "sign_status_list_cwt",
    "sign_status_list_jwt",
    "verify_status_list_cwt",
    "verify_status_list_jwt",
]
