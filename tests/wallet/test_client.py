"""The OpenID4VCI 1.0 client (:mod:`furusato_vc.wallet.client`) against scripted answers.

The real service is exercised in ``tests/issuer/service/test_wallet_client.py``; here a fake
issuer answers what the service never would: garbage, oversized or redirected answers, error
answers of other servers, credentials out of order, of other registrations or other keys.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.compact.credential import accept_compact
from furusato_vc.core.encoding import b64url_decode, dumps_compact
from furusato_vc.core.errors import (
    ErrorCode,
    ErrorFamily,
    FormatError,
    FurusatoError,
    RequestError,
    StorageError,
    VerificationError,
)
from furusato_vc.core.jose.jws import decode_unverified_jws
from furusato_vc.core.oid4vci.offer import OfferReference, offer_to_uri
from furusato_vc.core.registration.claims import PREMIUM_VCT
from furusato_vc.core.trust import StaticTrust
from furusato_vc.wallet.client import (
    MAX_RESPONSE_BYTES,
    HttpResponse,
    obtain_credentials,
    parse_offer,
)
from furusato_vc.wallet.holder import accept_credential
from tests.registration_fixtures import (
    KESENNUMA,
    MINAMIMINOWA,
    NOW,
    basic_registration,
    holder,
    issue,
    issuing_body,
    premium_registration,
    trusted_issuer,
)
from tests.wallet.client_fakes import (
    COMPACT_ID,
    CREDENTIAL_URL,
    ISSUER,
    METADATA_URL,
    NONCE_URL,
    SD_JWT_ID,
    TOKEN_URL,
    TX_CODE,
    FakeIssuer,
    FakeTransport,
    MemoryKeyStore,
    Sent,
    answer,
    fake_offer,
    problem,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.wallet.client import ObtainedCredentials

OFFER_URL = "https://issuer.furusato-vc.example/offers/7f3a"


def obtain(
    issuer: FakeIssuer,
    keys: MemoryKeyStore | None = None,
    *,
    copies: Mapping[str, int] | None = None,
    trust: StaticTrust | None = None,
    configuration_ids: tuple[str, ...] = (SD_JWT_ID, COMPACT_ID),
) -> ObtainedCredentials:
    return obtain_credentials(
        fake_offer(configuration_ids=configuration_ids),
        tx_code=TX_CODE,
        transport=issuer.transport,
        keys=keys or MemoryKeyStore(),
        trust=trust or issuer.trust(),
        now=NOW,
        copies=copies,
    )


def _raw(body: bytes, *, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(status=status, headers={"content-type": content_type}, body=body)


def _proof_jwts(sent: Sent) -> list[str]:
    proofs = sent.json()["proofs"]
    assert isinstance(proofs, dict)
    jwts = proofs["jwt"]
    assert isinstance(jwts, list)
    return [str(jwt) for jwt in jwts]


# --------------------------------------------------------------------------- HttpResponse


def test_response_header_names_are_lower_cased() -> None:
    response = HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=b"")
    assert dict(response.headers) == {"content-type": "application/json"}


# --------------------------------------------------------------------------- parse_offer


def test_offer_by_value_is_read_without_a_request() -> None:
    transport = FakeTransport()
    assert parse_offer(offer_to_uri(fake_offer()), transport=transport) == fake_offer()
    assert transport.sent == []


def test_bare_json_offer_is_read() -> None:
    text = "\n" + dumps_compact(fake_offer().to_json()) + "\n"
    assert parse_offer(text, transport=FakeTransport()) == fake_offer()


def test_offer_by_reference_is_fetched_as_json() -> None:
    transport = FakeTransport({("GET", OFFER_URL): lambda _sent: answer(fake_offer().to_json())})
    uri = offer_to_uri(OfferReference(uri=OFFER_URL))
    assert parse_offer(uri, transport=transport) == fake_offer()
    assert transport.urls() == [f"GET {OFFER_URL}"]
    assert transport.sent[0].headers["accept"] == "application/json"


@pytest.mark.parametrize(
    "response",
    [
        answer(fake_offer().to_json(), content_type="text/html"),
        _raw(b'{"credential_issuer":' + b" " * 8192 + b"}"),
        answer({"credential_issuer": ISSUER}),
        _raw(b"not json"),
        answer(fake_offer().to_json(), status=302),
    ],
    ids=["not-json-type", "over-8-kib", "not-an-offer", "not-json", "redirect"],
)
def test_offer_fetched_by_reference_must_be_a_json_offer(response: HttpResponse) -> None:
    transport = FakeTransport({("GET", OFFER_URL): lambda _sent: response})
    with pytest.raises(FormatError) as caught:
        parse_offer(offer_to_uri(OfferReference(uri=OFFER_URL)), transport=transport)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID


def test_offer_reference_answered_with_an_error_passes_the_services_code_on() -> None:
    transport = FakeTransport(
        {("GET", OFFER_URL): lambda _sent: problem(ErrorCode.RESOURCE_NOT_FOUND, status=404)}
    )
    with pytest.raises(RequestError) as caught:
        parse_offer(offer_to_uri(OfferReference(uri=OFFER_URL)), transport=transport)
    assert caught.value.code is ErrorCode.RESOURCE_NOT_FOUND


def test_offer_reference_over_plain_http_is_refused_before_any_request() -> None:
    transport = FakeTransport()
    text = "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fissuer.example%2Fo"
    with pytest.raises(FormatError) as caught:
        parse_offer(text, transport=transport)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST
    assert transport.sent == []


def test_text_that_is_no_offer_is_malformed_request() -> None:
    with pytest.raises(FormatError) as caught:
        parse_offer("https://issuer.example/", transport=FakeTransport())
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


# --------------------------------------------------------------------------- success


def test_every_copy_is_verified_and_bound_to_its_own_new_key() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    obtained = obtain(issuer, keys)
    assert obtained.issuer == ISSUER
    assert obtained.body_code == issuer.body.code
    assert [c.configuration_id for c in obtained.copies] == [SD_JWT_ID] * 3 + [COMPACT_ID] * 3
    assert sorted(c.key_id for c in obtained.copies) == sorted(keys.key_ids())
    assert len(set(keys.key_ids())) == 6
    for copy in obtained.copies:
        key = keys.signer(copy.key_id).public_jwk
        if copy.configuration_id == SD_JWT_ID:
            accept_credential(copy.credential, holder_key=key, trust=issuer.trust(), now=NOW)
        else:
            raw = b64url_decode(copy.credential)
            accept_compact(raw, holder_key=key, keys=issuer.trust(), now=NOW)


def test_token_request_carries_the_code_and_the_tx_code() -> None:
    issuer = FakeIssuer()
    obtain(issuer)
    token = next(s for s in issuer.transport.sent if s.url == TOKEN_URL)
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token.body is not None
    assert b"tx_code=" + TX_CODE.encode() in token.body


def test_credential_request_names_its_key_by_an_idempotency_key_digest_of_its_body() -> None:
    issuer = FakeIssuer()
    obtain(issuer)
    for sent in (s for s in issuer.transport.sent if s.url == CREDENTIAL_URL):
        assert sent.body is not None
        digest = base64.urlsafe_b64encode(hashlib.sha256(sent.body).digest()).rstrip(b"=")
        assert sent.headers["idempotency-key"] == digest.decode()
        assert sent.headers["content-type"] == "application/json"


def test_proofs_name_the_issuer_and_the_fresh_nonce() -> None:
    issuer = FakeIssuer()
    obtain(issuer, copies={SD_JWT_ID: 2})
    sent = next(s for s in issuer.transport.sent if s.url == CREDENTIAL_URL)
    for jwt in _proof_jwts(sent):
        payload = decode_unverified_jws(jwt).payload
        assert b'"aud":"' + ISSUER.encode() + b'"' in payload
        assert b'"nonce":"fake-c-nonce"' in payload


def test_copies_are_capped_by_the_issuers_batch_size() -> None:
    obtained = obtain(FakeIssuer(batch_size=2), copies={SD_JWT_ID: 5})
    assert len(obtained.copies) == 2


def test_only_the_configurations_asked_for_are_requested() -> None:
    issuer = FakeIssuer()
    obtained = obtain(issuer, copies={COMPACT_ID: 1})
    assert [c.configuration_id for c in obtained.copies] == [COMPACT_ID]
    assert [s.json()["credential_configuration_id"] for s in issuer.transport.sent[3:]] == [
        COMPACT_ID
    ]


def test_credentials_answered_out_of_order_are_matched_to_their_keys() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.tamper = lambda credentials: credentials[::-1]
    obtained = obtain(issuer, keys, copies={SD_JWT_ID: 3})
    assert [c.key_id for c in obtained.copies] == keys.created[::-1]


def test_fewer_copies_than_asked_are_kept_and_the_unused_keys_deleted() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.tamper = lambda credentials: credentials[:2]
    obtained = obtain(issuer, keys, copies={SD_JWT_ID: 3})
    assert len(obtained.copies) == 2
    assert keys.key_ids() == tuple(keys.created[:2])


def test_configurations_of_formats_the_wallet_cannot_hold_are_skipped_by_default() -> None:
    issuer = FakeIssuer()
    supported = issuer.document["credential_configurations_supported"]
    assert isinstance(supported, dict)
    supported["mdoc"] = {"format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL"}
    obtained = obtain(issuer, configuration_ids=(SD_JWT_ID, "mdoc"))
    assert {c.configuration_id for c in obtained.copies} == {SD_JWT_ID}


def test_token_endpoint_comes_from_rfc8414_metadata_when_the_issuer_names_none() -> None:
    issuer = FakeIssuer()
    del issuer.document["token_endpoint"]
    server_metadata = (
        "https://issuer.furusato-vc.example/.well-known/oauth-authorization-server/bodies/042056"
    )
    issuer.transport.routes["GET", server_metadata] = lambda _sent: answer(
        {"issuer": ISSUER, "token_endpoint": TOKEN_URL}
    )
    assert obtain(issuer, copies={COMPACT_ID: 1}).copies
    assert issuer.transport.urls()[:3] == [
        f"GET {METADATA_URL}",
        f"GET {server_metadata}",
        f"POST {TOKEN_URL}",
    ]


def test_without_a_nonce_endpoint_proofs_carry_no_nonce() -> None:
    issuer = FakeIssuer()
    del issuer.document["nonce_endpoint"]
    issuer.transport.routes["POST", CREDENTIAL_URL] = lambda _sent: problem(
        ErrorCode.PROOF_INVALID, oauth_error="invalid_proof"
    )
    with pytest.raises(VerificationError):
        obtain(issuer, copies={COMPACT_ID: 1})
    assert f"POST {NONCE_URL}" not in issuer.transport.urls()
    (jwt,) = _proof_jwts(issuer.transport.sent[-1])
    assert b"nonce" not in decode_unverified_jws(jwt).payload


# --------------------------------------------------------------------------- retries


def test_lost_credential_answer_is_asked_for_again_with_the_same_idempotency_key() -> None:
    issuer = FakeIssuer()
    issue_credentials = issuer.transport.routes["POST", CREDENTIAL_URL]
    lost: list[Sent] = []

    def lose_first(sent: Sent) -> HttpResponse:
        if not lost:
            lost.append(sent)
            raise StorageError(ErrorCode.ISSUER_UNAVAILABLE, "connection reset")
        return issue_credentials(sent)

    issuer.transport.routes["POST", CREDENTIAL_URL] = lose_first
    assert len(obtain(issuer, copies={SD_JWT_ID: 2}).copies) == 2
    attempts = [s for s in issuer.transport.sent if s.url == CREDENTIAL_URL]
    assert [s.headers["idempotency-key"] for s in attempts] == [
        lost[0].headers["idempotency-key"]
    ] * 2
    assert attempts[0].body == attempts[1].body


def test_issuer_unreachable_for_the_credential_request_is_issuer_unavailable_and_keys_go() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()

    def unreachable(_sent: Sent) -> HttpResponse:
        raise StorageError(ErrorCode.ISSUER_UNAVAILABLE, "no route")

    issuer.transport.routes["POST", CREDENTIAL_URL] = unreachable
    with pytest.raises(StorageError) as caught:
        obtain(issuer, keys)
    assert caught.value.code is ErrorCode.ISSUER_UNAVAILABLE
    assert issuer.transport.urls().count(f"POST {CREDENTIAL_URL}") == 2
    assert keys.created
    assert keys.key_ids() == ()


def test_invalid_nonce_is_retried_once_with_fresh_proofs() -> None:
    issuer = FakeIssuer()
    issue_credentials = issuer.transport.routes["POST", CREDENTIAL_URL]
    stale: list[Sent] = []

    def stale_first(sent: Sent) -> HttpResponse:
        if not stale:
            stale.append(sent)
            return problem(ErrorCode.PROOF_NONCE_INVALID, oauth_error="invalid_nonce")
        return issue_credentials(sent)

    issuer.transport.routes["POST", CREDENTIAL_URL] = stale_first
    assert len(obtain(issuer, copies={SD_JWT_ID: 1}).copies) == 1
    assert issuer.transport.urls().count(f"POST {NONCE_URL}") == 2


def test_invalid_nonce_twice_is_passed_on() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.transport.routes["POST", CREDENTIAL_URL] = lambda _sent: problem(
        ErrorCode.PROOF_NONCE_INVALID, oauth_error="invalid_nonce"
    )
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys)
    assert caught.value.code is ErrorCode.PROOF_NONCE_INVALID
    assert issuer.transport.urls().count(f"POST {CREDENTIAL_URL}") == 2
    assert keys.key_ids() == ()


# --------------------------------------------------------------------------- arguments


def test_offer_needing_a_tx_code_without_one_is_tx_code_missing_before_any_request() -> None:
    issuer = FakeIssuer()
    with pytest.raises(VerificationError) as caught:
        obtain_credentials(
            fake_offer(),
            tx_code=None,
            transport=issuer.transport,
            keys=MemoryKeyStore(),
            trust=issuer.trust(),
            now=NOW,
        )
    assert caught.value.code is ErrorCode.TX_CODE_MISSING
    assert issuer.transport.sent == []


def test_tx_code_for_an_offer_without_one_is_a_programmer_error() -> None:
    issuer = FakeIssuer()
    with pytest.raises(ValueError, match="no transaction code"):
        obtain_credentials(
            fake_offer(tx_code=False),
            tx_code=TX_CODE,
            transport=issuer.transport,
            keys=MemoryKeyStore(),
            trust=issuer.trust(),
            now=NOW,
        )


@pytest.mark.parametrize(
    "copies",
    [{}, {"registration_premium_sd_jwt": 1}, {SD_JWT_ID: 0}, {SD_JWT_ID: True}],
    ids=["empty", "not-offered", "zero", "bool"],
)
def test_copies_must_name_offered_configurations_with_positive_counts(
    copies: dict[str, int],
) -> None:
    issuer = FakeIssuer()
    with pytest.raises(ValueError, match="copies"):
        obtain(issuer, copies=copies)
    assert issuer.transport.sent == []


def test_issuer_missing_from_trust_is_refused_before_any_request() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    other = StaticTrust.of([trusted_issuer(issuing_body(MINAMIMINOWA))])
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, trust=other)
    assert caught.value.code is ErrorCode.ISSUER_NOT_TRUSTED
    assert issuer.transport.sent == []
    assert keys.created == []


# --------------------------------------------------------------------------- received credentials


def test_more_credentials_than_proofs_are_issuer_response_invalid_and_keys_go() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.tamper = lambda credentials: [*credentials, credentials[0]]
    with pytest.raises(FormatError) as caught:
        obtain(issuer, keys, copies={SD_JWT_ID: 2})
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID
    assert len(keys.created) == 2
    assert keys.key_ids() == ()


def test_credential_bound_to_a_key_the_wallet_did_not_send_is_refused() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    foreign = issue(basic_registration(), holder_signer=holder("someone-else")).serialize()
    issuer.tamper = lambda credentials: [foreign, *credentials[1:]]
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, copies={SD_JWT_ID: 2})
    assert caught.value.code is ErrorCode.HOLDER_KEY_MISMATCH
    assert keys.key_ids() == ()


def test_one_credential_for_two_keys_is_refused() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.tamper = lambda credentials: [credentials[0], credentials[0]]
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, copies={SD_JWT_ID: 2})
    assert caught.value.code is ErrorCode.HOLDER_KEY_MISMATCH
    assert keys.key_ids() == ()


def test_copies_of_different_registrations_are_credential_mismatch() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.registration_for = lambda n: basic_registration(registration_id=f"KSN-basic-{n:04}")
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, copies={SD_JWT_ID: 2})
    assert caught.value.code is ErrorCode.CREDENTIAL_MISMATCH
    assert keys.key_ids() == ()


def test_qr_copies_of_another_tier_than_the_sd_jwt_vcs_are_credential_mismatch() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    premium = premium_registration(issuing_body=KESENNUMA)
    issuer.registration_for = lambda n: basic_registration() if n <= 2 else premium
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, copies={SD_JWT_ID: 2, COMPACT_ID: 2})
    assert caught.value.code is ErrorCode.CREDENTIAL_MISMATCH
    assert keys.key_ids() == ()


@pytest.mark.parametrize("configuration_id", [SD_JWT_ID, COMPACT_ID])
def test_credential_of_another_body_than_the_offering_issuers_is_refused(
    configuration_id: str,
) -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    offering = issuer.trust()
    issuer.body = issuing_body(MINAMIMINOWA)
    issuer.registration = basic_registration(issuing_body=MINAMIMINOWA)
    trust = StaticTrust.of([*offering.issuers.values(), trusted_issuer(issuer.body)])
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, trust=trust, copies={configuration_id: 1})
    assert caught.value.code is ErrorCode.CREDENTIAL_MISMATCH
    assert keys.key_ids() == ()


def test_sd_jwt_vc_of_another_type_than_its_configuration_is_refused() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    supported = issuer.document["credential_configurations_supported"]
    assert isinstance(supported, dict)
    configuration = supported[SD_JWT_ID]
    assert isinstance(configuration, dict)
    configuration["vct"] = PREMIUM_VCT
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, copies={SD_JWT_ID: 1})
    assert caught.value.code is ErrorCode.VCT_NOT_ACCEPTED
    assert keys.key_ids() == ()


@pytest.mark.parametrize(
    ("configuration_id", "code"),
    [
        (SD_JWT_ID, ErrorCode.SIGNATURE_INVALID),  # same kid, another key
        (COMPACT_ID, ErrorCode.ISSUER_KEY_UNKNOWN),  # its kid is the key's thumbprint
    ],
)
def test_credential_signed_by_an_untrusted_key_is_refused_and_its_keys_deleted(
    configuration_id: str, code: ErrorCode
) -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    trusted = issuer.trust()
    issuer.body = issuing_body(issuer.body.code, key_label="impostor")
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys, trust=trusted, copies={configuration_id: 2})
    assert caught.value.code is code
    assert len(keys.created) == 2
    assert keys.key_ids() == ()


def test_unreadable_sd_jwt_vc_is_refused_with_its_format_code() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.tamper = lambda credentials: ["not-an-sd-jwt"] * len(credentials)
    with pytest.raises(FormatError) as caught:
        obtain(issuer, keys, copies={SD_JWT_ID: 1})
    assert caught.value.code is ErrorCode.MALFORMED_SD_JWT
    assert keys.key_ids() == ()


def test_compact_credential_that_is_not_base64url_is_issuer_response_invalid() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.tamper = lambda credentials: ["a+b/c="] * len(credentials)
    with pytest.raises(FormatError) as caught:
        obtain(issuer, keys, copies={COMPACT_ID: 1})
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID
    assert keys.key_ids() == ()


# --------------------------------------------------------------------------- malformed answers

_OVERSIZED = _raw(b'{"x":"' + b"a" * MAX_RESPONSE_BYTES + b'"}')
_MALFORMED: dict[str, HttpResponse] = {
    "oversized": _OVERSIZED,
    "not-json": _raw(b"<html>hello</html>"),
    "json-as-html": answer({"c_nonce": "x"}, content_type="text/html"),
    "array": answer([1, 2, 3]),
    "redirect": _raw(b"", status=302),
    "accepted": answer({"transaction_id": "t"}, status=202),
    "empty-object": answer({}),
}


@pytest.mark.parametrize("kind", list(_MALFORMED))
@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", METADATA_URL), ("POST", TOKEN_URL), ("POST", NONCE_URL), ("POST", CREDENTIAL_URL)],
    ids=["metadata", "token", "nonce", "credential"],
)
def test_malformed_answers_are_issuer_response_invalid_and_leave_no_keys(
    method: str, url: str, kind: str
) -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.transport.routes[method, url] = lambda _sent: _MALFORMED[kind]
    with pytest.raises(FormatError) as caught:
        obtain(issuer, keys)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID
    assert keys.key_ids() == ()


def test_deferred_credential_response_is_issuer_response_invalid() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.transport.routes["POST", CREDENTIAL_URL] = lambda _sent: answer(
        {"transaction_id": "later", "interval": 60}
    )
    with pytest.raises(FormatError) as caught:
        obtain(issuer, keys)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID
    assert keys.key_ids() == ()


def test_metadata_of_another_issuer_is_issuer_response_invalid() -> None:
    issuer = FakeIssuer()
    issuer.document["credential_issuer"] = "https://impostor.example/bodies/042056"
    with pytest.raises(FormatError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID
    assert issuer.transport.urls() == [f"GET {METADATA_URL}"]


def test_metadata_without_the_offered_configuration_is_issuer_response_invalid() -> None:
    issuer = FakeIssuer()
    supported = issuer.document["credential_configurations_supported"]
    assert isinstance(supported, dict)
    del supported[COMPACT_ID]
    with pytest.raises(FormatError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID
    assert issuer.transport.urls() == [f"GET {METADATA_URL}"]


def test_plain_http_token_endpoint_is_issuer_response_invalid() -> None:
    issuer = FakeIssuer()
    issuer.document["token_endpoint"] = "http://issuer.furusato-vc.example/bodies/042056/token"
    with pytest.raises(FormatError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID


def test_several_authorization_servers_without_a_hint_are_issuer_response_invalid() -> None:
    issuer = FakeIssuer()
    issuer.document["authorization_servers"] = ["https://as1.example", "https://as2.example"]
    with pytest.raises(FormatError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID


def test_explicitly_requested_configuration_of_an_unknown_format_is_refused() -> None:
    issuer = FakeIssuer()
    supported = issuer.document["credential_configurations_supported"]
    assert isinstance(supported, dict)
    supported["mdoc"] = {"format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL"}
    with pytest.raises(FormatError) as caught:
        obtain(issuer, configuration_ids=(SD_JWT_ID, "mdoc"), copies={"mdoc": 1})
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=512))
def test_any_other_metadata_body_is_issuer_response_invalid(body: bytes) -> None:
    issuer = FakeIssuer()
    issuer.transport.routes["GET", METADATA_URL] = lambda _sent: _raw(body)
    with pytest.raises(FormatError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID


# --------------------------------------------------------------------------- error answers


def test_unreachable_issuer_is_issuer_unavailable() -> None:
    def unreachable(_sent: Sent) -> HttpResponse:
        raise StorageError(ErrorCode.ISSUER_UNAVAILABLE, "connection refused")

    issuer = FakeIssuer()
    issuer.transport.routes["GET", METADATA_URL] = unreachable
    with pytest.raises(StorageError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_UNAVAILABLE


def test_oauth_error_without_our_code_is_issuer_rejected() -> None:
    issuer, keys = FakeIssuer(), MemoryKeyStore()
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: answer(
        {"error": "invalid_grant", "error_description": "expired"}, status=400
    )
    with pytest.raises(VerificationError) as caught:
        obtain(issuer, keys)
    assert caught.value.code is ErrorCode.ISSUER_REJECTED
    assert "invalid_grant" in caught.value.detail
    assert keys.created == []


def test_service_code_in_a_problem_answer_is_raised_in_its_family() -> None:
    issuer = FakeIssuer()
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: problem(
        ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED, oauth_error="invalid_grant"
    )
    with pytest.raises(VerificationError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED


def test_rate_limited_answer_is_a_request_error() -> None:
    issuer = FakeIssuer()
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: problem(
        ErrorCode.RATE_LIMITED, status=429
    )
    with pytest.raises(RequestError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.RATE_LIMITED


# (the wallet_* storage codes are covered by the property below, so that their own negative
# tests, in the store's test files, are not masked in test_every_code_is_referenced_by_a_test)
@pytest.mark.parametrize(
    "code", [ErrorCode.ISSUER_NOT_TRUSTED, ErrorCode.KB_REPLAYED, ErrorCode.BUNDLE_CORRUPT]
)
def test_issuer_cannot_claim_a_condition_of_the_client(code: ErrorCode) -> None:
    issuer = FakeIssuer()
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: problem(code)
    with pytest.raises(VerificationError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_REJECTED


def test_code_sent_as_plain_json_rather_than_a_problem_is_not_believed() -> None:
    issuer = FakeIssuer()
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: answer(
        {"code": "tx_code_invalid"}, status=400
    )
    with pytest.raises(VerificationError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_REJECTED


@pytest.mark.parametrize(
    "response",
    [
        problem(ErrorCode.DATABASE_UNAVAILABLE, status=503),
        _raw(b"<html>Bad Gateway</html>", status=502, content_type="text/html"),
    ],
    ids=["service-storage", "gateway"],
)
def test_issuer_that_cannot_serve_now_is_issuer_unavailable(response: HttpResponse) -> None:
    issuer = FakeIssuer()
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: response
    with pytest.raises(StorageError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_UNAVAILABLE


def test_other_error_answer_is_issuer_rejected() -> None:
    issuer = FakeIssuer()
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: _raw(
        b"Internal Server Error", status=500, content_type="text/plain"
    )
    with pytest.raises(VerificationError) as caught:
        obtain(issuer)
    assert caught.value.code is ErrorCode.ISSUER_REJECTED


_WALLET_OWN = frozenset(
    code
    for code in ErrorCode
    if code.value.startswith("wallet_")
    or code in {ErrorCode.ISSUER_RESPONSE_INVALID, ErrorCode.ISSUER_NOT_TRUSTED}
)


@settings(max_examples=80, deadline=None)
@given(
    status=st.integers(min_value=400, max_value=599),
    content_type=st.sampled_from(["application/problem+json", "application/json", "text/html"]),
    code=st.sampled_from([c.value for c in ErrorCode]) | st.text(max_size=20),
    error=st.none() | st.text(max_size=20),
)
def test_no_error_answer_makes_the_wallet_report_one_of_its_own_conditions(
    status: int, content_type: str, code: str, error: str | None
) -> None:
    issuer = FakeIssuer()
    body: JSONObject = {"code": code}
    if error is not None:
        body["error"] = error
    issuer.transport.routes["POST", TOKEN_URL] = lambda _sent: answer(
        dict(body), status=status, content_type=content_type
    )
    with pytest.raises(FurusatoError) as caught:
        obtain(issuer)
    assert caught.value.code not in _WALLET_OWN
    assert caught.value.code.family is not ErrorFamily.STORAGE or (
        caught.value.code is ErrorCode.ISSUER_UNAVAILABLE
    )
