"""Activity check-in in the wallet (:mod:`furusato_vc.wallet.activity`).

The wallet verifies the scanned activity QR before anything is signed, refuses an activity of
another body than the card, and presents the card disclosing only ``registration_id``, with a
KB-JWT addressed to the activity's ``iss`` and bound to the activity token by its nonce.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.activity import ACTIVITY_QR_PREFIX, AttendanceRecord
from furusato_vc.core.encoding import b64url_decode, b64url_encode, parse_json_object
from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.sdjwt import split_compact
from furusato_vc.core.sdjwt.disclosure import parse_disclosure
from furusato_vc.wallet.activity import check_in
from tests.activity_fixtures import EXP, activity_jws, activity_qr
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    NOW,
    basic_registration,
    hold,
    holder,
    issuing_body,
    premium_registration,
    trust_for,
)

if TYPE_CHECKING:
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.wallet.holder import HeldCredential

TRUST = trust_for(KESENNUMA, MINAMIMINOWA)
QR = activity_qr()  # ECDSA signatures differ on every signing: keep one token
BASIC = hold(basic_registration())  # 気仙沼市
PREMIUM = hold(premium_registration())  # 南箕輪村


def _check_in(
    qr: str,
    *,
    held: HeldCredential = BASIC,
    trust: RegistrationTrust = TRUST,
    now: datetime = NOW,
) -> AttendanceRecord:
    return check_in(qr, held=held, holder=holder(), trust=trust, now=now)


def _rejection(qr: str, **kwargs: object) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        _check_in(qr, **kwargs)  # type: ignore[arg-type]
    return info.value.code


def _kb_payload(presentation: str) -> dict[str, object]:
    kb = split_compact(presentation).kb_jwt
    assert kb is not None
    return dict(parse_json_object(b64url_decode(kb.split(".")[1])))


# --------------------------------------------------------------------------- the record


def test_record_carries_the_activity_jws_without_the_qr_prefix() -> None:
    record = _check_in(QR)
    assert record.activity == QR.removeprefix(ACTIVITY_QR_PREFIX)
    assert not record.activity.startswith(ACTIVITY_QR_PREFIX)


def test_record_presents_the_held_issuer_jwt() -> None:
    record = _check_in(activity_qr())
    assert split_compact(record.presentation).issuer_jwt == BASIC.serialized.split("~", 1)[0]


def test_record_discloses_only_the_registration_id() -> None:
    parts = split_compact(_check_in(activity_qr()).presentation)
    disclosed = [parse_disclosure(d) for d in parts.disclosures]
    assert [(d.name, d.value) for d in disclosed] == [("registration_id", "KSN-basic-0001")]


def test_kb_jwt_is_addressed_to_the_activity_issuer() -> None:
    payload = _kb_payload(_check_in(activity_qr()).presentation)
    assert payload["aud"] == ISSUER_BASE + KESENNUMA


def test_kb_jwt_nonce_is_the_hash_of_the_activity_jws() -> None:
    payload = _kb_payload(_check_in(QR).presentation)
    jws = QR.removeprefix(ACTIVITY_QR_PREFIX)
    expected = b64url_encode(hashlib.sha256(jws.encode("ascii")).digest())
    assert payload["nonce"] == expected


def test_kb_jwt_iat_is_the_check_in_time() -> None:
    later = datetime.fromtimestamp(EXP - 10, UTC)
    payload = _kb_payload(_check_in(activity_qr(), now=later).presentation)
    assert payload["iat"] == EXP - 10


def test_premium_card_checks_in_to_its_own_body() -> None:
    record = _check_in(activity_qr(MINAMIMINOWA), held=PREMIUM)
    assert _kb_payload(record.presentation)["aud"] == ISSUER_BASE + MINAMIMINOWA


def test_two_activities_give_differently_bound_records() -> None:
    first = _kb_payload(_check_in(activity_qr()).presentation)
    second = _kb_payload(_check_in(activity_qr(activity_id="2027-02-festival")).presentation)
    assert first["nonce"] != second["nonce"]


# --------------------------------------------------------------------------- rejections


def test_activity_of_another_body_is_credential_mismatch() -> None:
    # A 南箕輪村 card at a 気仙沼市 activity.
    assert _rejection(activity_qr(KESENNUMA), held=PREMIUM) is ErrorCode.CREDENTIAL_MISMATCH


def test_registration_card_qr_is_qr_prefix_unknown() -> None:
    assert _rejection("FJ1:" + activity_jws()) is ErrorCode.QR_PREFIX_UNKNOWN


def test_closed_activity_is_activity_not_current() -> None:
    after = datetime.fromtimestamp(EXP + 61, UTC)
    assert _rejection(activity_qr(), now=after) is ErrorCode.ACTIVITY_NOT_CURRENT


def test_activity_of_an_untrusted_body_is_issuer_not_trusted() -> None:
    assert _rejection(activity_qr(), trust=trust_for(MINAMIMINOWA)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_activity_signed_by_a_foreign_key_is_signature_invalid() -> None:
    attacker = issuing_body(KESENNUMA, key_label="attacker").signer
    assert _rejection(activity_qr(signer=attacker)) is ErrorCode.SIGNATURE_INVALID


def test_activity_with_an_unknown_kid_is_issuer_key_unknown() -> None:
    rotated = issuing_body(KESENNUMA, key_label="kesennuma-2028", kid=f"{KESENNUMA}-2028")
    assert _rejection(activity_qr(signer=rotated.signer)) is ErrorCode.ISSUER_KEY_UNKNOWN
