"""The app factory: ``create_app(settings)`` builds a FastAPI app with a lifespan that opens
the database engine and decrypts the hosted bodies' signing keys; nothing happens at import.

Routes live in :mod:`.routes_public` (metadata, registration, OpenID4VCI, publication) and
:mod:`.routes_staff`. Every error leaves as RFC 9457 problem+json (:mod:`.problems`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from starlette.exceptions import HTTPException as StarletteHTTPException

from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, RequestError
from furusato_vc.core.oid4vci.constants import OAUTH_ERROR_FOR
from furusato_vc.core.oid4vci.sealed import AccessTokenCodec, NonceCodec
from furusato_vc.core.registration.bodies import load_bodies as load_body_registry
from furusato_vc.issuer.credentials import IssuancePolicy
from furusato_vc.issuer.service.dashboard_snapshots import refresh_snapshots_once
from furusato_vc.issuer.service.deps import (
    RateLimiter,
    ServiceState,
    problem_response,
)
from furusato_vc.issuer.service.premium import expire_lapsed_premium, today_in_japan
from furusato_vc.issuer.service.routes_dashboard import router as dashboard_router
from furusato_vc.issuer.service.routes_import import router as import_router
from furusato_vc.issuer.service.routes_notices import router as notices_router
from furusato_vc.issuer.service.routes_premium import router as premium_router
from furusato_vc.issuer.service.routes_public import router as public_router
from furusato_vc.issuer.service.routes_staff import router as staff_router
from furusato_vc.issuer.service.store import republish_due
from furusato_vc.runtime import SystemClock, SystemRandom

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from fastapi.responses import JSONResponse
    from starlette.types import ASGIApp, Receive, Scope, Send

    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = ["create_app", "expire_premium_once", "republish_once"]


# ---------------------------------------------------------------------------- factory

_log = logging.getLogger("furusato_vc.issuer.service")


async def republish_once(state: ServiceState) -> dict[str, int]:
    """Re-sign every hosted body's status lists that are due, one transaction per body.
    Several server processes may run this at once: a list re-signed by one is no longer due
    for the others (its ``issued_at`` is fresh), and the sequence row is locked while
    signing, so the worst case is one extra signature, never a lost change."""
    done: dict[str, int] = {}
    for code, body in state.bodies.items():
        async with state.transaction() as conn:
            lists = await republish_due(conn, body=body, now=state.now_s(), settings=state.settings)
        done[code] = len(lists)
    return done


async def expire_premium_once(state: ServiceState) -> dict[str, int]:
    """Suspend premium whose year ended without an approved renewal (reason
    ``renewal_failed``), one transaction per body; the holder sees why in the app."""
    done: dict[str, int] = {}
    for code, body in state.bodies.items():
        async with state.transaction() as conn:
            now = state.now_s()
            ended = await expire_lapsed_premium(
                conn, body=body, today=today_in_japan(now), now=now, settings=state.settings
            )
        done[code] = len(ended)
    return done


async def _every(seconds: float, step: Callable[[], Awaitable[None]], what: str) -> None:
    """Run ``step`` every ``seconds`` until cancelled; a database outage is logged and the
    next round tries again."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await step()
        except FurusatoError as exc:
            _log.warning("%s failed: %s", what, exc.code.value)


async def _republish_step(state: ServiceState) -> None:
    done = await republish_once(state)
    expired = await expire_premium_once(state)
    if any(expired.values()):
        _log.info("premium ended (renewal failed): %s", {k: v for k, v in expired.items() if v})
    if any(done.values()):
        _log.info("status lists republished: %s", {k: v for k, v in done.items() if v})


async def _refresh_step(state: ServiceState) -> None:
    """Keep the heavy dashboard snapshots staff have opened fresh (docs/dashboard.md,
    "Snapshots"); several processes share the work by leases."""
    refreshed = await refresh_snapshots_once(state)
    if refreshed:
        _log.info("dashboard snapshots refreshed: %s", refreshed)


_EVIDENCE_PATH: Final = re.compile(r"/registrations/[A-Za-z0-9_-]{1,64}/evidence")


class _Limits:
    """Request size and per-client rate limits, as a plain ASGI middleware (no task per
    request): oversized bodies (by ``Content-Length``) and public POSTs over the limit are
    answered with problem+json before any route runs."""

    def __init__(self, app: ASGIApp, *, settings: ServiceSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error: RequestError | None = None
        limit = self.settings.max_request_bytes
        if scope["method"] == "POST" and _EVIDENCE_PATH.fullmatch(scope["path"]):
            limit = self.settings.premium.max_evidence_bytes  # the route reads it bounded
        elif scope["path"].endswith("/member-imports"):  # a CSV file (routes_import)
            limit = self.settings.member_import.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                error = RequestError(ErrorCode.REQUEST_TOO_LARGE, "body too large")
        if (
            error is None
            and self.settings.rate_limit_per_minute
            and scope["method"] == "POST"
            and not scope["path"].startswith("/staff/")
        ):
            client = scope["client"][0] if scope.get("client") else "unknown"
            if not scope["app"].state.furusato.limiter.allow(client, time.monotonic()):
                error = RequestError(ErrorCode.RATE_LIMITED, "rate limit")
        if error is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(error, request=Request(scope))
        await response(scope, receive, send)


def _engine(settings: ServiceSettings) -> AsyncEngine:
    url = settings.async_database_url
    if url.startswith("sqlite"):
        # one connection: SQLite has one writer, and a queue in front of it beats
        # "database is locked" retries
        return create_async_engine(
            url, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, pool_timeout=60
        )
    return create_async_engine(
        url, pool_size=settings.database_pool_size, max_overflow=0, pool_pre_ping=False
    )


def create_app(
    settings: ServiceSettings,
    *,
    clock: Any = None,
    random: RandomSource | None = None,
) -> FastAPI:
    """The issuer service. The database must already be migrated
    (:func:`furusato_vc.issuer.service.migrate.upgrade`; the CLI does it)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = _engine(settings)
        state = ServiceState(
            settings=settings,
            engine=engine,
            clock=clock or SystemClock(),
            random=random or SystemRandom(),
            registry=load_body_registry(),
            bodies={},
            limiter=RateLimiter(per_minute=settings.rate_limit_per_minute),
            access_tokens=AccessTokenCodec(
                settings.secrets,
                lifetime=int(settings.access_token_lifetime.total_seconds()),
            ),
            nonces=NonceCodec(
                settings.secrets, lifetime=int(settings.nonce_lifetime.total_seconds())
            ),
            issuance_policy=IssuancePolicy(credential_lifetime=settings.credential_lifetime),
        )
        await state.reload_bodies()
        app.state.furusato = state
        background: list[asyncio.Task[None]] = []
        if settings.republish_interval.total_seconds() > 0:
            background.append(
                asyncio.create_task(
                    _every(
                        settings.republish_interval.total_seconds(),
                        lambda: _republish_step(state),
                        "status list republication",
                    )
                )
            )
        if settings.dashboard_max_age.total_seconds() > 0:
            background.append(
                asyncio.create_task(
                    _every(
                        max(settings.dashboard_max_age.total_seconds() / 2, 1.0),
                        lambda: _refresh_step(state),
                        "dashboard refresh",
                    )
                )
            )
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await engine.dispose()

    app = FastAPI(
        title="furusato-vc issuer service",
        description="ふるさと住民登録証の発行サービス / registration card issuer",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(FurusatoError)
    async def _furusato_error(request: Request, exc: FurusatoError) -> JSONResponse:
        oauth = None
        if request.url.path.endswith(("/token", "/credential", "/nonce")):
            mapped = OAUTH_ERROR_FOR.get(exc.code)
            oauth = None if mapped is None else str(mapped)
        return problem_response(exc, request=request, oauth_error=oauth)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = sorted({".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()})
        error = FormatError(ErrorCode.MALFORMED_REQUEST, "invalid fields: " + ", ".join(fields))
        return problem_response(error, request=request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: ErrorCode.RESOURCE_NOT_FOUND,
            405: ErrorCode.METHOD_NOT_ALLOWED,
            413: ErrorCode.REQUEST_TOO_LARGE,
        }.get(exc.status_code)
        if code is None:
            return problem_response(
                FormatError(ErrorCode.MALFORMED_REQUEST, "bad request"), request=request
            )
        return problem_response(RequestError(code, ""), request=request)

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, _exc: IntegrityError) -> JSONResponse:
        # a uniqueness race that a retry resolves (the transaction was rolled back)
        return problem_response(
            RequestError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, "conflict, retry"), request=request
        )

    app.add_middleware(_Limits, settings=settings)
    app.include_router(public_router)
    app.include_router(staff_router)
    app.include_router(premium_router)
    app.include_router(notices_router)
    app.include_router(import_router)
    app.include_router(dashboard_router)
    return app
