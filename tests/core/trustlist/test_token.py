"""Signing and verifying the national trust list in both forms; forged, expired, rolled-back,
truncated and tampered lists (security catalogue K-1 … K-3)."""

from __future__ import annotations

import dataclasses

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, VerificationError
from furusato_vc.core.jose import sign_compact_jws
from furusato_vc.core.trustlist import (
    TRUST_LIST_CWT_TYP,
    BodyState,
    check_not_rolled_back,
    trust_list_to_json,
    verify_trust_list,
    verify_trust_list_cwt,
    verify_trust_list_jwt,
)
from furusato_vc.core.trustlist.edit import set_state
from tests.core.trustlist.builders import (
    ANCHOR,
    ANCHOR_JWK,
    NOW_S,
    OTHER_ANCHOR,
    draft,
    signed,
    signed_cwt,
    signed_jwt,
)
from tests.helpers import fixed_signer
from tests.registration_fixtures import KESENNUMA

SECOND_ANCHOR = fixed_signer("national-trust-anchor-next", kid="jp-anchor-2028")


def _code(data: bytes, *, anchors: list[object] | None = None, now: int = NOW_S) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        verify_trust_list(data, anchors=anchors or [ANCHOR_JWK], now=now)  # type: ignore[arg-type]
    return info.value.code


# --------------------------------------------------------------------------- round trips


def test_jwt_form_verifies_and_equals_what_was_signed() -> None:
    trust_list = signed()
    assert verify_trust_list_jwt(signed_jwt(trust_list), anchors=[ANCHOR_JWK], now=NOW_S) == (
        trust_list
    )


def test_cwt_form_verifies_and_equals_what_was_signed() -> None:
    trust_list = signed()
    assert verify_trust_list_cwt(signed_cwt(trust_list), anchors=[ANCHOR_JWK], now=NOW_S) == (
        trust_list
    )


def test_both_forms_carry_the_same_list_and_cwt_is_smaller() -> None:
    jwt, cwt = signed_jwt(), signed_cwt()
    assert verify_trust_list(jwt.encode(), anchors=[ANCHOR_JWK], now=NOW_S) == verify_trust_list(
        cwt, anchors=[ANCHOR_JWK], now=NOW_S
    )
    assert len(cwt) < len(jwt)


def test_any_pinned_anchor_may_sign() -> None:
    token = signed_cwt(signer=SECOND_ANCHOR)
    anchors = [ANCHOR_JWK, SECOND_ANCHOR.public_jwk]
    assert verify_trust_list(token, anchors=anchors, now=NOW_S).sequence == 1


def test_list_without_kid_is_tried_against_every_anchor() -> None:
    trust_list = signed()
    payload = dumps_compact(trust_list_to_json(trust_list)).encode()  # type: ignore[arg-type]
    unnamed = sign_compact_jws(
        header={"typ": "furusato-trust-list+jwt"}, payload=payload, signer=ANCHOR, include_kid=False
    )
    anchors = [SECOND_ANCHOR.public_jwk, ANCHOR_JWK]
    assert verify_trust_list_jwt(unnamed, anchors=anchors, now=NOW_S) == trust_list


# --------------------------------------------------------------------------- forged


def test_list_signed_by_an_unpinned_key_with_a_pinned_kid_is_rejected() -> None:
    # OTHER_ANCHOR claims the pinned anchor's kid
    assert _code(signed_jwt(signer=OTHER_ANCHOR).encode()) is ErrorCode.SIGNATURE_INVALID
    assert _code(signed_cwt(signer=OTHER_ANCHOR)) is ErrorCode.SIGNATURE_INVALID


def test_list_signed_by_an_unknown_kid_is_rejected() -> None:
    assert _code(signed_jwt(signer=SECOND_ANCHOR).encode()) is ErrorCode.TRUST_ANCHOR_UNKNOWN
    assert _code(signed_cwt(signer=SECOND_ANCHOR)) is ErrorCode.TRUST_ANCHOR_UNKNOWN


def test_no_pinned_anchor_means_no_trust() -> None:
    with pytest.raises(VerificationError) as info:
        verify_trust_list(signed_cwt(), anchors=[], now=NOW_S)
    assert info.value.code is ErrorCode.TRUST_ANCHOR_UNKNOWN


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", "EdDSA"])
def test_other_algorithms_are_rejected(alg: str) -> None:
    _header, payload, _sig = signed_jwt().split(".")
    header = b64url_encode(
        dumps_compact(
            {"alg": alg, "typ": "furusato-trust-list+jwt", "kid": "jp-anchor-2027"}
        ).encode()
    )
    assert _code(f"{header}.{payload}.c2lnbmF0dXJl".encode()) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_wrong_typ_is_rejected() -> None:
    trust_list = signed()
    payload = dumps_compact(trust_list_to_json(trust_list)).encode()  # type: ignore[arg-type]
    token = sign_compact_jws(header={"typ": "JWT"}, payload=payload, signer=ANCHOR)
    assert _code(token.encode()) is ErrorCode.TYP_MISMATCH
    message = cbor2.loads(signed_cwt())
    protected = cbor2.loads(message.value[0])
    assert protected[16] == TRUST_LIST_CWT_TYP


def test_a_status_list_token_is_not_a_trust_list() -> None:
    from furusato_vc.core.cose import sign1  # noqa: PLC0415

    wrong = sign1(
        protected={16: "application/statuslist+cwt", 4: b"jp-anchor-2027"},
        unprotected={},
        payload=cbor2.dumps({}),
        signer=ANCHOR,
    ).encode()
    assert _code(wrong) is ErrorCode.TYP_MISMATCH


# --------------------------------------------------------------------------- times


def test_expired_list_is_rejected() -> None:
    trust_list = signed()
    assert _code(signed_cwt(trust_list), now=trust_list.expires_at) is ErrorCode.TRUST_LIST_EXPIRED
    last_second = trust_list.expires_at - 1
    assert verify_trust_list(signed_cwt(trust_list), anchors=[ANCHOR_JWK], now=last_second) == (
        trust_list
    )


def test_list_issued_in_the_future_is_rejected() -> None:
    trust_list = signed(now=NOW_S + 301)
    assert _code(signed_jwt(trust_list).encode()) is ErrorCode.TOKEN_ISSUED_IN_FUTURE
    within_skew = signed(now=NOW_S + 300)
    token = signed_jwt(within_skew).encode()
    assert verify_trust_list(token, anchors=[ANCHOR_JWK], now=NOW_S) == within_skew


# --------------------------------------------------------------------------- truncated, tampered


def test_truncated_lists_are_rejected() -> None:
    jwt = signed_jwt().encode()
    cwt = signed_cwt()
    for cut in (1, 10, len(jwt) // 2, len(jwt) - 5):
        with pytest.raises(FurusatoError):
            verify_trust_list(jwt[:cut], anchors=[ANCHOR_JWK], now=NOW_S)
    for cut in (1, 10, len(cwt) // 2, len(cwt) - 5):
        with pytest.raises(FurusatoError):
            verify_trust_list(cwt[:cut], anchors=[ANCHOR_JWK], now=NOW_S)
    assert _code(cwt[: len(cwt) - 5]) is ErrorCode.MALFORMED_CBOR
    assert _code(b"") is ErrorCode.MALFORMED_JWS
    assert _code(b"\xff\xfe") is ErrorCode.MALFORMED_JWS


def test_oversized_input_is_refused_before_parsing() -> None:
    assert _code(b"A" * (12 * 1024 * 1024)) is ErrorCode.INPUT_TOO_LARGE


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_any_change_to_a_signed_cwt_byte_is_rejected(data: st.DataObject) -> None:
    token = bytearray(_CWT)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    token[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(FurusatoError):
        verify_trust_list(bytes(token), anchors=[ANCHOR_JWK], now=NOW_S)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_any_change_to_the_signed_jwt_payload_is_rejected(data: st.DataObject) -> None:
    header, payload, signature = _JWT.split(".")
    raw = bytearray(b64url_decode(payload))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(FurusatoError):
        verify_trust_list_jwt(
            f"{header}.{b64url_encode(bytes(raw))}.{signature}", anchors=[ANCHOR_JWK], now=NOW_S
        )


_CWT = signed_cwt()
_JWT = signed_jwt()


# --------------------------------------------------------------------------- rollback


def test_newer_list_replaces_the_held_one() -> None:
    held = signed()
    newer = signed(held, now=NOW_S + 60)
    check_not_rolled_back(newer, held)
    check_not_rolled_back(held, None)


def test_older_sequence_is_a_rollback() -> None:
    held = signed(signed())  # sequence 2
    older = signed()  # sequence 1, still validly signed and unexpired
    with pytest.raises(VerificationError) as info:
        check_not_rolled_back(older, held)
    assert info.value.code is ErrorCode.TRUST_LIST_ROLLBACK


def test_same_sequence_with_other_content_is_refused() -> None:
    held = signed()
    rewritten = dataclasses.replace(
        held,
        entries=set_state(held, KESENNUMA, BodyState.SUSPENDED, since=NOW_S).entries,
    )
    with pytest.raises(VerificationError) as info:
        check_not_rolled_back(rewritten, held)
    assert info.value.code is ErrorCode.TRUST_LIST_ROLLBACK


def test_same_list_again_in_the_other_form_is_not_a_rollback() -> None:
    trust_list = signed()
    held = verify_trust_list(signed_jwt(trust_list).encode(), anchors=[ANCHOR_JWK], now=NOW_S)
    again = verify_trust_list(signed_cwt(trust_list), anchors=[ANCHOR_JWK], now=NOW_S)
    check_not_rolled_back(again, held)


def test_unsigned_draft_has_sequence_zero() -> None:
    assert draft().sequence == 0
    assert signed().sequence == 1


def test_format_error_carries_the_trust_list_code() -> None:
    trust_list = signed()
    payload = trust_list_to_json(trust_list)
    payload["unknown"] = 1
    token = sign_compact_jws(
        header={"typ": "furusato-trust-list+jwt"},
        payload=dumps_compact(payload).encode(),  # type: ignore[arg-type]
        signer=ANCHOR,
    )
    with pytest.raises(FormatError) as info:
        verify_trust_list_jwt(token, anchors=[ANCHOR_JWK], now=NOW_S)
    assert info.value.code is ErrorCode.MALFORMED_TRUST_LIST
