"""``furusato-vc issuer init | migrate | host | staff-add | publish | serve``: the issuer
service's operator commands (an edge). Secrets come from ``FURUSATO_SECRETS_FILE`` (written
by ``init``, mode 0600) or ``FURUSATO_SECRET`` and ``FURUSATO_KEY_ENCRYPTION_KEY``; the
database from ``--db`` or ``FURUSATO_DATABASE_URL`` (default: a local SQLite file)."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from furusato_vc.cli.common import Parser, UsageError, emit
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.runtime import SystemClock, SystemRandom

if TYPE_CHECKING:
    import argparse

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
