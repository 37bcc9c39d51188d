"""The wallet's network edge (:mod:`furusato_vc.wallet.http`) against a small local
``http.server`` in a thread."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, ClassVar

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError, StorageError
from furusato_vc.wallet.http import UrllibTransport

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Handler(BaseHTTPRequestHandler):
    """``/json`` answers JSON, ``/echo`` reflects a POST, ``/problem`` is a 400 problem,
    ``/redirect`` a 302 to ``/json``, ``/big`` 3000 bytes, ``/big-unannounced`` 3000 bytes
    without ``Content-Length``, ``/truncated`` promises more than it sends."""

    protocol_version = "HTTP/1.1"
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        del format, args  # quiet

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Twice", "a")
        self.send_header("X-Twice", "b")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        type(self).requests.append(f"GET {self.path}")
        if self.path == "/json":
            self._send(200, b'{"ok":true}')
        elif self.path == "/problem":
            self._send(400, b'{"code":"tx_code_invalid"}', "application/problem+json")
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/json")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self._send(200, b"x" * 3000, "text/plain")
        elif self.path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * 3000)
            self.close_connection = True
        elif self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"short")
            self.close_connection = True
        else:
            self._send(404, b"{}")

    def do_POST(self) -> None:
        type(self).requests.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        echo = {
            "body": body.decode(),
            "content_type": self.headers.get("Content-Type"),
            "authorization": self.headers.get("Authorization"),
            "user_agent": self.headers.get("User-Agent"),
        }
        self._send(200, json.dumps(echo).encode())


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_get_returns_status_lower_cased_headers_and_body(server: str) -> None:
    response = UrllibTransport().request("GET", f"{server}/json", headers={}, body=None)
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.body == b'{"ok":true}'


def test_repeated_headers_are_joined(server: str) -> None:
    response = UrllibTransport().request("GET", f"{server}/json", headers={}, body=None)
    assert response.headers["x-twice"] == "a, b"


def test_post_sends_body_and_headers(server: str) -> None:
    response = UrllibTransport().request(
        "POST",
        f"{server}/echo",
        headers={"content-type": "application/json", "authorization": "Bearer t"},
        body=b'{"a":1}',
    )
    echo = json.loads(response.body)
    assert echo == {
        "body": '{"a":1}',
        "content_type": "application/json",
        "authorization": "Bearer t",
        "user_agent": "furusato-vc-wallet",
    }


def test_error_status_is_returned_as_an_answer(server: str) -> None:
    response = UrllibTransport().request("GET", f"{server}/problem", headers={}, body=None)
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.body == b'{"code":"tx_code_invalid"}'


def test_redirect_is_not_followed(server: str) -> None:
    response = UrllibTransport().request("GET", f"{server}/redirect", headers={}, body=None)
    assert response.status == 302
    assert _Handler.requests == ["GET /redirect"]


@pytest.mark.parametrize("path", ["/big", "/big-unannounced"])
def test_answer_over_the_limit_is_issuer_response_invalid(server: str, path: str) -> None:
    transport = UrllibTransport(max_response_bytes=2999)
    with pytest.raises(FormatError) as caught:
        transport.request("GET", f"{server}{path}", headers={}, body=None)
    assert caught.value.code is ErrorCode.ISSUER_RESPONSE_INVALID


def test_answer_at_the_limit_is_read(server: str) -> None:
    transport = UrllibTransport(max_response_bytes=3000)
    response = transport.request("GET", f"{server}/big-unannounced", headers={}, body=None)
    assert len(response.body) == 3000


def test_answer_cut_short_is_issuer_unavailable(server: str) -> None:
    with pytest.raises(StorageError) as caught:
        UrllibTransport().request("GET", f"{server}/truncated", headers={}, body=None)
    assert caught.value.code is ErrorCode.ISSUER_UNAVAILABLE


def test_closed_port_is_issuer_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # nothing listens on the port any more
    with pytest.raises(StorageError) as caught:
        UrllibTransport(timeout=5).request(
            "GET", f"http://127.0.0.1:{port}/", headers={}, body=None
        )
    assert caught.value.code is ErrorCode.ISSUER_UNAVAILABLE


def test_localhost_name_is_allowed_over_plain_http(server: str) -> None:
    url = server.replace("127.0.0.1", "localhost") + "/json"
    response = UrllibTransport().request("GET", url, headers={}, body=None)
    assert response.status == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example/bodies/042056",
        "http://10.0.0.1/x",
        "http://localhost.evil.example/x",
        "file:///etc/passwd",
        "ftp://issuer.example/x",
        "https://user:secret@issuer.example/x",
        "https:///no-host",
        "https://issuer.example:99999/x",
    ],
)
def test_refuses_urls_other_than_https_or_loopback_http(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|https"):
        UrllibTransport().request("GET", url, headers={}, body=None)


def test_refuses_a_malformed_method() -> None:
    with pytest.raises(ValueError, match="method"):
        UrllibTransport().request("GET /x", "https://issuer.example/", headers={}, body=None)


@pytest.mark.parametrize(
    "arguments", [{"timeout": 0}, {"max_response_bytes": 0}], ids=["timeout", "limit"]
)
def test_rejects_nonsense_settings(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="positive"):
        UrllibTransport(**arguments)  # type: ignore[arg-type]
