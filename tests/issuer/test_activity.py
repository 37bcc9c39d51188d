"""The issuer side of activity check-in (:mod:`furusato_vc.issuer.activity`).

A body creates the activity QR; a holder's wallet checks in (:func:`furusato_vc.wallet.
activity.check_in`); the body verifies the record: its own activity, open at the check-in,
the holder's card of this body presented to this body for exactly that activity token, not
older than ``max_age``, with ``registration_id`` disclosed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato_vc.core.activity import (
    ACTIVITY_QR_PREFIX,
    AttendanceRecord,
    attendance_nonce,
    decode_activity_qr,
    parse_attendance_record,
    serialize_attendance_record,
    verify_activity_token,
)
from furusato_vc.core.encoding import b64url_decode, parse_json_object
from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.registration.claims import Tier
from furusato_vc.issuer.activity import (
    DEFAULT_ATTENDANCE_MAX_AGE,
    VerifiedAttendance,
    create_activity_qr,
    verify_attendance,
)
from furusato_vc.wallet.activity import check_in
from furusato_vc.wallet.holder import present_credential
from tests.activity_fixtures import EXP, NAME, NBF, activity_qr
from tests.registration_fixtures import (
    KESENNUMA,
    MINAMIMINOWA,
    NOW,
    SENDAI,
    TODAY,
    basic_registration,
    hold,
    holder,
    issuing_body,
    premium_registration,
    trust_for,
)

if TYPE_CHECKING:
    from furusato_vc.core.statuslist.reference import StatusReference
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.wallet.holder import HeldCredential

TRUST = trust_for(KESENNUMA, MINAMIMINOWA, SENDAI)
KSN = issuing_body(KESENNUMA)
BASIC = hold(basic_registration())  # 気仙沼市
PREMIUM = hold(premium_registration())  # 南箕輪村
KSN_QR = activity_qr(KESENNUMA)
MMW_QR = activity_qr(MINAMIMINOWA)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _record(qr: str = KSN_QR, *, held: HeldCredential = BASIC, now: datetime = NOW) -> str:
    """What the wallet submits: the serialized record of a check-in."""
    record = check_in(qr, held=held, holder=holder(), trust=TRUST, now=now)
    return serialize_attendance_record(record)


def _crafted(
    qr: str = KSN_QR,
    *,
    held: HeldCredential = BASIC,
    audience: str | None = None,
    nonce: str | None = None,
    disclose: tuple[tuple[str], ...] = (("registration_id",),),
    now: datetime = NOW,
) -> str:
    """A record built around the wallet's checks (what a modified wallet could send)."""
    jws = decode_activity_qr(qr)
    issuer = verify_activity_token(qr, trust=TRUST, now=NOW).issuer
    presentation = present_credential(
        held,
        disclose=disclose,
        holder=holder(),
        audience=issuer if audience is None else audience,
        nonce=attendance_nonce(jws) if nonce is None else nonce,
        now=now,
    )
    return serialize_attendance_record(AttendanceRecord(activity=jws, presentation=presentation))


def _verify(
    record: str | bytes,
    *,
    body_code: str = KESENNUMA,
    now: datetime = NOW,
    trust: RegistrationTrust = TRUST,
    max_age: timedelta = DEFAULT_ATTENDANCE_MAX_AGE,
) -> VerifiedAttendance:
    return verify_attendance(
        record,
        trust=trust,
        body_code=body_code,
        now=now,
        status_checker=None,
        unsafe_skip_status_check=True,
        max_age=max_age,
    )


def _rejection(record: str | bytes, **kwargs: object) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        _verify(record, **kwargs)  # type: ignore[arg-type]
    return info.value.code


# --------------------------------------------------------------------------- create_activity_qr


def _created(**changes: object) -> str:
    arguments: dict[str, object] = {
        "activity_id": "2027-01-beach-cleanup",
        "name": NAME,
        "not_before": _at(NBF),
        "expires_at": _at(EXP),
        "designated": True,
        "now": NOW,
    }
    arguments.update(changes)
    return create_activity_qr(KSN, **arguments)  # type: ignore[arg-type]


def test_created_qr_is_fa1_text_that_verifies() -> None:
    qr = _created()
    assert qr.startswith("FA1:")
    verified = verify_activity_token(qr, trust=TRUST, now=NOW)
    assert verified.issuer == KSN.issuer_id
    assert verified.body_code == KESENNUMA
    assert (verified.activity_id, verified.name, verified.designated) == (
        "2027-01-beach-cleanup",
        NAME,
        True,
    )


def test_created_qr_carries_the_given_window_and_now_as_iat() -> None:
    verified = verify_activity_token(_created(), trust=TRUST, now=NOW)
    assert (verified.not_before, verified.expires_at) == (NBF, EXP)
    assert verified.issued_at == int(NOW.timestamp())


def test_created_qr_names_the_body_signing_key() -> None:
    header = parse_json_object(b64url_decode(_created()[len("FA1:") :].split(".")[0]))
    assert header["kid"] == f"{KESENNUMA}-2027"


def test_an_activity_that_has_already_ended_is_refused() -> None:
    with pytest.raises(ValueError, match="already ended"):
        _created(expires_at=NOW)


def test_an_activity_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="exp must be after nbf"):
        _created(not_before=_at(EXP), expires_at=_at(EXP - 1))


def test_an_activity_id_with_spaces_is_refused() -> None:
    with pytest.raises(ValueError, match="jti"):
        _created(activity_id="beach cleanup")


# --------------------------------------------------------------------------- verify_attendance


def test_checked_in_record_verifies_to_the_attendance() -> None:
    assert _verify(_record()) == VerifiedAttendance(
        registration_id="KSN-basic-0001",
        body_code=KESENNUMA,
        tier=Tier.BASIC,
        activity_id="2027-01-beach-cleanup",
        designated=True,
        checked_in_at=NOW,
        holder_jkt=holder().public_jwk.thumbprint(),
        status=BASIC.verified.status,
    )


def test_attendance_names_the_presented_cards_holder_key_and_status_entry() -> None:
    attendance = _verify(_record())
    assert attendance.holder_jkt != holder("someone-else").public_jwk.thumbprint()
    assert attendance.status is not None
    assert attendance.status == BASIC.verified.status


def test_premium_attendance_reports_its_tier() -> None:
    attendance = _verify(_record(MMW_QR, held=PREMIUM), body_code=MINAMIMINOWA)
    assert (attendance.tier, attendance.registration_id) == (Tier.PREMIUM, "MMW-premium-0001")


def test_non_designated_activity_is_reported_as_such() -> None:
    attendance = _verify(_record(activity_qr(designated=False)))
    assert attendance.designated is False


def test_record_as_utf8_bytes_verifies() -> None:
    assert _verify(_record().encode()).registration_id == "KSN-basic-0001"


def test_record_submitted_twice_verifies_to_the_same_attendance() -> None:
    record = _record()
    assert _verify(record) == _verify(record, now=NOW + timedelta(hours=1))


def test_record_submitted_after_the_activity_closed_counts_the_check_in_time() -> None:
    # Checked in (offline) just before closing; submitted six days later.
    check_in_time = _at(EXP - 1)
    record = _record(now=check_in_time)
    attendance = _verify(record, now=check_in_time + timedelta(days=6))
    assert attendance.checked_in_at == check_in_time


def test_record_exactly_max_age_old_verifies() -> None:
    record = _record()
    _verify(record, now=NOW + DEFAULT_ATTENDANCE_MAX_AGE)


def test_record_older_than_max_age_is_kb_too_old() -> None:
    record = _record()
    later = NOW + DEFAULT_ATTENDANCE_MAX_AGE + timedelta(seconds=1)
    assert _rejection(record, now=later) is ErrorCode.KB_TOO_OLD


def test_a_shorter_max_age_is_honoured() -> None:
    record = _record()
    later = NOW + timedelta(minutes=11)
    assert _rejection(record, now=later, max_age=timedelta(minutes=10)) is ErrorCode.KB_TOO_OLD


def test_record_from_a_wallet_clock_far_ahead_is_kb_in_future() -> None:
    record = _record(now=NOW + timedelta(minutes=5))
    assert _rejection(record) is ErrorCode.KB_IN_FUTURE


# --------------------------------------------------------------------------- binding


def test_record_submitted_to_another_body_is_kb_audience_mismatch() -> None:
    assert _rejection(_record(), body_code=SENDAI) is ErrorCode.KB_AUDIENCE_MISMATCH


def test_presentation_made_for_another_audience_is_kb_audience_mismatch() -> None:
    record = _crafted(audience="https://verifier.example/shop")
    assert _rejection(record) is ErrorCode.KB_AUDIENCE_MISMATCH


def test_record_with_its_activity_swapped_is_kb_nonce_mismatch() -> None:
    genuine = parse_attendance_record(_record())
    other = decode_activity_qr(activity_qr(activity_id="2027-02-festival"))
    swapped = AttendanceRecord(activity=other, presentation=genuine.presentation)
    assert _rejection(serialize_attendance_record(swapped)) is ErrorCode.KB_NONCE_MISMATCH


def test_presentation_with_a_wrong_nonce_is_kb_nonce_mismatch() -> None:
    assert _rejection(_crafted(nonce="verifier-nonce-1234")) is ErrorCode.KB_NONCE_MISMATCH


def test_record_with_the_qr_prefix_kept_on_the_activity_is_rejected() -> None:
    genuine = parse_attendance_record(_record())
    prefixed = AttendanceRecord(
        activity=ACTIVITY_QR_PREFIX + genuine.activity, presentation=genuine.presentation
    )
    assert _rejection(serialize_attendance_record(prefixed)) is ErrorCode.KB_NONCE_MISMATCH


def test_presentation_with_its_kb_jwt_stripped_is_kb_required() -> None:
    genuine = parse_attendance_record(_record())
    stripped = genuine.presentation.rsplit("~", 1)[0] + "~"
    record = AttendanceRecord(activity=genuine.activity, presentation=stripped)
    assert _rejection(serialize_attendance_record(record)) is ErrorCode.KB_REQUIRED


def test_presentation_signed_by_another_holder_key_is_kb_signature_invalid() -> None:
    genuine = parse_attendance_record(_record())
    thief = present_credential(
        BASIC,
        disclose=[("registration_id",)],
        holder=holder("someone-else"),
        audience=KSN.issuer_id,
        nonce=attendance_nonce(genuine.activity),
        now=NOW,
    )
    record = AttendanceRecord(activity=genuine.activity, presentation=thief)
    assert _rejection(serialize_attendance_record(record)) is ErrorCode.KB_SIGNATURE_INVALID


# --------------------------------------------------------------------------- activity checks


def test_activity_of_another_body_is_credential_mismatch() -> None:
    # 南箕輪村's activity and a 気仙沼市 card, presented to 気仙沼市.
    record = _crafted(MMW_QR, audience=KSN.issuer_id)
    assert _rejection(record) is ErrorCode.CREDENTIAL_MISMATCH


def test_card_of_another_body_is_credential_mismatch() -> None:
    # 気仙沼市's activity and a 南箕輪村 card, presented to 気仙沼市.
    record = _crafted(KSN_QR, held=PREMIUM)
    assert _rejection(record) is ErrorCode.CREDENTIAL_MISMATCH


def test_check_in_after_the_activity_closed_is_activity_not_current() -> None:
    late = _at(EXP + 61)
    record = _crafted(now=late)
    assert _rejection(record, now=late) is ErrorCode.ACTIVITY_NOT_CURRENT


def test_check_in_before_the_activity_opened_is_activity_not_current() -> None:
    record = _crafted(now=_at(NBF - 61))  # submitted at NOW, after the activity opened
    assert _rejection(record) is ErrorCode.ACTIVITY_NOT_CURRENT


def test_forged_activity_with_a_matching_nonce_is_signature_invalid() -> None:
    attacker_qr = activity_qr(signer=issuing_body(KESENNUMA, key_label="attacker").signer)
    jws = decode_activity_qr(attacker_qr)
    presentation = present_credential(
        BASIC,
        disclose=[("registration_id",)],
        holder=holder(),
        audience=KSN.issuer_id,
        nonce=attendance_nonce(jws),
        now=NOW,
    )
    record = AttendanceRecord(activity=jws, presentation=presentation)
    assert _rejection(serialize_attendance_record(record)) is ErrorCode.SIGNATURE_INVALID


# --------------------------------------------------------------------------- card checks


def test_record_without_the_registration_id_is_required_disclosure_missing() -> None:
    assert _rejection(_crafted(disclose=())) is ErrorCode.REQUIRED_DISCLOSURE_MISSING


def test_card_not_yet_in_force_at_the_check_in_is_registration_not_valid() -> None:
    # A card stored the day before its registration starts, shown at an activity that day,
    # submitted once the card is valid.
    held = hold(basic_registration(valid_from=TODAY + timedelta(days=1)))
    record = _record(held=held)
    next_day = NOW + timedelta(days=1)
    assert _rejection(record, now=next_day) is ErrorCode.REGISTRATION_NOT_VALID


def test_expired_card_is_token_expired() -> None:
    held = hold(premium_registration(valid_until=date(2027, 1, 15)))
    qr = activity_qr(MINAMIMINOWA)
    record = _record(qr, held=held)
    next_day = NOW + timedelta(days=1)
    assert _rejection(record, now=next_day, body_code=MINAMIMINOWA) is ErrorCode.TOKEN_EXPIRED


def test_card_issuer_missing_from_trust_is_issuer_not_trusted() -> None:
    record = _record()
    assert _rejection(record, trust=trust_for(SENDAI)) is ErrorCode.ISSUER_NOT_TRUSTED


class _Revoked:
    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None:
        raise VerificationError(ErrorCode.CREDENTIAL_REVOKED, "revoked")


def test_revoked_card_is_credential_revoked() -> None:
    with pytest.raises(VerificationError) as info:
        verify_attendance(
            _record(), trust=TRUST, body_code=KESENNUMA, now=NOW, status_checker=_Revoked()
        )
    assert info.value.code is ErrorCode.CREDENTIAL_REVOKED


def test_without_status_data_the_record_is_status_not_checked() -> None:
    with pytest.raises(VerificationError) as info:
        verify_attendance(_record(), trust=TRUST, body_code=KESENNUMA, now=NOW, status_checker=None)
    assert info.value.code is ErrorCode.STATUS_NOT_CHECKED


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    "record",
    [
        '{"activity":"a.b.c"}',
        '{"activity":"a.b.c","presentation":"x","extra":1}',
        '{"activity":"a.b.c","presentation":7}',
    ],
)
def test_malformed_record_is_malformed_request(record: str) -> None:
    assert _rejection(record) is ErrorCode.MALFORMED_REQUEST


def test_record_that_is_not_json_is_malformed_json() -> None:
    assert _rejection("activity=a.b.c") is ErrorCode.MALFORMED_JSON


def test_oversized_record_is_input_too_large() -> None:
    record = AttendanceRecord(activity="a.b.c", presentation="x" * 40_000)
    assert _rejection(serialize_attendance_record(record)) is ErrorCode.INPUT_TOO_LARGE


def test_malformed_body_code_argument_is_invalid_body_code() -> None:
    assert _rejection(_record(), body_code="42056") is ErrorCode.INVALID_BODY_CODE


def test_record_with_a_garbage_presentation_is_malformed_sd_jwt() -> None:
    genuine = parse_attendance_record(_record())
    record = AttendanceRecord(activity=genuine.activity, presentation="not-an-sd-jwt")
    assert _rejection(serialize_attendance_record(record)) is ErrorCode.MALFORMED_SD_JWT


# --------------------------------------------------------------------------- tampering

_VALID = _record()
_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~":{}, \\'


def test_the_record_mutated_below_verifies_unmodified() -> None:
    _verify(_VALID)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0, max_value=len(_VALID) - 1),
    char=st.one_of(st.sampled_from(_CHARS), st.characters()),
)
def test_any_changed_character_of_the_record_is_rejected(index: int, char: str) -> None:
    if _VALID[index] == char:
        return
    mutated = _VALID[:index] + char + _VALID[index + 1 :]
    with pytest.raises(FurusatoError):
        _verify(mutated)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0, max_value=len(_VALID) - 1), byte=st.integers(0, 255))
def test_any_changed_byte_of_the_encoded_record_is_rejected(index: int, byte: int) -> None:
    data = bytearray(_VALID.encode())
    if data[index] == byte:
        return
    data[index] = byte
    with pytest.raises(FurusatoError):
        _verify(bytes(data))
