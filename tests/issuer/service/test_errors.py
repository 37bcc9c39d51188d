"""Every service error code as problem+json (RFC 9457), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import create_async_engine

from furusato_vc.core.errors import ErrorCode, StorageError
from furusato_vc.core.jose.jwk import generate_es256_private_key
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service import store
from furusato_vc.issuer.service.keystore import open_signing_key, seal_signing_key
from furusato_vc.issuer.service.store import sha256
from furusato_vc.runtime import SystemRandom
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA, Service
from tests.issuer.service.flows import (
    account,
    assert_problem,
    new_holder,
    nonce,
    proofs,
    register,
    request_credentials,
    token,
)


def _run(service: Service, statement: Any) -> None:
    async def go() -> None:
        engine = create_async_engine(service.settings.async_database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(statement)
        finally:
            await engine.dispose()

    asyncio.run(go())


def _state(service: Service) -> Any:
    return service.client.app.state.furusato  # type: ignore[attr-defined]


def test_malformed_request_names_the_fields(service: Service) -> None:
    response = service.client.post(
        "/registrations",
        json={"account": account(), "body_code": "42056", "surprise": 1},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    body = assert_problem(response, ErrorCode.MALFORMED_REQUEST, 400)
    assert "body_code" in body["detail"]


def test_offer_for_a_suspended_registration_is_refused(service: Service) -> None:
    who = account()
    rid = register(service, KESENNUMA, who=who).json()["registration_id"]
    reviewer = service.staff(KESENNUMA, "reviewer")
    service.client.post(
        f"/staff/bodies/{KESENNUMA}/registrations/{rid}/suspend",
        headers={**reviewer, "Idempotency-Key": secrets.token_hex(8)},
    )
    response = service.client.post(
        f"/registrations/{rid}/offers",
        json={"account": who},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert_problem(response, ErrorCode.REGISTRATION_NOT_ACTIVE, 409)
    # someone else's account is told nothing
    stranger = service.client.post(
        f"/registrations/{rid}/offers",
        json={"account": account()},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert_problem(stranger, ErrorCode.RESOURCE_NOT_FOUND, 404)


def test_body_not_accepting_registrations(service: Service) -> None:
    state = _state(service)
    state.bodies[KESENNUMA] = replace(state.bodies[KESENNUMA], accepting=False)
    assert_problem(register(service, KESENNUMA), ErrorCode.BODY_NOT_ISSUING, 409)


def test_database_unavailable(service: Service, tmp_path: Any) -> None:
    state = _state(service)
    original = state.engine
    state.engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db")
    try:
        assert_problem(register(service, KESENNUMA), ErrorCode.DATABASE_UNAVAILABLE, 503)
    finally:
        state.engine = original


class _ExhaustedPool:
    """An engine whose connection pool is used up (every connection busy past the pool's
    timeout): the request must fail as ``database_unavailable`` (503), not as a 500."""

    def begin(self) -> Any:
        raise PoolTimeoutError("QueuePool limit reached")


def test_exhausted_connection_pool_is_database_unavailable(service: Service) -> None:
    state = _state(service)
    original = state.engine
    state.engine = _ExhaustedPool()
    try:
        problem = assert_problem(register(service, KESENNUMA), ErrorCode.DATABASE_UNAVAILABLE, 503)
        assert problem["status"] == 503
    finally:
        state.engine = original


def test_sealed_signing_key_needs_the_right_key_and_place() -> None:
    key = generate_es256_private_key()
    kek = bytes(32)
    sealed = seal_signing_key(key, body_code=KESENNUMA, kid="k1", kek=kek, random=SystemRandom())
    assert open_signing_key(sealed, body_code=KESENNUMA, kid="k1", kek=kek).public_jwk.kid == "k1"
    for body_code, kid, wrong_kek in (
        (KESENNUMA, "k1", bytes([1]) * 32),
        (MINAMIMINOWA, "k1", kek),
        (KESENNUMA, "k2", kek),
    ):
        with pytest.raises(StorageError) as caught:
            open_signing_key(sealed, body_code=body_code, kid=kid, kek=wrong_kek)
        assert caught.value.code is ErrorCode.SIGNING_KEY_UNAVAILABLE


def test_status_list_exhausted_when_no_index_can_be_drawn(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "draw_index", lambda random, size: 7)  # always the same
    first = register(service, KESENNUMA).json()
    access = token(service, KESENNUMA, first["credential_offer"], first["tx_code"]).json()
    jwts = proofs(service, KESENNUMA, [new_holder()], nonce(service, KESENNUMA))
    ok = request_credentials(
        service, KESENNUMA, access["access_token"], "registration_basic_sd_jwt", jwts
    )
    assert ok.status_code == 200
    again = proofs(service, KESENNUMA, [new_holder()], nonce(service, KESENNUMA))
    response = request_credentials(
        service, KESENNUMA, access["access_token"], "registration_basic_sd_jwt", again
    )
    assert_problem(response, ErrorCode.STATUS_LIST_EXHAUSTED, 503)


def test_method_not_allowed_and_not_found(service: Service) -> None:
    assert_problem(
        service.client.get(f"/bodies/{KESENNUMA}/token"), ErrorCode.METHOD_NOT_ALLOWED, 405
    )
    assert_problem(service.client.get("/nowhere"), ErrorCode.RESOURCE_NOT_FOUND, 404)
    assert_problem(
        service.client.get("/.well-known/openid-credential-issuer/bodies/131016"),
        ErrorCode.RESOURCE_NOT_FOUND,
        404,
    )


def test_idempotency_in_progress(service: Service) -> None:
    key = secrets.token_hex(8)
    payload = {"account": account(), "body_code": KESENNUMA}
    raw = json.dumps(payload).encode()
    _run(
        service,
        t.idempotency_keys.insert().values(
            scope="registrations",
            key=key,
            request_hash=sha256(b"POST /registrations\x00" + raw),
            status_code=None,
            content_type=None,
            response_body=None,
            created_at=0,
        ),
    )
    response = service.client.post(
        "/registrations",
        content=raw,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert_problem(response, ErrorCode.IDEMPOTENCY_IN_PROGRESS, 409)


def test_rate_limited(service: Service) -> None:
    _state(service).limiter.per_minute = 1
    _state(service).limiter.buckets.clear()
    service.client.post(f"/bodies/{KESENNUMA}/nonce")
    response = service.client.post(f"/bodies/{KESENNUMA}/nonce")
    assert_problem(response, ErrorCode.RATE_LIMITED, 429)
    assert response.headers["retry-after"] == "60"


def test_request_too_large(service: Service) -> None:
    big = b"x" * (service.settings.max_request_bytes + 1)
    response = service.client.post(
        "/registrations",
        content=big,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert_problem(response, ErrorCode.REQUEST_TOO_LARGE, 413)
