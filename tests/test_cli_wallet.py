"""``furusato-vc wallet …`` without a network: the encrypted file, its errors, and the
refusals that need no issuer (the demo drives accept-offer and present against a running
service, see tests/test_examples.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.cli import main
from furusato_vc.cli.common import EXIT_OK, EXIT_REJECTED, EXIT_USAGE

if TYPE_CHECKING:
    from pathlib import Path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture
def wallet_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "wallet.json"
    monkeypatch.setenv("FURUSATO_WALLET", str(path))
    monkeypatch.setenv("FURUSATO_WALLET_PASSPHRASE", "a long test passphrase")
    return path


def test_init_creates_an_encrypted_wallet_and_list_shows_it_empty(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    code, out = _run(capsys, "wallet", "init")
    assert (code, out["result"]) == (EXIT_OK, "ok")
    assert wallet_file.stat().st_mode & 0o777 == 0o600
    assert json.loads(wallet_file.read_bytes())["format"] == "furusato-wallet-store/1"
    code, out = _run(capsys, "wallet", "list")
    assert (code, out["cards"], out["reminders"]) == (EXIT_OK, [], [])


def test_init_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], wallet_file: Path) -> None:
    _run(capsys, "wallet", "init")
    code, out = _run(capsys, "wallet", "init")
    assert (code, out["code"]) == (EXIT_USAGE, "usage")


def test_wrong_passphrase_is_a_clean_rejection(
    capsys: pytest.CaptureFixture[str], wallet_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(capsys, "wallet", "init")
    monkeypatch.setenv("FURUSATO_WALLET_PASSPHRASE", "not the passphrase")
    code, out = _run(capsys, "wallet", "list")
    assert (code, out["result"], out["code"]) == (
        EXIT_REJECTED,
        "rejected",
        "wallet_passphrase_invalid",
    )
    assert out["message_ja"]
    assert out["message_en"]


def test_a_damaged_wallet_file_is_a_clean_rejection(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    _run(capsys, "wallet", "init")
    wallet_file.write_text("{not json", encoding="ascii")
    code, out = _run(capsys, "wallet", "list")
    assert (code, out["code"]) == (EXIT_REJECTED, "wallet_store_corrupt")


def test_unknown_card(capsys: pytest.CaptureFixture[str], wallet_file: Path) -> None:
    _run(capsys, "wallet", "init")
    for command in (
        ("show", "nope"),
        ("delete", "nope"),
        ("present", "nope", "--profile", "shop"),
    ):
        code, out = _run(capsys, "wallet", *command)
        assert (code, out["code"]) == (EXIT_REJECTED, "wallet_card_not_found")


def test_no_wallet_yet_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    code, out = _run(capsys, "wallet", "list")
    assert (code, out["code"]) == (EXIT_USAGE, "usage")


def test_accept_offer_needs_a_trust_source(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    _run(capsys, "wallet", "init")
    code, out = _run(capsys, "wallet", "accept-offer", "openid-credential-offer://?x=1")
    assert (code, out["code"]) == (EXIT_USAGE, "usage")
    assert "trust" in out["message_en"]


def test_unreachable_issuer_is_a_clean_rejection(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    _run(capsys, "wallet", "init")
    code, out = _run(
        capsys,
        "wallet",
        "accept-offer",
        "openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A9%2Foffer",
        "--unsafe-trust-issuer",
        "http://127.0.0.1:9/bodies/042056",
        "--allow-localhost",
        "--timeout",
        "2",
    )
    assert (code, out["code"]) == (EXIT_REJECTED, "issuer_unavailable")


def test_unknown_profile_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    _run(capsys, "wallet", "init")
    code, out = _run(capsys, "wallet", "present", "x", "--profile", "casino")
    assert (code, out["code"]) == (EXIT_USAGE, "usage")


def test_a_bad_challenge_qr_is_a_clean_rejection(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    _run(capsys, "wallet", "init")
    code, out = _run(
        capsys, "wallet", "present", "x", "--profile", "shop", "--challenge-qr", "FJ1:x"
    )
    assert (code, out["code"]) == (EXIT_REJECTED, "qr_prefix_unknown")


def test_notices_keeps_the_chosen_interests(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    _run(capsys, "wallet", "init")
    code, out = _run(capsys, "wallet", "notices", "--interests", "漁業,食")
    assert (code, out["interests"], out["notices"], out["failures"]) == (
        EXIT_OK,
        ["漁業", "食"],
        [],
        [],
    )
    code, out = _run(capsys, "wallet", "notices")
    assert out["interests"] == ["漁業", "食"]
    code, out = _run(capsys, "wallet", "notices", "--all-interests")
    assert out["interests"] is None
