"""The kiosk's local HTTP server (standard library ``http.server``), bound to 127.0.0.1 only.

Endpoints (JSON in and out unless said otherwise)::

    GET  /                 the page (HTML); /kiosk.css, /kiosk.js: its assets (package data)
    GET  /config           profile, challenge mode, how long a verdict stays, and the ja/en
                           message of every error code
    GET  /status           bundle freshness (fresh | aging | stale) and the counts
    GET  /counts           verified and rejected-by-code counts since start
    GET  /challenge        challenge mode: the current nonce and its QR (SVG)
    POST /scan             {"text": "FJ1:…"} from the scanner → a verdict
    POST /frame            a camera frame (image/jpeg or image/png body) → a verdict or none
    POST /image            an uploaded image file (image/*) → a verdict
    POST /ping             {} (the benchmark's baseline round trip)

A verdict is ``{"result": "verified", …}``, ``{"result": "rejected", "code", "message_ja",
"message_en", "detail"}`` or, for camera frames, ``{"result": "none", "reason"}``.

The page is served to the browser on the same machine. Because any web page that browser
opens could send requests to 127.0.0.1, requests must name this server in ``Host`` (no DNS
rebinding), a POST must come from this origin (``Origin``, when sent) with a non-form content
type (so a cross-site form cannot post, and a cross-site ``fetch`` needs a preflight this
server never grants), and no answer carries CORS headers. Nothing is logged: not the request
line, not a body, not an error.
"""

from __future__ import annotations

import contextlib
import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import parse_json_object
from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.messages import MESSAGES
from furusato_vc.verifier.benefits import benefit_outcome_json
from furusato_vc.verifier.kiosk.service import (
    Accepted,
    KioskService,
    NothingRead,
    Source,
    Verdict,
)
from furusato_vc.verifier.registration import Rejected

if TYPE_CHECKING:
    from collections.abc import Callable

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.verifier.kiosk.service import Counts

__all__ = ["HOST", "KioskServer", "verdict_json"]

HOST: Final = "127.0.0.1"
MAX_JSON_BYTES: Final = 64 * 1024
IMAGE_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"})

_STATIC: Final = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/kiosk.css": ("kiosk.css", "text/css; charset=utf-8"),
    "/kiosk.js": ("kiosk.js", "text/javascript; charset=utf-8"),
}
# Everything the page needs is on this server: no CDN, no external font, no inline script.
_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def _static(name: str) -> bytes:
    return (resources.files("furusato_vc.verifier.kiosk") / "static" / name).read_bytes()


def verdict_json(verdict: Verdict) -> JSONObject:
    """The JSON answer for a verdict (also what ``furusato-vc kiosk`` documents)."""
    if isinstance(verdict, NothingRead):
        return {"result": "none", "reason": verdict.reason}
    if isinstance(verdict, Rejected):
        return {
            "result": "rejected",
            "code": verdict.code.value,
            "message_ja": verdict.message_ja,
            "message_en": verdict.message_en,
            "detail": verdict.detail,
        }
    return _accepted_json(verdict)


def _accepted_json(accepted: Accepted) -> JSONObject:
    claims: list[JSONValue] = [
        {"path": c.path, "label_ja": c.label_ja, "label_en": c.label_en, "value": c.value}
        for c in accepted.claims
    ]
    benefit: JSONValue = None
    if accepted.place_benefit is not None:  # the municipality's signed benefit wins
        benefit = {
            "ja": accepted.place_benefit.message_ja,
            "en": accepted.place_benefit.message_en,
            "applicable": accepted.place_benefit.applicable,
        }
    elif accepted.benefit_ja is not None or accepted.benefit_en is not None:
        benefit = {"ja": accepted.benefit_ja, "en": accepted.benefit_en}
    return {
        "result": "verified",
        "body": {
            "code": accepted.body_code,
            "name_ja": accepted.body_name_ja,
            "name_en": accepted.body_name_en,
        },
        "tier": {
            "value": accepted.tier.value,
            "ja": accepted.tier.label_ja,
            "en": accepted.tier.label_en,
        },
        "valid_until": None if accepted.valid_until is None else accepted.valid_until.isoformat(),
        "claims": claims,
        "benefit": benefit,
        "place_benefit": benefit_outcome_json(accepted.place_benefit),
    }


def _counts_json(counts: Counts) -> JSONObject:
    return {
        "verified": counts.verified,
        "rejected": counts.rejected_total,
        "rejected_by_code": dict(counts.rejected),
    }


class KioskServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` on 127.0.0.1 (``port=0``: any free port) for one service."""

    daemon_threads = True

    def __init__(self, service: KioskService, *, port: int = 8765) -> None:
        self.service = service
        super().__init__((HOST, port), _Handler)
        self.port: int = self.server_address[1]
        self.allowed_hosts = frozenset({f"{HOST}:{self.port}", f"localhost:{self.port}"})

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def handle_error(self, request: object, client_address: object) -> None:
        """No traceback on stderr: it could quote what was being handled."""


class _Handler(BaseHTTPRequestHandler):
    server: KioskServer
    protocol_version = "HTTP/1.1"
    server_version = "furusato-vc-kiosk"
    sys_version = ""
    timeout = 15  # a stalled client cannot keep a thread forever
    wbufsize = 64 * 1024  # headers and body leave in one write (no Nagle delay on small answers)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Nothing is logged (the request line is harmless, but a kiosk keeps no records)."""

    # ------------------------------------------------------------------ plumbing

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        *,
        close: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("Permissions-Policy", "camera=(self)")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj: JSONObject, status: HTTPStatus = HTTPStatus.OK, **kw: bool) -> None:
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", **kw)

    def _problem(self, status: HTTPStatus, code: ErrorCode, *, close: bool = False) -> None:
        message = MESSAGES[code]
        self._json(
            {
                "result": "rejected",
                "code": code.value,
                "message_ja": message.ja,
                "message_en": message.en,
                "detail": status.phrase,
            },
            status,
            close=close,
        )

    def _host_ok(self) -> bool:
        return self.headers.get("Host", "") in self.server.allowed_hosts

    def _origin_ok(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None:
            return True  # not sent by browsers for same-origin GETs; curl and tests
        return origin.removeprefix("http://") in self.server.allowed_hosts

    def _media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def _body(self, limit: int) -> bytes | None:
        """The request body, or ``None`` after answering (too large, no length)."""
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") is not None or length_text is None:
            self._problem(HTTPStatus.LENGTH_REQUIRED, ErrorCode.MALFORMED_REQUEST, close=True)
            return None
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self._problem(HTTPStatus.BAD_REQUEST, ErrorCode.MALFORMED_REQUEST, close=True)
            return None
        if length > limit:
            # not read: the connection is closed instead
            self._problem(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, ErrorCode.INPUT_TOO_LARGE, close=True
            )
            return None
        return self.rfile.read(length)

    # ------------------------------------------------------------------ GET

    def do_GET(self) -> None:
        self._guarded(self._get)

    def do_POST(self) -> None:
        self._guarded(self._post)

    def _guarded(self, handler: Callable[[], None]) -> None:
        """A bug answers 500 with a code, never a traceback (nothing is logged)."""
        try:
            handler()
        except Exception:  # noqa: BLE001 - the last line of defence of a kiosk
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._problem(HTTPStatus.INTERNAL_SERVER_ERROR, ErrorCode.MALFORMED_REQUEST)

    def _get(self) -> None:
        if not self._host_ok():
            self._problem(HTTPStatus.MISDIRECTED_REQUEST, ErrorCode.MALFORMED_REQUEST, close=True)
            return
        path = self.path.split("?", 1)[0]
        service = self.server.service
        if path in _STATIC:
            name, content_type = _STATIC[path]
            self._send(HTTPStatus.OK, _static(name), content_type)
        elif path == "/config":
            self._json(self._config())
        elif path == "/status":
            self._json(self._status())
        elif path == "/counts":
            self._json(_counts_json(service.counts()))
        elif path == "/challenge":
            challenge = service.challenge()
            if challenge is None:
                self._problem(HTTPStatus.NOT_FOUND, ErrorCode.RESOURCE_NOT_FOUND)
            else:
                self._json({"nonce": challenge.nonce, "qr_text": challenge.qr_text,
                            "svg": challenge.svg})  # fmt: skip
        elif path in {"/scan", "/frame", "/image", "/ping"}:
            self._problem(HTTPStatus.METHOD_NOT_ALLOWED, ErrorCode.METHOD_NOT_ALLOWED)
        else:
            self._problem(HTTPStatus.NOT_FOUND, ErrorCode.RESOURCE_NOT_FOUND)

    def _config(self) -> JSONObject:
        settings = self.server.service.settings
        profile = settings.profile
        messages: JSONObject = {
            code.value: {"ja": m.ja, "en": m.en} for code, m in MESSAGES.items()
        }
        return {
            "profile": {
                "id": profile.id,
                "name_ja": profile.name_ja,
                "name_en": profile.name_en,
                "benefit_ja": profile.benefit_ja,
                "benefit_en": profile.benefit_en,
            },
            "challenge": settings.challenge,
            "clear_after_ms": int(settings.clear_after.total_seconds() * 1000),
            "messages": messages,
        }

    def _status(self) -> JSONObject:
        service = self.server.service
        freshness = service.freshness()
        code = freshness.code
        message: JSONValue = None
        if code is not None:
            message = {"ja": MESSAGES[code].ja, "en": MESSAGES[code].en}
        return {
            "freshness": freshness.state.value,
            "code": None if code is None else code.value,
            "message": message,
            "usable_until": freshness.usable_until,
            "update_due": freshness.update_due,
            "unusable_bodies": list(freshness.unusable_bodies),
            "counts": _counts_json(service.counts()),
        }

    # ------------------------------------------------------------------ POST

    def _post(self) -> None:
        if not self._host_ok() or not self._origin_ok():
            self._problem(HTTPStatus.FORBIDDEN, ErrorCode.MALFORMED_REQUEST, close=True)
            return
        path = self.path.split("?", 1)[0]
        service = self.server.service
        if path in {"/scan", "/ping"}:
            if self._media_type() != "application/json":
                self._problem(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE, ErrorCode.MALFORMED_REQUEST, close=True
                )
                return
            body = self._body(MAX_JSON_BYTES)
            if body is None:
                return
            if path == "/ping":
                self._json({})
                return
            text = _scan_text(body)
            if text is None:
                self._problem(HTTPStatus.BAD_REQUEST, ErrorCode.MALFORMED_REQUEST)
                return
            self._json(verdict_json(service.scan_text(text)))
        elif path in {"/frame", "/image"}:
            if self._media_type() not in IMAGE_TYPES:
                self._problem(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE, ErrorCode.MALFORMED_REQUEST, close=True
                )
                return
            body = self._body(service.settings.max_image_bytes)
            if body is None:
                return
            source = Source.CAMERA if path == "/frame" else Source.UPLOAD
            self._json(verdict_json(service.scan_image(body, source=source)))
        else:
            self._problem(HTTPStatus.NOT_FOUND, ErrorCode.RESOURCE_NOT_FOUND, close=True)


def _scan_text(body: bytes) -> str | None:
    """``{"text": "…"}`` → the text; ``None`` for anything else."""
    try:
        document = parse_json_object(body)
    except FurusatoError:
        return None
    if set(document) != {"text"}:
        return None
    text = document["text"]
    return text if isinstance(text, str) else None
