"""``furusato-vc issuer init | migrate | host | staff-add | publish | serve |
import-members``: the issuer service's operator commands (an edge). Secrets come from
``FURUSATO_SECRETS_FILE`` (written by ``init``, mode 0600) or ``FURUSATO_SECRET`` and
``FURUSATO_KEY_ENCRYPTION_KEY``; the database from ``--db`` or ``FURUSATO_DATABASE_URL``
(default: a local SQLite file)."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from furusato_vc.cli.common import EXIT_OK, Parser, UsageError, emit, shown
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.runtime import SystemClock, SystemRandom

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from furusato_vc.issuer.member_import import OutboxEntry
    from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = ["register"]


def _settings(args: argparse.Namespace) -> ServiceSettings:
    from furusato_vc.issuer.service.settings import ServiceSettings

    try:
        return ServiceSettings.from_environment(database_url=args.db, base_url=args.base_url)
    except (ValueError, OSError) as exc:
        raise UsageError(
            f"issuer settings: {exc} (run 'furusato-vc issuer init' and set FURUSATO_SECRETS_FILE)"
        ) from exc


def _cmd_init(args: argparse.Namespace) -> int:
    path: Path = args.secrets_file
    if path.exists():
        raise UsageError(f"{path} exists; refusing to overwrite secrets")
    text = (
        "# furusato-vc issuer secrets: keep private, back up safely, share only with the\n"
        "# deployment's own server processes\n"
        f"FURUSATO_SECRET={secrets.token_hex(32)}\n"
        f"FURUSATO_KEY_ENCRYPTION_KEY={secrets.token_hex(32)}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    emit({"result": "ok", "secrets_file": str(path)})
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from furusato_vc.issuer.service.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    emit({"result": "ok", "database": "migrated"})
    return 0


def _cmd_host(args: argparse.Namespace) -> int:
    from furusato_vc.issuer.service.admin import host_body

    settings = _settings(args)
    now = to_numeric_date(SystemClock().now())
    result = asyncio.run(
        host_body(settings, code=args.body, kid=args.kid, now=now, random=SystemRandom())
    )
    emit({"result": "ok", **result})  # type: ignore[dict-item]
    return 0


def _cmd_staff_add(args: argparse.Namespace) -> int:
    from furusato_vc.issuer.service.admin import add_staff

    settings = _settings(args)
    token = asyncio.run(
        add_staff(
            settings,
            body_code=args.body,
            username=args.username,
            role=args.role,
            now=to_numeric_date(SystemClock().now()),
            random=SystemRandom(),
        )
    )
    emit({"result": "ok", "body_code": args.body, "username": args.username, "token": token})
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from furusato_vc.issuer.service.admin import expire_premium, republish

    settings = _settings(args)
    now = to_numeric_date(SystemClock().now())
    counts = asyncio.run(republish(settings, now=now))
    # premium years that ended without renewal (renewal_failed) change status lists too
    ended = asyncio.run(expire_premium(settings, now=now))
    emit({"result": "ok", "republished": dict(counts), "premium_suspended": dict(ended)})
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from furusato_vc.issuer.service.app import create_app
    from furusato_vc.issuer.service.migrate import upgrade

    settings = _settings(args)
    if not args.no_migrate:
        upgrade(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,  # access logs would hold registration ids; the audit log is enough
        loop="auto",
        http="auto",
    )
    return 0


# import-members: the file was read and every valid row imported, but some rows were
# reported (rejected, duplicate in the file, or changed since an earlier import)
EXIT_PARTIAL: Final = 3
_ISSUES_SHOWN: Final = 100


def _create_secret_file(path: Path) -> IO[bytes]:
    """A new file only its owner can read (outboxes hold offers); never overwrite one: an
    earlier outbox may hold offers not delivered yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise UsageError(f"{shown(path)} exists; refusing to overwrite an outbox") from exc
    except OSError as exc:
        raise UsageError(f"cannot create {shown(path)}: {exc.strerror}") from exc
    return os.fdopen(fd, "wb")


class _ProgressBar:
    """A text bar on stderr: redrawn in place on a terminal, one line per batch otherwise."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.tty = sys.stderr.isatty()

    def show(self, done: int) -> None:
        width = 30
        filled = width * done // self.total
        line = (
            f"[{'#' * filled}{'-' * (width - filled)}] {done}/{self.total} rows "
            f"{100 * done // self.total:3d}%"
        )
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _cmd_import_members(args: argparse.Namespace) -> int:
    from furusato_vc.core.registration.bodies import load_bodies as load_body_registry
    from furusato_vc.core.registration.claims import JST
    from furusato_vc.issuer.member_import import (
        parse_member_csv,
        serialize_outbox_csv,
        serialize_report_csv,
        serialize_tx_codes_csv,
    )
    from furusato_vc.issuer.service.admin import import_member_file

    settings = _settings(args)
    if not args.dry_run and args.outbox is None:
        raise UsageError("--outbox PATH is required (or --dry-run): it receives the offers")
    if args.tx_code_outbox is not None and args.outbox is None:
        raise UsageError("--tx-code-outbox needs --outbox")
    limits = settings.member_import.limits
    try:
        with args.file.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {shown(args.file)}: {exc.strerror}") from exc
    clock = SystemClock()
    now = clock.now()
    parsed = parse_member_csv(
        data,
        bodies=load_body_registry(),
        today=now.astimezone(JST).date(),
        encoding=args.encoding,
        limits=limits,
    )
    report_file = None if args.report is None else _create_secret_file(args.report)
    outbox = None if args.dry_run else _create_secret_file(args.outbox)
    tx_codes = (
        None
        if args.dry_run or args.tx_code_outbox is None
        else _create_secret_file(args.tx_code_outbox)
    )
    split = tx_codes is not None
    bar = _ProgressBar(parsed.total_rows)
    written = {"first": True}

    def on_batch(done: int, entries: Sequence[OutboxEntry]) -> None:
        # after each batch's commit: its offers reach the disk before the next batch runs
        header = written["first"]
        if outbox is not None:
            outbox.write(serialize_outbox_csv(entries, include_tx_code=not split, header=header))
            outbox.flush()
            os.fsync(outbox.fileno())
        if tx_codes is not None:
            tx_codes.write(serialize_tx_codes_csv(entries, header=header))
            tx_codes.flush()
            os.fsync(tx_codes.fileno())
        written["first"] = False
        if not args.quiet:
            bar.show(done)

    try:
        result = asyncio.run(
            import_member_file(
                settings,
                body_code=args.body,
                parsed=parsed,
                now=to_numeric_date(now),
                today=now.astimezone(JST).date(),
                random=SystemRandom(),
                dry_run=args.dry_run,
                reissue_unredeemed=args.reissue_unredeemed,
                on_batch=on_batch,
            )
        )
    finally:
        if not args.quiet:
            bar.close()
        for handle in (outbox, tx_codes):
            if handle is not None:
                handle.close()
    if report_file is not None:
        with report_file:
            report_file.write(serialize_report_csv(result.report))
    issues = [item.to_json() for item in result.report if item.code is not None]
    emit(
        {
            "result": "ok" if result.complete else "partial",
            "import_id": result.import_id,
            "body_code": result.body_code,
            "dry_run": result.dry_run,
            "encoding": result.encoding,
            "summary": result.summary.to_json(),  # type: ignore[dict-item]
            "offer_expires_at": None if result.dry_run else result.offer_expires_at,
            "outbox": None if args.dry_run else shown(args.outbox),
            "tx_code_outbox": None if not split else shown(args.tx_code_outbox),
            "report": None if args.report is None else shown(args.report),
            "issues": issues[:_ISSUES_SHOWN],  # type: ignore[dict-item]
            "issues_total": len(issues),
        }
    )
    return EXIT_OK if result.complete else EXIT_PARTIAL


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    issuer = sub.add_parser("issuer", help="the issuer service (municipalities, platform)")
    commands = issuer.add_subparsers(dest="issuer_command", required=True, parser_class=Parser)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--db", help="database URL (sqlite:///file.db or postgresql://…)")
        parser.add_argument("--base-url", help="public base URL of the service")

    init = commands.add_parser("init", help="write a new secrets file (mode 0600)")
    init.add_argument("--secrets-file", type=Path, required=True)
    init.set_defaults(func=_cmd_init)
    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    common(migrate)
    migrate.set_defaults(func=_cmd_migrate)
    host = commands.add_parser("host", help="host a body: new signing key and status lists")
    common(host)
    host.add_argument("--body", required=True, help="6-digit 全国地方公共団体コード")
    host.add_argument("--kid", help="key id (default: <code>-<random>)")
    host.set_defaults(func=_cmd_host)
    staff = commands.add_parser("staff-add", help="add a staff member; prints their token")
    common(staff)
    staff.add_argument("--body", required=True)
    staff.add_argument("--username", required=True)
    staff.add_argument("--role", required=True, choices=("admin", "reviewer", "viewer"))
    staff.set_defaults(func=_cmd_staff_add)
    publish = commands.add_parser(
        "publish",
        help="re-sign status lists that are due and end lapsed premium years (cron)",
    )
    common(publish)
    publish.set_defaults(func=_cmd_publish)
    serve = commands.add_parser("serve", help="run the service (uvicorn)")
    common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate at start")
    serve.set_defaults(func=_cmd_serve)
    members = commands.add_parser(
        "import-members",
        help="import fan-club or digital-resident members from CSV, with an offer each",
        description=(
            "Import members (docs/member-import.md). Exit codes: 0 every row imported (now or "
            "before); 3 done, but some rows were reported (rejected, duplicate, changed); "
            "1 the file or the body was rejected as a whole; 2 usage."
        ),
    )
    common(members)
    members.add_argument("--body", required=True, help="6-digit code of a hosted body")
    members.add_argument("file", type=Path, help="the members CSV (UTF-8 or CP932)")
    members.add_argument("--outbox", type=Path, help="new CSV file for the offers (mode 0600)")
    members.add_argument(
        "--tx-code-outbox",
        type=Path,
        help="write the tx_codes to this separate file (for a second channel) instead",
    )
    members.add_argument("--report", type=Path, help="new CSV file for the per-row report")
    members.add_argument("--encoding", help="utf-8 or cp932 (default: detected)")
    members.add_argument("--dry-run", action="store_true", help="check and count, change nothing")
    members.add_argument(
        "--reissue-unredeemed",
        action="store_true",
        help="new offers for members imported before who never redeemed theirs",
    )
    members.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    members.set_defaults(func=_cmd_import_members)
