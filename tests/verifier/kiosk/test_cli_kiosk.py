"""``furusato-vc kiosk``: configuration errors exit 2 with one JSON object; the real command
serves on 127.0.0.1 and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from typing import TYPE_CHECKING

import pytest

from furusato_vc.cli import main
from furusato_vc.cli.common import EXIT_OK, EXIT_USAGE
from tests.bundle_fixtures import Nation
from tests.verifier.kiosk.support import synced_bundle

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return synced_bundle(Nation.of(), tmp_path).root


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_unknown_policy_is_a_usage_error(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["kiosk", "--bundle", str(bundle), "--policy", "casino"], capsys)
    assert code == EXIT_USAGE
    assert out["code"] == "usage"
    assert "garbage-station" in str(out["message_en"])


def test_missing_bundle_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(["kiosk", "--bundle", str(tmp_path / "none"), "--policy", "shop"], capsys)
    assert code == EXIT_USAGE
    assert "bundle_missing" in str(out["message_en"])


def test_bundle_defaults_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FURUSATO_BUNDLE", str(tmp_path / "elsewhere"))
    code, out = _run(["kiosk", "--policy", "shop"], capsys)
    assert code == EXIT_USAGE
    assert "elsewhere" in str(out["message_en"])


def test_bad_accept_code_is_a_usage_error(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["kiosk", "--bundle", str(bundle), "--policy", "shop", "--accept", "042057"]
    code, out = _run(argv, capsys)
    assert code == EXIT_USAGE
    assert "invalid_body_code" in str(out["message_en"])


@pytest.mark.parametrize("value", ["0s", "soon"])
def test_bad_clear_time_is_a_usage_error(
    bundle: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["kiosk", "--bundle", str(bundle), "--policy", "shop", "--clear-after", value]
    code, _out = _run(argv, capsys)
    assert code == EXIT_USAGE


def test_port_in_use_is_a_usage_error(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["kiosk", "--bundle", str(bundle), "--policy", "shop", "--port", str(port)]
        code, out = _run(argv, capsys)
    assert code == EXIT_USAGE
    assert "cannot listen" in str(out["message_en"])


def _first_object(stream: object) -> dict[str, object]:
    lines = []
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)
        if line.rstrip() == "}":
            break
    started: dict[str, object] = json.loads("".join(lines))
    return started


def test_kiosk_command_serves_and_stops_on_sigterm(bundle: Path) -> None:
    argv = [sys.executable, "-m", "furusato_vc.cli", "kiosk", "--bundle", str(bundle)]
    argv += ["--policy", "garbage-station", "--port", "0", "--challenge"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            started = _first_object(process.stdout)
            assert started["result"] == "serving"
            assert started["challenge"] is True
            assert started["accept"] == "any"
            url = str(started["url"])
            assert url.startswith("http://127.0.0.1:")
            with urllib.request.urlopen(url + "counts", timeout=10) as response:
                assert json.load(response) == {
                    "verified": 0,
                    "rejected": 0,
                    "rejected_by_code": {},
                }
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == EXIT_OK
            assert process.stderr is not None
            assert process.stderr.read() == ""
        finally:
            if process.poll() is None:
                process.kill()


def test_a_policy_document_file_sets_profile_scope_and_challenge(
    bundle: Path, tmp_path: Path
) -> None:
    """``--policy FILE``: a municipality's own policy document (schemas/verifier-policy/)."""
    document = {
        "id": "kesennuma-pool",
        "name": {"ja": "市民プール", "en": "City pool"},
        "accept": {"prefecture": "040002"},
        "required_tier": "premium",
        "required_disclosures": [],
        "challenge": True,
    }
    policy = tmp_path / "pool.json"
    policy.write_text(json.dumps(document), encoding="utf-8")
    argv = [sys.executable, "-m", "furusato_vc.cli", "kiosk", "--bundle", str(bundle)]
    argv += ["--policy", str(policy), "--port", "0"]
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            started = _first_object(process.stdout)
            assert started["result"] == "serving"
            assert started["profile"] == "kesennuma-pool"
            assert started["challenge"] is True
            accepted = started["accept"]
            assert isinstance(accepted, list)
            assert "040002" in accepted  # the prefecture
            assert "042056" in accepted  # and its municipalities (気仙沼市)
            assert "203858" not in accepted
            with urllib.request.urlopen(str(started["url"]) + "config", timeout=10) as response:
                assert json.load(response)["profile"]["id"] == "kesennuma-pool"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == EXIT_OK
        finally:
            if process.poll() is None:
                process.kill()


def test_a_broken_policy_file_is_a_usage_error(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "broken.json"
    policy.write_text("{not json", encoding="utf-8")
    code, out = _run(["kiosk", "--bundle", str(bundle), "--policy", str(policy)], capsys)
    assert code == EXIT_USAGE
    assert "broken.json" in str(out["message_en"])
