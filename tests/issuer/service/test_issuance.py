"""Registration and OpenID4VCI issuance end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode
from furusato_vc.wallet import accept_credential
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA, MIYAGI, Service
from tests.issuer.service.flows import (
    account,
    assert_problem,
    issue,
    new_holder,
    nonce,
    proofs,
    register,
    request_credentials,
    token,
    trust_from_service,
)


def test_registration_returns_an_offer_and_records_the_prefecture(service: Service) -> None:
    response = register(service, KESENNUMA, relationship_types=["visits"], interests=["food"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["body_code"] == KESENNUMA
    assert body["prefecture_registration_id"]
    offer = body["credential_offer"]
    assert offer["credential_issuer"] == service.issuer(KESENNUMA)
    assert set(offer["credential_configuration_ids"]) == {
        "registration_basic_sd_jwt",
        "registration_basic_compact",
    }
    assert body["credential_offer_uri"].startswith("openid-credential-offer://")
    assert len(body["tx_code"]) == 6
    assert body["tx_code"].isdigit()


def test_batch_of_sd_jwt_vcs_verifies_in_the_wallet_with_distinct_status_entries(
    service: Service,
) -> None:
    issued = issue(service, KESENNUMA, copies=3)
    trust = trust_from_service(service, KESENNUMA)
    statuses = set()
    for holder, credential in zip(issued.holders, issued.credentials, strict=True):
        held = accept_credential(
            credential, holder_key=holder.public_jwk, trust=trust, now=service.clock.now()
        )
        status = held.verified.status
        assert status is not None
        statuses.add((status.uri, status.idx))
    assert len(statuses) == 3  # OIDF VCIEnsureBatchStatusReferencesAreDistinct


def test_compact_credentials_are_issued_for_the_qr(service: Service) -> None:
    issued = issue(service, MINAMIMINOWA, copies=2, configuration="registration_basic_compact")
    for credential in issued.credentials:
        raw = b64url_decode(credential)
        assert raw[:1] == b"\xd2"  # COSE_Sign1 tag 18


def test_registering_twice_with_one_body_is_refused(service: Service) -> None:
    who = account()
    assert register(service, KESENNUMA, who=who).status_code == 201
    assert_problem(register(service, KESENNUMA, who=who), ErrorCode.REGISTRATION_EXISTS, 409)


def test_limit_reached(service: Service) -> None:
    state = service.client.app.state.furusato  # type: ignore[attr-defined]
    state.settings = replace(state.settings, max_registrations_per_person=1)
    who = account()
    assert register(service, KESENNUMA, who=who).status_code == 201
    assert_problem(
        register(service, MINAMIMINOWA, who=who), ErrorCode.REGISTRATION_LIMIT_REACHED, 409
    )
    # the prefecture record that came with the first does not count, and is not a new choice
    assert_problem(register(service, MIYAGI, who=who), ErrorCode.REGISTRATION_EXISTS, 409)


def test_idempotent_registration_replays_the_first_response(service: Service) -> None:
    who, key = account(), secrets.token_hex(8)
    first = register(service, KESENNUMA, who=who, key=key)
    again = register(service, KESENNUMA, who=who, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"


def test_idempotency_key_with_another_body_is_refused(service: Service) -> None:
    key = secrets.token_hex(8)
    assert register(service, KESENNUMA, key=key).status_code == 201
    assert_problem(register(service, KESENNUMA, key=key), ErrorCode.IDEMPOTENCY_KEY_REUSED, 422)


def test_posts_need_an_idempotency_key(service: Service) -> None:
    response = service.client.post(
        "/registrations", json={"account": account(), "body_code": KESENNUMA}
    )
    assert_problem(response, ErrorCode.IDEMPOTENCY_KEY_MISSING, 400)


def test_wrong_tx_code_counts_and_the_code_dies(service: Service) -> None:
    body = register(service, KESENNUMA).json()
    offer = body["credential_offer"]
    wrong = "000000" if body["tx_code"] != "000000" else "111111"
    for _ in range(service.settings.tx_code_max_attempts - 1):
        assert_problem(token(service, KESENNUMA, offer, wrong), ErrorCode.TX_CODE_INVALID, 400)
    last = token(service, KESENNUMA, offer, wrong)
    assert_problem(last, ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED, 400)
    assert last.json()["error"] == "invalid_grant"
    # even the right code no longer works
    assert_problem(
        token(service, KESENNUMA, offer, body["tx_code"]), ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED, 400
    )


def test_missing_tx_code(service: Service) -> None:
    body = register(service, KESENNUMA).json()
    response = token(service, KESENNUMA, body["credential_offer"], None)
    assert_problem(response, ErrorCode.TX_CODE_MISSING, 400)
    assert response.json()["error"] == "invalid_request"


def test_pre_authorized_code_is_single_use_and_short_lived(service: Service) -> None:
    body = register(service, KESENNUMA).json()
    offer = body["credential_offer"]
    assert token(service, KESENNUMA, offer, body["tx_code"]).status_code == 200
    assert_problem(
        token(service, KESENNUMA, offer, body["tx_code"]),
        ErrorCode.PRE_AUTHORIZED_CODE_INVALID,
        400,
    )
    late = register(service, MINAMIMINOWA).json()
    service.clock.advance(service.settings.offer_lifetime + timedelta(seconds=1))
    assert_problem(
        token(service, MINAMIMINOWA, late["credential_offer"], late["tx_code"]),
        ErrorCode.PRE_AUTHORIZED_CODE_INVALID,
        400,
    )


def test_code_of_another_body_is_unknown_there(service: Service) -> None:
    body = register(service, KESENNUMA).json()
    assert_problem(
        token(service, MINAMIMINOWA, body["credential_offer"], body["tx_code"]),
        ErrorCode.PRE_AUTHORIZED_CODE_INVALID,
        400,
    )


def test_unsupported_grant_type(service: Service) -> None:
    response = service.client.post(
        f"/bodies/{KESENNUMA}/token", data={"grant_type": "authorization_code", "code": "x"}
    )
    assert_problem(response, ErrorCode.GRANT_TYPE_UNSUPPORTED, 400)
    assert response.json()["error"] == "unsupported_grant_type"


def _access(service: Service, code: str = KESENNUMA) -> str:
    body = register(service, code).json()
    granted = token(service, code, body["credential_offer"], body["tx_code"])
    value: str = granted.json()["access_token"]
    return value


def test_credential_endpoint_needs_a_valid_access_token(service: Service) -> None:
    holder = new_holder()
    jwts = proofs(service, KESENNUMA, [holder], nonce(service, KESENNUMA))
    response = request_credentials(
        service, KESENNUMA, "not-a-token", "registration_basic_sd_jwt", jwts
    )
    assert_problem(response, ErrorCode.ACCESS_TOKEN_INVALID, 401)
    assert response.json()["error"] == "invalid_token"
    assert "invalid_token" in response.headers["www-authenticate"]
    other = _access(service, MINAMIMINOWA)
    assert_problem(
        request_credentials(service, KESENNUMA, other, "registration_basic_sd_jwt", jwts),
        ErrorCode.ACCESS_TOKEN_INVALID,
        401,
    )


def test_access_token_expires(service: Service) -> None:
    access = _access(service)
    service.clock.advance(service.settings.access_token_lifetime + timedelta(seconds=1))
    jwts = proofs(service, KESENNUMA, [new_holder()], nonce(service, KESENNUMA))
    assert_problem(
        request_credentials(service, KESENNUMA, access, "registration_basic_sd_jwt", jwts),
        ErrorCode.ACCESS_TOKEN_INVALID,
        401,
    )


def test_credential_request_errors(service: Service) -> None:
    access = _access(service)
    jwts = proofs(service, KESENNUMA, [new_holder()], nonce(service, KESENNUMA))
    unknown = request_credentials(service, KESENNUMA, access, "registration_premium_sd_jwt", jwts)
    assert_problem(unknown, ErrorCode.CREDENTIAL_CONFIGURATION_UNKNOWN, 400)
    assert unknown.json()["error"] == "unknown_credential_configuration"
    missing = service.client.post(
        f"/bodies/{KESENNUMA}/credential",
        json={"credential_configuration_id": "registration_basic_sd_jwt"},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert_problem(missing, ErrorCode.PROOF_MISSING, 400)
    assert missing.json()["error"] == "invalid_proof"
    stale = proofs(service, KESENNUMA, [new_holder()], "forged-nonce")
    bad_nonce = request_credentials(service, KESENNUMA, access, "registration_basic_sd_jwt", stale)
    assert_problem(bad_nonce, ErrorCode.PROOF_NONCE_INVALID, 400)
    assert bad_nonce.json()["error"] == "invalid_nonce"
    holder = new_holder()
    twice = proofs(service, KESENNUMA, [holder, holder], nonce(service, KESENNUMA))
    assert_problem(
        request_credentials(service, KESENNUMA, access, "registration_basic_sd_jwt", twice),
        ErrorCode.PROOF_KEY_REUSED,
        400,
    )
    many = proofs(
        service,
        KESENNUMA,
        [new_holder() for _ in range(service.settings.batch_size + 1)],
        nonce(service, KESENNUMA),
    )
    assert_problem(
        request_credentials(service, KESENNUMA, access, "registration_basic_sd_jwt", many),
        ErrorCode.BATCH_SIZE_EXCEEDED,
        400,
    )
    wrong_audience = proofs(service, MINAMIMINOWA, [new_holder()], nonce(service, KESENNUMA))
    assert_problem(
        request_credentials(
            service, KESENNUMA, access, "registration_basic_sd_jwt", wrong_audience
        ),
        ErrorCode.PROOF_INVALID,
        400,
    )
    not_json = service.client.post(
        f"/bodies/{KESENNUMA}/credential",
        content=b"{not json",
        headers={"Authorization": f"Bearer {access}", "Content-Type": "application/json"},
    )
    assert_problem(not_json, ErrorCode.CREDENTIAL_REQUEST_INVALID, 400)
