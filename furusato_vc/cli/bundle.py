"""``furusato-vc bundle sync | pin | info``: the offline verifier's trust bundle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from furusato_vc.cli.common import (
    EXIT_OK,
    Parser,
    UsageError,
    duration,
    emit,
    iso,
    moment,
    now_of,
    shown,
)
from furusato_vc.core.bundle import ListOutcome
from furusato_vc.core.errors import FurusatoError, StorageError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.messages import message_for
from furusato_vc.core.policy import DEFAULT_MAX_STATUS_STALENESS
from furusato_vc.core.registration.bodies import validate_body_code
from furusato_vc.publication import open_source
from furusato_vc.verifier.bundle_store import BundleDirectory, read_anchors

if TYPE_CHECKING:
    import argparse

    from furusato_vc.core.bundle import TrustBundle
    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = ["register"]


def _anchors_from(path: Path) -> tuple[PublicJwk, ...]:
    """Anchors named on the command line: a missing file is a usage error."""
    try:
        return read_anchors(path)
    except StorageError as exc:
        raise UsageError(f"cannot read anchors from {shown(path)}") from exc


def _cmd_pin(args: argparse.Namespace) -> int:
    anchors = _anchors_from(args.anchors)
    directory = BundleDirectory(args.out)
    directory.pin_anchors(anchors)
    emit({"result": "ok", "anchors": [anchor.to_json() for anchor in anchors]})
    return EXIT_OK


def _cmd_sync(args: argparse.Namespace) -> int:
    directory = BundleDirectory(args.out)
    if args.anchors is not None:
        given = _anchors_from(args.anchors)
        if directory.anchors_path.is_file():
            if tuple(directory.anchors()) != tuple(given):
                raise UsageError(
                    "the bundle pins other anchors; change them with bundle pin, deliberately"
                )
        else:
            directory.pin_anchors(given)
    elif not directory.anchors_path.is_file():
        raise UsageError(f"{shown(args.out)} has no pinned anchors: pass --anchors FILE")
    result = directory.sync(open_source(args.source), now=now_of(args))
    bundle = result.bundle
    counts = {outcome.value: 0 for outcome in ListOutcome}
    for outcome in bundle.outcomes.values():
        counts[outcome.value] += 1
    problems: list[JSONValue] = [
        {
            "uri": problem.uri,
            "code": problem.code.value,
            "message_ja": message_for(problem.code).ja,
            "message_en": message_for(problem.code).en,
            "detail": problem.detail,
        }
        for problem in bundle.problems
    ]
    emit(
        {
            "result": "synced",
            "version": result.version,
            "source": result.source,
            "trust_list": result.trust_list_form,
            "sequence": bundle.trust_list.sequence,
            "bodies": len(bundle.trust_list.entries),
            "status_lists": dict(counts),
            "problems": problems,
            "benefits": {
                "bodies": 0 if result.benefits is None else len(result.benefits.bodies),
                "problem": None
                if result.benefits_problem is None
                else result.benefits_problem.value,
            },
        }
    )
    return EXIT_OK


def _freshness(
    bundle: TrustBundle, *, now: int, max_age: int, body: str | None
) -> tuple[JSONObject, list[JSONValue]]:
    totals = {"fresh": 0, "stale": 0, "expired": 0, "missing": 0}
    rows: list[JSONValue] = []
    for entry in bundle.trust_list.entries:
        lists: list[JSONValue] = []
        worst = "fresh"
        for location in entry.status_lists:
            verified = bundle.status_list(location.uri)
            if verified is None:
                state = "missing"
                lists.append({"id": location.list_id, "state": state})
            else:
                age = now - verified.issued_at
                if verified.expires_at is not None and now >= verified.expires_at:
                    state = "expired"
                elif age > max_age:
                    state = "stale"
                else:
                    state = "fresh"
                refresh = None if verified.ttl is None else verified.issued_at + verified.ttl
                lists.append(
                    {
                        "id": location.list_id,
                        "state": state,
                        "issued_at": iso(verified.issued_at),
                        "age_seconds": age,
                        "expires_at": iso(verified.expires_at),
                        "refresh_after": iso(refresh),
                        "entries": verified.status_list.size,
                    }
                )
            totals[state] += 1
            order = ("fresh", "stale", "expired", "missing")
            worst = max(worst, state, key=order.index)
        if body is None or entry.body_code == body:
            rows.append(
                {
                    "code": entry.body_code,
                    "name_ja": entry.name_ja,
                    "name_en": entry.name_en,
                    "state": entry.state.value,
                    "freshness": worst,
                    "status_lists": lists,
                }
            )
    return dict(totals), rows


def _cmd_info(args: argparse.Namespace) -> int:
    directory = BundleDirectory(args.bundle)
    bundle = directory.load()
    now = to_numeric_date(now_of(args))
    max_age = int(args.max_staleness.total_seconds())
    body = None if args.body is None else validate_body_code(args.body)
    totals, rows = _freshness(bundle, now=now, max_age=max_age, body=body)
    trust_list = bundle.trust_list
    usable: JSONObject = {"ok": True}
    try:
        bundle.trust.check_current(now=now)
    except FurusatoError as error:
        message = message_for(error.code)
        usable = {
            "ok": False,
            "code": error.code.value,
            "message_ja": message.ja,
            "message_en": message.en,
        }
    emit(
        {
            "result": "ok",
            "bundle": shown(args.bundle),
            "version": directory.current_version(),
            "verified_at": iso(bundle.verified_at),
            "usable": usable,
            "trust_list": {
                "sequence": trust_list.sequence,
                "issued_at": iso(trust_list.issued_at),
                "next_update": iso(trust_list.next_update),
                "expires_at": iso(trust_list.expires_at),
                "update_due": now >= trust_list.next_update,
                "bodies": len(trust_list.entries),
            },
            "max_staleness_seconds": max_age,
            "status_lists": totals,
            "bodies": rows,
        }
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    bundle = sub.add_parser("bundle", help="the offline verifier's trust bundle")
    commands = bundle.add_subparsers(dest="bundle_command", required=True, parser_class=Parser)
    sync = commands.add_parser("sync", help="fetch, verify and store the bundle atomically")
    sync.add_argument("--from", dest="source", required=True, metavar="URL|DIR")
    sync.add_argument("--out", type=Path, required=True, metavar="DIR", help="bundle directory")
    sync.add_argument("--anchors", type=Path, help="pin these anchors (first sync only)")
    sync.add_argument("--now", type=moment, help="the current time (audits, tests)")
    sync.set_defaults(func=_cmd_sync)
    pin = commands.add_parser("pin", help="install or replace the pinned trust anchors")
    pin.add_argument("--anchors", type=Path, required=True, help="JWK Set of anchor keys")
    pin.add_argument("--out", type=Path, required=True, metavar="DIR", help="bundle directory")
    pin.set_defaults(func=_cmd_pin)
    info = commands.add_parser("info", help="freshness of the bundle, per body")
    info.add_argument("--bundle", type=Path, required=True, metavar="DIR")
    info.add_argument("--now", type=moment, help="the current time (audits, tests)")
    info.add_argument(
        "--max-staleness",
        type=duration,
        default=DEFAULT_MAX_STATUS_STALENESS,
        help="status data older than this is stale (default 48h)",
    )
    info.add_argument("--body", help="only this body")
    info.set_defaults(func=_cmd_info)
