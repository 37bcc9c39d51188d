"""Member import (issue 9 item 4) against the real service, on SQLite and PostgreSQL: the
staff endpoint, the CLI, exactly-once across re-runs and crashes, and an imported member's
offer redeemed through the real token and credential endpoints."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select
from sqlalchemy.ext.asyncio import create_async_engine

from furusato_vc.cli import main
from furusato_vc.core.errors import ErrorCode, StorageError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.issuer.member_import import parse_member_csv
from furusato_vc.issuer.service import member_import as service_import
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.admin import import_member_file
from furusato_vc.issuer.service.migrate import upgrade
from furusato_vc.issuer.service.settings import MemberImportSettings
from furusato_vc.runtime import SystemRandom
from furusato_vc.wallet import accept_credential
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA, MIYAGI, Service
from tests.issuer.service.flows import (
    assert_problem,
    new_holder,
    nonce,
    proofs,
    request_credentials,
    token,
    trust_from_service,
)

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Table

HEADER = (
    "member_number,family_name,given_name,family_name_kana,given_name_kana,birthdate,"
    "home_prefecture,relationship_types,interests,contact"
)
_FAMILY = (("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"))
_GIVEN = (("花子", "ハナコ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"))


def member_line(n: int, *, prefix: str = "KF") -> str:
    family, family_kana = _FAMILY[n % len(_FAMILY)]
    given, given_kana = _GIVEN[n % len(_GIVEN)]
    return (
        f"{prefix}{n:06d},{family},{given},{family_kana},{given_kana},"
        f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d},{1 + n % 47:02d},"
        f"visits;purchase_or_donation,海;祭り,member{n}@example.jp"
    )


def members_csv(count: int, *, prefix: str = "KF", extra: tuple[str, ...] = ()) -> str:
    lines = [HEADER, *(member_line(n, prefix=prefix) for n in range(count)), *extra]
    return "\r\n".join(lines) + "\r\n"


def post_import(
    service: Service,
    code: str,
    data: bytes,
    headers: dict[str, str],
    *,
    key: str | None = None,
    query: str = "",
) -> Any:
    return service.client.post(
        f"/staff/bodies/{code}/member-imports{query}",
        content=data,
        headers={
            "Content-Type": "text/csv",
            "Idempotency-Key": key or secrets.token_hex(8),
            **headers,
        },
    )


def count(service: Service, table: Table, **where: str) -> int:
    async def run() -> int:
        engine = create_async_engine(service.settings.async_database_url)
        try:
            async with engine.connect() as conn:
                statement = select(func.count()).select_from(table)
                for column, value in where.items():
                    statement = statement.where(table.c[column] == value)
                return int(await conn.scalar(statement) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cli_env(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("FURUSATO_SECRET", service.settings.secrets[0].hex())
    monkeypatch.setenv("FURUSATO_KEY_ENCRYPTION_KEY", service.settings.key_encryption_key.hex())
    monkeypatch.delenv("FURUSATO_SECRETS_FILE", raising=False)
    return ["--db", service.settings.database_url, "--base-url", service.settings.base_url]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# ---------------------------------------------------------------------------- scale


@pytest.mark.scale
def test_twenty_thousand_rows_import_and_a_rerun_creates_no_duplicates(
    service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 9's acceptance test (about the size of 気仙沼ファンクラブ, 21,807 members),
    through the CLI; benchmarks/bench_import.py measures its time."""
    rows = 20_000
    source = tmp_path / "members.csv"
    source.write_bytes(members_csv(rows).encode("utf-8-sig"))
    common = cli_env(service, monkeypatch)
    first_outbox = tmp_path / "outbox-1.csv"
    code, result = run_cli(
        capsys,
        *("issuer", "import-members", *common, "--body", KESENNUMA, str(source)),
        *("--outbox", str(first_outbox), "--quiet"),
    )
    assert code == 0, result
    assert result["summary"]["imported"] == rows
    outbox = read_csv(first_outbox)
    assert len(outbox) == rows
    assert len({entry["credential_offer_uri"] for entry in outbox}) == rows

    code, again = run_cli(
        capsys,
        *("issuer", "import-members", *common, "--body", KESENNUMA, str(source)),
        *("--outbox", str(tmp_path / "outbox-2.csv"), "--quiet"),
    )
    assert code == 0, again
    assert again["summary"]["imported"] == 0
    assert again["summary"]["already_imported"] == rows
    assert read_csv(tmp_path / "outbox-2.csv") == []
    # counted in SQL: each member once, with one person, two registrations (the body's and
    # its prefecture's) and one offer
    assert count(service, t.imported_members, body_code=KESENNUMA) == rows
    assert count(service, t.registrations, body_code=KESENNUMA) == rows
    assert count(service, t.registrations, body_code=MIYAGI) == rows
    assert count(service, t.offers, body_code=KESENNUMA) == rows
    assert count(service, t.persons) == rows


# ---------------------------------------------------------------------------- staff API


def test_an_imported_members_offer_redeems_to_a_credential_with_its_member_number(
    service: Service,
) -> None:
    admin = service.staff(KESENNUMA, "admin")
    response = post_import(service, KESENNUMA, members_csv(3).encode(), admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["complete"] is True
    assert body["summary"]["imported"] == 3
    entry = body["outbox"][1]
    assert entry["member_number"] == "KF000001"
    assert entry["contact"] == "member1@example.jp"
    lifetime = int(service.settings.member_import.offer_lifetime.total_seconds())
    assert entry["expires_at"] == to_numeric_date(service.clock.now()) + lifetime
    uri = urlsplit(entry["credential_offer_uri"])
    assert uri.scheme == "openid-credential-offer"
    offer = json.loads(parse_qs(uri.query)["credential_offer"][0])
    assert offer["credential_issuer"] == service.issuer(KESENNUMA)

    service.clock.advance(timedelta(days=29))  # a member who reads the mail weeks later
    granted = token(service, KESENNUMA, offer, entry["tx_code"])
    assert granted.status_code == 200, granted.text
    holder = new_holder()
    issued = request_credentials(
        service,
        KESENNUMA,
        granted.json()["access_token"],
        "registration_basic_sd_jwt",
        proofs(service, KESENNUMA, [holder], nonce(service, KESENNUMA)),
    )
    assert issued.status_code == 200, issued.text
    held = accept_credential(
        issued.json()["credentials"][0]["credential"],
        holder_key=holder.public_jwk,
        trust=trust_from_service(service, KESENNUMA),
        now=service.clock.now(),
    )
    assert held.registration.member_number == "KF000001"
    assert held.registration.family_name == "鈴木"
    assert held.registration.registration_id == entry["registration_id"]
    assert held.registration.home_prefecture == "02"


def test_an_imported_offer_expires_after_its_lifetime(service: Service) -> None:
    admin = service.staff(KESENNUMA, "admin")
    entry = post_import(service, KESENNUMA, members_csv(1).encode(), admin).json()["outbox"][0]
    offer = _offer_of(entry)
    service.clock.advance(service.settings.member_import.offer_lifetime + timedelta(seconds=1))
    assert_problem(
        token(service, KESENNUMA, offer, entry["tx_code"]),
        ErrorCode.PRE_AUTHORIZED_CODE_INVALID,
        400,
    )


def test_rows_with_errors_are_reported_and_the_others_imported(service: Service) -> None:
    admin = service.staff(KESENNUMA, "admin")
    bad = (
        "BAD1,佐藤,花子,さとう,ハナコ,1980-01-01,04,visits,,a@example.jp",  # hiragana kana
        "BAD2,,,,,2199-01-01,04,,,b@example.jp",  # future birthdate
        "KF000000,,,,,,,,,dup@example.jp",  # twice in the file
        "BAD3,,,,,,,,,1234-5678-9012",  # contact that is a 個人番号
    )
    response = post_import(service, KESENNUMA, members_csv(2, extra=bad).encode(), admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["complete"] is False
    assert body["summary"] == {
        "rows": 6,
        "imported": 2,
        "already_imported": 0,
        "changed": 0,
        "duplicate": 1,
        "rejected": 3,
        "reissued": 0,
    }
    report = {(item["row"], item["column"], item["code"]) for item in body["report"]}
    assert report == {
        (4, "family_name_kana", "registration_claims_invalid"),
        (5, "birthdate", "registration_claims_invalid"),
        (6, "member_number", ErrorCode.IMPORT_ROW_DUPLICATE.value),
        (7, "contact", ErrorCode.FORBIDDEN_CLAIM.value),
    }
    assert all(item["message_ja"] and item["message_en"] for item in body["report"])
    assert [entry["member_number"] for entry in body["outbox"]] == ["KF000000", "KF000001"]
    assert count(service, t.imported_members, body_code=KESENNUMA) == 2


def test_reimport_reports_already_imported_and_changed_rows_without_updating(
    service: Service,
) -> None:
    admin = service.staff(KESENNUMA, "admin")
    assert post_import(service, KESENNUMA, members_csv(3).encode(), admin).status_code == 200
    changed = members_csv(3).replace("member1@example.jp", "new@example.jp")  # contact only
    changed = changed.replace("KF000002,高橋", "KF000002,山田")  # a stored field
    response = post_import(service, KESENNUMA, changed.encode(), admin)
    body = response.json()
    assert body["summary"]["imported"] == 0
    assert body["summary"]["already_imported"] == 2
    assert body["summary"]["changed"] == 1
    assert body["outbox"] == []
    (reported,) = [item for item in body["report"] if item["code"] is not None]
    assert reported["member_number"] == "KF000002"
    assert reported["status"] == "changed"
    assert reported["code"] == ErrorCode.IMPORT_MEMBER_CHANGED.value
    listed = service.client.get(f"/staff/bodies/{KESENNUMA}/registrations", headers=admin).json()
    assert listed["total"] == 3  # nothing new, nothing replaced


@pytest.mark.parametrize(
    ("encoding", "query"),
    [("utf-8-sig", ""), ("cp932", ""), ("cp932", "?encoding=shift_jis")],
    ids=["utf8-bom", "cp932-detected", "cp932-named"],
)
def test_excel_encodings_are_read(service: Service, encoding: str, query: str) -> None:
    admin = service.staff(KESENNUMA, "admin")
    data = members_csv(2).encode(encoding)
    body = post_import(service, KESENNUMA, data, admin, query=query).json()
    assert body["encoding"] == ("utf-8" if encoding == "utf-8-sig" else "cp932")
    assert body["summary"]["imported"] == 2


def test_a_file_that_cannot_be_read_is_a_problem(service: Service) -> None:
    admin = service.staff(KESENNUMA, "admin")
    response = post_import(service, KESENNUMA, b"name,email\nx,y\n", admin)
    assert_problem(response, ErrorCode.IMPORT_CSV_INVALID, 400)
    assert count(service, t.imported_members) == 0


def test_dry_run_counts_and_changes_nothing(service: Service) -> None:
    admin = service.staff(KESENNUMA, "admin")
    body = post_import(
        service, KESENNUMA, members_csv(4).encode(), admin, query="?dry_run=true"
    ).json()
    assert body["dry_run"] is True
    assert body["summary"]["imported"] == 4
    assert body["outbox"] == []
    assert count(service, t.imported_members) == 0
    assert count(service, t.offers) == 0


def test_a_replay_returns_the_report_but_never_stored_secrets(service: Service) -> None:
    admin = service.staff(KESENNUMA, "admin")
    data = members_csv(2).encode()
    key = secrets.token_hex(8)
    first = post_import(service, KESENNUMA, data, admin, key=key).json()
    replay = post_import(service, KESENNUMA, data, admin, key=key)
    assert replay.headers.get("idempotent-replayed") == "true"
    again = replay.json()
    assert again["summary"] == first["summary"]
    assert again["outbox_withheld"] is True
    assert all("tx_code" not in e and "credential_offer_uri" not in e for e in again["outbox"])

    async def stored() -> list[bytes]:
        engine = create_async_engine(service.settings.async_database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(t.idempotency_keys.c.response_body))
                return [bytes(row[0] or b"") for row in rows]
        finally:
            await engine.dispose()

    kept = b"".join(asyncio.run(stored()))
    for entry in first["outbox"]:
        assert entry["tx_code"].encode() not in kept.replace(b'"row":', b"")
        code = json.loads(
            parse_qs(urlsplit(entry["credential_offer_uri"]).query)["credential_offer"][0]
        )["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        assert code.encode() not in kept


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_only_admins_import(service: Service, role: str) -> None:
    response = post_import(
        service, KESENNUMA, members_csv(1).encode(), service.staff(KESENNUMA, role)
    )
    assert_problem(response, ErrorCode.STAFF_FORBIDDEN, 403)
    assert count(service, t.imported_members) == 0


def test_another_bodys_admin_cannot_import(service: Service) -> None:
    other = service.staff(MINAMIMINOWA, "admin")
    response = post_import(service, KESENNUMA, members_csv(1).encode(), other)
    assert_problem(response, ErrorCode.STAFF_FORBIDDEN, 403)
    no_token = post_import(service, KESENNUMA, members_csv(1).encode(), {})
    assert_problem(no_token, ErrorCode.STAFF_UNAUTHENTICATED, 401)
    assert count(service, t.imported_members) == 0


def test_the_same_member_number_in_two_bodies_is_two_members(service: Service) -> None:
    data = members_csv(2).encode()
    for code in (KESENNUMA, MINAMIMINOWA):
        body = post_import(service, code, data, service.staff(code, "admin")).json()
        assert body["summary"]["imported"] == 2
    assert count(service, t.imported_members) == 4
    assert count(service, t.persons) == 4


def test_imports_need_an_idempotency_key(service: Service) -> None:
    response = service.client.post(
        f"/staff/bodies/{KESENNUMA}/member-imports",
        content=members_csv(1).encode(),
        headers=service.staff(KESENNUMA, "admin"),
    )
    assert_problem(response, ErrorCode.IDEMPOTENCY_KEY_MISSING, 400)


def test_the_import_is_in_the_audit_log(service: Service) -> None:
    admin = service.staff(KESENNUMA, "admin")
    body = post_import(service, KESENNUMA, members_csv(2).encode(), admin).json()
    audit = service.client.get(f"/staff/bodies/{KESENNUMA}/audit", headers=admin).json()
    (entry,) = [e for e in audit["entries"] if e["action"] == "member_import"]
    assert entry["target"] == body["import_id"]
    assert entry["detail"]["imported"] == 2
    assert audit["chain_intact"] is True


def test_the_imported_person_is_keyed_by_body_and_member_number(service: Service) -> None:
    post_import(service, KESENNUMA, members_csv(1).encode(), service.staff(KESENNUMA, "admin"))
    expected = service_import.imported_person_ref(
        KESENNUMA, "KF000000", secret=service.settings.secrets[0]
    )

    async def refs() -> list[bytes]:
        engine = create_async_engine(service.settings.async_database_url)
        try:
            async with engine.connect() as conn:
                return [
                    bytes(r) for r in (await conn.execute(select(t.persons.c.person_ref))).scalars()
                ]
        finally:
            await engine.dispose()

    assert asyncio.run(refs()) == [expected]


def _offer_of(entry: dict[str, Any]) -> dict[str, Any]:
    offer: dict[str, Any] = json.loads(
        parse_qs(urlsplit(entry["credential_offer_uri"]).query)["credential_offer"][0]
    )
    return offer


def test_reissue_gives_unredeemed_members_a_new_offer_and_retires_the_old(
    service: Service,
) -> None:
    admin = service.staff(KESENNUMA, "admin")
    data = members_csv(3).encode()
    first = post_import(service, KESENNUMA, data, admin).json()["outbox"]
    redeemed = token(service, KESENNUMA, _offer_of(first[0]), first[0]["tx_code"])
    assert redeemed.status_code == 200, redeemed.text
    suspended = service.client.post(
        f"/staff/bodies/{KESENNUMA}/registrations/{first[2]['registration_id']}/suspend",
        headers={**admin, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert suspended.status_code == 200, suspended.text

    plain = post_import(service, KESENNUMA, data, admin).json()
    assert plain["summary"]["reissued"] == 0  # only on request
    body = post_import(service, KESENNUMA, data, admin, query="?reissue_unredeemed=true").json()
    assert body["summary"]["imported"] == 0
    assert body["summary"]["reissued"] == 1
    assert body["summary"]["already_imported"] == 2  # redeemed, and suspended
    assert body["complete"] is True
    (entry,) = body["outbox"]
    assert entry["member_number"] == "KF000001"
    assert entry["registration_id"] == first[1]["registration_id"]
    assert [item["status"] for item in body["report"]] == [
        "already_imported",
        "reissued",
        "already_imported",
    ]
    old = token(service, KESENNUMA, _offer_of(first[1]), first[1]["tx_code"])
    assert_problem(old, ErrorCode.PRE_AUTHORIZED_CODE_INVALID, 400)
    new = token(service, KESENNUMA, _offer_of(entry), entry["tx_code"])
    assert new.status_code == 200, new.text
    assert count(service, t.registrations, body_code=KESENNUMA) == 3


# ---------------------------------------------------------------------------- exactly once


def test_a_failed_batch_and_a_rerun_leave_each_member_exactly_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = replace(service.settings, member_import=MemberImportSettings(batch_size=10))
    parsed = parse_member_csv(
        members_csv(45).encode(), bodies=load_bodies(), today=service.clock.now().date()
    )
    real = service_import._write_batch
    calls = {"n": 0}

    async def crash_on_third(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        result = await real(*args, **kwargs)
        if calls["n"] == 3:  # the batch's rows are written, then the process "dies"
            raise StorageError(ErrorCode.DATABASE_UNAVAILABLE, "simulated crash")
        return result

    def run() -> Any:
        return asyncio.run(
            import_member_file(
                settings,
                body_code=KESENNUMA,
                parsed=parsed,
                now=to_numeric_date(service.clock.now()),
                today=service.clock.now().date(),
                random=SystemRandom(),
                dry_run=False,
            )
        )

    monkeypatch.setattr(service_import, "_write_batch", crash_on_third)
    with pytest.raises(StorageError):
        run()
    assert count(service, t.imported_members) == 20  # two batches committed, the third not
    assert count(service, t.offers) == 20
    monkeypatch.setattr(service_import, "_write_batch", real)
    result = run()
    assert result.summary.already_imported == 20
    assert result.summary.imported == 25
    for table in (t.imported_members, t.offers, t.persons):
        assert count(service, table) == 45
    assert count(service, t.registrations, body_code=KESENNUMA) == 45


def test_two_imports_of_one_file_at_once_import_each_member_once(service: Service) -> None:
    parsed = parse_member_csv(
        members_csv(30).encode(), bodies=load_bodies(), today=service.clock.now().date()
    )

    async def both() -> list[Any]:
        return list(
            await asyncio.gather(
                *(
                    import_member_file(
                        service.settings,
                        body_code=KESENNUMA,
                        parsed=parsed,
                        now=to_numeric_date(service.clock.now()),
                        today=service.clock.now().date(),
                        random=SystemRandom(),
                        dry_run=False,
                    )
                    for _ in range(2)
                ),
                return_exceptions=True,
            )
        )

    results = asyncio.run(both())
    finished = [r for r in results if not isinstance(r, BaseException)]
    assert len(finished) == 2, results  # PostgreSQL: the second waits on the keys
    assert sum(r.summary.imported for r in finished) == 30
    assert sum(r.summary.already_imported for r in finished) == 30
    assert count(service, t.imported_members) == 30
    assert count(service, t.persons) == 30


# ---------------------------------------------------------------------------- CLI


def test_cli_outbox_and_report_are_safe_to_open_in_a_spreadsheet(
    service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hostile = (
        "=HYPERLINK(1),,,,,,,,,+81-90-1234-5678",
        "-7,,,,,,,,,@example",  # contact rejected, member number echoed in the report
        "=HYPERLINK(1),,,,,,,,,c@example.jp",  # duplicate
    )
    source = tmp_path / "members.csv"
    source.write_bytes(members_csv(1, extra=hostile).encode("cp932"))
    outbox, tx_codes, report = (tmp_path / name for name in ("o.csv", "t.csv", "r.csv"))
    monkeypatch.setenv("FURUSATO_IMPORT_OFFER_DAYS", "7")
    code, result = run_cli(
        capsys,
        *("issuer", "import-members", *cli_env(service, monkeypatch), "--body", KESENNUMA),
        *(str(source), "--outbox", str(outbox), "--tx-code-outbox", str(tx_codes)),
        *("--report", str(report), "--quiet"),
    )
    assert code == 3, result  # partial: some rows reported
    assert result["result"] == "partial"
    assert result["encoding"] == "cp932"
    assert result["summary"]["imported"] == 2
    week = datetime.now(UTC) + timedelta(days=7)
    assert abs(result["offer_expires_at"] - week.timestamp()) < 120
    rows = read_csv(outbox)
    assert "tx_code" not in rows[0]
    assert rows[1]["member_number"] == "'=HYPERLINK(1)"
    assert rows[1]["contact"] == "'+81-90-1234-5678"
    codes = read_csv(tx_codes)
    assert [row["member_number"] for row in codes] == ["KF000000", "'=HYPERLINK(1)"]
    assert all(row["tx_code"].isdigit() for row in codes)
    reported = read_csv(report)
    assert {(row["member_number"], row["status"]) for row in reported} == {
        ("'-7", "rejected"),
        ("'=HYPERLINK(1)", "duplicate"),
    }
    for path in (outbox, tx_codes, report):
        assert path.stat().st_mode & 0o077 == 0  # offers are secrets: owner only


def test_cli_refuses_to_overwrite_an_outbox_or_to_run_without_one(
    service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "members.csv"
    source.write_text(members_csv(1), encoding="utf-8")
    common = ["issuer", "import-members", *cli_env(service, monkeypatch), "--body", KESENNUMA]
    code, result = run_cli(capsys, *common, str(source))
    assert (code, result["code"]) == (2, "usage")
    existing = tmp_path / "outbox.csv"
    existing.write_text("undelivered offers", encoding="utf-8")
    code, result = run_cli(capsys, *common, str(source), "--outbox", str(existing))
    assert (code, result["code"]) == (2, "usage")
    assert existing.read_text(encoding="utf-8") == "undelivered offers"
    assert count(service, t.imported_members) == 0


def test_cli_dry_run_and_progress_bar(
    service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "members.csv"
    source.write_text(members_csv(5), encoding="utf-8")
    code = main(
        [
            *("issuer", "import-members", *cli_env(service, monkeypatch)),
            *("--body", KESENNUMA, str(source), "--dry-run"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["summary"]["imported"] == 5
    assert "5/5 rows 100%" in captured.err
    assert count(service, t.imported_members) == 0


def test_cli_rejects_a_file_or_body_as_a_whole(
    service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    common = ["issuer", "import-members", *cli_env(service, monkeypatch)]
    source = tmp_path / "members.csv"
    source.write_bytes(b"\xff\xfe\x00\x00garbage")
    code, result = run_cli(capsys, *common, "--body", KESENNUMA, str(source), "--dry-run")
    assert (code, result["code"]) == (1, ErrorCode.IMPORT_CSV_INVALID.value)
    source.write_text(members_csv(1), encoding="utf-8")
    code, result = run_cli(capsys, *common, "--body", "011002", str(source), "--dry-run")
    assert (code, result["code"]) == (1, ErrorCode.RESOURCE_NOT_FOUND.value)


def test_a_csv_over_the_general_request_limit_is_accepted_on_the_import_path(
    service: Service,
) -> None:
    data = members_csv(1_000).encode()
    assert len(data) > service.settings.max_request_bytes  # 64 KiB for every other POST
    body = post_import(service, KESENNUMA, data, service.staff(KESENNUMA, "admin")).json()
    assert body["summary"]["imported"] == 1_000


def test_the_migrations_create_the_schema_as_declared(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), t.metadata)
    finally:
        engine.dispose()
    assert diffs == []  # every table, column and constraint as declared


def test_a_prefectures_own_import_has_no_second_record(service: Service) -> None:
    admin = service.staff(MIYAGI, "admin")
    body = post_import(service, MIYAGI, members_csv(2).encode(), admin).json()
    assert body["summary"]["imported"] == 2
    assert count(service, t.registrations) == 2
    assert count(service, t.registrations, body_code=MIYAGI) == 2


def test_cli_after_a_failed_batch_keeps_the_committed_offers_and_a_rerun_finishes(
    service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "members.csv"
    source.write_text(members_csv(1_500), encoding="utf-8")
    common = ["issuer", "import-members", *cli_env(service, monkeypatch), "--body", KESENNUMA]
    real = service_import._write_batch
    calls = {"n": 0}

    async def fail_second(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StorageError(ErrorCode.DATABASE_UNAVAILABLE, "simulated outage")
        return await real(*args, **kwargs)

    monkeypatch.setattr(service_import, "_write_batch", fail_second)
    first = tmp_path / "outbox-1.csv"
    code, result = run_cli(capsys, *common, str(source), "--outbox", str(first), "--quiet")
    assert (code, result["code"]) == (1, ErrorCode.DATABASE_UNAVAILABLE.value)
    assert len(read_csv(first)) == 1_000  # the committed batch's offers reached the disk
    monkeypatch.setattr(service_import, "_write_batch", real)
    second = tmp_path / "outbox-2.csv"
    code, result = run_cli(capsys, *common, str(source), "--outbox", str(second), "--quiet")
    assert code == 0, result
    assert result["summary"]["imported"] == 500
    assert result["summary"]["already_imported"] == 1_000
    delivered = {row["member_number"] for row in read_csv(first) + read_csv(second)}
    assert len(delivered) == 1_500
    assert count(service, t.imported_members) == 1_500
    assert count(service, t.offers) == 1_500
