"""Builders for the activity check-in tests (core, wallet, issuer): activity tokens of the
fixed bodies of :mod:`tests.registration_fixtures`, open around the fixed clock, and forged
tokens with any header and payload."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from furusato_vc.core.activity import (
    ACTIVITY_QR_PREFIX,
    ACTIVITY_TYP,
    ActivityContent,
    ActivityName,
    sign_activity_token,
)
from furusato_vc.core.encoding import JSONObject, b64url_encode, dumps_compact
from furusato_vc.core.jose.jws import sign_compact_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from tests.registration_fixtures import ISSUER_BASE, KESENNUMA, NOW, issuing_body

if TYPE_CHECKING:
    from furusato_vc.core.jose.signer import Signer

__all__ = [
    "EXP",
    "IAT",
    "NAME",
    "NBF",
    "NOW_S",
    "activity_content",
    "activity_jws",
    "activity_qr",
    "claims_of",
    "forged_hmac_jws",
    "signed_jws",
]

NOW_S = to_numeric_date(NOW)
IAT = NOW_S - 86_400  # signed the day before
NBF = NOW_S - 3_600  # opened an hour ago
EXP = NOW_S + 3 * 3_600  # closes in three hours
NAME = ActivityName(ja="海岸清掃ボランティア", en="Beach clean-up volunteering")


def activity_content(body_code: str = KESENNUMA, **changes: Any) -> ActivityContent:
    template = ActivityContent(
        issuer=ISSUER_BASE + body_code,
        body_code=body_code,
        activity_id="2027-01-beach-cleanup",
        name=NAME,
        issued_at=IAT,
        not_before=NBF,
        expires_at=EXP,
        designated=True,
    )
    return dataclasses.replace(template, **changes)


def activity_jws(
    body_code: str = KESENNUMA, *, signer: Signer | None = None, **changes: object
) -> str:
    """An activity token signed by ``body_code``'s default issuer (or ``signer``)."""
    return sign_activity_token(
        activity_content(body_code, **changes), signer=signer or issuing_body(body_code).signer
    )


def activity_qr(
    body_code: str = KESENNUMA, *, signer: Signer | None = None, **changes: object
) -> str:
    return ACTIVITY_QR_PREFIX + activity_jws(body_code, signer=signer, **changes)


def claims_of(body_code: str = KESENNUMA) -> JSONObject:
    """The claims :func:`activity_jws` signs, as a mutable dict (to forge variants)."""
    content = activity_content(body_code)
    return {
        "iss": content.issuer,
        "body": content.body_code,
        "jti": content.activity_id,
        "name": {"ja": content.name.ja, "en": content.name.en},
        "iat": content.issued_at,
        "nbf": content.not_before,
        "exp": content.expires_at,
        "designated": content.designated,
    }


def signed_jws(
    claims: JSONObject,
    *,
    header: JSONObject | None = None,
    body_code: str = KESENNUMA,
    signer: Signer | None = None,
) -> str:
    """Any header and payload, validly signed with the body's real key."""
    return sign_compact_jws(
        header={"typ": ACTIVITY_TYP} if header is None else header,
        payload=dumps_compact(claims).encode("utf-8"),
        signer=signer or issuing_body(body_code).signer,
    )


def forged_hmac_jws(alg: str, *, body_code: str = KESENNUMA) -> str:
    """A token with a symmetric (or ``none``) ``alg``, "signed" with the public key bytes as
    the HMAC secret (the classic algorithm-confusion attack, RFC 8725 §2.1)."""
    header: JSONObject = {"alg": alg, "typ": ACTIVITY_TYP, "kid": f"{body_code}-2027"}
    signing_input = (
        b64url_encode(dumps_compact(header).encode())
        + "."
        + b64url_encode(dumps_compact(claims_of(body_code)).encode())
    )
    secret = dumps_compact(issuing_body(body_code).signer.public_jwk.to_json()).encode()
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(mac)
