"""``furusato-vc trust init | add | add-list | rotate | withdraw | suspend | reinstate | sign |
aggregate | benefits | show``: the national trust-anchor operator's commands over a workspace
directory (:mod:`furusato_vc.anchor`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from furusato_vc.anchor import TrustWorkspace
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
from furusato_vc.cli.keys import KID, load_public_jwk
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import load_bodies, validate_body_code
from furusato_vc.core.trustlist import BodyState, StatusListLocation, TrustedKey, verify_trust_list
from furusato_vc.core.trustlist.edit import (
    add_entry,
    add_status_list,
    entry_for_body,
    rotate_key,
    set_state,
    withdraw_key,
)
from furusato_vc.verifier.bundle_store import read_anchors

if TYPE_CHECKING:
    import argparse

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.trustlist import TrustList, TrustListEntry

__all__ = ["register"]

DEFAULT_OVERLAP = timedelta(days=7)
DEFAULT_NEXT_UPDATE = timedelta(hours=24)
DEFAULT_VALID_FOR = timedelta(days=30)
MAX_TRUST_LIST_FILE = 12 * 1024 * 1024


def _workspace(args: argparse.Namespace) -> TrustWorkspace:
    root: Path = args.dir
    if not (root / "trust-list.json").is_file():
        raise UsageError(f"{shown(root)} is not a trust workspace (run trust init)")
    return TrustWorkspace(root)


def _body_code(text: str) -> str:
    try:
        return validate_body_code(text)
    except FormatError as exc:
        raise UsageError(f"--body: {exc.detail}") from exc


def _edit(args: argparse.Namespace, change: object) -> TrustList:
    """Apply an edit to the workspace list; refusals are usage errors."""
    workspace = _workspace(args)
    try:
        edited: TrustList = change(workspace.load())  # type: ignore[operator]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    workspace.save(edited)
    return edited


def _status_location(text: str) -> StatusListLocation:
    list_id, sep, uri = text.partition("=")
    if not sep or not list_id.isdigit() or not uri:
        raise UsageError(f"--status-list takes ID=URI, not {text!r}")
    return StatusListLocation(list_id=int(list_id), uri=uri)


def _key_json(key: TrustedKey, now: int) -> JSONObject:
    return {
        "kid": key.kid,
        "thumbprint": key.jwk.thumbprint(),
        "not_before": iso(key.not_before),
        "not_after": iso(key.not_after),
        "withdrawn_from": iso(key.withdrawn_from),
        "usable_now": key.usable_at(now),
    }


def _entry_json(entry: TrustListEntry, now: int) -> JSONObject:
    lists: list[JSONValue] = [
        {"id": location.list_id, "uri": location.uri} for location in entry.status_lists
    ]
    return {
        "code": entry.body_code,
        "name_ja": entry.name_ja,
        "name_en": entry.name_en,
        "kind": entry.kind.value,
        "state": entry.state.value,
        "state_ja": entry.state.label_ja,
        "state_since": iso(entry.state_since),
        "issuer": entry.issuer,
        "issuer_url": entry.issuer_url,
        "keys": [_key_json(key, now) for key in entry.keys],
        "status_lists": lists,
    }


def _summary(trust_list: TrustList, *, now: int, body: str | None) -> JSONObject:
    states: dict[str, JSONValue] = {state.value: 0 for state in BodyState}
    for entry in trust_list.entries:
        count = states[entry.state.value]
        assert isinstance(count, int)
        states[entry.state.value] = count + 1
    entries = [e for e in trust_list.entries if body is None or e.body_code == body]
    return {
        "operator": trust_list.operator,
        "sequence": trust_list.sequence,
        "issued_at": iso(trust_list.issued_at) if trust_list.sequence else None,
        "next_update": iso(trust_list.next_update) if trust_list.sequence else None,
        "expires_at": iso(trust_list.expires_at) if trust_list.sequence else None,
        "bodies": len(trust_list.entries),
        "states": states,
        "entries": [_entry_json(entry, now) for entry in entries],
    }


# ---------------------------------------------------------------------------- commands


def _cmd_init(args: argparse.Namespace) -> int:
    if not KID.fullmatch(args.kid):
        raise UsageError("--kid must be 1-128 printable ASCII characters without spaces")
    try:
        workspace = TrustWorkspace.create(args.dir, operator=args.operator, kid=args.kid)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from exc
    emit(
        {
            "result": "ok",
            "workspace": shown(args.dir),
            "anchors": shown(workspace.anchors_path),
            "anchor": workspace.anchors()[0].to_json(),
        }
    )
    return EXIT_OK


def _cmd_add(args: argparse.Namespace) -> int:
    code = _body_code(args.body)
    body = load_bodies().find(code)
    if body is None:
        raise UsageError(f"{code} is not a prefecture or municipality in the bundled table")
    jwk = load_public_jwk(args.key)
    kid = args.kid or jwk.kid or f"{code}-{jwk.thumbprint()[:8]}"
    if not KID.fullmatch(kid):
        raise UsageError("--kid must be 1-128 printable ASCII characters without spaces")
    not_before = to_numeric_date(args.not_before or now_of(args))
    entry = entry_for_body(
        body,
        issuer=args.issuer,
        issuer_url=args.issuer_url or args.issuer,
        keys=(TrustedKey(jwk=jwk.with_kid(kid), not_before=not_before),),
        status_lists=tuple(_status_location(text) for text in args.status_list),
    )
    edited = _edit(args, lambda trust_list: add_entry(trust_list, entry))
    emit({"result": "ok", "body": _entry_json(_must(edited, code), not_before)})
    return EXIT_OK


def _must(trust_list: TrustList, code: str) -> TrustListEntry:
    entry = trust_list.entry(code)
    assert entry is not None
    return entry


def _cmd_add_list(args: argparse.Namespace) -> int:
    code = _body_code(args.body)
    location = _status_location(args.status_list)
    edited = _edit(args, lambda trust_list: add_status_list(trust_list, code, location))
    emit({"result": "ok", "body": _entry_json(_must(edited, code), to_numeric_date(now_of(args)))})
    return EXIT_OK


def _cmd_rotate(args: argparse.Namespace) -> int:
    code = _body_code(args.body)
    jwk = load_public_jwk(args.key)
    kid = args.kid or jwk.kid or f"{code}-{jwk.thumbprint()[:8]}"
    if not KID.fullmatch(kid):
        raise UsageError("--kid must be 1-128 printable ASCII characters without spaces")
    at = to_numeric_date(args.at or now_of(args))
    overlap = int(args.overlap.total_seconds())
    edited = _edit(
        args,
        lambda trust_list: rotate_key(trust_list, code, jwk.with_kid(kid), at=at, overlap=overlap),
    )
    emit({"result": "ok", "body": _entry_json(_must(edited, code), at)})
    return EXIT_OK


def _cmd_withdraw(args: argparse.Namespace) -> int:
    code = _body_code(args.body)
    start = to_numeric_date(args.from_ or now_of(args))
    if args.body_leaves:
        edited = _edit(
            args, lambda trust_list: set_state(trust_list, code, BodyState.WITHDRAWN, since=start)
        )
    else:
        edited = _edit(
            args, lambda trust_list: withdraw_key(trust_list, code, args.kid, from_=start)
        )
    emit({"result": "ok", "body": _entry_json(_must(edited, code), start)})
    return EXIT_OK


def _cmd_state(args: argparse.Namespace, state: BodyState) -> int:
    code = _body_code(args.body)
    since = to_numeric_date(now_of(args))
    edited = _edit(args, lambda trust_list: set_state(trust_list, code, state, since=since))
    emit({"result": "ok", "body": _entry_json(_must(edited, code), since)})
    return EXIT_OK


def _cmd_sign(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    now = now_of(args)
    try:
        signed = workspace.sign(
            out=args.out,
            now=now,
            next_update_in=int(args.next_update.total_seconds()),
            valid_for=int(args.valid_for.total_seconds()),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write to {shown(args.out)}: {exc.strerror}") from exc
    emit(
        {
            "result": "ok",
            "sequence": signed.sequence,
            "issued_at": iso(signed.issued_at),
            "next_update": iso(signed.next_update),
            "expires_at": iso(signed.expires_at),
            "bodies": len(signed.entries),
            "files": [shown(args.out / "trust-list.jwt"), shown(args.out / "trust-list.cwt")],
        }
    )
    return EXIT_OK


def _cmd_aggregate(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    if not (args.out / "trust-list.cwt").is_file():
        raise UsageError(f"{shown(args.out)} has no signed trust list (run trust sign)")
    try:
        report = workspace.aggregate(status_dir=args.status_from, out=args.out, now=now_of(args))
    except OSError as exc:
        raise UsageError(f"cannot aggregate: {exc.strerror}") from exc
    emit(
        {
            "result": "ok",
            "lists": report.lists,
            "included": report.included,
            "problems": [
                {"uri": problem.uri, "code": problem.code.value, "detail": problem.detail}
                for problem in report.problems
            ],
        }
    )
    return EXIT_OK


def _cmd_benefits(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    if not (args.out / "trust-list.cwt").is_file():
        raise UsageError(f"{shown(args.out)} has no signed trust list (run trust sign)")
    try:
        report = workspace.benefits(
            benefits_dir=args.benefits_from,
            out=args.out,
            now=now_of(args),
            valid_for=int(args.valid_for.total_seconds()),
        )
    except OSError as exc:
        raise UsageError(f"cannot collect benefits: {exc.strerror}") from exc
    emit(
        {
            "result": "ok",
            "included": dict(report.included),
            "refused": {code: error.value for code, error in report.refused.items()},
            "file": shown(args.out / "benefits.jwt"),
        }
    )
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    now = to_numeric_date(now_of(args))
    body = None if args.body is None else _body_code(args.body)
    if args.file is not None:
        if args.anchors is None:
            raise UsageError("--file needs --anchors (the pinned anchor keys)")
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {shown(args.file)}: {exc.strerror}") from exc
        if len(data) > MAX_TRUST_LIST_FILE:
            raise FormatError(ErrorCode.INPUT_TOO_LARGE, "trust list file too large")
        trust_list = verify_trust_list(data, anchors=read_anchors(args.anchors), now=now)
        emit({"result": "verified", **_summary(trust_list, now=now, body=body)})
        return EXIT_OK
    if args.dir is None:
        raise UsageError("give --dir WORKSPACE or --file TRUST_LIST --anchors FILE")
    emit({"result": "draft", **_summary(_workspace(args).load(), now=now, body=body)})
    return EXIT_OK


# ---------------------------------------------------------------------------- parser


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    trust = sub.add_parser("trust", help="national trust list (trust-anchor operator)")
    commands = trust.add_subparsers(dest="trust_command", required=True, parser_class=Parser)

    def command(name: str, help_text: str, *, workspace: bool = True) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text)
        if workspace:
            parser.add_argument("--dir", type=Path, required=True, help="the trust workspace")
        parser.add_argument("--now", type=moment, help="the current time (audits, tests)")
        return parser

    init = command("init", "create a workspace with a new anchor key")
    init.add_argument("--operator", required=True, help="the operator's identifier (iss)")
    init.add_argument("--kid", default="jp-trust-anchor-1", help="the anchor key's kid")
    init.set_defaults(func=_cmd_init)

    add = command("add", "add a body with its first key and status lists")
    add.add_argument("--body", required=True, help="6-digit 全国地方公共団体コード")
    add.add_argument("--issuer", required=True, help="the body's issuer identifier (iss)")
    add.add_argument("--issuer-url", help="its OpenID4VCI Credential Issuer URL")
    add.add_argument("--key", type=Path, required=True, help="the body's public (or private) JWK")
    add.add_argument("--kid", help="key id (default: the JWK's kid)")
    add.add_argument("--not-before", type=moment, help="first signing time covered")
    add.add_argument(
        "--status-list", action="append", default=[], metavar="ID=URI", help="a status list"
    )
    add.set_defaults(func=_cmd_add)

    add_list = command("add-list", "add a status list to a body")
    add_list.add_argument("--body", required=True)
    add_list.add_argument("--status-list", required=True, metavar="ID=URI")
    add_list.set_defaults(func=_cmd_add_list)

    rotate = command("rotate", "add a new key; close the current ones after an overlap")
    rotate.add_argument("--body", required=True)
    rotate.add_argument("--key", type=Path, required=True, help="the new public (or private) JWK")
    rotate.add_argument("--kid", help="key id (default: the JWK's kid)")
    rotate.add_argument("--at", type=moment, help="when the new key starts (default: now)")
    rotate.add_argument("--overlap", type=duration, default=DEFAULT_OVERLAP, help="default 7d")
    rotate.set_defaults(func=_cmd_rotate)

    withdraw = command("withdraw", "withdraw a compromised key, or a body leaving the scheme")
    withdraw.add_argument("--body", required=True)
    which = withdraw.add_mutually_exclusive_group(required=True)
    which.add_argument("--kid", help="the key to withdraw")
    which.add_argument("--body-leaves", action="store_true", help="the body leaves the scheme")
    withdraw.add_argument(
        "--from", dest="from_", type=moment, help="from when (default: now); earlier is safer"
    )
    withdraw.set_defaults(func=_cmd_withdraw)

    suspend = command("suspend", "suspend a body (its cards stop verifying)")
    suspend.add_argument("--body", required=True)
    suspend.set_defaults(func=lambda args: _cmd_state(args, BodyState.SUSPENDED))
    reinstate = command("reinstate", "end a body's suspension")
    reinstate.add_argument("--body", required=True)
    reinstate.set_defaults(func=lambda args: _cmd_state(args, BodyState.ACTIVE))

    sign = command("sign", "sign the next version into a publication directory")
    sign.add_argument("--out", type=Path, required=True, help="publication directory")
    sign.add_argument("--next-update", type=duration, default=DEFAULT_NEXT_UPDATE)
    sign.add_argument("--valid-for", type=duration, default=DEFAULT_VALID_FOR)
    sign.set_defaults(func=_cmd_sign)

    aggregate = command("aggregate", "collect the bodies' status lists for verifiers")
    aggregate.add_argument(
        "--status-from", type=Path, required=True, help="directory with status/<code>/<id>.cwt"
    )
    aggregate.add_argument("--out", type=Path, required=True, help="publication directory")
    aggregate.set_defaults(func=_cmd_aggregate)

    benefits = command("benefits", "import the bodies' signed benefits and sign them for verifiers")
    benefits.add_argument(
        "--benefits-from", type=Path, required=True, help="directory with <code>.jwt"
    )
    benefits.add_argument("--out", type=Path, required=True, help="publication directory")
    benefits.add_argument("--valid-for", type=duration, default=DEFAULT_VALID_FOR)
    benefits.set_defaults(func=_cmd_benefits)

    show = command(
        "show", "show the workspace list or verify and show a signed one", workspace=False
    )
    show.add_argument("--dir", type=Path, help="the trust workspace")
    show.add_argument("--file", type=Path, help="a signed trust-list.jwt or trust-list.cwt")
    show.add_argument("--anchors", type=Path, help="the pinned anchors (JWK Set)")
    show.add_argument("--body", help="only this body")
    show.set_defaults(func=_cmd_show)
