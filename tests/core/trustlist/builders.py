"""A small national trust list for tests: three bodies with the default issuer keys of
:func:`tests.registration_fixtures.issuing_body`, signed by a fixed trust-anchor key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.trustlist import (
    StatusListLocation,
    TrustedKey,
    TrustList,
    sign_trust_list_cwt,
    sign_trust_list_jwt,
)
from furusato_vc.core.trustlist.edit import (
    add_entry,
    empty_trust_list,
    entry_for_body,
    next_version,
)
from tests.helpers import FIXED_NOW, fixed_signer
from tests.registration_fixtures import KESENNUMA, MINAMIMINOWA, SENDAI, issuing_body

if TYPE_CHECKING:
    from furusato_vc.core.jose import SoftwareSigner

__all__ = [
    "ANCHOR",
    "ANCHOR_JWK",
    "BODIES",
    "KEYS_FROM",
    "NOW_S",
    "OPERATOR",
    "OTHER_ANCHOR",
    "draft",
    "signed",
    "signed_cwt",
    "signed_jwt",
]

OPERATOR = "https://trust.furusato-vc.example"
ANCHOR = fixed_signer("national-trust-anchor", kid="jp-anchor-2027")
ANCHOR_JWK = ANCHOR.public_jwk
OTHER_ANCHOR = fixed_signer("someone-else", kid="jp-anchor-2027")
NOW_S = to_numeric_date(FIXED_NOW)
KEYS_FROM = NOW_S - 30 * 86_400  # the issuer keys cover signatures from a month ago
BODIES = (KESENNUMA, MINAMIMINOWA, SENDAI)


def draft(*codes: str) -> TrustList:
    """An unsigned list with ``codes`` (default: :data:`BODIES`), one key and one status
    list each, as the operator's workspace holds it before ``trust sign``."""
    registry = load_bodies()
    trust_list = empty_trust_list(operator=OPERATOR)
    for code in codes or BODIES:
        body = issuing_body(code)
        trust_list = add_entry(
            trust_list,
            entry_for_body(
                registry.get(code),
                issuer=body.issuer_id,
                issuer_url=body.issuer_id,
                keys=(TrustedKey(jwk=body.signer.public_jwk, not_before=KEYS_FROM),),
                status_lists=(
                    StatusListLocation(list_id=body.status_list_id, uri=body.status_list_uri),
                ),
            ),
        )
    return trust_list


def signed(
    trust_list: TrustList | None = None,
    *,
    now: int = NOW_S,
    next_update_in: int = 86_400,
    valid_for: int = 30 * 86_400,
) -> TrustList:
    """The next version of ``trust_list`` (default :func:`draft`), issued at ``now``."""
    return next_version(
        trust_list or draft(), now=now, next_update_in=next_update_in, valid_for=valid_for
    )


def signed_jwt(trust_list: TrustList | None = None, *, signer: SoftwareSigner = ANCHOR) -> str:
    return sign_trust_list_jwt(trust_list or signed(), signer=signer)


def signed_cwt(trust_list: TrustList | None = None, *, signer: SoftwareSigner = ANCHOR) -> bytes:
    return sign_trust_list_cwt(trust_list or signed(), signer=signer)
