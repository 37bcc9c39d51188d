"""``furusato-vc kiosk``: serve the verifier kiosk page on 127.0.0.1 (an edge: the system
clock, the CSPRNG for challenge nonces, the bundle directory, a listening socket).

It prints one JSON object when it is serving (``{"result": "serving", "url": …}``) and runs
until interrupted (Ctrl-C or SIGTERM), then exits 0. A missing or damaged bundle, an unknown
policy, a bad ``--accept`` code or a port in use are configuration errors (exit 2).
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from furusato_vc.cli.common import EXIT_OK, Parser, UsageError, duration, emit, shown
from furusato_vc.core.errors import FurusatoError
from furusato_vc.core.policy_document import BUILTIN_POLICY_IDS
from furusato_vc.core.registration.bodies import load_bodies, validate_body_code
from furusato_vc.runtime import SystemClock, SystemRandom
from furusato_vc.verifier.benefits import parse_benefit_ref

if TYPE_CHECKING:
    import argparse

    from furusato_vc.verifier.kiosk import KioskServer

__all__ = ["build_server", "register"]

DEFAULT_PORT = 8765


def _default_bundle() -> Path:
    return Path(os.environ.get("FURUSATO_BUNDLE", "bundle"))


def build_server(args: argparse.Namespace) -> KioskServer:
    """The server for parsed ``kiosk`` arguments (not yet serving).

    Raises:
        UsageError: every configuration problem.
    """
    # the qr extra (Pillow, zxing-cpp) is optional: only this command needs it
    from furusato_vc.verifier.bundle_store import BundleDirectory
    from furusato_vc.verifier.kiosk import KioskServer, KioskService, KioskSettings
    from furusato_vc.verifier.policy_file import UnknownPolicyError, load_policy

    try:
        document = load_policy(args.policy)
    except UnknownPolicyError as exc:
        raise UsageError(str(exc)) from None
    except (OSError, FurusatoError) as exc:
        raise UsageError(f"cannot use policy {args.policy!r}: {exc}") from None
    profile = document.to_profile()
    try:
        accept = tuple(validate_body_code(code) for code in args.accept)
    except FurusatoError as exc:
        raise UsageError(f"--accept: not a body code ({exc.code})") from exc
    if not accept and document.accept is not None and not document.accept.any_body:
        # the document's own scope: its bodies, or a prefecture and its municipalities
        registry = load_bodies()
        codes = set(document.accept.bodies)
        for prefecture in document.accept.prefectures:
            codes.add(prefecture)
            codes.update(body.code for body in registry.municipalities_of(prefecture))
        accept = tuple(sorted(codes))
    clear_after: timedelta = args.clear_after
    if clear_after <= timedelta(0):
        raise UsageError("--clear-after must be positive")
    if args.benefit and profile.benefit_ja is None:
        raise UsageError(f"policy {profile.id} shows no benefit; drop --benefit")
    try:
        offered = tuple(parse_benefit_ref(value) for value in args.benefit)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    settings = KioskSettings(
        profile=profile,
        accept=accept,
        benefits=offered,
        audience=args.audience,
        challenge=args.challenge or document.challenge,
        clear_after=clear_after,
    )
    bundle: Path = args.bundle if args.bundle is not None else _default_bundle()
    try:
        service = KioskService(
            settings=settings,
            directory=BundleDirectory(bundle),
            clock=SystemClock(),
            random=SystemRandom(),
        )
    except FurusatoError as exc:
        raise UsageError(
            f"cannot use the bundle in {shown(bundle)} ({exc.code}); "
            "sync it first with 'furusato-vc bundle sync'"
        ) from exc
    try:
        return KioskServer(service, port=args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from exc


def _stop(_signum: int, _frame: object) -> NoReturn:
    raise KeyboardInterrupt


def _cmd_kiosk(args: argparse.Namespace) -> int:
    server = build_server(args)
    settings = server.service.settings
    emit(
        {
            "result": "serving",
            "url": server.url,
            "profile": settings.profile.id,
            "accept": list(settings.accept) or "any",
            "challenge": settings.challenge,
        }
    )
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    return EXIT_OK


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(text)
    return value


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    kiosk = sub.add_parser(
        "kiosk", help="serve the verifier kiosk page on 127.0.0.1 (scanner, camera, image)"
    )
    kiosk.add_argument(
        "--bundle",
        type=Path,
        default=None,
        metavar="DIR",
        help="the synced bundle (default: $FURUSATO_BUNDLE or ./bundle)",
    )
    kiosk.add_argument(
        "--policy",
        required=True,
        metavar="NAME|FILE",
        help=f"built-in policy ({', '.join(BUILTIN_POLICY_IDS)}) or a policy document file",
    )
    kiosk.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="CODE",
        help="accept only this body (6-digit code; repeatable). Default: any body in the bundle",
    )
    kiosk.add_argument(
        "--benefit",
        action="append",
        default=[],
        metavar="CODE/ID",
        help="a benefit this place offers, as its body registered it (repeatable)",
    )
    kiosk.add_argument("--port", type=_port, default=DEFAULT_PORT, help="default 8765")
    kiosk.add_argument(
        "--challenge", action="store_true", help="show a nonce QR first and require that nonce"
    )
    kiosk.add_argument(
        "--clear-after",
        type=duration,
        default=timedelta(seconds=5),
        metavar="DURATION",
        help="how long a verdict stays on screen (default 5s)",
    )
    kiosk.add_argument("--audience", help="this kiosk's verifier id (default: the profile id)")
    kiosk.set_defaults(func=_cmd_kiosk)
