"""Dashboards for staff (viewer role and above): HTML pages, JSON and CSV.

Routes (all ``Cache-Control: no-store``)::

    GET  /staff/login                         sign-in form
    POST /staff/login                         token → session cookie, 303 to one's dashboard
    POST /staff/logout                        clears the cookie
    GET  /staff/dashboard                     303 to one's own body's dashboard
    GET  /staff/bodies/{code}/dashboard       HTML (municipality or prefecture view)
    GET  /staff/bodies/{code}/dashboard.json
    GET  /staff/bodies/{code}/dashboard.csv
    GET  /staff/dashboard/national            HTML (any signed-in staff member)
    GET  /staff/dashboard/national.json
    GET  /staff/dashboard/national.csv

Authentication: the staff bearer token (``Authorization: Bearer``) on every route, or, for a
browser, a session cookie the sign-in form sets: ``<staff id>.<expiry>.<HMAC>`` under the
server secret, bound to the staff member's current token hash (a new token ends old
sessions), ``HttpOnly; SameSite=Strict; Path=/staff`` (``Secure`` when the base URL is
https). The two POSTs refuse a cross-site ``Origin`` or ``Sec-Fetch-Site``; every other route
is a read-only GET. Tenant isolation as in :mod:`.routes_staff`: the body in the path must be
the staff member's own body, so a municipality's staff cannot open its prefecture's view.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import TYPE_CHECKING, Annotated, Final

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, RequestError
from furusato_vc.core.registration.claims import JST
from furusato_vc.issuer.dashboard.build import (
    BodyCounts,
    NationalCounts,
    build_body_dashboard,
    build_national_dashboard,
)
from furusato_vc.issuer.dashboard.render import (
    render_csv,
    render_html,
    render_json,
    render_login,
)
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.dashboard_snapshots import (
    NATIONAL,
    counted_at_text,
    view_counts,
)
from furusato_vc.issuer.service.deps import state_of
from furusato_vc.issuer.service.routes_staff import (
    Role,
    StaffMember,
    staff_by_token,
    staff_from_row,
)

if TYPE_CHECKING:
    from furusato_vc.issuer.dashboard.model import Dashboard
    from furusato_vc.issuer.service.deps import ServiceState

__all__ = ["SESSION_COOKIE", "router"]

router = APIRouter(prefix="/staff")

SESSION_COOKIE: Final = "furusato_staff"
_LOGIN: Final = "/staff/login"
_LOGOUT: Final = "/staff/logout"
_SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
_TOKEN_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# ---------------------------------------------------------------------------- sessions


def _session_mac(secret: bytes, staff_id: str, expires: int, token_hash: bytes) -> str:
    message = f"dashboard-session\x00{staff_id}.{expires}\x00".encode() + token_hash
    return b64url_encode(hmac.new(secret, message, hashlib.sha256).digest())


async def _by_session(state: ServiceState, value: str) -> StaffMember | None:
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(value) > 200:
        return None
    staff_id, expires_text, mac = parts
    expires = int(expires_text)
    if expires <= state.now_s():
        return None
    async with state.transaction() as conn:
        row = (
            (await conn.execute(select(t.staff).where(t.staff.c.id == staff_id))).mappings().first()
        )
    if row is None:
        return None
    token_hash = bytes(row["token_hash"])
    for secret in state.settings.secrets:  # the first signs; all verify (rotation)
        if hmac.compare_digest(_session_mac(secret, staff_id, expires, token_hash), mac):
            return staff_from_row(row)
    return None


async def _authenticate(
    request: Request, authorization: str | None, *, code: str | None
) -> StaffMember:
    """The staff member behind the bearer token or the session cookie, allowed to see
    ``code``'s dashboard (or, with ``code`` None, the national one).

    Raises:
        RequestError: ``staff_unauthenticated`` (no, unknown or expired credential),
            ``staff_forbidden`` (another body's staff, or a role below viewer).
    """
    state = state_of(request)
    member: StaffMember | None = None
    if authorization is not None:
        if not authorization.startswith("Bearer "):
            raise RequestError(ErrorCode.STAFF_UNAUTHENTICATED, "no bearer token")
        found = await staff_by_token(state, authorization[len("Bearer ") :].strip())
        member = None if found is None else found[0]
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        member = await _by_session(state, cookie)
    if member is None:
        raise RequestError(ErrorCode.STAFF_UNAUTHENTICATED, "sign in first")
    if code is not None and member.body_code != code:
        raise RequestError(ErrorCode.STAFF_FORBIDDEN, "staff of another body")
    if member.role not in (Role.VIEWER, Role.REVIEWER, Role.ADMIN):  # pragma: no cover
        raise RequestError(ErrorCode.STAFF_FORBIDDEN, "role too low")
    return member


def _same_origin(request: Request) -> None:
    """The sign-in and sign-out POSTs accept no cross-site request (login CSRF)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise RequestError(ErrorCode.STAFF_FORBIDDEN, "cross-site request")
    origin = request.headers.get("origin")
    if origin is not None:
        scheme, _, host = state_of(request).settings.base_url.split("/")[:3]
        allowed = (f"{request.url.scheme}://{request.url.netloc}", f"{scheme}//{host}")
        if origin not in allowed:
            raise RequestError(ErrorCode.STAFF_FORBIDDEN, "cross-site request")


# ---------------------------------------------------------------------------- sign-in


@router.get("/login")
async def login_form() -> HTMLResponse:
    return HTMLResponse(render_login(action=_LOGIN, error=None), headers=_SECURITY_HEADERS)


@router.post("/login")
async def login(request: Request) -> Response:
    """Exchange the bearer token (form field ``token``) for the session cookie."""
    _same_origin(request)
    state = state_of(request)
    form = (await request.body()).decode("ascii", errors="replace")
    fields = dict(part.partition("=")[::2] for part in form.split("&") if part)
    token = fields.get("token", "")
    # staff tokens are base64url: they pass form encoding unchanged, anything else is wrong
    found = await staff_by_token(state, token) if set(token) <= _TOKEN_CHARS else None
    if found is None:
        return HTMLResponse(
            render_login(
                action=_LOGIN,
                error="トークンが正しくありません。 / The token is not valid.",
            ),
            status_code=401,
            headers=_SECURITY_HEADERS,
        )
    member, token_hash = found
    expires = state.now_s() + int(state.settings.dashboard_session_lifetime.total_seconds())
    value = f"{member.id}.{expires}." + _session_mac(
        state.settings.secrets[0], member.id, expires, token_hash
    )
    response = RedirectResponse(
        f"/staff/bodies/{member.body_code}/dashboard", status_code=303, headers=_SECURITY_HEADERS
    )
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(state.settings.dashboard_session_lifetime.total_seconds()),
        path="/staff",
        secure=state.settings.base_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    _same_origin(request)
    response = RedirectResponse(_LOGIN, status_code=303, headers=_SECURITY_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/staff", httponly=True, samesite="strict")
    return response


@router.get("/dashboard")
async def own_dashboard(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    try:
        member = await _authenticate(request, authorization, code=None)
    except RequestError as error:
        if error.code is ErrorCode.STAFF_UNAUTHENTICATED:
            return RedirectResponse(_LOGIN, status_code=303, headers=_SECURITY_HEADERS)
        raise
    return RedirectResponse(
        f"/staff/bodies/{member.body_code}/dashboard", status_code=303, headers=_SECURITY_HEADERS
    )


# ---------------------------------------------------------------------------- views


async def _body_dashboard(state: ServiceState, code: str) -> Dashboard:
    body = state.registry.get(code)
    today = state.now().astimezone(JST).date()
    counts, counted_at = await view_counts(state, code, today=today)
    assert isinstance(counts, BodyCounts)  # view_counts checks the snapshot's kind
    dashboard = build_body_dashboard(
        view="prefecture" if body.is_prefecture else "municipality",
        body=body,
        counts=counts,
        registry=state.registry,
        today=today,
        threshold=state.settings.dashboard_suppression_threshold,
    )
    return _stamped(dashboard, counted_at)


async def _national_dashboard(state: ServiceState) -> Dashboard:
    today = state.now().astimezone(JST).date()
    counts, counted_at = await view_counts(state, NATIONAL, today=today)
    assert isinstance(counts, NationalCounts)
    dashboard = build_national_dashboard(
        counts, today=today, threshold=state.settings.dashboard_suppression_threshold
    )
    return _stamped(dashboard, counted_at)


def _stamped(dashboard: Dashboard, counted_at: int | None) -> Dashboard:
    if counted_at is None:
        return dashboard
    return dataclasses.replace(dashboard, counted_at=counted_at_text(counted_at))


def _html(state: ServiceState, dashboard: Dashboard, export_base: str) -> HTMLResponse:
    names = {p.jis_prefecture: (p.name_ja, p.name_en) for p in state.registry.prefectures()}
    page = render_html(
        dashboard, prefecture_names=names, export_base=export_base, logout_path=_LOGOUT
    )
    return HTMLResponse(page, headers=_SECURITY_HEADERS)


def _csv(dashboard: Dashboard, name: str) -> Response:
    return Response(
        render_csv(dashboard),
        media_type="text/csv; charset=utf-8",
        headers={
            **_SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{name}-{dashboard.as_of}.csv"',
        },
    )


@router.get("/bodies/{code}/dashboard")
async def body_dashboard_page(
    code: str, request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    try:
        await _authenticate(request, authorization, code=code)
    except RequestError as error:
        if error.code is ErrorCode.STAFF_UNAUTHENTICATED and authorization is None:
            return RedirectResponse(_LOGIN, status_code=303, headers=_SECURITY_HEADERS)
        raise
    state = state_of(request)
    return _html(state, await _body_dashboard(state, code), f"/staff/bodies/{code}/dashboard")


@router.get("/bodies/{code}/dashboard.json")
async def body_dashboard_json(
    code: str, request: Request, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    await _authenticate(request, authorization, code=code)
    dashboard = await _body_dashboard(state_of(request), code)
    return JSONResponse(render_json(dashboard), headers=_SECURITY_HEADERS)


@router.get("/bodies/{code}/dashboard.csv")
async def body_dashboard_csv(
    code: str, request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    await _authenticate(request, authorization, code=code)
    return _csv(await _body_dashboard(state_of(request), code), f"dashboard-{code}")


@router.get("/dashboard/national")
async def national_page(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Any signed-in staff member of any body may see the national progress: it is the
    same few nationwide totals for everyone, and suppressed like every other count."""
    try:
        await _authenticate(request, authorization, code=None)
    except RequestError as error:
        if error.code is ErrorCode.STAFF_UNAUTHENTICATED and authorization is None:
            return RedirectResponse(_LOGIN, status_code=303, headers=_SECURITY_HEADERS)
        raise
    state = state_of(request)
    return _html(state, await _national_dashboard(state), "/staff/dashboard/national")


@router.get("/dashboard/national.json")
async def national_json(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    await _authenticate(request, authorization, code=None)
    dashboard = await _national_dashboard(state_of(request))
    return JSONResponse(render_json(dashboard), headers=_SECURITY_HEADERS)


@router.get("/dashboard/national.csv")
async def national_csv(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    await _authenticate(request, authorization, code=None)
    return _csv(await _national_dashboard(state_of(request)), "dashboard-national")
