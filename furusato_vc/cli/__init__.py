"""``furusato-vc`` command line (an edge: it reads files, the clock and the CSPRNG).

Output contract for every subcommand: one JSON object on stdout; errors never print a
traceback. Exit codes: 0 success, 1 the input was rejected (a :class:`FurusatoError`, printed
with its stable ``code`` and Japanese and English messages), 2 usage or configuration error.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from furusato_vc.cli import bundle, issuer, keys, kiosk, trust, verify, wallet
from furusato_vc.cli.common import EXIT_REJECTED, EXIT_USAGE, Parser, UsageError, emit
from furusato_vc.core.errors import FurusatoError
from furusato_vc.core.messages import message_for

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def _build_parser() -> Parser:
    parser = Parser(prog="furusato-vc", description="furusato registration credentials")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    keys.register(sub)
    trust.register(sub)
    bundle.register(sub)
    issuer.register(sub)
    wallet.register(sub)
    verify.register(sub)
    kiosk.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        result: int = args.func(args)
    except UsageError as exc:
        emit({"result": "error", "code": "usage", "message_en": str(exc)})
        return EXIT_USAGE
    except FurusatoError as exc:
        message = message_for(exc.code)
        emit(
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
