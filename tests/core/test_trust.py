"""The in-memory trust set (:mod:`furusato_vc.core.trust`).

``iss`` → one body and its keys; unknown issuers are ``issuer_not_trusted``, unknown ``kid``s
``issuer_key_unknown`` (RFC 9901 §7.1 step 2.c: the key must belong to the issuer). Several keys
per issuer allow rotation.
"""

from __future__ import annotations

import pytest

from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.trust import RegistrationTrust, StaticTrust, TrustedIssuer
from tests.helpers import fixed_signer
from tests.registration_fixtures import ISSUER_BASE, KESENNUMA, MIYAGI, SENDAI

KSN_ISS = ISSUER_BASE + KESENNUMA
SENDAI_ISS = ISSUER_BASE + SENDAI
OLD = fixed_signer("trust-kesennuma-2026", kid="ksn-2026").public_jwk
NEW = fixed_signer("trust-kesennuma-2027", kid="ksn-2027").public_jwk
SENDAI_KEY = fixed_signer("trust-sendai", kid="sendai-1").public_jwk


def _trust() -> StaticTrust:
    return StaticTrust.of(
        [
            TrustedIssuer(body_code=KESENNUMA, issuer_id=KSN_ISS, keys=(OLD, NEW)),
            TrustedIssuer(body_code=SENDAI, issuer_id=SENDAI_ISS, keys=(SENDAI_KEY,)),
        ]
    )


def _code(error: pytest.ExceptionInfo[VerificationError]) -> ErrorCode:
    return error.value.code


# --------------------------------------------------------------------------- TrustedIssuer


def test_trusted_issuer_needs_at_least_one_key() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        TrustedIssuer(body_code=KESENNUMA, issuer_id=KSN_ISS, keys=())


def test_static_trust_satisfies_the_registration_trust_protocol() -> None:
    trust: RegistrationTrust = _trust()
    assert trust.body_for_issuer(KSN_ISS) == KESENNUMA


# --------------------------------------------------------------------------- body_for_issuer


def test_body_for_issuer_maps_each_issuer_to_its_body() -> None:
    trust = _trust()
    assert trust.body_for_issuer(KSN_ISS) == KESENNUMA
    assert trust.body_for_issuer(SENDAI_ISS) == SENDAI


def test_body_for_unknown_issuer_is_issuer_not_trusted() -> None:
    with pytest.raises(VerificationError) as info:
        _trust().body_for_issuer(ISSUER_BASE + MIYAGI)
    assert _code(info) is ErrorCode.ISSUER_NOT_TRUSTED


def test_issuer_lookup_is_exact_string_match() -> None:
    with pytest.raises(VerificationError) as info:
        _trust().body_for_issuer(KSN_ISS + "/")
    assert _code(info) is ErrorCode.ISSUER_NOT_TRUSTED


def test_empty_trust_set_trusts_nobody() -> None:
    with pytest.raises(VerificationError) as info:
        StaticTrust.of([]).body_for_issuer(KSN_ISS)
    assert _code(info) is ErrorCode.ISSUER_NOT_TRUSTED


# --------------------------------------------------------------------------- issuer_keys


def test_issuer_keys_of_unknown_issuer_is_issuer_not_trusted() -> None:
    with pytest.raises(VerificationError) as info:
        _trust().issuer_keys(issuer=ISSUER_BASE + MIYAGI, kid=None)
    assert _code(info) is ErrorCode.ISSUER_NOT_TRUSTED


def test_issuer_keys_without_kid_returns_every_key_of_the_issuer() -> None:
    assert tuple(_trust().issuer_keys(issuer=KSN_ISS, kid=None)) == (OLD, NEW)


def test_issuer_keys_filters_by_kid() -> None:
    trust = _trust()
    assert tuple(trust.issuer_keys(issuer=KSN_ISS, kid="ksn-2026")) == (OLD,)
    assert tuple(trust.issuer_keys(issuer=KSN_ISS, kid="ksn-2027")) == (NEW,)


def test_unknown_kid_is_issuer_key_unknown() -> None:
    with pytest.raises(VerificationError) as info:
        _trust().issuer_keys(issuer=KSN_ISS, kid="ksn-2028")
    assert _code(info) is ErrorCode.ISSUER_KEY_UNKNOWN


def test_another_issuers_kid_is_issuer_key_unknown() -> None:
    # A kid never crosses issuers: Sendai's kid does not select a key under Kesennuma's iss.
    with pytest.raises(VerificationError) as info:
        _trust().issuer_keys(issuer=KSN_ISS, kid="sendai-1")
    assert _code(info) is ErrorCode.ISSUER_KEY_UNKNOWN


def test_keys_sharing_a_kid_are_all_candidates() -> None:
    first = fixed_signer("trust-shared-a", kid="shared").public_jwk
    second = fixed_signer("trust-shared-b", kid="shared").public_jwk
    trust = StaticTrust.of(
        [TrustedIssuer(body_code=KESENNUMA, issuer_id=KSN_ISS, keys=(first, second))]
    )
    assert tuple(trust.issuer_keys(issuer=KSN_ISS, kid="shared")) == (first, second)


def test_key_without_kid_is_found_only_without_kid() -> None:
    bare = fixed_signer("trust-bare").public_jwk
    trust = StaticTrust.of([TrustedIssuer(body_code=KESENNUMA, issuer_id=KSN_ISS, keys=(bare,))])
    assert tuple(trust.issuer_keys(issuer=KSN_ISS, kid=None)) == (bare,)
    with pytest.raises(VerificationError) as info:
        trust.issuer_keys(issuer=KSN_ISS, kid="any")
    assert _code(info) is ErrorCode.ISSUER_KEY_UNKNOWN


def test_keys_of_one_issuer_are_never_returned_for_another() -> None:
    assert tuple(_trust().issuer_keys(issuer=SENDAI_ISS, kid=None)) == (SENDAI_KEY,)


def test_two_issuers_may_serve_one_body() -> None:
    # Rotation of the issuer identifier itself: old and new iss both map to the same body.
    renamed = ISSUER_BASE + "v2/" + KESENNUMA
    trust = StaticTrust.of(
        [
            TrustedIssuer(body_code=KESENNUMA, issuer_id=KSN_ISS, keys=(OLD,)),
            TrustedIssuer(body_code=KESENNUMA, issuer_id=renamed, keys=(NEW,)),
        ]
    )
    assert trust.body_for_issuer(KSN_ISS) == trust.body_for_issuer(renamed) == KESENNUMA
    assert tuple(trust.issuer_keys(issuer=renamed, kid=None)) == (NEW,)


def test_trust_tables_are_read_only() -> None:
    trust = _trust()
    with pytest.raises(TypeError):
        trust.issuers["x"] = trust.issuers[KSN_ISS]  # type: ignore[index]
