"""``furusato-vc issuer init | migrate | host | staff-add | publish`` in process, on SQLite:
the cron path an operator runs (status lists re-signed, lapsed premium years ended)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from furusato_vc.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(list(argv)) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_init_migrate_host_then_publish_reports_both_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets_file = tmp_path / "secrets.env"
    _run(capsys, "issuer", "init", "--secrets-file", str(secrets_file))
    monkeypatch.setenv("FURUSATO_SECRETS_FILE", str(secrets_file))
    db = f"sqlite:///{tmp_path / 'issuer.db'}"
    _run(capsys, "issuer", "migrate", "--db", db)
    _run(capsys, "issuer", "host", "--db", db, "--body", "042056")
    published = _run(capsys, "issuer", "publish", "--db", db)
    assert published["result"] == "ok"
    assert published["premium_suspended"] == {"042056": 0}
    assert set(published["republished"]) == {"042056"}
