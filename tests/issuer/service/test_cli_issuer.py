"""``furusato-vc issuer init | migrate | host | staff-add | publish`` in process, on SQLite:
the cron path an operator runs (status lists re-signed, lapsed premium years ended)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from furusato_vc.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
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
    assert set(published["republished"]) == {"042056"}  # type: ignore[arg-type]
