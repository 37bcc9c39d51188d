"""The demo's second half: the real issuer service, started in the background on a local
SQLite file, and an app going through it over HTTP (OpenID4VCI 1.0 pre-authorized flow), then
a staff member revoking the card and the republished status list showing it.

``examples/demo.py`` runs this after the in-process half. Artifacts in ``demo-out/``:
``openid-credential-issuer.json`` (the issuer metadata fetched from the running service) and
``service/`` (its database, secrets file, log and the credentials it issued).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.oid4vci.proof import create_proof_jwt
from furusato_vc.core.statuslist import StatusType
from furusato_vc.core.statuslist.token import verify_status_list_jwt
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.runtime import SystemClock
from furusato_vc.wallet import accept_credential

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["RunningService", "register_person", "run_service_demo", "running_service"]

KESENNUMA = "042056"  # 宮城県気仙沼市
MIYAGI = "040002"  # 宮城県
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class Http:
    """Just enough HTTP for the demo (the standard library; an app would use its own)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: object | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        data = None
        sent = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif method == "POST":
            data = b""
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        status, _headers, body = self.call(method, path, **kwargs)
        if status != expect:
            raise SystemExit(f"{method} {path}: HTTP {status}: {body[:300]!r}")
        return json.loads(body)


def _cli(*args: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "furusato_vc.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"furusato-vc {' '.join(args)} failed: {done.stdout}{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(http: Http, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the issuer service stopped; see {log}")
        try:
            if http.call("GET", f"/bodies/{KESENNUMA}/jwks.json")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the issuer service did not start; see {log}")


@dataclass(frozen=True)
class RunningService:
    base: str  # http://127.0.0.1:<port>
    folder: Path
    env: dict[str, str]
    staff_token: str  # an admin of 気仙沼市
    http: Http


@contextlib.contextmanager
def running_service(folder: Path) -> Iterator[RunningService]:
    """A fresh issuer service on SQLite in ``folder`` hosting 気仙沼市 and 宮城県, started
    with the CLI in the background (``furusato-vc issuer serve``) and stopped afterwards."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FURUSATO_SECRETS_FILE": str(folder / "secrets.env"),
        "FURUSATO_DATABASE_URL": f"sqlite:///{folder / 'issuer.db'}",
        "FURUSATO_BASE_URL": base,
    }
    _cli("issuer", "init", "--secrets-file", str(folder / "secrets.env"), env=env)
    _cli("issuer", "migrate", env=env)
    for code in (KESENNUMA, MIYAGI):
        _cli("issuer", "host", "--body", code, env=env)
    admin = _cli(
        "issuer", "staff-add", "--body", KESENNUMA, "--username", "demo", "--role", "admin", env=env
    )
    log = folder / "service.log"
    command = [sys.executable, "-m", "furusato_vc.cli", "issuer", "serve", "--port", str(port)]
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [*command, "--no-migrate", "--log-level", "info"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        http = Http(base)
        _wait_ready(http, server, log)
        yield RunningService(
            base=base, folder=folder, env=env, staff_token=admin["token"], http=http
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def register_person(http: Http) -> dict[str, Any]:
    """What the app does first: register with 気仙沼市; the answer carries the offer."""
    registered: dict[str, Any] = http.json(
        "POST",
        "/registrations",
        201,
        json_body={
            "account": secrets.token_urlsafe(24),
            "body_code": KESENNUMA,
            "relationship_types": ["visits", "purchase_or_donation"],
            "interests": ["漁業", "祭り"],
        },
        headers={"Idempotency-Key": secrets.token_hex(16)},
    )
    return registered


def run_service_demo(out: Path) -> int:
    print("-" * 64)
    print("[発行サービス / the issuer service, over HTTP]")
    with running_service(out / "service") as service:
        failures = _walk_through(
            service.http, service.base, out, service.folder, service.staff_token
        )
        failures += _wallet_cli(service, out)
        return failures


def _wallet_cli(service: RunningService, out: Path) -> int:
    """The wallet command line against the running service: init, accept-offer, list,
    present (the QR as PNG)."""
    wallet_file = out / "wallet" / "wallet.json"
    shutil.rmtree(wallet_file.parent, ignore_errors=True)
    env = {**service.env, "FURUSATO_WALLET": str(wallet_file)}
    env["FURUSATO_WALLET_PASSPHRASE"] = "demo passphrase (not for real cards)"
    _cli("wallet", "init", env=env)
    registered = register_person(service.http)
    accepted = _cli(
        "wallet",
        "accept-offer",
        registered["credential_offer_uri"],
        "--tx-code",
        registered["tx_code"],
        "--unsafe-trust-issuer",
        f"{service.base}/bodies/{KESENNUMA}",
        "--allow-localhost",
        env=env,
    )
    card = accepted["card"]
    listed = _cli("wallet", "list", env=env)
    shown = _cli(
        "wallet",
        "present",
        card["card_id"],
        "--profile",
        "garbage-station",
        "--png",
        str(out / "wallet" / "garbage-station.png"),
        env=env,
    )
    print(
        f"ウォレット wallet CLI: {card['body_name_ja']} {card['tier_ja']} card with "
        f"{card['unused_qr_copies']} QR and {card['unused_sd_jwt_copies']} SD-JWT VC copies; "
        f"{len(listed['cards'])} card(s) listed; QR v{shown['qr_version']} for the garbage "
        f"station written to {out / 'wallet' / 'garbage-station.png'}"
    )
    return 0 if shown["qr_text"].startswith("FJ1:") else 1


def _walk_through(http: Http, base: str, out: Path, folder: Path, staff_token: str) -> int:
    clock = SystemClock()
    issuer = f"{base}/bodies/{KESENNUMA}"
    metadata = http.json("GET", f"/.well-known/openid-credential-issuer/bodies/{KESENNUMA}", 200)
    (out / "openid-credential-issuer.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(
        f"サービス起動 service running at {base} (SQLite {folder / 'issuer.db'}); "
        f"metadata of {metadata['credential_issuer']} saved to "
        f"{out / 'openid-credential-issuer.json'}"
    )

    # the app registers the person and receives a credential offer with a tx_code
    registered = register_person(http)
    print(
        f"登録 registered: {registered['registration_id']} with 気仙沼市 (and 宮城県 as "
        f"{registered['prefecture_registration_id']}); "
        f"offer {registered['credential_offer_uri'][:60]}…"
    )
    grant = registered["credential_offer"]["grants"][PRE_AUTH]
    token = http.json(
        "POST",
        f"/bodies/{KESENNUMA}/token",
        200,
        form={
            "grant_type": PRE_AUTH,
            "pre-authorized_code": grant["pre-authorized_code"],
            "tx_code": registered["tx_code"],
        },
    )
    authorization = {"Authorization": f"Bearer {token['access_token']}"}

    # two batch copies of the SD-JWT VC and one QR credential, each with its own holder key
    holders = [SoftwareSigner(generate_es256_private_key()) for _ in range(3)]
    issued: dict[str, list[str]] = {}
    for configuration, holder_keys in (
        ("registration_basic_sd_jwt", holders[:2]),
        ("registration_basic_compact", holders[2:]),
    ):
        c_nonce = http.json("POST", f"/bodies/{KESENNUMA}/nonce", 200)["c_nonce"]
        now_s = to_numeric_date(clock.now())
        proofs = [
            create_proof_jwt(key, audience=issuer, nonce=c_nonce, issued_at=now_s)
            for key in holder_keys
        ]
        response = http.json(
            "POST",
            f"/bodies/{KESENNUMA}/credential",
            200,
            json_body={"credential_configuration_id": configuration, "proofs": {"jwt": proofs}},
            headers={**authorization, "Idempotency-Key": secrets.token_hex(16)},
        )
        issued[configuration] = [item["credential"] for item in response["credentials"]]
    (folder / "credentials.json").write_text(json.dumps(issued, indent=2) + "\n", "utf-8")

    # the wallet checks what it received against the keys the service publishes
    published = http.json("GET", f"/.well-known/jwt-vc-issuer/bodies/{KESENNUMA}", 200)
    keys = tuple(parse_public_jwk(key) for key in published["jwks"]["keys"])
    trust = StaticTrust.of([TrustedIssuer(body_code=KESENNUMA, issuer_id=issuer, keys=keys)])
    indices = []
    for credential, holder in zip(issued["registration_basic_sd_jwt"], holders, strict=False):
        held = accept_credential(
            credential, holder_key=holder.public_jwk, trust=trust, now=clock.now()
        )
        reference = held.verified.status
        assert reference is not None
        indices.append(reference.idx)
    print(
        f"発行 issued over OpenID4VCI: {len(issued['registration_basic_sd_jwt'])} SD-JWT VC "
        f"copies (status indices {indices}) and {len(issued['registration_basic_compact'])} QR "
        "credential; the wallet verified them against the service's published keys"
    )

    # a staff member of 気仙沼市 revokes the registration; the list is republished at once
    changed = http.json(
        "POST",
        f"/staff/bodies/{KESENNUMA}/registrations/{registered['registration_id']}/revoke",
        200,
        headers={
            "Authorization": f"Bearer {staff_token}",
            "Idempotency-Key": secrets.token_hex(16),
        },
    )
    failures = 0
    for list_id, sequence in changed["status_list_sequences"].items():
        status, headers, body = http.call("GET", f"/bodies/{KESENNUMA}/status/{list_id}")
        verified = verify_status_list_jwt(
            body.decode(),
            keys=keys,
            expected_uri=f"{issuer}/status/{list_id}",
            now=to_numeric_date(clock.now()),
        )
        values = [verified.status_list.get(idx) for idx in indices]
        ok = status == 200 and all(value == StatusType.INVALID for value in values)
        failures += 0 if ok else 1
        print(
            f"失効 revoked by staff: status list {list_id} republished, sequence {sequence} "
            f"(ETag {headers.get('etag')}); indices {indices} now "
            f"{'INVALID' if ok else values} {'✓' if ok else '✗'}"
        )
    return failures
