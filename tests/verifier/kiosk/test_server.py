"""The kiosk's HTTP server: endpoints, the page's assets, request checks (Host, Origin, content
types, sizes), and that nothing is logged."""

from __future__ import annotations

import http.client
import io
import json
import re
from importlib import resources
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.messages import MESSAGES
from tests.registration_fixtures import basic_registration
from tests.verifier.kiosk.support import Kiosk, png_of, qr_for, serving

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from furusato_vc.verifier.kiosk import KioskServer

STATIC = resources.files("furusato_vc.verifier.kiosk") / "static"


@pytest.fixture
def kiosk(tmp_path: Path) -> Kiosk:
    return Kiosk.make(tmp_path, "shop")


@pytest.fixture
def server(kiosk: Kiosk) -> Iterator[KioskServer]:
    yield from serving(kiosk.service)


def _request(
    server: KioskServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _post_json(
    server: KioskServer, path: str, obj: object, **headers: str
) -> tuple[int, dict[str, object]]:
    status, _headers, body = _request(
        server,
        "POST",
        path,
        json.dumps(obj).encode(),
        {"Content-Type": "application/json", **headers},
    )
    return status, json.loads(body)


# --------------------------------------------------------------------------- page


def test_server_listens_on_loopback_only(server: KioskServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}/"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/", "text/html"), ("/kiosk.css", "text/css"), ("/kiosk.js", "text/javascript")],
)
def test_page_and_assets_are_served_with_a_strict_policy(
    server: KioskServer, path: str, content_type: str
) -> None:
    status, headers, body = _request(server, "GET", path)
    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert body


@pytest.mark.parametrize("name", ["index.html", "kiosk.css", "kiosk.js"])
def test_page_loads_nothing_from_elsewhere(name: str) -> None:
    text = (STATIC / name).read_text(encoding="utf-8")
    assert re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text) is None
    assert "@font-face" not in text


def test_page_has_no_inline_script() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/kiosk.js" defer>']
    assert " on" not in re.sub(r"\s+", " ", html).replace(" only", "")  # no onclick=…


def test_page_stores_nothing_in_the_browser() -> None:
    script = (STATIC / "kiosk.js").read_text(encoding="utf-8")
    for api in ("localStorage", "sessionStorage", "indexedDB", "document.cookie", "innerHTML"):
        assert api not in script


def test_config_serves_every_message_in_japanese_and_english(server: KioskServer) -> None:
    status, _headers, body = _request(server, "GET", "/config")
    config = json.loads(body)
    assert status == 200
    assert config["profile"]["id"] == "shop"
    assert config["profile"]["name_ja"] == "協力店"
    assert config["challenge"] is False
    assert config["clear_after_ms"] == 5000
    assert set(config["messages"]) == {code.value for code in ErrorCode}
    for code, message in MESSAGES.items():
        assert config["messages"][code.value] == {"ja": message.ja, "en": message.en}


# --------------------------------------------------------------------------- scanning


def test_scan_answers_a_verified_verdict(kiosk: Kiosk, server: KioskServer) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()), "shop")
    status, verdict = _post_json(server, "/scan", {"text": text})
    assert status == 200
    assert verdict == {
        "result": "verified",
        "body": {"code": "042056", "name_ja": "宮城県気仙沼市",
                 "name_en": "Kesennuma City, Miyagi Prefecture"},
        "tier": {"value": "basic", "ja": "ベーシック", "en": "Basic"},
        "valid_until": None,
        "claims": [
            {"path": "member_number", "label_ja": "会員番号", "label_en": "Member number",
             "value": "KSN-2027-000123"}
        ],
        "benefit": {"ja": "登録者特典", "en": "Registrant benefit"},
        "place_benefit": None,
    }  # fmt: skip


def test_scan_answers_a_rejection_with_both_messages(server: KioskServer) -> None:
    status, verdict = _post_json(server, "/scan", {"text": "FJ1+ABC"})
    assert status == 200
    message = MESSAGES[ErrorCode.QR_KEYBOARD_LAYOUT]
    assert verdict["result"] == "rejected"
    assert verdict["code"] == "qr_keyboard_layout"
    assert (verdict["message_ja"], verdict["message_en"]) == (message.ja, message.en)


def test_uploaded_image_is_verified(kiosk: Kiosk, server: KioskServer) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()), "shop")
    status, _h, body = _request(
        server, "POST", "/image", png_of(text), {"Content-Type": "image/png"}
    )
    assert status == 200
    assert json.loads(body)["result"] == "verified"


def test_camera_frame_without_a_code_answers_none(server: KioskServer) -> None:
    blank = io.BytesIO()
    Image.new("L", (320, 240), 255).save(blank, format="PNG")
    status, _h, body = _request(
        server, "POST", "/frame", blank.getvalue(), {"Content-Type": "image/png"}
    )
    assert status == 200
    assert json.loads(body) == {"result": "none", "reason": "no_code"}


def test_camera_frame_with_another_qr_code_is_a_rejection(server: KioskServer) -> None:
    status, _h, body = _request(
        server, "POST", "/frame", png_of("NOT A CARD"), {"Content-Type": "image/png"}
    )
    assert status == 200
    # camera frames only ignore "no code in view"; any other code gets a verdict
    assert json.loads(body)["result"] == "rejected"


def test_counts_and_status(kiosk: Kiosk, server: KioskServer) -> None:
    _post_json(server, "/scan", {"text": qr_for(kiosk.nation.issue(basic_registration()), "shop")})
    _post_json(server, "/scan", {"text": "nonsense"})
    _status, _h, body = _request(server, "GET", "/counts")
    counts = json.loads(body)
    assert counts["verified"] == 1
    assert counts["rejected"] == 1
    assert sum(counts["rejected_by_code"].values()) == 1
    _status, _h, body = _request(server, "GET", "/status")
    status = json.loads(body)
    assert status["freshness"] == "fresh"
    assert status["code"] is None
    assert status["counts"] == counts


def test_ping_is_an_empty_answer(server: KioskServer) -> None:
    assert _post_json(server, "/ping", {"text": ""}) == (200, {})


def test_challenge_is_absent_without_challenge_mode(server: KioskServer) -> None:
    status, _h, body = _request(server, "GET", "/challenge")
    assert status == 404
    assert json.loads(body)["code"] == "resource_not_found"


def test_challenge_mode_serves_the_nonce_qr(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, challenge=True)
    for server in serving(kiosk.service):
        status, _h, body = _request(server, "GET", "/challenge")
        challenge = json.loads(body)
        assert status == 200
        assert challenge["qr_text"] == "FN1:" + challenge["nonce"]
        assert "<svg" in challenge["svg"]
        _s, _h, body = _request(server, "GET", "/config")
        assert json.loads(body)["challenge"] is True


# --------------------------------------------------------------------------- request checks


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "malformed_request"),
        (b'{"text": 1}', "malformed_request"),
        (b'{"text": "a", "extra": 1}', "malformed_request"),
        (b'{"text": "a", "text": "b"}', "malformed_request"),
        (b"[]", "malformed_request"),
    ],
)
def test_malformed_scan_requests_are_refused(server: KioskServer, body: bytes, code: str) -> None:
    status, _h, answer = _request(
        server, "POST", "/scan", body, {"Content-Type": "application/json"}
    )
    assert status == 400
    assert json.loads(answer)["code"] == code


def test_form_posts_are_refused(server: KioskServer) -> None:
    status, _h, answer = _request(
        server,
        "POST",
        "/scan",
        b"text=FJ1%3A",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 415
    assert json.loads(answer)["code"] == "malformed_request"


def test_image_endpoint_wants_an_image_type(server: KioskServer) -> None:
    status, _h, _b = _request(server, "POST", "/image", b"x", {"Content-Type": "text/plain"})
    assert status == 415


def test_another_origin_may_not_post(server: KioskServer) -> None:
    status, answer = _post_json(server, "/scan", {"text": "x"}, Origin="http://evil.example")
    assert status == 403
    assert answer["code"] == "malformed_request"


def test_own_origin_may_post(server: KioskServer) -> None:
    status, answer = _post_json(
        server, "/scan", {"text": "x"}, Origin=f"http://127.0.0.1:{server.port}"
    )
    assert status == 200
    assert answer["result"] == "rejected"


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1:1", "attacker.example:8765"])
def test_requests_for_another_host_are_refused(server: KioskServer, host: str) -> None:
    status, _h, _b = _request(server, "GET", "/config", headers={"Host": host})
    assert status == 421
    status, _h, _b = _request(
        server, "POST", "/scan", b"{}", {"Host": host, "Content-Type": "application/json"}
    )
    assert status == 403


def test_localhost_name_is_accepted(server: KioskServer) -> None:
    status, _h, _b = _request(server, "GET", "/", headers={"Host": f"localhost:{server.port}"})
    assert status == 200


def test_too_large_body_is_refused_unread(server: KioskServer) -> None:
    status, headers, answer = _request(
        server,
        "POST",
        "/scan",
        b"{}",
        {"Content-Type": "application/json", "Content-Length": "99999999"},
    )
    assert status == 413
    assert headers["Connection"] == "close"
    assert json.loads(answer)["code"] == "input_too_large"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "resource_not_found"),
        ("POST", "/nowhere", 404, "resource_not_found"),
        ("GET", "/scan", 405, "method_not_allowed"),
        ("GET", "/image", 405, "method_not_allowed"),
    ],
)
def test_unknown_paths_and_methods(
    server: KioskServer, method: str, path: str, status: int, code: str
) -> None:
    headers = {"Content-Type": "application/json"} if method == "POST" else {}
    got, _h, answer = _request(server, method, path, b"{}" if method == "POST" else None, headers)
    assert got == status
    assert json.loads(answer)["code"] == code


def test_nothing_is_logged(
    kiosk: Kiosk, server: KioskServer, capfd: pytest.CaptureFixture[str]
) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()), "shop")
    _post_json(server, "/scan", {"text": text})
    _post_json(server, "/scan", {"text": text})
    _request(server, "GET", "/nowhere")
    _request(
        server,
        "POST",
        "/scan",
        b"{}",
        {"Content-Type": "application/json", "Content-Length": "99999999"},
    )
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_bug_answers_500_without_a_traceback(
    kiosk: Kiosk,
    server: KioskServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    def broken() -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(kiosk.service, "counts", broken)
    status, _h, answer = _request(server, "GET", "/counts")
    assert status == 500
    assert json.loads(answer)["code"] == "malformed_request"
    assert capfd.readouterr() == ("", "")
