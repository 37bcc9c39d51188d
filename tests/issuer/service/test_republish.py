"""Status lists are re-signed before they go stale: by each server process in the background
(``republish_interval``) or by ``furusato-vc issuer publish`` from cron."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.issuer.service import create_app
from furusato_vc.issuer.service.admin import host_body
from furusato_vc.issuer.service.app import republish_once
from furusato_vc.issuer.service.migrate import upgrade
from furusato_vc.runtime import SystemRandom
from tests.helpers import FIXED_NOW
from tests.issuer.service.conftest import KESENNUMA, SteppingClock, make_settings

if TYPE_CHECKING:
    from pathlib import Path

    from tests.issuer.service.conftest import Service


def _sequence(client: TestClient, list_id: int = 1) -> int:
    response = client.get(f"/bodies/{KESENNUMA}/status/{list_id}")
    assert response.status_code == 200, response.text
    return int(response.headers["x-status-list-sequence"])


def _republish(service: Service) -> dict[str, int]:
    """``republish_once`` on the app's own event loop and state."""
    app: Any = service.client.app
    portal: Any = service.client.portal
    done: dict[str, int] = portal.call(republish_once, app.state.furusato)
    return done


def test_nothing_is_due_while_the_tokens_are_fresh(service: Service) -> None:
    before = _sequence(service.client)
    done = _republish(service)
    assert set(done.values()) == {0}
    assert _sequence(service.client) == before


def test_lists_older_than_half_their_ttl_are_resigned(service: Service) -> None:
    before = _sequence(service.client)
    ttl = service.settings.status_lists.ttl
    service.clock.advance(ttl / 2 + timedelta(seconds=1))
    done = _republish(service)
    assert done[KESENNUMA] == 1 + service.settings.spare_status_lists
    assert _sequence(service.client) == before + 1
    # and not again until they are due again
    done = _republish(service)
    assert set(done.values()) == {0}


def test_the_background_task_republishes_without_any_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'issuer.db'}"
    upgrade(url)
    settings = dataclasses.replace(
        make_settings(url), republish_interval=timedelta(milliseconds=50)
    )
    asyncio.run(
        host_body(
            settings,
            code=KESENNUMA,
            kid=None,
            now=to_numeric_date(FIXED_NOW),
            random=SystemRandom(),
        )
    )
    clock = SteppingClock(FIXED_NOW)
    with TestClient(create_app(settings, clock=clock)) as client:
        before = _sequence(client)
        clock.advance(settings.status_lists.ttl)
        deadline = time.monotonic() + 10
        while _sequence(client) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _sequence(client) == before + 1


def test_a_negative_interval_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="republish_interval"):
        dataclasses.replace(
            make_settings(f"sqlite:///{tmp_path / 'x.db'}"),
            republish_interval=timedelta(seconds=-1),
        )
