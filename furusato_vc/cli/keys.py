"""``furusato-vc version | keygen | thumbprint``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from furusato_vc import __version__
from furusato_vc.cli.common import EXIT_OK, Parser, UsageError, emit, read_json_file, shown
from furusato_vc.core.jose import (
    SoftwareSigner,
    generate_es256_private_key,
    parse_private_jwk,
    parse_public_jwk,
    private_jwk,
)

if TYPE_CHECKING:
    import argparse

    from furusato_vc.core.jose import PublicJwk

__all__ = ["KID", "load_public_jwk", "register"]

KID = re.compile(r"[\x21-\x7e]{1,128}")


def load_public_jwk(path: Path) -> PublicJwk:
    """A public JWK file, or the public half of a private one (keygen's output)."""
    value = read_json_file(path)
    if isinstance(value, dict) and "d" in value:
        private, kid = parse_private_jwk(value)
        return SoftwareSigner(private, kid=kid).public_jwk
    return parse_public_jwk(value)  # type: ignore[arg-type]


def _cmd_version(_args: argparse.Namespace) -> int:
    emit({"version": __version__})
    return EXIT_OK


def _cmd_keygen(args: argparse.Namespace) -> int:
    if args.kid is not None and not KID.fullmatch(args.kid):
        raise UsageError("--kid must be 1-128 printable ASCII characters without spaces")
    key = generate_es256_private_key()
    signer = SoftwareSigner(key, kid=args.kid)
    kid = args.kid or signer.public_jwk.thumbprint()
    secret = private_jwk(key, kid=kid)
    text = json.dumps(secret, indent=2) + "\n"
    if args.out is not None:
        try:
            args.out.touch(mode=0o600, exist_ok=False)
            args.out.write_text(text, encoding="ascii")
        except OSError as exc:
            raise UsageError(f"cannot write {shown(args.out)}: {exc.strerror}") from exc
    else:
        sys.stdout.buffer.write(text.encode("ascii"))
        return EXIT_OK
    emit(
        {
            "kid": kid,
            "public_jwk": signer.public_jwk.with_kid(kid).to_json(),
            "out": shown(args.out),
        }
    )
    return EXIT_OK


def _cmd_thumbprint(args: argparse.Namespace) -> int:
    value = read_json_file(args.jwk)
    if isinstance(value, dict) and "d" in value:
        private, _kid = parse_private_jwk(value)
        jwk = SoftwareSigner(private).public_jwk
    else:
        jwk = parse_public_jwk(value)  # type: ignore[arg-type]
    emit({"thumbprint": jwk.thumbprint(), "jwk": jwk.to_json()})
    return EXIT_OK


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    sub.add_parser("version", help="print the version").set_defaults(func=_cmd_version)
    keygen = sub.add_parser("keygen", help="generate an ES256 (P-256) private JWK")
    keygen.add_argument("--kid", help="key id (default: RFC 7638 thumbprint)")
    keygen.add_argument("--out", type=Path, help="write the private JWK here (mode 0600)")
    keygen.set_defaults(func=_cmd_keygen)
    thumb = sub.add_parser("thumbprint", help="RFC 7638 thumbprint of a JWK file")
    thumb.add_argument("jwk", type=Path)
    thumb.set_defaults(func=_cmd_thumbprint)
