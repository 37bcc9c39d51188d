"""``furusato-vc wallet init | accept-offer | list | show | present | delete | refresh-status |
check-in | notices``: a wallet on the command line, for testing and demos (apps embed
:class:`furusato_vc.wallet.Wallet` instead).

The wallet is one encrypted file (``--wallet``, default ``FURUSATO_WALLET`` or
``furusato-wallet.json``); the passphrase comes from ``FURUSATO_WALLET_PASSPHRASE`` or, on a
terminal, a prompt. Trust comes from a verifier bundle (``--bundle DIR``, the national trust
list) or, for a local test issuer that is not in any trust list, from the issuer's own metadata
(``--unsafe-trust-issuer URL``: trust on first use; never for real cards).
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from furusato_vc.cli.common import EXIT_OK, Parser, UsageError, emit, shown
from furusato_vc.core.challenge import parse_challenge_qr
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.profiles import BUILTIN_PROFILES, builtin_profile
from furusato_vc.core.registration.bodies import validate_body_code
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.runtime import SystemClock, SystemRandom
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.wallet.http import UrllibTransport
from furusato_vc.wallet.storage import EncryptedFileStorage
from furusato_vc.wallet.wallet import Wallet

if TYPE_CHECKING:
    import argparse

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.wallet.client import Transport
    from furusato_vc.wallet.wallet import CardSummary, PresentationPlan

__all__ = ["register"]

DEFAULT_WALLET = "furusato-wallet.json"


def _passphrase(*, confirm: bool = False) -> str:
    value = os.environ.get("FURUSATO_WALLET_PASSPHRASE")
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError("set FURUSATO_WALLET_PASSPHRASE (no terminal to ask on)")
    first = getpass.getpass("パスフレーズ / passphrase: ")
    if confirm and getpass.getpass("もう一度 / again: ") != first:
        raise UsageError("the passphrases differ")
    if len(first) < 8:
        raise UsageError("use a passphrase of at least 8 characters")
    return first


def _path(args: argparse.Namespace) -> Path:
    return Path(args.wallet or os.environ.get("FURUSATO_WALLET", DEFAULT_WALLET))


def _open(args: argparse.Namespace, *, create: bool = False) -> Wallet:
    path = _path(args)
    if not create and not path.is_file():
        raise UsageError(f"no wallet at {shown(path)}: run 'furusato-vc wallet init'")
    storage = EncryptedFileStorage(path, _passphrase(confirm=create), random=SystemRandom())
    return Wallet.open(storage=storage, clock=SystemClock(), random=SystemRandom())


def _transport(args: argparse.Namespace) -> Transport:
    return UrllibTransport(timeout=args.timeout)


def _trust(args: argparse.Namespace, transport: Transport) -> RegistrationTrust:
    if args.bundle is not None:
        return BundleDirectory(args.bundle).load().trust
    if args.unsafe_trust_issuer is None:
        raise UsageError("say whom to trust: --bundle DIR, or --unsafe-trust-issuer URL")
    issuer: str = args.unsafe_trust_issuer.rstrip("/")
    scheme, _, rest = issuer.partition("://")
    host, _, path = rest.partition("/")
    response = transport.request(
        "GET", f"{scheme}://{host}/.well-known/jwt-vc-issuer/{path}", headers={}, body=None
    )
    if response.status != 200:
        raise UsageError(f"no jwt-vc-issuer metadata at {issuer} (HTTP {response.status})")
    document = json.loads(response.body)
    body_code = validate_body_code(issuer.rsplit("/", 1)[-1])
    keys = tuple(parse_public_jwk(key) for key in document["jwks"]["keys"])
    return StaticTrust.of([TrustedIssuer(body_code=body_code, issuer_id=issuer, keys=keys)])


def _summary(card: CardSummary) -> JSONObject:
    return {
        "card_id": card.card_id,
        "body_code": card.body_code,
        "body_name_ja": card.body_name_ja,
        "body_name_en": card.body_name_en,
        "tier": card.tier.value,
        "tier_ja": card.tier.label_ja,
        "tier_en": card.tier.label_en,
        "valid_from": card.valid_from.isoformat(),
        "valid_until": None if card.valid_until is None else card.valid_until.isoformat(),
        "expires_at": card.expires_at.isoformat(),
        "status": card.status,
        "status_checked_at": None
        if card.status_checked_at is None
        else card.status_checked_at.isoformat(),
        "unused_qr_copies": card.unused_qr_copies,
        "unused_sd_jwt_copies": card.unused_sd_jwt_copies,
    }


def _plan(plan: PresentationPlan) -> JSONObject:
    return {
        "card_id": plan.card_id,
        "profile": plan.profile_id,
        "profile_name_ja": plan.profile_name_ja,
        "profile_name_en": plan.profile_name_en,
        "audience": plan.audience,
        "meets_required_tier": plan.meets_tier,
        "always_shown": [
            {"label_ja": i.label_ja, "label_en": i.label_en, "value": i.value}
            for i in plan.always_shown
        ],
        "disclosed": [
            {
                "claim": "/".join(str(p) for p in i.path),
                "label_ja": i.label_ja,
                "label_en": i.label_en,
                "value": i.value,
            }
            for i in plan.disclosed
        ],
    }


def _cmd_init(args: argparse.Namespace) -> int:
    path = _path(args)
    if path.exists():
        raise UsageError(f"{shown(path)} exists; refusing to overwrite a wallet")
    wallet = _open(args, create=True)
    wallet.save()
    emit({"result": "ok", "wallet": str(path)})
    return EXIT_OK


def _cmd_accept(args: argparse.Namespace) -> int:
    wallet = _open(args)
    transport = _transport(args)
    trust = _trust(args, transport)
    offer: str = sys.stdin.read().strip() if args.offer == "-" else args.offer
    card = wallet.accept_offer(
        offer,
        tx_code=args.tx_code,
        transport=transport,
        trust=trust,
        copies=args.copies,
        allow_insecure_localhost=args.allow_localhost,
    )
    emit({"result": "ok", "card": _summary(card)})
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    wallet = _open(args)
    emit(
        {
            "result": "ok",
            "cards": [_summary(card) for card in wallet.cards()],
            "reminders": [
                {
                    "card_id": r.card_id,
                    "kind": r.kind,
                    "due": r.due.isoformat(),
                    "days_left": r.days_left,
                    "message_ja": r.message_ja,
                    "message_en": r.message_en,
                }
                for r in wallet.reminders()
            ],
        }
    )
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    wallet = _open(args)
    wallet.card(args.card)
    [summary] = [card for card in wallet.cards() if card.card_id == args.card]
    emit({"result": "ok", "card": _summary(summary)})
    return EXIT_OK


def _cmd_present(args: argparse.Namespace) -> int:
    wallet = _open(args)
    if args.profile not in BUILTIN_PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}: {', '.join(BUILTIN_PROFILES)}")
    if args.challenge_qr is not None:
        if args.nonce is not None:
            raise UsageError("give --nonce or --challenge-qr, not both")
        args.nonce = parse_challenge_qr(args.challenge_qr)
    plan = wallet.plan(args.card, builtin_profile(args.profile), audience=args.audience)
    out: JSONObject = {"result": "ok", "plan": _plan(plan)}
    if args.sd_jwt:
        if args.nonce is None:
            raise UsageError("an SD-JWT VC presentation needs the verifier's --nonce")
        out["presentation"] = wallet.present_sd_jwt(plan, nonce=args.nonce)
    else:
        from furusato_vc.qr.render import qr_version, render_png, render_terminal  # noqa: PLC0415

        text = wallet.present_qr(plan, nonce=args.nonce)
        out["qr_text"] = text
        out["qr_version"] = qr_version(text)
        if args.png is not None:
            args.png.write_bytes(render_png(text))
            out["png"] = str(args.png)
        if args.terminal:
            sys.stderr.write(render_terminal(text) + "\n")
    emit(out)
    return EXIT_OK


def _cmd_delete(args: argparse.Namespace) -> int:
    wallet = _open(args)
    wallet.delete(args.card)
    emit({"result": "ok", "deleted": args.card})
    return EXIT_OK


def _cmd_refresh(args: argparse.Namespace) -> int:
    wallet = _open(args)
    count = wallet.refresh_status(transport=_transport(args))
    emit({"result": "ok", "status_lists_refreshed": count})
    return EXIT_OK


def _cmd_notices(args: argparse.Namespace) -> int:
    wallet = _open(args)
    if args.all_interests:
        wallet.set_interests(None)
    elif args.interests is not None:
        wallet.set_interests([v for v in args.interests.split(",") if v.strip()])
    result = wallet.notices(transport=_transport(args))
    emit(
        {
            "result": "ok",
            "interests": None if wallet.interests is None else list(wallet.interests),
            "notices": [
                {
                    "body_code": item.body_code,
                    "id": item.notice.notice_id,
                    "category": item.notice.category.value,
                    "category_ja": item.notice.category.label_ja,
                    "category_en": item.notice.category.label_en,
                    "title_ja": item.notice.title.ja,
                    "title_en": item.notice.title.en,
                    "text_ja": item.notice.text.ja,
                    "text_en": item.notice.text.en,
                    "link": item.notice.link,
                }
                for item in result.notices
            ],
            "failures": [{"body_code": f.body_code, "code": f.code.value} for f in result.failures],
        }
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    wallet = sub.add_parser("wallet", help="a wallet for testing and demos")
    commands = wallet.add_subparsers(dest="wallet_command", required=True, parser_class=Parser)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--wallet", help=f"wallet file (default {DEFAULT_WALLET})")

    def network(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--timeout", type=float, default=30.0)

    init = commands.add_parser("init", help="create an empty encrypted wallet")
    common(init)
    init.set_defaults(func=_cmd_init)

    accept = commands.add_parser("accept-offer", help="accept a credential offer (URL or -)")
    common(accept)
    network(accept)
    accept.add_argument("offer", help="openid-credential-offer:// URL, or - for stdin")
    accept.add_argument("--tx-code", help="the transaction code shown by the issuer")
    accept.add_argument("--copies", type=int, help="batch copies per format (default 3)")
    accept.add_argument("--bundle", type=Path, help="verifier bundle with the trust list")
    accept.add_argument(
        "--unsafe-trust-issuer", metavar="URL", help="trust this issuer's own keys (tests only)"
    )
    accept.add_argument(
        "--allow-localhost", action="store_true", help="allow http:// issuers on 127.0.0.1"
    )
    accept.set_defaults(func=_cmd_accept)

    listing = commands.add_parser("list", help="the cards, with status and reminders")
    common(listing)
    listing.set_defaults(func=_cmd_list)

    show = commands.add_parser("show", help="one card")
    common(show)
    show.add_argument("card")
    show.set_defaults(func=_cmd_show)

    present = commands.add_parser("present", help="show a card to a verifier profile")
    common(present)
    present.add_argument("card")
    present.add_argument("--profile", required=True, help=", ".join(BUILTIN_PROFILES))
    present.add_argument("--audience", help="the verifier id (default: the profile id)")
    present.add_argument("--nonce", help="the verifier's challenge nonce")
    present.add_argument(
        "--challenge-qr", metavar="TEXT", help="the kiosk's challenge QR text (FN1:…)"
    )
    present.add_argument("--sd-jwt", action="store_true", help="SD-JWT VC instead of the QR")
    present.add_argument("--png", type=Path, help="write the QR code as PNG")
    present.add_argument("--terminal", action="store_true", help="draw the QR on stderr")
    present.set_defaults(func=_cmd_present)

    delete = commands.add_parser("delete", help="delete a card and its keys")
    common(delete)
    delete.add_argument("card")
    delete.set_defaults(func=_cmd_delete)

    refresh = commands.add_parser("refresh-status", help="fetch the cards' status lists")
    common(refresh)
    network(refresh)
    refresh.set_defaults(func=_cmd_refresh)

    notices = commands.add_parser("notices", help="notices from the bodies of your cards")
    common(notices)
    network(notices)
    notices.add_argument("--interests", metavar="TAG,TAG", help="keep only these interests")
    notices.add_argument("--all-interests", action="store_true", help="show every notice")
    notices.set_defaults(func=_cmd_notices)
