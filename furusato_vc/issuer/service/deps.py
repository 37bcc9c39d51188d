"""What every route needs: the per-app state (engine, settings, clock, randomness, hosted
bodies), one transaction per request, idempotent POSTs and problem responses."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse, Response
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from furusato_vc.core.encoding import dumps_compact
from furusato_vc.core.errors import ErrorCode, FurusatoError, RequestError, StorageError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.problems import PROBLEM_CONTENT_TYPE, problem_body
from furusato_vc.issuer.service.store import BodyRecord, insert_ignore, load_bodies, sha256

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from datetime import datetime

    from fastapi import Request
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from furusato_vc.core.oid4vci.sealed import AccessTokenCodec, NonceCodec
    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.core.registration.bodies import BodyRegistry
    from furusato_vc.issuer.credentials import IssuancePolicy
    from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = ["RateLimiter", "ServiceState", "problem_response", "run_idempotent", "state_of"]


@dataclass(slots=True)
class RateLimiter:
    """A token bucket per client address, per process (N processes allow N times the rate;
    a load balancer or CDN in front adds the global limit)."""

    per_minute: int
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, client: str, now: float) -> bool:
        capacity = float(self.per_minute)
        tokens, stamp = self.buckets.get(client, (capacity, now))
        tokens = min(capacity, tokens + (now - stamp) * capacity / 60.0)
        if tokens < 1.0:
            self.buckets[client] = (tokens, now)
            return False
        self.buckets[client] = (tokens - 1.0, now)
        if len(self.buckets) > 100_000:  # bound memory under address spraying
            self.buckets.clear()
        return True


@dataclass(slots=True, kw_only=True)
class ServiceState:
    settings: ServiceSettings
    engine: AsyncEngine
    clock: Any
    random: RandomSource
    registry: BodyRegistry
    bodies: dict[str, BodyRecord]
    limiter: RateLimiter
    # built once per process from the settings (key derivation is not per-request work)
    access_tokens: AccessTokenCodec
    nonces: NonceCodec
    issuance_policy: IssuancePolicy

    def now(self) -> datetime:
        now: datetime = self.clock.now()
        return now

    def now_s(self) -> int:
        return to_numeric_date(self.now())

    def body(self, code: str) -> BodyRecord:
        body = self.bodies.get(code)
        if body is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "this body is not hosted here")
        return body

    async def reload_bodies(self) -> None:
        async with self.engine.connect() as conn:
            self.bodies = await load_bodies(conn, kek=self.settings.key_encryption_key)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One request's transaction; database failures become ``database_unavailable``."""
        try:
            async with self.engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise  # a uniqueness race: the caller (or the middleware) decides
        except (DBAPIError, ConnectionError, OSError) as exc:
            raise StorageError(ErrorCode.DATABASE_UNAVAILABLE, "database error") from exc
        except PoolTimeoutError as exc:  # every pooled connection busy for pool_timeout
            raise StorageError(ErrorCode.DATABASE_UNAVAILABLE, "no database connection") from exc


def state_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.furusato
    return state


def problem_response(
    error: FurusatoError, *, request: Request | None = None, oauth_error: str | None = None
) -> JSONResponse:
    body = problem_body(
        error, instance=None if request is None else request.url.path, oauth_error=oauth_error
    )
    extensions = getattr(error, "extensions", None)
    if isinstance(extensions, dict):  # RFC 9457 §3.2 extension members (e.g. a checklist)
        body.update({k: v for k, v in extensions.items() if k not in body})
    status = body["status"]
    assert isinstance(status, int)
    headers = {"Cache-Control": "no-store"}
    if error.code is ErrorCode.ACCESS_TOKEN_INVALID:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if error.code is ErrorCode.RATE_LIMITED:
        headers["Retry-After"] = "60"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


# ---------------------------------------------------------------------------- idempotency

_KEY_MATCHES = (t.idempotency_keys.c.scope == bindparam("b_scope")) & (
    t.idempotency_keys.c.key == bindparam("b_key")
)
_STORED_RESPONSE = select(t.idempotency_keys).where(_KEY_MATCHES)
_STORE_RESPONSE = (
    update(t.idempotency_keys)
    .where(_KEY_MATCHES)
    .values(
        status_code=bindparam("b_status_code"),
        content_type=bindparam("b_content_type"),
        response_body=bindparam("b_response_body"),
    )
)


async def run_idempotent(
    request: Request,
    *,
    scope: str,
    required: bool,
    handler: Callable[[AsyncConnection], Awaitable[tuple[int, dict[str, Any]]]],
    extra_headers: dict[str, str] | None = None,
    body: bytes | None = None,
    stored: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Response:
    """Run a POST once per ``Idempotency-Key`` (draft-ietf-httpapi-idempotency-key-header-07):
    the key, the request's hash and the response are stored in the same transaction as the
    work, so a retry after a lost response replays it, a retry after a crash runs again from
    nothing, the same key with another body is ``idempotency_key_reused`` (422) and a retry
    while the first is still running is ``idempotency_in_progress`` (409). ``stored`` makes
    the kept (and replayed) response from the payload when it holds secrets that must not
    be stored, such as the member import's tx_codes."""
    state = state_of(request)
    key = request.headers.get("idempotency-key")
    if key is None:
        if required:
            raise RequestError(ErrorCode.IDEMPOTENCY_KEY_MISSING, "Idempotency-Key header")
    elif not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise RequestError(ErrorCode.IDEMPOTENCY_KEY_MISSING, "Idempotency-Key is not valid")
    if body is None:  # a route that read the body itself (bounded) passes it in
        body = await request.body()
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    request_hash = sha256(request.method.encode() + b" " + target.encode() + b"\x00" + body)
    headers = {"Cache-Control": "no-store", **(extra_headers or {})}
    async with state.transaction() as conn:
        if key is not None:
            claimed = await conn.execute(
                insert_ignore(conn, t.idempotency_keys, "key"),
                {
                    "scope": scope,
                    "key": key,
                    "request_hash": request_hash,
                    "status_code": None,
                    "content_type": None,
                    "response_body": None,
                    "created_at": state.now_s(),
                },
            )
            if claimed.first() is None:
                row = (
                    (await conn.execute(_STORED_RESPONSE, {"b_scope": scope, "b_key": key}))
                    .mappings()
                    .one()
                )
                if bytes(row["request_hash"]) != request_hash:
                    raise RequestError(ErrorCode.IDEMPOTENCY_KEY_REUSED, "different request")
                if row["status_code"] is None:
                    raise RequestError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, "still running")
                return Response(
                    bytes(row["response_body"]),
                    status_code=row["status_code"],
                    media_type=row["content_type"],
                    headers={**headers, "Idempotent-Replayed": "true"},
                )
        status, payload = await handler(conn)
        encoded = dumps_compact(payload).encode()
        if key is not None:
            await conn.execute(
                _STORE_RESPONSE,
                {
                    "b_scope": scope,
                    "b_key": key,
                    "b_status_code": status,
                    "b_content_type": "application/json",
                    "b_response_body": encoded
                    if stored is None
                    else dumps_compact(stored(payload)).encode(),
                },
            )
    return Response(encoded, status_code=status, media_type="application/json", headers=headers)
