"""``furusato-vc`` command line (an edge: it reads files, the clock and the CSPRNG).

Output contract for every subcommand: one JSON object on stdout; errors never print a
traceback. Exit codes: 0 success, 1 the input was rejected (a :class:`FurusatoError`, printed
with its stable ``code`` and Japanese and English messages), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from furusato_vc import __version__
from furusato_vc.core.encoding import parse_json
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError
from furusato_vc.core.jose import (
    SoftwareSigner,
    generate_es256_private_key,
    parse_private_jwk,
    parse_public_jwk,
    private_jwk,
)
from furusato_vc.core.messages import message_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    from furusato_vc.core.encoding import JSONObject

__all__ = ["main"]

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
_KID = re.compile(r"[\x21-\x7e]{1,128}")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


MAX_INPUT_BYTES = 64 * 1024


def _emit(obj: JSONObject) -> None:
    """One JSON object, always UTF-8 whatever the locale; undecodable file-name bytes
    (surrogate escapes) are shown as backslash escapes instead of breaking the output."""
    text = json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.buffer.flush()


def _shown(path: Path) -> str:
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _read_json_file(path: Path) -> object:
    """Read at most MAX_INPUT_BYTES + 1 bytes, so /dev/zero or a huge file costs nothing."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise _UsageError(f"cannot read {_shown(path)}: {exc.strerror}") from exc
    if len(data) > MAX_INPUT_BYTES:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"file over {MAX_INPUT_BYTES} bytes")
    return parse_json(data)


def _cmd_version(_args: argparse.Namespace) -> int:
    _emit({"version": __version__})
    return EXIT_OK


def _cmd_keygen(args: argparse.Namespace) -> int:
    if args.kid is not None and not _KID.fullmatch(args.kid):
        raise _UsageError("--kid must be 1-128 printable ASCII characters without spaces")
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
            raise _UsageError(f"cannot write {_shown(args.out)}: {exc.strerror}") from exc
    else:
        sys.stdout.buffer.write(text.encode("ascii"))
        return EXIT_OK
    _emit(
        {
            "kid": kid,
            "public_jwk": signer.public_jwk.with_kid(kid).to_json(),
            "out": _shown(args.out),
        }
    )
    return EXIT_OK


def _cmd_thumbprint(args: argparse.Namespace) -> int:
    value = _read_json_file(args.jwk)
    if isinstance(value, dict) and "d" in value:
        private, _kid = parse_private_jwk(value)
        jwk = SoftwareSigner(private).public_jwk
    else:
        jwk = parse_public_jwk(value)  # type: ignore[arg-type]
    _emit({"thumbprint": jwk.thumbprint(), "jwk": jwk.to_json()})
    return EXIT_OK


def _build_parser() -> _Parser:
    parser = _Parser(prog="furusato-vc", description="furusato registration credentials")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("version", help="print the version").set_defaults(func=_cmd_version)
    keygen = sub.add_parser("keygen", help="generate an ES256 (P-256) private JWK")
    keygen.add_argument("--kid", help="key id (default: RFC 7638 thumbprint)")
    keygen.add_argument("--out", type=Path, help="write the private JWK here (mode 0600)")
    keygen.set_defaults(func=_cmd_keygen)
    thumb = sub.add_parser("thumbprint", help="RFC 7638 thumbprint of a JWK file")
    thumb.add_argument("jwk", type=Path)
    thumb.set_defaults(func=_cmd_thumbprint)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        result: int = args.func(args)
    except _UsageError as exc:
        _emit({"result": "error", "code": "usage", "message_en": str(exc)})
        return EXIT_USAGE
    except FurusatoError as exc:
        message = message_for(exc.code)
        _emit(
            {
                "result": "rejected",
                "code": exc.code.value,
                "message_ja": message.ja,
                "message_en": message.en,
                "detail": exc.detail,
            }
        )
        return EXIT_REJECTED
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
