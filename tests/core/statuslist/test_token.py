"""Status List Tokens (draft-ietf-oauth-status-list-20 §5): the draft's signed examples, our
JWT and CWT forms, and every rejection of §5 and §8.3."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycose.keys.curves import P256
from pycose.keys.ec2 import EC2Key
from pycose.messages.sign1message import Sign1Message

from furusato_vc.core.cbor import encode_cbor
from furusato_vc.core.cose import CoseHeader, sign1
from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, VerificationError
from furusato_vc.core.jose import parse_public_jwk, sign_compact_jws
from furusato_vc.core.statuslist import (
    STATUS_LIST_CWT_TYP,
    StatusListBuilder,
    StatusListForm,
    StatusListLimits,
    StatusListTokenContent,
    StatusType,
    sign_status_list_cwt,
    sign_status_list_jwt,
    verify_status_list_cwt,
    verify_status_list_jwt,
)
from tests.core.statuslist.vectors import EXAMPLE_JWK, example_hex, example_text
from tests.helpers import fixed_signer

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue

EXAMPLE_KEY = parse_public_jwk(EXAMPLE_JWK)
EXAMPLE_URI = "https://example.com/statuslists/1"
EXAMPLE_NOW = 1_700_000_000  # after the examples' iat 1686920170, before their exp

SIGNER = fixed_signer("status-issuer", kid="203858-2027-01")
OTHER = fixed_signer("status-other", kid="203858-2027-01")
URI = "https://issuer.furusato-vc.example/bodies/203858/status/1"
NOW = 1_800_000_000


def _content(**changes: object) -> StatusListTokenContent:
    values: dict[str, object] = {
        "uri": URI,
        "issuer": "https://issuer.furusato-vc.example/bodies/203858",
        "issued_at": NOW - 3600,
        "expires_at": NOW + 7 * 86_400,
        "ttl": 43_200,
        "status_list": StatusListBuilder.from_entries(
            {3: StatusType.INVALID, 9: StatusType.SUSPENDED}, size=1024, bits=2
        ).freeze(),
    }
    values.update(changes)
    return StatusListTokenContent(**values)  # type: ignore[arg-type]


def _jwt_code(token: str, **kwargs: object) -> ErrorCode:
    options: dict[str, object] = {"keys": [SIGNER.public_jwk], "expected_uri": URI, "now": NOW}
    options.update(kwargs)
    with pytest.raises(FurusatoError) as info:
        verify_status_list_jwt(token, **options)  # type: ignore[arg-type]
    return info.value.code


def _cwt_code(token: bytes, **kwargs: object) -> ErrorCode:
    options: dict[str, object] = {"keys": [SIGNER.public_jwk], "expected_uri": URI, "now": NOW}
    options.update(kwargs)
    with pytest.raises(FurusatoError) as info:
        verify_status_list_cwt(token, **options)  # type: ignore[arg-type]
    return info.value.code


# --------------------------------------------------------------------------- the draft's examples


def test_draft_jwt_example_verifies_with_the_example_key() -> None:
    token = "".join(example_text("status_list_jwt_raw.md").split())
    verified = verify_status_list_jwt(
        token, keys=[EXAMPLE_KEY], expected_uri=EXAMPLE_URI, now=EXAMPLE_NOW
    )
    assert verified.uri == EXAMPLE_URI
    assert verified.issuer == "https://example.com"
    assert verified.issued_at == 1_686_920_170
    assert verified.expires_at == 2_291_720_170
    assert verified.ttl == 43_200
    assert verified.form is StatusListForm.JWT
    assert verified.status_list.data == bytes([0xB9, 0xA3])
    assert verified.key == EXAMPLE_KEY


def test_draft_cwt_example_verifies_with_the_example_key() -> None:
    verified = verify_status_list_cwt(
        example_hex("status_list_cwt.md"),
        keys=[EXAMPLE_KEY],
        expected_uri=EXAMPLE_URI,
        now=EXAMPLE_NOW,
    )
    assert verified.uri == EXAMPLE_URI
    assert verified.issued_at == 1_686_920_170
    assert verified.expires_at == 2_291_720_170
    assert verified.ttl == 43_200
    assert verified.form is StatusListForm.CWT
    assert verified.status_list.data == bytes([0xB9, 0xA3])


def test_draft_examples_fail_with_another_key() -> None:
    token = "".join(example_text("status_list_jwt_raw.md").split())
    other = SIGNER.public_jwk.with_kid("12")
    assert _jwt_code(token, keys=[other], expected_uri=EXAMPLE_URI, now=EXAMPLE_NOW) is (
        ErrorCode.SIGNATURE_INVALID
    )
    assert (
        _cwt_code(
            example_hex("status_list_cwt.md"),
            keys=[other],
            expected_uri=EXAMPLE_URI,
            now=EXAMPLE_NOW,
        )
        is ErrorCode.SIGNATURE_INVALID
    )


def test_draft_referenced_token_example_is_not_a_status_list_token() -> None:
    # referenced_token_cwt.md is a credential pointing at a list, not a list
    code = _cwt_code(
        example_hex("referenced_token_cwt.md"),
        keys=[EXAMPLE_KEY],
        expected_uri=EXAMPLE_URI,
        now=EXAMPLE_NOW,
    )
    assert code is ErrorCode.TYP_MISMATCH


# --------------------------------------------------------------------------- our tokens


def test_our_jwt_round_trips() -> None:
    content = _content()
    verified = verify_status_list_jwt(
        sign_status_list_jwt(content, signer=SIGNER),
        keys=[SIGNER.public_jwk],
        expected_uri=URI,
        now=NOW,
    )
    assert verified.status_list == content.status_list
    assert (verified.uri, verified.issued_at, verified.expires_at, verified.ttl) == (
        URI,
        content.issued_at,
        content.expires_at,
        content.ttl,
    )
    assert verified.status_list.get(3) == StatusType.INVALID
    assert verified.status_list.get(9) == StatusType.SUSPENDED
    assert verified.status_list.get(4) == StatusType.VALID


def test_our_cwt_round_trips_and_is_smaller() -> None:
    content = _content()
    cwt = sign_status_list_cwt(content, signer=SIGNER)
    verified = verify_status_list_cwt(cwt, keys=[SIGNER.public_jwk], expected_uri=URI, now=NOW)
    assert verified.status_list == content.status_list
    assert verified.issuer == content.issuer
    assert len(cwt) < len(sign_status_list_jwt(content, signer=SIGNER))
    # §5.2: tag 18 and no CWT tag (61)
    assert cwt[:1] == b"\xd2"


def test_our_cwt_verifies_with_an_independent_cose_library() -> None:
    # pycose's decode() does not take cbor2 6 tuples/frozendicts; see tests/core/test_cose.py
    value = cbor2.loads(sign_status_list_cwt(_content(), signer=SIGNER))
    protected, unprotected, payload, signature = value.value
    message = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    jwk = SIGNER.public_jwk
    message.key = EC2Key(crv=P256, x=b64url_decode(jwk.x), y=b64url_decode(jwk.y or ""))
    assert message.verify_signature()
    assert message.payload is not None
    claims = cbor2.loads(message.payload)
    assert claims[2] == URI
    assert claims[65534] == 43_200
    assert set(claims[65533]) == {"bits", "lst"}


def test_minimal_token_without_exp_ttl_or_iss_verifies() -> None:
    content = _content(expires_at=None, ttl=None, issuer=None)
    keys = [SIGNER.public_jwk]
    for verified in (
        verify_status_list_jwt(
            sign_status_list_jwt(content, signer=SIGNER), keys=keys, expected_uri=URI, now=NOW
        ),
        verify_status_list_cwt(
            sign_status_list_cwt(content, signer=SIGNER), keys=keys, expected_uri=URI, now=NOW
        ),
    ):
        assert verified.expires_at is None
        assert verified.ttl is None
        verified.check_not_expired(NOW + 10**9)


def test_expiry_is_checked_when_the_list_is_used() -> None:
    content = _content()
    verified = verify_status_list_jwt(
        sign_status_list_jwt(content, signer=SIGNER),
        keys=[SIGNER.public_jwk],
        expected_uri=URI,
        now=NOW,
    )
    assert content.expires_at is not None
    verified.check_not_expired(content.expires_at - 1)
    with pytest.raises(VerificationError) as info:
        verified.check_not_expired(content.expires_at)
    assert info.value.code is ErrorCode.STATUS_LIST_EXPIRED


def test_expected_uri_none_accepts_any_sub() -> None:
    verified = verify_status_list_cwt(
        sign_status_list_cwt(_content(), signer=SIGNER),
        keys=[SIGNER.public_jwk],
        expected_uri=None,
        now=NOW,
    )
    assert verified.uri == URI


def test_every_key_with_the_kid_is_tried() -> None:
    token = sign_status_list_jwt(_content(), signer=SIGNER)
    verified = verify_status_list_jwt(
        token, keys=[OTHER.public_jwk, SIGNER.public_jwk], expected_uri=URI, now=NOW
    )
    assert verified.key == SIGNER.public_jwk


def test_content_refuses_inconsistent_values() -> None:
    with pytest.raises(ValueError, match="exp"):
        _content(expires_at=NOW - 7200)
    with pytest.raises(ValueError, match="ttl"):
        _content(ttl=0)
    with pytest.raises(ValueError, match="URI"):
        _content(uri="")


# --------------------------------------------------------------------------- rejections


def test_sub_other_than_the_referenced_uri_is_rejected() -> None:
    other = URI.replace("/1", "/2")
    assert _jwt_code(sign_status_list_jwt(_content(), signer=SIGNER), expected_uri=other) is (
        ErrorCode.STATUS_LIST_MISMATCH
    )
    assert _cwt_code(sign_status_list_cwt(_content(), signer=SIGNER), expected_uri=other) is (
        ErrorCode.STATUS_LIST_MISMATCH
    )


def test_wrong_key_is_rejected() -> None:
    assert _jwt_code(sign_status_list_jwt(_content(), signer=OTHER)) is (
        ErrorCode.SIGNATURE_INVALID
    )
    assert _cwt_code(sign_status_list_cwt(_content(), signer=OTHER)) is (
        ErrorCode.SIGNATURE_INVALID
    )


def test_unknown_kid_and_no_keys_are_rejected() -> None:
    stranger = fixed_signer("status-stranger", kid="elsewhere")
    assert _jwt_code(sign_status_list_jwt(_content(), signer=stranger)) is (
        ErrorCode.ISSUER_KEY_UNKNOWN
    )
    assert _cwt_code(sign_status_list_cwt(_content(), signer=stranger)) is (
        ErrorCode.ISSUER_KEY_UNKNOWN
    )
    assert _jwt_code(sign_status_list_jwt(_content(), signer=SIGNER), keys=[]) is (
        ErrorCode.ISSUER_KEY_UNKNOWN
    )


def test_iat_in_the_future_is_rejected() -> None:
    content = _content(issued_at=NOW + 3600, expires_at=NOW + 7200)
    assert _jwt_code(sign_status_list_jwt(content, signer=SIGNER)) is (
        ErrorCode.TOKEN_ISSUED_IN_FUTURE
    )
    assert _cwt_code(sign_status_list_cwt(content, signer=SIGNER)) is (
        ErrorCode.TOKEN_ISSUED_IN_FUTURE
    )


def _jwt_with(claims: JSONObject, *, typ: str = "statuslist+jwt") -> str:
    return sign_compact_jws(
        header={"typ": typ}, payload=dumps_compact(claims).encode(), signer=SIGNER
    )


def _claims(**changes: JSONValue) -> JSONObject:
    claims: JSONObject = {
        "sub": URI,
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "ttl": 600,
        "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"sub": None}, ErrorCode.REQUIRED_CLAIM_MISSING),
        ({"sub": ""}, ErrorCode.REQUIRED_CLAIM_MISSING),
        ({"iat": None}, ErrorCode.REQUIRED_CLAIM_MISSING),
        ({"status_list": None}, ErrorCode.REQUIRED_CLAIM_MISSING),
        ({"iat": "soon"}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"iat": -1}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"exp": NOW - 120}, ErrorCode.MALFORMED_STATUS_LIST),  # exp before iat
        ({"ttl": 0}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"ttl": -5}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"ttl": 1.5}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"ttl": True}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"iss": 7}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}, ErrorCode.MALFORMED_STATUS_LIST),
    ],
)
def test_jwt_claims_are_checked(changes: dict[str, JSONValue], code: ErrorCode) -> None:
    assert _jwt_code(_jwt_with(_claims(**changes))) is code


def test_jwt_with_another_typ_is_rejected() -> None:
    assert _jwt_code(_jwt_with(_claims(), typ="JWT")) is ErrorCode.TYP_MISMATCH
    assert _jwt_code(_jwt_with(_claims(), typ="statuslist+cwt")) is ErrorCode.TYP_MISMATCH


def test_jwt_with_alg_none_or_hmac_is_rejected() -> None:
    token = sign_status_list_jwt(_content(), signer=SIGNER)
    header, payload, _signature = token.split(".")
    for alg in ("none", "HS256"):
        forged_header = b64url_encode(dumps_compact({"alg": alg, "typ": "statuslist+jwt"}).encode())
        assert _jwt_code(f"{forged_header}.{payload}.c2ln") is ErrorCode.ALGORITHM_NOT_ALLOWED
    del header


def _cwt_with(
    claims: dict[object, object],
    *,
    protected: dict[object, object] | None = None,
    tag: int | None = None,
) -> bytes:
    header: dict[object, object] = {
        CoseHeader.TYP.value: STATUS_LIST_CWT_TYP,
        CoseHeader.KID.value: b"203858-2027-01",
    }
    if protected is not None:
        header = protected
    message = sign1(protected=header, unprotected={}, payload=encode_cbor(claims), signer=SIGNER)
    value: object = message.to_cbor_value()
    if tag is not None:
        value = cbor2.CBORTag(tag, value)
    return cbor2.dumps(value)


def _cwt_claims(**changes: object) -> dict[object, object]:
    keys = {"sub": 2, "iat": 6, "exp": 4, "ttl": 65534, "status_list": 65533, "iss": 1}
    claims: dict[object, object] = {
        2: URI,
        6: NOW - 60,
        4: NOW + 3600,
        65534: 600,
        65533: {"bits": 1, "lst": bytes.fromhex("78dadbb918000217015d")},
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(keys[name], None)
        else:
            claims[keys[name]] = value
    return claims


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"sub": None}, ErrorCode.REQUIRED_CLAIM_MISSING),
        ({"iat": None}, ErrorCode.REQUIRED_CLAIM_MISSING),
        ({"status_list": None}, ErrorCode.REQUIRED_CLAIM_MISSING),
        ({"ttl": 0}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"iat": 1.0}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}, ErrorCode.MALFORMED_STATUS_LIST),
        ({"status_list": [1, 2]}, ErrorCode.MALFORMED_STATUS_LIST),
    ],
)
def test_cwt_claims_are_checked(changes: dict[str, object], code: ErrorCode) -> None:
    assert _cwt_code(_cwt_with(_cwt_claims(**changes))) is code


def test_cwt_shape_rules() -> None:
    good = _cwt_claims()
    # §5.2: MUST NOT be tagged with the CWT tag
    assert _cwt_code(_cwt_with(good, tag=61)) is ErrorCode.MALFORMED_COSE
    # typ missing or wrong
    assert _cwt_code(_cwt_with(good, protected={4: b"203858-2027-01"})) is ErrorCode.TYP_MISMATCH
    assert (
        _cwt_code(_cwt_with(good, protected={16: "application/cwt", 4: b"203858-2027-01"}))
        is ErrorCode.TYP_MISMATCH
    )
    # a bare CBOR map, an untagged array, a COSE_Mac0
    assert _cwt_code(cbor2.dumps(good)) is ErrorCode.MALFORMED_COSE
    message = cbor2.loads(_cwt_with(good))
    assert _cwt_code(cbor2.dumps(message.value)) is ErrorCode.MALFORMED_COSE
    assert _cwt_code(cbor2.dumps(cbor2.CBORTag(17, message.value))) is ErrorCode.MALFORMED_COSE
    # claims that are not a map
    signed_list = sign1(
        protected={16: STATUS_LIST_CWT_TYP, 4: b"203858-2027-01"},
        unprotected={},
        payload=cbor2.dumps([1, 2]),
        signer=SIGNER,
    ).encode()
    assert _cwt_code(signed_list) is ErrorCode.MALFORMED_STATUS_LIST
    # a kid that is not a byte string
    assert (
        _cwt_code(_cwt_with(good, protected={16: STATUS_LIST_CWT_TYP, 4: "203858-2027-01"}))
        is ErrorCode.MALFORMED_COSE
    )


def test_cwt_with_trailing_bytes_is_rejected() -> None:
    token = sign_status_list_cwt(_content(), signer=SIGNER)
    assert _cwt_code(token + b"\x00") is ErrorCode.CBOR_TRAILING_BYTES


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_change_to_a_signed_cwt_byte_is_rejected(data: st.DataObject) -> None:
    token = bytearray(sign_status_list_cwt(_content(), signer=SIGNER))
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    token[position] ^= flip
    with pytest.raises(FurusatoError):
        verify_status_list_cwt(bytes(token), keys=[SIGNER.public_jwk], expected_uri=URI, now=NOW)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_change_to_a_signed_jwt_byte_is_rejected(data: st.DataObject) -> None:
    token = sign_status_list_jwt(_content(), signer=SIGNER)
    header, payload, signature = token.split(".")
    raw = bytearray(b64url_decode(payload))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    forged = f"{header}.{b64url_encode(bytes(raw))}.{signature}"
    with pytest.raises(FurusatoError):
        verify_status_list_jwt(forged, keys=[SIGNER.public_jwk], expected_uri=URI, now=NOW)


def test_oversized_jwt_is_refused_before_parsing() -> None:
    token = sign_status_list_jwt(_content(), signer=SIGNER)
    with pytest.raises(FormatError) as info:
        verify_status_list_jwt(
            token + "A" * 20_000,
            keys=[SIGNER.public_jwk],
            expected_uri=URI,
            now=NOW,
            limits=StatusListLimits(max_compressed_bytes=64),
        )
    assert info.value.code is ErrorCode.INPUT_TOO_LARGE
