"""OCSP revocation for JPKI identity proofing (RFC 6960), against the generated test PKI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.identity import (
    FetchedOcspResponse,
    OcspPolicy,
    ProofedIdentity,
    build_ocsp_request,
    verify_jpki_signature,
)
from tests.core.identity import jpki_fixtures as fx

GOOD = ocsp.OCSPCertStatus.GOOD
REVOKED = ocsp.OCSPCertStatus.REVOKED
UNKNOWN = ocsp.OCSPCertStatus.UNKNOWN


def verify(**overrides: Any) -> ProofedIdentity:
    args: dict[str, Any] = {
        "certificate": fx.der(fx.leaf()),
        "trust_roots": [fx.root().cert],
        "intermediates": [fx.intermediate().cert],
        "crls": [],
        "ocsp_responses": fx.good_ocsp(),
        "now": fx.NOW,
        "secret": fx.SECRET,
    }
    args.update(overrides)
    return verify_jpki_signature(fx.NONCE, fx.sign(fx.NONCE), **args)


def rejected(code: ErrorCode, **overrides: Any) -> None:
    with pytest.raises(VerificationError) as caught:
        verify(**overrides)
    assert caught.value.code is code


def with_leaf_response(der: bytes, nonce: bytes | None = None) -> list[FetchedOcspResponse]:
    """The given response for the leaf, and a good one from the root for the intermediate."""
    return [fx.fetched(der, nonce), fx.good_ocsp()[1]]


def leaf_response(**kwargs: Any) -> bytes:
    return fx.ocsp_response(fx.leaf(), fx.intermediate(), **kwargs)


def accepted_with(der: bytes, **overrides: Any) -> None:
    identity = verify(ocsp_responses=with_leaf_response(der), **overrides)
    assert identity.address_municipality_code == fx.MUNICIPALITY


def unknown_with(der: bytes, **overrides: Any) -> None:
    rejected(
        ErrorCode.IDENTITY_REVOCATION_UNKNOWN, ocsp_responses=with_leaf_response(der), **overrides
    )


# --------------------------------------------------------------------------- good


def test_good_responses_alone_are_enough() -> None:
    assert verify().address_municipality_code == fx.MUNICIPALITY


def test_response_order_does_not_matter() -> None:
    assert verify(ocsp_responses=fx.good_ocsp()[::-1]).birth_year == 1990


def test_responder_id_by_key_hash_is_accepted() -> None:
    accepted_with(leaf_response(by_key_hash=True))


def test_sha256_cert_id_is_accepted() -> None:
    accepted_with(leaf_response(cert_id_hash=hashes.SHA256()))


def test_ocsp_for_the_leaf_and_a_crl_for_the_intermediate_is_enough() -> None:
    leaf_only = [fx.fetched(leaf_response())]
    assert verify(ocsp_responses=leaf_only, crls=[fx.crl(fx.root())]).birth_year == 1990


def test_missing_response_for_the_intermediate_is_revocation_unknown() -> None:
    rejected(ErrorCode.IDENTITY_REVOCATION_UNKNOWN, ocsp_responses=[fx.fetched(leaf_response())])


def test_no_crl_and_no_response_is_revocation_unknown() -> None:
    rejected(ErrorCode.IDENTITY_REVOCATION_UNKNOWN, ocsp_responses=[])


# --------------------------------------------------------------------------- revoked, unknown


def test_revoked_leaf_is_rejected() -> None:
    rejected(
        ErrorCode.IDENTITY_CERTIFICATE_REVOKED,
        ocsp_responses=with_leaf_response(leaf_response(status=REVOKED)),
    )


def test_revoked_intermediate_is_rejected() -> None:
    revoked = fx.ocsp_response(fx.intermediate().cert, fx.root(), status=REVOKED)
    responses = [fx.good_ocsp()[0], fx.fetched(revoked)]
    rejected(ErrorCode.IDENTITY_CERTIFICATE_REVOKED, ocsp_responses=responses)


def test_unknown_status_is_revocation_unknown() -> None:
    unknown_with(leaf_response(status=UNKNOWN))


def test_unknown_status_with_a_usable_crl_is_decided_by_the_crl() -> None:
    accepted_with(leaf_response(status=UNKNOWN), crls=[fx.crl(fx.intermediate())])


def test_revoked_on_the_crl_wins_over_a_good_response() -> None:
    crls = [fx.crl(fx.intermediate(), revoked=(fx.LEAF_SERIAL,))]
    rejected(ErrorCode.IDENTITY_CERTIFICATE_REVOKED, crls=crls)


def test_revoked_response_wins_over_a_good_crl() -> None:
    rejected(
        ErrorCode.IDENTITY_CERTIFICATE_REVOKED,
        crls=fx.good_crls(),
        ocsp_responses=with_leaf_response(leaf_response(status=REVOKED)),
    )


def test_revoked_wins_over_another_good_response() -> None:
    responses = [*fx.good_ocsp(), fx.fetched(leaf_response(status=REVOKED))]
    rejected(ErrorCode.IDENTITY_CERTIFICATE_REVOKED, ocsp_responses=responses)


def test_a_usable_crl_covers_a_broken_response() -> None:
    accepted_with(b"\x30\x00", crls=[fx.crl(fx.intermediate())])


# --------------------------------------------------------------------------- signer


def test_response_signed_by_another_key_is_revocation_unknown() -> None:
    unknown_with(leaf_response(signing_key=fx.rsa_key("other")))


def test_forged_revoked_response_is_ignored() -> None:
    forged = leaf_response(status=REVOKED, signing_key=fx.rsa_key("other"))
    accepted_with(forged, crls=[fx.crl(fx.intermediate())])


def test_response_signed_by_the_root_for_the_leaf_is_revocation_unknown() -> None:
    # the root is a CA of the chain, but not the leaf's issuer (RFC 6960 §4.2.2.2)
    unknown_with(leaf_response(signer=fx.root()))


def test_delegated_responder_with_ocsp_signing_eku_is_accepted() -> None:
    accepted_with(leaf_response(signer=fx.responder()))
    accepted_with(leaf_response(signer=fx.responder(), by_key_hash=True))


def test_delegated_responder_without_eku_is_revocation_unknown() -> None:
    unknown_with(leaf_response(signer=fx.responder(eku=False)))


def test_delegated_responder_of_another_ca_is_revocation_unknown() -> None:
    unknown_with(leaf_response(signer=fx.responder(issuer=fx.root())))


def test_expired_delegated_responder_is_revocation_unknown() -> None:
    unknown_with(leaf_response(signer=fx.responder(not_after=fx.NOW - timedelta(seconds=1))))


def test_delegated_responder_without_nocheck_needs_a_crl() -> None:
    # its own status unchecked: the response is unusable, so it cannot even say revoked
    response = leaf_response(status=REVOKED, signer=fx.responder(nocheck=False))
    unknown_with(response)
    # with the issuer's CRL not listing the responder, its "revoked" counts
    rejected(
        ErrorCode.IDENTITY_CERTIFICATE_REVOKED,
        crls=[fx.crl(fx.intermediate())],
        ocsp_responses=with_leaf_response(response),
    )
    # a revoked responder is no responder; the CRL itself says the leaf is not revoked
    crls = [fx.crl(fx.intermediate(), revoked=(fx.RESPONDER_SERIAL,))]
    accepted_with(response, crls=crls)


def test_responder_certificate_swapped_under_another_key_is_revocation_unknown() -> None:
    # ``certs`` is outside the signed data (RFC 6960 §4.2.1): a response signed by a rogue
    # key, carrying the genuine responder certificate, must fail the signature check
    genuine = fx.responder()
    rogue = fx.responder(
        key_label="rogue", issuer=fx.Ca(fx.intermediate().cert, fx.rsa_key("other"))
    )
    signed_by_rogue = leaf_response(signer=rogue)
    genuine_der, rogue_der = fx.der(genuine.cert), fx.der(rogue.cert)
    assert len(genuine_der) == len(rogue_der)
    assert rogue_der in signed_by_rogue
    unknown_with(signed_by_rogue)
    unknown_with(signed_by_rogue.replace(rogue_der, genuine_der))


# --------------------------------------------------------------------------- CertID


def test_response_for_another_serial_is_revocation_unknown() -> None:
    unknown_with(leaf_response(serial=fx.LEAF_SERIAL + 1))
    unknown_with(leaf_response(serial=fx.LEAF_SERIAL + 1, status=REVOKED))


def test_response_for_the_same_serial_under_another_issuer_is_revocation_unknown() -> None:
    # CertID issuer hashes are of the root, not the leaf's issuer
    other = fx.ocsp_response(fx.leaf(issuer=fx.root()), fx.root())
    unknown_with(other)


# --------------------------------------------------------------------------- time


def test_response_at_its_next_update_is_stale() -> None:
    unknown_with(leaf_response(next_update=fx.NOW))
    unknown_with(leaf_response(this_update=fx.NOW - timedelta(days=2), next_update=fx.NOW))


def test_response_just_before_its_next_update_is_current() -> None:
    accepted_with(leaf_response(next_update=fx.NOW + timedelta(seconds=1)))


def test_this_update_within_the_skew_is_accepted() -> None:
    accepted_with(leaf_response(this_update=fx.NOW + timedelta(minutes=5)))


def test_this_update_beyond_the_skew_is_revocation_unknown() -> None:
    unknown_with(leaf_response(this_update=fx.NOW + timedelta(minutes=5, seconds=1)))


def test_skew_is_configurable() -> None:
    response = leaf_response(this_update=fx.NOW + timedelta(seconds=1))
    unknown_with(response, ocsp_policy=OcspPolicy(clock_skew=timedelta(0)))


def test_without_next_update_the_max_age_applies() -> None:
    accepted_with(leaf_response(this_update=fx.NOW - timedelta(hours=1), next_update=None))
    unknown_with(
        leaf_response(this_update=fx.NOW - timedelta(hours=1, seconds=1), next_update=None)
    )
    policy = OcspPolicy(max_age_without_next_update=timedelta(hours=2))
    old = leaf_response(this_update=fx.NOW - timedelta(hours=1, seconds=1), next_update=None)
    accepted_with(old, ocsp_policy=policy)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clock_skew": timedelta(seconds=-1)},
        {"clock_skew": timedelta(minutes=11)},
        {"max_age_without_next_update": timedelta(0)},
        {"max_age_without_next_update": timedelta(days=8)},
    ],
)
def test_policy_bounds_are_programmer_errors(kwargs: dict[str, timedelta]) -> None:
    with pytest.raises(ValueError):
        OcspPolicy(**kwargs)


# --------------------------------------------------------------------------- nonce


def test_matching_nonce_is_accepted() -> None:
    response = leaf_response(nonce=fx.OCSP_NONCE)
    assert verify(ocsp_responses=with_leaf_response(response, fx.OCSP_NONCE)).birth_year == 1990


def test_nonce_mismatch_is_revocation_unknown() -> None:
    response = leaf_response(nonce=b"another nonce")
    rejected(
        ErrorCode.IDENTITY_REVOCATION_UNKNOWN,
        ocsp_responses=with_leaf_response(response, fx.OCSP_NONCE),
    )


def test_missing_nonce_when_one_was_sent_is_revocation_unknown() -> None:
    rejected(
        ErrorCode.IDENTITY_REVOCATION_UNKNOWN,
        ocsp_responses=with_leaf_response(leaf_response(), fx.OCSP_NONCE),
    )


def test_a_nonce_nobody_asked_for_is_ignored() -> None:
    accepted_with(leaf_response(nonce=fx.OCSP_NONCE))


@pytest.mark.parametrize("nonce", [b"", b"n" * 33])
def test_nonce_length_is_checked(nonce: bytes) -> None:
    with pytest.raises(ValueError):
        FetchedOcspResponse(der=b"", nonce=nonce)


# --------------------------------------------------------------------------- malformed, sizes


@pytest.mark.parametrize("der", [b"", b"\x30\x00", b"\x04\x03abc", b"not DER at all"])
def test_malformed_response_is_revocation_unknown(der: bytes) -> None:
    unknown_with(der)


@pytest.mark.parametrize(
    "status",
    [
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
        ocsp.OCSPResponseStatus.INTERNAL_ERROR,
        ocsp.OCSPResponseStatus.TRY_LATER,
        ocsp.OCSPResponseStatus.SIG_REQUIRED,
        ocsp.OCSPResponseStatus.UNAUTHORIZED,
    ],
)
def test_unsuccessful_response_is_revocation_unknown(status: ocsp.OCSPResponseStatus) -> None:
    unsuccessful = ocsp.OCSPResponseBuilder.build_unsuccessful(status)
    unknown_with(unsuccessful.public_bytes(Encoding.DER))


def test_oversized_response_is_a_format_error() -> None:
    with pytest.raises(FormatError) as caught:
        verify(ocsp_responses=with_leaf_response(b"\x30" * (64 * 1024 + 1)))
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


def test_too_many_responses_is_a_format_error() -> None:
    with pytest.raises(FormatError) as caught:
        verify(ocsp_responses=fx.good_ocsp() * 5)
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_change_to_a_response_byte_never_makes_it_good(data: st.DataObject) -> None:
    # the leaf has no other evidence: a tampered response must never count as "good"
    response = bytearray(leaf_response())
    index = data.draw(st.integers(0, len(response) - 1))
    response[index] ^= data.draw(st.integers(1, 255))
    unknown_with(bytes(response))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_response_bytes_are_revocation_unknown(der: bytes) -> None:
    unknown_with(der)


# --------------------------------------------------------------------------- requests


def test_request_names_the_certificate() -> None:
    request = ocsp.load_der_ocsp_request(build_ocsp_request(fx.leaf(), fx.intermediate().cert))
    expected = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(fx.leaf(), fx.intermediate().cert, hashes.SHA1())
        .build()
    )
    assert request.serial_number == fx.LEAF_SERIAL
    assert request.issuer_name_hash == expected.issuer_name_hash
    assert request.issuer_key_hash == expected.issuer_key_hash
    assert isinstance(request.hash_algorithm, hashes.SHA1)
    assert len(request.extensions) == 0


def test_request_with_nonce_and_sha256() -> None:
    der = build_ocsp_request(
        fx.leaf(), fx.intermediate().cert, nonce=fx.OCSP_NONCE, hash_algorithm=hashes.SHA256()
    )
    request = ocsp.load_der_ocsp_request(der)
    assert isinstance(request.hash_algorithm, hashes.SHA256)
    assert request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == (fx.OCSP_NONCE)


def test_a_response_to_our_request_verifies() -> None:
    # a responder answers the CertID it was sent, echoing the nonce (RFC 6960 §4.4.1)
    request = ocsp.load_der_ocsp_request(
        build_ocsp_request(fx.leaf(), fx.intermediate().cert, nonce=fx.OCSP_NONCE)
    )
    response = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            request.issuer_name_hash,
            request.issuer_key_hash,
            request.serial_number,
            request.hash_algorithm,
            GOOD,
            fx.NOW - timedelta(minutes=1),
            fx.NOW + timedelta(hours=1),
            None,
            None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, fx.intermediate().cert)
        .add_extension(x509.OCSPNonce(fx.OCSP_NONCE), critical=False)
        .sign(fx.intermediate().key, hashes.SHA256())
        .public_bytes(Encoding.DER)
    )
    responses = with_leaf_response(response, fx.OCSP_NONCE)
    assert verify(ocsp_responses=responses).birth_year == 1990


def test_request_for_a_certificate_with_another_issuer_is_a_programmer_error() -> None:
    with pytest.raises(ValueError):
        build_ocsp_request(fx.leaf(), fx.root().cert)


def test_request_nonce_length_is_checked() -> None:
    with pytest.raises(ValueError):
        build_ocsp_request(fx.leaf(), fx.intermediate().cert, nonce=b"")


def test_request_hash_must_be_a_cert_id_hash() -> None:
    with pytest.raises(TypeError):
        build_ocsp_request(fx.leaf(), fx.intermediate().cert, hash_algorithm=hashes.MD5())
