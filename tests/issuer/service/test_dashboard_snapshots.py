"""Dashboard snapshots (docs/dashboard.md, "Snapshots"), on both backends: a view is counted
at most once per ``dashboard_max_age``, the national and prefecture snapshots are refreshed
in the background under a lease, and a snapshot that is stale, of another day, of another
kind or unreadable is counted again, never shown."""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from furusato_vc.core.registration.claims import JST
from furusato_vc.issuer.service import create_app
from furusato_vc.issuer.service.dashboard_snapshots import (
    BACKGROUND_COUNT_MS,
    NATIONAL,
    refresh_snapshots_once,
)
from furusato_vc.issuer.service.settings import ServiceSettings
from tests.issuer.service.conftest import KESENNUMA, MIYAGI, Service
from tests.issuer.service.dashboard_fixtures import sql
from tests.issuer.service.flows import register

if TYPE_CHECKING:
    from collections.abc import Iterator

MAX_AGE = timedelta(minutes=10)
BODY_VIEW = f"/staff/bodies/{KESENNUMA}/dashboard"
PREFECTURE_VIEW = f"/staff/bodies/{MIYAGI}/dashboard"
NATIONAL_VIEW = "/staff/dashboard/national"


@contextlib.contextmanager
def _client(service: Service, **changes: Any) -> Iterator[TestClient]:
    settings = replace(service.settings, dashboard_suppression_threshold=1, **changes)
    with TestClient(create_app(settings, clock=service.clock)) as client:
        yield client


def _total(document: dict[str, Any]) -> int:
    total: int = document["tables"][0]["total"]["count"]
    return total


def _persons(document: dict[str, Any]) -> int:
    cells = {cell["key"]: cell["count"] for cell in document["tables"][0]["cells"]}
    persons: int = cells["persons"]
    return persons


def _get(client: TestClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(path + ".json", headers=headers)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _register(service: Service, count: int = 1) -> None:
    for _ in range(count):
        response = register(service, KESENNUMA)
        assert response.status_code == 201, response.text


def _refresh(client: TestClient) -> list[str]:
    portal: Any = client.portal
    refreshed: list[str] = portal.call(refresh_snapshots_once, client.app.state.furusato)  # type: ignore[attr-defined]
    return sorted(refreshed)


def _snapshot_keys(service: Service) -> set[str]:
    return {key for (key,) in sql(service, "SELECT view_key FROM dashboard_snapshots")}


def test_a_view_is_served_from_its_snapshot_until_it_is_max_age_old(service: Service) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    _register(service, 2)
    with _client(service, dashboard_max_age=MAX_AGE) as client:
        first = _get(client, BODY_VIEW, viewer)
        assert _total(first) == 2
        counted_at = datetime.fromisoformat(first["counted_at"]).replace(tzinfo=JST)
        assert abs(counted_at - service.clock.now()) < timedelta(minutes=1)
        _register(service)
        service.clock.advance(MAX_AGE - timedelta(seconds=1))
        cached = _get(client, BODY_VIEW, viewer)
        assert _total(cached) == 2  # still the snapshot ...
        assert cached["counted_at"] == first["counted_at"]
        page = client.get(BODY_VIEW, headers=viewer).text
        assert f"集計時刻 / Counted at {first['counted_at']}" in page  # ... and it says so
        rows = csv.reader(io.StringIO(client.get(BODY_VIEW + ".csv", headers=viewer).text))
        [total] = [row[6] for row in rows if row[0] == "tier" and row[3] == "total"]
        assert total == "2"  # the CSV shows the same snapshot
        service.clock.advance(timedelta(seconds=1))
        counted_again = _get(client, BODY_VIEW, viewer)
        assert _total(counted_again) == 3
        assert counted_again["counted_at"] != first["counted_at"]
    assert _snapshot_keys(service) == {KESENNUMA}


def test_max_age_zero_counts_on_every_page_load_and_keeps_no_snapshot(service: Service) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    _register(service)
    with _client(service, dashboard_max_age=timedelta(0)) as client:
        first = _get(client, BODY_VIEW, viewer)
        assert first["counted_at"] is None
        assert "集計時刻" not in client.get(BODY_VIEW, headers=viewer).text
        _register(service)
        assert _total(_get(client, BODY_VIEW, viewer)) == 2
        assert _refresh(client) == []
    assert _snapshot_keys(service) == set()


def test_national_and_prefecture_snapshots_are_refreshed_in_the_background_under_a_lease(
    service: Service,
) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    prefecture = service.staff(MIYAGI, "viewer")
    _register(service)
    with _client(service, dashboard_max_age=MAX_AGE) as client:
        assert _persons(_get(client, NATIONAL_VIEW, viewer)) == 1
        assert _total(_get(client, PREFECTURE_VIEW, prefecture)) == 1
        assert _total(_get(client, BODY_VIEW, viewer)) == 1
        assert _snapshot_keys(service) == {NATIONAL, MIYAGI, KESENNUMA}
        _register(service)
        assert _refresh(client) == []  # nothing is half its maximum age yet
        service.clock.advance(MAX_AGE / 2)
        # the heavy views only: a municipality's view is counted when it is opened
        assert _refresh(client) == sorted([NATIONAL, MIYAGI])
        national = _get(client, NATIONAL_VIEW, viewer)
        assert _persons(national) == 2  # the refreshed snapshot, served ...
        assert national["counted_at"] is not None
        assert _total(_get(client, PREFECTURE_VIEW, prefecture)) == 2
        assert _total(_get(client, BODY_VIEW, viewer)) == 1  # ... this one not refreshed
        # another process holds the national lease: this one leaves it alone
        lease_end = int(service.clock.now().timestamp()) + 600
        sql(
            service,
            "UPDATE dashboard_snapshots SET refreshing_until = :until WHERE view_key = :key",
            until=lease_end,
            key=NATIONAL,
        )
        _register(service)
        service.clock.advance(MAX_AGE / 2)
        assert _refresh(client) == [MIYAGI]
        assert _persons(_get(client, NATIONAL_VIEW, viewer)) == 2
        # the lease ran out (that process died mid-count): the next refresh takes it over
        service.clock.advance(MAX_AGE / 2 + timedelta(seconds=1))
        assert _refresh(client) == sorted([NATIONAL, MIYAGI])
        assert _persons(_get(client, NATIONAL_VIEW, viewer)) == 3
    [(until,)] = sql(
        service, "SELECT refreshing_until FROM dashboard_snapshots WHERE view_key = 'national'"
    )
    assert until is None  # a stored snapshot ends its lease


def test_a_municipality_view_that_was_slow_to_count_is_refreshed_in_the_background_too(
    service: Service,
) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    _register(service)
    with _client(service, dashboard_max_age=MAX_AGE) as client:
        _get(client, BODY_VIEW, viewer)
        [(count_ms,)] = sql(service, "SELECT count_ms FROM dashboard_snapshots")
        assert 0 <= count_ms < BACKGROUND_COUNT_MS  # a small view counts fast
        service.clock.advance(MAX_AGE / 2)
        assert _refresh(client) == []  # so it waits for the next page load
        sql(service, "UPDATE dashboard_snapshots SET count_ms = :ms", ms=BACKGROUND_COUNT_MS)
        _register(service)
        assert _refresh(client) == [KESENNUMA]  # a slow one (a large city) does not
        assert _total(_get(client, BODY_VIEW, viewer)) == 2


@pytest.mark.parametrize(
    "counts",
    [
        "not json",
        '{"v":1,"kind":"body"}',  # fields missing
        '{"v":2,"kind":"national","persons":1}',  # another version
        "SNAPSHOT_OF_THE_NATIONAL_VIEW",  # of another kind
    ],
)
def test_a_snapshot_that_does_not_decode_is_counted_again_not_shown(
    service: Service, counts: str
) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    _register(service)
    with _client(service, dashboard_max_age=MAX_AGE) as client:
        _get(client, NATIONAL_VIEW, viewer)
        _get(client, BODY_VIEW, viewer)
        if counts == "SNAPSHOT_OF_THE_NATIONAL_VIEW":
            [(counts,)] = sql(
                service, "SELECT counts FROM dashboard_snapshots WHERE view_key = 'national'"
            )
        sql(
            service,
            "UPDATE dashboard_snapshots SET counts = :counts WHERE view_key = :key",
            counts=counts,
            key=KESENNUMA,
        )
        _register(service)
        document = _get(client, BODY_VIEW, viewer)
        assert _total(document) == 2  # counted now (the stored one said 1, or nothing)
    [(stored,)] = sql(
        service, "SELECT counts FROM dashboard_snapshots WHERE view_key = :key", key=KESENNUMA
    )
    assert stored != counts  # and the snapshot was replaced


def test_a_snapshot_of_yesterday_is_counted_again_even_when_young(service: Service) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    _register(service)
    tomorrow = service.clock.now().astimezone(JST).date() + timedelta(days=1)
    with _client(service, dashboard_max_age=MAX_AGE) as client:
        service.clock.current = datetime.combine(tomorrow, time(23, 57), JST)
        before = _get(client, BODY_VIEW, viewer)
        service.clock.advance(timedelta(minutes=4))  # 00:01 the next day, 4 minutes later
        after = _get(client, BODY_VIEW, viewer)
        assert after["as_of"] != before["as_of"]
        assert after["counted_at"] != before["counted_at"]


def test_a_snapshot_written_later_is_not_overwritten_by_an_older_count(service: Service) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    _register(service)
    with _client(service, dashboard_max_age=MAX_AGE) as client:
        _get(client, BODY_VIEW, viewer)
        later = int(service.clock.now().timestamp()) + 3600  # as another process wrote it
        sql(
            service,
            "UPDATE dashboard_snapshots SET counted_at = :at WHERE view_key = :key",
            at=later,
            key=KESENNUMA,
        )
        _get(client, BODY_VIEW, viewer)  # "from the future": counted again, not stored over
    [(counted_at,)] = sql(
        service, "SELECT counted_at FROM dashboard_snapshots WHERE view_key = :key", key=KESENNUMA
    )
    assert counted_at == later


def test_the_maximum_age_comes_from_the_environment_and_may_not_be_negative(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FURUSATO_SECRET", "ab" * 32)
    monkeypatch.setenv("FURUSATO_KEY_ENCRYPTION_KEY", "cd" * 32)
    monkeypatch.delenv("FURUSATO_DASHBOARD_MAX_AGE", raising=False)
    default = ServiceSettings.from_environment(database_url=None, base_url=None)
    assert default.dashboard_max_age == timedelta(minutes=10)
    monkeypatch.setenv("FURUSATO_DASHBOARD_MAX_AGE", "0")
    off = ServiceSettings.from_environment(database_url=None, base_url=None)
    assert off.dashboard_max_age == timedelta(0)
    with pytest.raises(ValueError, match="dashboard_max_age"):
        replace(default, dashboard_max_age=timedelta(seconds=-1))
