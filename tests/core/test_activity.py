"""Activity tokens and attendance records (:mod:`furusato_vc.core.activity`).

An activity token is a compact JWS (RFC 7515) with ``typ`` ``furusato-activity+jwt``, signed
by a trusted body's key, naming that body, open in ``[nbf - skew, exp + skew)``; the QR text is
``FA1:`` + the JWS. An attendance record is the strict JSON pair (activity, presentation).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato_vc.core.activity import (
    ACTIVITY_QR_PREFIX,
    ACTIVITY_TYP,
    MAX_ACTIVITY_TOKEN_CHARS,
    MAX_ATTENDANCE_RECORD_BYTES,
    ActivityContent,
    ActivityName,
    AttendanceRecord,
    attendance_nonce,
    decode_activity_qr,
    encode_activity_qr,
    parse_attendance_record,
    serialize_attendance_record,
    sign_activity_token,
    verify_activity_jws,
    verify_activity_token,
)
from furusato_vc.core.encoding import b64url_decode, b64url_encode, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, VerificationError
from furusato_vc.core.jose.jws import sign_compact_jws
from furusato_vc.core.trust import RegistrationTrust, StaticTrust, TrustedIssuer
from tests.activity_fixtures import (
    EXP,
    IAT,
    NAME,
    NBF,
    NOW_S,
    activity_content,
    activity_jws,
    activity_qr,
    claims_of,
    forged_hmac_jws,
    signed_jws,
)
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    NOW,
    SENDAI,
    issuing_body,
    trust_for,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk

TRUST = trust_for(KESENNUMA, MINAMIMINOWA)
SKEW = 60


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _code(
    text: str, *, now: datetime = NOW, trust: RegistrationTrust = TRUST, skew: int = SKEW
) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        verify_activity_token(text, trust=trust, now=now, skew=skew)
    return info.value.code


def _jws_code(jws: str) -> ErrorCode:
    return _code(ACTIVITY_QR_PREFIX + jws)


def _segments(jws: str) -> list[str]:
    return jws.split(".")


# --------------------------------------------------------------------------- sign and verify


def test_activity_qr_text_is_prefix_and_jws() -> None:
    jws = activity_jws()
    assert encode_activity_qr(jws) == "FA1:" + jws
    assert decode_activity_qr("FA1:" + jws) == jws


def test_token_header_has_es256_typ_and_the_body_key_id() -> None:
    header = parse_json_object(b64url_decode(_segments(activity_jws())[0]))
    assert header == {"alg": "ES256", "kid": f"{KESENNUMA}-2027", "typ": ACTIVITY_TYP}


def test_token_payload_carries_exactly_the_activity_claims() -> None:
    payload = parse_json_object(b64url_decode(_segments(activity_jws())[1]))
    assert payload == claims_of(KESENNUMA)


def test_verified_activity_reports_every_claim() -> None:
    verified = verify_activity_token(activity_qr(), trust=TRUST, now=NOW)
    assert verified.issuer == ISSUER_BASE + KESENNUMA
    assert verified.body_code == KESENNUMA
    assert verified.activity_id == "2027-01-beach-cleanup"
    assert verified.name == NAME
    assert (verified.issued_at, verified.not_before, verified.expires_at) == (IAT, NBF, EXP)
    assert verified.designated is True
    assert verified.issuer_key == issuing_body(KESENNUMA).signer.public_jwk


def test_verified_activity_keeps_the_exact_jws() -> None:
    jws = activity_jws()
    assert verify_activity_jws(jws, trust=TRUST, now=NOW).jws == jws


def test_a_non_designated_activity_verifies_as_not_designated() -> None:
    verified = verify_activity_token(activity_qr(designated=False), trust=TRUST, now=NOW)
    assert verified.designated is False


def test_token_signed_with_a_second_key_of_the_body_verifies() -> None:
    old = issuing_body(KESENNUMA)
    rotated = issuing_body(KESENNUMA, key_label="kesennuma-2028", kid=f"{KESENNUMA}-2028")
    both = StaticTrust.of(
        [
            TrustedIssuer(
                body_code=KESENNUMA,
                issuer_id=old.issuer_id,
                keys=(old.signer.public_jwk, rotated.signer.public_jwk),
            )
        ]
    )
    verified = verify_activity_token(activity_qr(signer=rotated.signer), trust=both, now=NOW)
    assert verified.issuer_key == rotated.signer.public_jwk


def test_attendance_nonce_is_base64url_sha256_of_the_jws() -> None:
    jws = activity_jws()
    expected = b64url_encode(hashlib.sha256(jws.encode("ascii")).digest())
    assert attendance_nonce(jws) == expected
    assert len(attendance_nonce(jws)) == 43


def test_attendance_nonce_differs_between_activities() -> None:
    assert attendance_nonce(activity_jws()) != attendance_nonce(activity_jws(activity_id="x2"))


# --------------------------------------------------------------------------- content rules


@pytest.mark.parametrize("name", ["", "   ", "a" * 65, "清掃\u0000", "line\nbreak"])
def test_activity_name_rejects_blank_long_and_control_text(name: str) -> None:
    with pytest.raises(ValueError, match="activity name"):
        ActivityName(ja=name, en="Clean-up")
    with pytest.raises(ValueError, match="activity name"):
        ActivityName(ja="清掃", en=name)


@pytest.mark.parametrize(
    "changes",
    [
        {"issuer": ""},
        {"body_code": "042055"},  # wrong check digit
        {"body_code": "42056"},
        {"activity_id": ""},
        {"activity_id": "a" * 65},
        {"activity_id": "beach cleanup"},
        {"activity_id": "清掃"},
        {"expires_at": NBF},
        {"expires_at": NBF - 1},
        {"issued_at": -1},
        {"not_before": 2**53},
    ],
)
def test_activity_content_rejects_invalid_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        activity_content(**changes)


def test_signing_a_token_over_the_size_limit_is_refused() -> None:
    long_issuer = ActivityContent(
        issuer="https://" + "x" * 2000,
        body_code=KESENNUMA,
        activity_id="a",
        name=NAME,
        issued_at=IAT,
        not_before=NBF,
        expires_at=EXP,
        designated=False,
    )
    with pytest.raises(ValueError, match="size"):
        sign_activity_token(long_issuer, signer=issuing_body(KESENNUMA).signer)


# --------------------------------------------------------------------------- QR text


@pytest.mark.parametrize("prefix", ["", "FJ1:", "FA2:", "fa1:", "FA1", " FA1:", "HC1:"])
def test_text_without_the_fa1_prefix_is_qr_prefix_unknown(prefix: str) -> None:
    assert _code(prefix + activity_jws()) is ErrorCode.QR_PREFIX_UNKNOWN


def test_registration_card_qr_text_is_qr_prefix_unknown() -> None:
    assert _code("FJ1:NCFOXN%TS3DH") is ErrorCode.QR_PREFIX_UNKNOWN


def test_oversized_qr_text_is_input_too_large_before_any_parsing() -> None:
    text = ACTIVITY_QR_PREFIX + "A" * (MAX_ACTIVITY_TOKEN_CHARS + 1)
    assert _code(text) is ErrorCode.INPUT_TOO_LARGE


def test_oversized_text_is_input_too_large_even_without_the_prefix() -> None:
    assert _code("X" * 10_000) is ErrorCode.INPUT_TOO_LARGE


def test_qr_text_exactly_at_the_limit_is_parsed() -> None:
    text = ACTIVITY_QR_PREFIX + "A" * MAX_ACTIVITY_TOKEN_CHARS
    assert _code(text) is ErrorCode.MALFORMED_JWS


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize("jws", ["", "abc", "a.b", "a.b.c.d", "..", "a..", ".b.c"])
def test_not_three_segments_is_malformed_jws(jws: str) -> None:
    assert _jws_code(jws) is ErrorCode.MALFORMED_JWS


def test_non_base64url_payload_is_malformed_jws() -> None:
    header, _, signature = _segments(activity_jws())
    assert _jws_code(f"{header}.!!!!.{signature}") is ErrorCode.MALFORMED_JWS


def test_header_that_is_not_json_is_malformed_jws_header() -> None:
    _, payload, signature = _segments(activity_jws())
    bad = b64url_encode(b"not json")
    assert _jws_code(f"{bad}.{payload}.{signature}") is ErrorCode.MALFORMED_JWS_HEADER


def test_crit_header_is_critical_header_unsupported() -> None:
    jws = signed_jws(claims_of(), header={"typ": ACTIVITY_TYP, "crit": ["exp"]})
    assert _jws_code(jws) is ErrorCode.CRITICAL_HEADER_UNSUPPORTED


def test_payload_that_is_not_an_object_is_malformed_json() -> None:
    signer = issuing_body(KESENNUMA).signer
    token = sign_compact_jws(header={"typ": ACTIVITY_TYP}, payload=b"[1,2]", signer=signer)
    assert _jws_code(token) is ErrorCode.MALFORMED_JSON


def test_payload_nested_too_deep_is_json_too_deep() -> None:
    claims = claims_of()
    claims["extra"] = {"a": {"b": 1}}
    assert _jws_code(signed_jws(claims)) is ErrorCode.JSON_TOO_DEEP


def test_unknown_extra_claims_are_ignored() -> None:
    claims = claims_of()
    claims["note"] = "bring gloves"
    verified = verify_activity_jws(signed_jws(claims), trust=TRUST, now=NOW)
    assert verified.activity_id == "2027-01-beach-cleanup"


# --------------------------------------------------------------------------- typ and alg


@pytest.mark.parametrize(
    "typ", [None, "JWT", "kb+jwt", "dc+sd-jwt", "FURUSATO-ACTIVITY+JWT", "furusato-activity"]
)
def test_wrong_or_missing_typ_is_typ_mismatch(typ: str | None) -> None:
    header: JSONObject = {} if typ is None else {"typ": typ}
    assert _jws_code(signed_jws(claims_of(), header=header)) is ErrorCode.TYP_MISMATCH


@pytest.mark.parametrize("alg", ["HS256", "HS512", "none", "RS256", "es256", "EdDSA"])
def test_algorithm_outside_the_allow_list_is_algorithm_not_allowed(alg: str) -> None:
    assert _jws_code(forged_hmac_jws(alg)) is ErrorCode.ALGORITHM_NOT_ALLOWED


# --------------------------------------------------------------------------- keys and issuers


def test_tampered_payload_is_signature_invalid() -> None:
    header, _, signature = _segments(activity_jws())
    claims = claims_of()
    claims["designated"] = False
    other_payload = _segments(signed_jws(claims))[1]
    assert _jws_code(f"{header}.{other_payload}.{signature}") is ErrorCode.SIGNATURE_INVALID


def test_foreign_key_under_the_body_kid_is_signature_invalid() -> None:
    attacker = issuing_body(KESENNUMA, key_label="attacker").signer  # same kid as the real key
    assert _code(activity_qr(signer=attacker)) is ErrorCode.SIGNATURE_INVALID


def test_unknown_kid_is_issuer_key_unknown() -> None:
    rotated = issuing_body(KESENNUMA, key_label="kesennuma-2028", kid=f"{KESENNUMA}-2028")
    assert _code(activity_qr(signer=rotated.signer)) is ErrorCode.ISSUER_KEY_UNKNOWN


def test_unknown_issuer_is_issuer_not_trusted() -> None:
    assert _code(activity_qr(SENDAI)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_body_missing_from_trust_is_issuer_not_trusted() -> None:
    assert _code(activity_qr(), trust=trust_for(MINAMIMINOWA)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_body_signing_for_another_body_is_issuer_not_trusted() -> None:
    # 気仙沼市's own iss and key, naming 南箕輪村 as the body of the activity.
    claims = claims_of()
    claims["body"] = MINAMIMINOWA
    assert _jws_code(signed_jws(claims)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_other_body_key_under_its_iss_is_issuer_key_unknown() -> None:
    # 南箕輪村's key (kid 203858-2027) with 気仙沼市's iss: the kid is not 気仙沼市's.
    jws = activity_jws(signer=issuing_body(MINAMIMINOWA).signer)
    assert _jws_code(jws) is ErrorCode.ISSUER_KEY_UNKNOWN


@dataclass(frozen=True, slots=True)
class _StrictTrust:
    """A trust set whose currency and key-window answers are scripted (as a trust list's)."""

    inner: StaticTrust
    current: ErrorCode | None = None
    key_use: ErrorCode | None = None

    def issuer_keys(self, *, issuer: str, kid: str | None) -> Sequence[PublicJwk]:
        return self.inner.issuer_keys(issuer=issuer, kid=kid)

    def compact_keys(self, *, body_code: str, kid: bytes) -> Sequence[PublicJwk]:
        return self.inner.compact_keys(body_code=body_code, kid=kid)

    def body_for_issuer(self, issuer: str) -> str:
        return self.inner.body_for_issuer(issuer)

    def issuer_for_body(self, body_code: str) -> str:
        return self.inner.issuer_for_body(body_code)

    def status_list_uri(self, *, body_code: str, list_id: int) -> str | None:
        return self.inner.status_list_uri(body_code=body_code, list_id=list_id)

    def check_current(self, *, now: int) -> None:
        if self.current is not None:
            raise VerificationError(self.current, "scripted")

    def check_key_use(self, *, body_code: str, key: PublicJwk, signed_at: int) -> None:
        assert signed_at == IAT  # the token's iat is when the key was used
        if self.key_use is not None:
            raise VerificationError(self.key_use, "scripted")


def test_trust_data_out_of_date_is_refused_first() -> None:
    trust = _StrictTrust(TRUST, current=ErrorCode.TRUST_LIST_EXPIRED)
    assert _code(activity_qr(), trust=trust) is ErrorCode.TRUST_LIST_EXPIRED


def test_key_outside_its_window_at_iat_is_refused() -> None:
    trust = _StrictTrust(TRUST, key_use=ErrorCode.ISSUER_KEY_WITHDRAWN)
    assert _code(activity_qr(), trust=trust) is ErrorCode.ISSUER_KEY_WITHDRAWN


def test_key_use_is_asked_with_the_token_iat() -> None:
    verified = verify_activity_token(activity_qr(), trust=_StrictTrust(TRUST), now=NOW)
    assert verified.issued_at == IAT


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize("name", ["iss", "body", "jti", "name", "iat", "nbf", "exp", "designated"])
def test_missing_claim_is_required_claim_missing(name: str) -> None:
    claims = claims_of()
    del claims[name]
    assert _jws_code(signed_jws(claims)) is ErrorCode.REQUIRED_CLAIM_MISSING


_BAD_CLAIMS: list[tuple[str, JSONValue]] = [
    ("body", 42056),
    ("body", "042055"),
    ("body", "04205６"),
    ("jti", 7),
    ("jti", ""),
    ("jti", "has space"),
    ("jti", "x" * 65),
    ("name", "海岸清掃"),
    ("name", {"ja": "海岸清掃"}),
    ("name", {"ja": "海岸清掃", "en": "Clean-up", "fr": "Nettoyage"}),
    ("name", {"ja": "海岸清掃", "en": 3}),
    ("name", {"ja": "", "en": "Clean-up"}),
    ("name", {"ja": "海岸\u0007清掃", "en": "Clean-up"}),
    ("name", {"ja": "海" * 65, "en": "Clean-up"}),
    ("iat", "1800000000"),
    ("nbf", 1.5),
    ("exp", True),
    ("exp", -1),
    ("exp", NBF),
    ("designated", "true"),
    ("designated", 1),
    ("designated", None),
]


@pytest.mark.parametrize(("name", "value"), _BAD_CLAIMS)
def test_claim_of_the_wrong_form_is_malformed_claim(name: str, value: JSONValue) -> None:
    claims = claims_of()
    claims[name] = value
    assert _jws_code(signed_jws(claims)) is ErrorCode.MALFORMED_CLAIM


def test_iss_of_the_wrong_type_is_malformed_claim() -> None:
    claims = claims_of()
    claims["iss"] = ["https://issuer.furusato-vc.example/bodies/042056"]
    assert _jws_code(signed_jws(claims)) is ErrorCode.MALFORMED_CLAIM


# --------------------------------------------------------------------------- time window


@pytest.mark.parametrize("offset", [-1, 0, SKEW - 1])
def test_activity_is_current_until_exp_plus_skew(offset: int) -> None:
    verify_activity_token(activity_qr(), trust=TRUST, now=_at(EXP + offset))


@pytest.mark.parametrize("offset", [SKEW, SKEW + 1, 86_400])
def test_activity_after_exp_plus_skew_is_activity_not_current(offset: int) -> None:
    assert _code(activity_qr(), now=_at(EXP + offset)) is ErrorCode.ACTIVITY_NOT_CURRENT


def test_without_skew_the_activity_ends_at_exp() -> None:
    verify_activity_token(activity_qr(), trust=TRUST, now=_at(EXP - 1), skew=0)
    assert _code(activity_qr(), now=_at(EXP), skew=0) is ErrorCode.ACTIVITY_NOT_CURRENT


def test_activity_opens_at_nbf_minus_skew() -> None:
    verify_activity_token(activity_qr(), trust=TRUST, now=_at(NBF - SKEW))


@pytest.mark.parametrize("offset", [SKEW + 1, 86_400])
def test_activity_before_nbf_minus_skew_is_activity_not_current(offset: int) -> None:
    assert _code(activity_qr(), now=_at(NBF - offset)) is ErrorCode.ACTIVITY_NOT_CURRENT


def test_iat_after_the_moment_of_use_is_token_issued_in_future() -> None:
    qr = activity_qr(issued_at=NOW_S + SKEW + 1)
    assert _code(qr) is ErrorCode.TOKEN_ISSUED_IN_FUTURE


def test_iat_within_skew_of_now_is_accepted() -> None:
    verify_activity_token(activity_qr(issued_at=NOW_S + SKEW), trust=TRUST, now=NOW)


def test_checked_in_at_moves_the_window_not_the_trust_check() -> None:
    # Verified a day after it closed, for a check-in while it was open.
    later = _at(EXP + 86_400)
    verified = verify_activity_jws(activity_jws(), trust=TRUST, now=later, checked_in_at=NOW)
    assert verified.expires_at == EXP


def test_check_in_time_outside_the_window_is_activity_not_current() -> None:
    with pytest.raises(VerificationError) as info:
        verify_activity_jws(activity_jws(), trust=TRUST, now=NOW, checked_in_at=_at(EXP + SKEW))
    assert info.value.code is ErrorCode.ACTIVITY_NOT_CURRENT


def test_negative_skew_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="skew"):
        verify_activity_token(activity_qr(), trust=TRUST, now=NOW, skew=-1)


# --------------------------------------------------------------------------- properties

_NAME_TEXT = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "Zs", "S")), min_size=1, max_size=64
).filter(str.strip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ja=_NAME_TEXT,
    en=_NAME_TEXT,
    activity_id=st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True),
    opens=st.integers(min_value=0, max_value=30 * 86_400),
    lasts=st.integers(min_value=1, max_value=30 * 86_400),
    designated=st.booleans(),
    body_code=st.sampled_from([KESENNUMA, MINAMIMINOWA]),
)
def test_any_valid_activity_round_trips(
    ja: str,
    en: str,
    activity_id: str,
    opens: int,
    lasts: int,
    designated: bool,
    body_code: str,
) -> None:
    content = activity_content(
        body_code,
        activity_id=activity_id,
        name=ActivityName(ja=ja, en=en),
        issued_at=NOW_S - opens,
        not_before=NOW_S - opens,
        expires_at=NOW_S - opens + lasts,
        designated=designated,
    )
    qr = encode_activity_qr(sign_activity_token(content, signer=issuing_body(body_code).signer))
    verified = verify_activity_token(qr, trust=TRUST, now=_at(content.not_before))
    assert (verified.name, verified.activity_id, verified.designated) == (
        content.name,
        activity_id,
        designated,
    )
    assert (verified.not_before, verified.expires_at) == (content.not_before, content.expires_at)
    assert verified.body_code == body_code


_VALID_QR = activity_qr()


def test_the_qr_text_mutated_below_verifies_unmodified() -> None:
    verify_activity_token(_VALID_QR, trust=TRUST, now=NOW)


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(_VALID_QR) - 1),
    char=st.one_of(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:"),
        st.characters(),
    ),
)
def test_any_changed_character_of_the_qr_text_is_rejected(index: int, char: str) -> None:
    if _VALID_QR[index] == char:
        return
    mutated = _VALID_QR[:index] + char + _VALID_QR[index + 1 :]
    with pytest.raises(FurusatoError):
        verify_activity_token(mutated, trust=TRUST, now=NOW)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_rejected_with_a_furusato_error(text: str) -> None:
    with pytest.raises(FurusatoError):
        verify_activity_token(text, trust=TRUST, now=NOW)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_prefixed_text_is_rejected_with_a_furusato_error(text: str) -> None:
    with pytest.raises(FurusatoError):
        verify_activity_token(ACTIVITY_QR_PREFIX + text, trust=TRUST, now=NOW)


# --------------------------------------------------------------------------- attendance record

_RECORD = AttendanceRecord(activity="h.p.s", presentation="jwt~d1~kb")


def test_record_serializes_as_compact_json_with_both_members() -> None:
    text = serialize_attendance_record(_RECORD)
    assert text == '{"activity":"h.p.s","presentation":"jwt~d1~kb"}'


def test_record_round_trips() -> None:
    assert parse_attendance_record(serialize_attendance_record(_RECORD)) == _RECORD


def test_record_is_parsed_from_utf8_bytes() -> None:
    assert parse_attendance_record(serialize_attendance_record(_RECORD).encode()) == _RECORD


def test_record_with_whitespace_and_other_member_order_is_the_same_record() -> None:
    text = '{ "presentation" : "jwt~d1~kb",\n "activity" : "h.p.s" }'
    assert parse_attendance_record(text) == _RECORD


def _record_code(data: str | bytes) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        parse_attendance_record(data)
    return info.value.code


@pytest.mark.parametrize(
    "value",
    [
        {"activity": "h.p.s"},
        {"presentation": "jwt~d1~kb"},
        {},
        {"activity": "h.p.s", "presentation": "jwt~d1~kb", "extra": "x"},
        {"activity": "h.p.s", "presentation": None},
        {"activity": 1, "presentation": "jwt~d1~kb"},
        {"activity": "", "presentation": "jwt~d1~kb"},
        {"activity": "h.p.s", "presentation": ""},
        {"activity": "h.p.s", "presentation": "jwt~d1~kb\u00e9"},
        {"activity": "h.p.\u3042", "presentation": "jwt~d1~kb"},
    ],
)
def test_record_with_missing_extra_or_bad_members_is_malformed_request(
    value: dict[str, object],
) -> None:
    assert _record_code(json.dumps(value)) is ErrorCode.MALFORMED_REQUEST


@pytest.mark.parametrize("text", ["", "null", "[]", '"h.p.s"', "{", "not json", "{}}"])
def test_record_that_is_not_a_json_object_is_malformed_json(text: str) -> None:
    assert _record_code(text) is ErrorCode.MALFORMED_JSON


def test_record_with_a_duplicate_member_is_json_duplicate_key() -> None:
    text = '{"activity":"a.b.c","activity":"h.p.s","presentation":"jwt~d1~kb"}'
    assert _record_code(text) is ErrorCode.JSON_DUPLICATE_KEY


def test_record_with_a_nested_member_is_json_too_deep() -> None:
    assert _record_code('{"activity":{"a":1},"presentation":"x"}') is ErrorCode.JSON_TOO_DEEP


def test_record_over_32_kib_is_input_too_large() -> None:
    record = AttendanceRecord(activity="h.p.s", presentation="x" * MAX_ATTENDANCE_RECORD_BYTES)
    assert _record_code(serialize_attendance_record(record)) is ErrorCode.INPUT_TOO_LARGE


def test_record_activity_over_the_token_limit_is_input_too_large() -> None:
    record = AttendanceRecord(activity="a" * (MAX_ACTIVITY_TOKEN_CHARS + 1), presentation="x")
    assert _record_code(serialize_attendance_record(record)) is ErrorCode.INPUT_TOO_LARGE


def test_record_that_is_not_utf8_is_malformed_json() -> None:
    assert _record_code(b'{"activity":"\xff","presentation":"x"}') is ErrorCode.MALFORMED_JSON


_ASCII_MEMBER = st.text(alphabet=st.characters(max_codepoint=127), min_size=1, max_size=200)


@settings(max_examples=200, deadline=None)
@given(activity=_ASCII_MEMBER, presentation=_ASCII_MEMBER)
def test_any_record_of_ascii_members_round_trips(activity: str, presentation: str) -> None:
    record = AttendanceRecord(activity=activity, presentation=presentation)
    assert parse_attendance_record(serialize_attendance_record(record)) == record


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_a_format_error_or_a_record(data: bytes) -> None:
    try:
        record = parse_attendance_record(data)
    except FormatError:
        return
    assert record.activity.isascii()
    assert record.presentation.isascii()
