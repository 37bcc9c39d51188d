"""The ``furusato-vc`` command line (:mod:`furusato_vc.cli`).

Contract under test (module docstring of ``cli.py``): every run prints one JSON object on
stdout and never a traceback; exit 0 on success, 1 when the input is rejected (with the stable
``code`` and Japanese and English messages), 2 for usage or configuration errors.

In-process tests call ``main(argv)`` with ``capsys``; the hostile-input tests run the installed
console script as a subprocess so that interpreter start-up, argv decoding and stdout encoding
are the real ones.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jwcrypto import jwk as jwcrypto_jwk

import furusato_vc
from furusato_vc.cli import main
from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.jose import (
    SoftwareSigner,
    parse_private_jwk,
    private_jwk,
    public_jwk_from_key,
)
from furusato_vc.core.messages import MESSAGES
from tests.helpers import fixed_p256_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose import PrivateKey

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

# The console script installed next to the interpreter running the tests (.venv/bin).
CONSOLE_SCRIPT = Path(sys.executable).parent / "furusato-vc"

KEY = fixed_p256_key("test_cli")
OTHER_KEY = fixed_p256_key("test_cli-other")


def _one_object(text: str) -> dict[str, Any]:
    """stdout must be exactly one JSON object (json.loads rejects trailing data)."""
    value: object = json.loads(text)
    assert isinstance(value, dict)
    return value


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    return code, _one_object(capsys.readouterr().out)


def _write_json(path: Path, value: JSONObject | list[object]) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _public_json(key: PrivateKey) -> JSONObject:
    return public_jwk_from_key(key.public_key()).to_json()


def _assert_rejected(result: dict[str, Any], code: ErrorCode) -> None:
    assert result["result"] == "rejected"
    assert result["code"] == code.value
    assert result["message_ja"] == MESSAGES[code].ja
    assert result["message_en"] == MESSAGES[code].en
    assert result["message_ja"]
    assert result["message_en"]


# --------------------------------------------------------------------------- version


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _run(capsys, "version")
    assert code == EXIT_OK
    assert result == {"version": furusato_vc.__version__}


# --------------------------------------------------------------------------- keygen


def test_keygen_to_stdout_prints_a_loadable_private_jwk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, jwk = _run(capsys, "keygen")
    assert code == EXIT_OK
    key, kid = parse_private_jwk(jwk)
    assert jwk["kty"] == "EC"
    assert jwk["crv"] == "P-256"
    assert "d" in jwk
    assert kid == public_jwk_from_key(key.public_key()).thumbprint()  # RFC 7638 default


def test_keygen_uses_the_given_kid(capsys: pytest.CaptureFixture[str]) -> None:
    code, jwk = _run(capsys, "keygen", "--kid", "042056-2027-01")
    assert code == EXIT_OK
    _key, kid = parse_private_jwk(jwk)
    assert kid == "042056-2027-01"


def test_keygen_generates_a_fresh_key_each_run(capsys: pytest.CaptureFixture[str]) -> None:
    _code, first = _run(capsys, "keygen")
    _code, second = _run(capsys, "keygen")
    assert first["d"] != second["d"]


def test_keygen_out_writes_the_private_jwk_with_mode_0600(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "issuer.jwk"
    code, _summary = _run(capsys, "keygen", "--out", str(out))
    assert code == EXIT_OK
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    key, kid = parse_private_jwk(json.loads(out.read_text(encoding="ascii")))
    assert kid == public_jwk_from_key(key.public_key()).thumbprint()


def test_keygen_out_prints_only_the_public_jwk(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "issuer.jwk"
    assert main(["keygen", "--out", str(out)]) == EXIT_OK
    stdout = capsys.readouterr().out
    secret = json.loads(out.read_text(encoding="ascii"))
    summary = _one_object(stdout)
    assert '"d"' not in stdout
    assert secret["d"] not in stdout
    assert summary["kid"] == secret["kid"]
    assert summary["out"] == str(out)
    assert summary["public_jwk"] == {k: v for k, v in secret.items() if k != "d"}


def test_keygen_out_refuses_to_overwrite_an_existing_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "issuer.jwk"
    out.write_text("keep me\n", encoding="ascii")
    code, result = _run(capsys, "keygen", "--out", str(out))
    assert code == EXIT_USAGE
    assert result["result"] == "error"
    assert result["code"] == "usage"
    assert out.read_text(encoding="ascii") == "keep me\n"


def test_keygen_out_into_a_missing_directory_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, result = _run(capsys, "keygen", "--out", str(tmp_path / "missing" / "issuer.jwk"))
    assert code == EXIT_USAGE
    assert result["code"] == "usage"


@pytest.mark.parametrize(
    "kid",
    ["", "鍵", "a" * 129, "two words"],
    ids=["empty", "non-ascii", "too-long", "space"],
)
def test_keygen_with_an_invalid_kid_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], kid: str
) -> None:
    # parse_public_jwk only accepts 1-128 printable ASCII characters as kid, so keygen must not
    # write a key its own loader refuses; it must say so as JSON, not raise.
    code, result = _run(capsys, "keygen", "--kid", kid)
    assert code == EXIT_USAGE
    assert result["result"] == "error"


# --------------------------------------------------------------------------- thumbprint


def test_thumbprint_of_public_and_private_jwk_agree(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    public = _write_json(tmp_path / "public.jwk", _public_json(KEY))
    private = _write_json(tmp_path / "private.jwk", private_jwk(KEY))
    code_public, from_public = _run(capsys, "thumbprint", str(public))
    code_private, from_private = _run(capsys, "thumbprint", str(private))
    assert (code_public, code_private) == (EXIT_OK, EXIT_OK)
    assert from_public["thumbprint"] == from_private["thumbprint"]
    assert from_public["thumbprint"] == SoftwareSigner(KEY).public_jwk.thumbprint()


def test_thumbprint_matches_an_independent_implementation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    public = _public_json(KEY)
    _code, result = _run(capsys, "thumbprint", str(_write_json(tmp_path / "k.jwk", public)))
    oracle = jwcrypto_jwk.JWK(**public).thumbprint()
    assert result["thumbprint"] == oracle


def test_thumbprint_of_a_private_jwk_never_prints_d(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = private_jwk(KEY)
    assert main(["thumbprint", str(_write_json(tmp_path / "k.jwk", secret))]) == EXIT_OK
    stdout = capsys.readouterr().out
    assert '"d"' not in stdout
    assert str(secret["d"]) not in stdout
    assert "d" not in _one_object(stdout)["jwk"]


def test_thumbprint_of_keygen_output_is_its_default_kid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "issuer.jwk"
    _code, summary = _run(capsys, "keygen", "--out", str(out))
    _code, result = _run(capsys, "thumbprint", str(out))
    assert result["thumbprint"] == summary["kid"]


def _mismatched_private_jwk() -> JSONObject:
    mixed = private_jwk(KEY)
    mixed["d"] = private_jwk(OTHER_KEY)["d"]
    return mixed


MALFORMED_JWKS: dict[str, JSONObject | list[object]] = {
    "not-an-object": [],
    "empty-object": {},
    "rsa": {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
    "p384": {**_public_json(KEY), "crv": "P-384"},
    "short-coordinate": {**_public_json(KEY), "x": "AAAA"},
    "off-curve": {**_public_json(KEY), "y": _public_json(OTHER_KEY)["y"]},
    "encryption-key": {**_public_json(KEY), "use": "enc"},
    "private-d-mismatch": _mismatched_private_jwk(),
    "private-d-not-base64url": {**private_jwk(KEY), "d": "***"},
}


@pytest.mark.parametrize("jwk", MALFORMED_JWKS.values(), ids=MALFORMED_JWKS.keys())
def test_thumbprint_of_a_malformed_jwk_is_rejected(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwk: JSONObject | list[object]
) -> None:
    code, result = _run(capsys, "thumbprint", str(_write_json(tmp_path / "bad.jwk", jwk)))
    assert code == EXIT_REJECTED
    _assert_rejected(result, ErrorCode.MALFORMED_JWK)


def test_thumbprint_of_a_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, result = _run(capsys, "thumbprint", str(tmp_path / "absent.jwk"))
    assert code == EXIT_USAGE
    assert result["result"] == "error"
    assert result["code"] == "usage"


def test_thumbprint_of_a_directory_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, result = _run(capsys, "thumbprint", str(tmp_path))
    assert code == EXIT_USAGE
    assert result["code"] == "usage"


INVALID_JSON_FILES: dict[str, tuple[bytes, ErrorCode]] = {
    "truncated": (b'{"kty": "EC"', ErrorCode.MALFORMED_JSON),
    "empty": (b"", ErrorCode.MALFORMED_JSON),
    "not-utf8": (b'{"kty": "\xff"}', ErrorCode.MALFORMED_JSON),
    "byte-order-mark": (b'\xef\xbb\xbf{"kty": "EC"}', ErrorCode.MALFORMED_JSON),
    "duplicate-key": (b'{"kty": "EC", "kty": "OKP"}', ErrorCode.JSON_DUPLICATE_KEY),
    "too-large": (b"[" * 70_000, ErrorCode.INPUT_TOO_LARGE),
    "too-deep": (b"[" * 60_000, ErrorCode.JSON_TOO_DEEP),
    "nan": (b'{"kty": NaN}', ErrorCode.JSON_NUMBER_OUT_OF_RANGE),
}


@pytest.mark.parametrize(
    ("data", "expected"), INVALID_JSON_FILES.values(), ids=INVALID_JSON_FILES.keys()
)
def test_thumbprint_of_invalid_json_is_rejected_with_its_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, expected: ErrorCode
) -> None:
    path = tmp_path / "bad.jwk"
    path.write_bytes(data)
    code, result = _run(capsys, "thumbprint", str(path))
    assert code == EXIT_REJECTED
    _assert_rejected(result, expected)


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["thumbprint"],
        ["keygen", "--out"],
        ["keygen", "--kid"],
        ["keygen", "--bogus"],
        ["version", "extra"],
    ],
    ids=[
        "no-subcommand",
        "unknown-subcommand",
        "thumbprint-without-file",
        "out-without-value",
        "kid-without-value",
        "unknown-option",
        "extra-argument",
    ],
)
def test_usage_errors_exit_2_with_one_json_object(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    result = _one_object(captured.out)
    assert result["result"] == "error"
    assert result["code"] == "usage"
    assert result["message_en"]
    assert "Traceback" not in captured.err


# --------------------------------------------------------------------------- console script
# No input ever produces a traceback: the real entry point, run as a subprocess.


def _run_console(
    *args: str | bytes | Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    assert CONSOLE_SCRIPT.exists(), f"console script not installed at {CONSOLE_SCRIPT}"
    return subprocess.run(
        [CONSOLE_SCRIPT, *args], capture_output=True, timeout=60, check=False, env=env
    )


def _clean_json_result(
    proc: subprocess.CompletedProcess[bytes], *, exit_codes: frozenset[int]
) -> dict[str, Any]:
    """No traceback, an expected exit code, and stdout one JSON object in UTF-8."""
    stderr = proc.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in proc.stdout, stderr
    assert b"Traceback" not in proc.stderr, stderr
    assert proc.returncode in exit_codes, (proc.returncode, stderr)
    try:
        text = proc.stdout.decode("utf-8")  # RFC 8259 §8.1: JSON text is UTF-8
    except UnicodeDecodeError:
        pytest.fail(f"stdout is not valid UTF-8: {proc.stdout!r}")
    return _one_object(text)


FAILED = frozenset({EXIT_REJECTED, EXIT_USAGE})

HOSTILE_FILES: dict[str, tuple[bytes, ErrorCode]] = {
    "binary": (bytes(range(256)) * 16, ErrorCode.MALFORMED_JSON),
    "empty": (b"", ErrorCode.MALFORMED_JSON),
    "nul-bytes": (b"\x00" * 1024, ErrorCode.MALFORMED_JSON),
    "ten-mb-of-brackets": (b"[" * 10_000_000, ErrorCode.INPUT_TOO_LARGE),
    "deep-brackets": (b"[" * 60_000, ErrorCode.JSON_TOO_DEEP),
}


@pytest.mark.parametrize(("data", "expected"), HOSTILE_FILES.values(), ids=HOSTILE_FILES.keys())
def test_console_thumbprint_of_hostile_file_fails_cleanly(
    tmp_path: Path, data: bytes, expected: ErrorCode
) -> None:
    path = tmp_path / "hostile.jwk"
    path.write_bytes(data)
    result = _clean_json_result(_run_console("thumbprint", path), exit_codes=FAILED)
    assert result["code"] == expected.value


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        [b"\xff\xfe"],
        ["thumbprint"],
        ["keygen", "--kid", ""],
        ["keygen", "--kid", b"\xff"],
    ],
    ids=[
        "no-subcommand",
        "unknown-subcommand",
        "non-utf8-subcommand",
        "missing-file-argument",
        "empty-kid",
        "non-utf8-kid",
    ],
)
def test_console_bad_arguments_fail_cleanly(argv: list[str | bytes]) -> None:
    result = _clean_json_result(_run_console(*argv), exit_codes=FAILED)
    assert result["result"] == "error"


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not Path("/dev/zero").exists(),
    reason="needs /dev/zero and RLIMIT_AS",
)
def test_console_thumbprint_of_an_endless_file_is_bounded() -> None:
    # Bounded inputs: the size limit must hold before the whole file is read. The address
    # space is capped so that reading /dev/zero to the end fails fast instead of eating memory.
    limit = 1 << 30
    launcher = (
        "import os, resource, sys;"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}));"
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", launcher, CONSOLE_SCRIPT, "thumbprint", "/dev/zero"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    result = _clean_json_result(proc, exit_codes=FAILED)
    assert result["code"] == ErrorCode.INPUT_TOO_LARGE.value


# Non-UTF-8 file names reach Python as surrogate escapes. They are run twice: with the
# inherited stdio settings, and with a strict UTF-8 stdout (PYTHONIOENCODING=utf-8, as under
# a UTF-8 locale such as en_US.UTF-8 where Python does not use surrogateescape on stdout).
STDIO = {
    "inherited-stdio": None,
    "strict-utf8-stdout": {**os.environ, "PYTHONIOENCODING": "utf-8"},
}


def _non_utf8_path(directory: Path, raw_name: bytes) -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("file names are arbitrary bytes only on Linux file systems")
    return directory / os.fsdecode(raw_name)


@pytest.mark.parametrize("env", STDIO.values(), ids=STDIO.keys())
def test_console_thumbprint_of_non_utf8_named_file_fails_cleanly(
    tmp_path: Path, env: dict[str, str] | None
) -> None:
    path = _non_utf8_path(tmp_path, b"\xff\xfe-key.jwk")
    path.write_text("{}", encoding="ascii")
    result = _clean_json_result(_run_console("thumbprint", path, env=env), exit_codes=FAILED)
    assert result["code"] == ErrorCode.MALFORMED_JWK.value


@pytest.mark.parametrize("env", STDIO.values(), ids=STDIO.keys())
def test_console_thumbprint_of_missing_non_utf8_path_fails_cleanly(
    tmp_path: Path, env: dict[str, str] | None
) -> None:
    path = _non_utf8_path(tmp_path, b"\xff\xfe-absent.jwk")
    result = _clean_json_result(_run_console("thumbprint", path, env=env), exit_codes=FAILED)
    assert result["code"] == "usage"


@pytest.mark.parametrize("env", STDIO.values(), ids=STDIO.keys())
def test_console_keygen_out_to_non_utf8_path_reports_json(
    tmp_path: Path, env: dict[str, str] | None
) -> None:
    path = _non_utf8_path(tmp_path, b"\xfe-issuer.jwk")
    result = _clean_json_result(
        _run_console("keygen", "--out", path, env=env), exit_codes=frozenset({EXIT_OK})
    )
    assert "d" not in result["public_jwk"]
    assert parse_private_jwk(json.loads(path.read_bytes()))[1] == result["kid"]
