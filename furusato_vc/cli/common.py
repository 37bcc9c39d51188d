"""What every ``furusato-vc`` subcommand shares: the output contract, argument types and the
mapping of errors to exit codes."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from furusato_vc.core.encoding import parse_json
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.runtime import SystemClock

if TYPE_CHECKING:
    from pathlib import Path

    from furusato_vc.core.encoding import JSONObject

__all__ = [
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "MAX_INPUT_BYTES",
    "Parser",
    "UsageError",
    "duration",
    "emit",
    "iso",
    "moment",
    "now_of",
    "read_json_file",
    "shown",
]

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
MAX_INPUT_BYTES = 64 * 1024


class UsageError(Exception):
    """A usage or configuration problem: exit 2, no traceback."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def emit(obj: JSONObject) -> None:
    """One JSON object, always UTF-8 whatever the locale; undecodable file-name bytes
    (surrogate escapes) are shown as backslash escapes instead of breaking the output."""
    text = json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.buffer.flush()


def shown(path: Path) -> str:
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def read_json_file(path: Path) -> object:
    """Read at most MAX_INPUT_BYTES + 1 bytes, so /dev/zero or a huge file costs nothing."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {shown(path)}: {exc.strerror}") from exc
    if len(data) > MAX_INPUT_BYTES:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"file over {MAX_INPUT_BYTES} bytes")
    return parse_json(data)


_DURATION = re.compile(r"(\d{1,9})([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``48h``, ``7d`` (an argparse type)."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration like 48h or 7d: {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def moment(text: str) -> datetime:
    """An ISO 8601 time with its offset, e.g. ``2027-01-15T09:00:00+09:00`` (argparse type)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("the time needs an offset (Z or +09:00)")
    return value


def now_of(args: argparse.Namespace) -> datetime:
    """``--now`` when given (audits, tests), else the system clock."""
    given: datetime | None = getattr(args, "now", None)
    return given if given is not None else SystemClock().now()


def iso(seconds: int | None) -> str | None:
    """A NumericDate as ISO 8601 in UTC (``2027-01-15T00:00:00Z``)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
