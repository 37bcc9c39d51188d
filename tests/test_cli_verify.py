"""``furusato-vc verify`` (:mod:`furusato_vc.cli.verify`).

Contract: one JSON object on stdout; exit 0 verified, 1 rejected (stable ``code``, Japanese and
English messages), 2 usage or configuration error; never a traceback.

The centre of this module is :data:`CASES`: one input per rejection code a verifier can
produce, each driven through ``main([...])`` against a bundle synced on disk
(:mod:`tests.verify_cli_fixtures`). :data:`NOT_FROM_A_CARD` lists the codes of the verification
path that no card can produce, with the reason; a test scans the sources of that path so that a
code added there later must be placed in one list or the other.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import sys
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cbor2
import pytest
import segno
from PIL import Image

from furusato_vc.cli import main
from furusato_vc.core.base45 import b45encode
from furusato_vc.core.cbor import encode_cbor
from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.messages import MESSAGES
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.qrtext import encode_qr_text
from furusato_vc.core.registration.claims import BASIC_VCT
from furusato_vc.core.sdjwt.disclosure import make_array_disclosure, make_object_disclosure
from furusato_vc.core.sdjwt.hashing import SdAlg, digest
from furusato_vc.qr import read as qr_read
from furusato_vc.qr.render import render_png
from tests.core.compact.builders import credential_payload, forge_credential, forge_kbt
from tests.helpers import fixed_signer
from tests.registration_fixtures import ISSUER_BASE, KESENNUMA, MINAMIMINOWA
from tests.verify_cli_fixtures import (
    BASE,
    BASE_PAYLOAD,
    KB_NONCE,
    LATER,
    NOW,
    NOW_S,
    World,
    build_world,
    disclosure_named,
    other_body_status,
    payload,
    present,
    resign,
    sd_jwt,
    show_qr,
    show_sd_jwt,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("verify-world"))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["verify", *argv])
    out = capsys.readouterr()
    value: object = json.loads(out.out)  # exactly one JSON object: json.loads refuses more
    assert isinstance(value, dict)
    assert "Traceback" not in out.err
    return code, value


def _verify(
    capsys: pytest.CaptureFixture[str],
    world: World,
    text: str,
    *,
    policy: str = "garbage-station",
    now: datetime = NOW,
    bundle: Path | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[int, dict[str, Any]]:
    return _run(
        capsys,
        "--bundle",
        str(bundle or world.bundle),
        "--policy",
        policy,
        "--now",
        _iso(now),
        *extra,
        "--text",
        text,
    )


def _assert_rejected(result: dict[str, Any], code: ErrorCode) -> None:
    assert (result["result"], result["code"]) == ("rejected", code.value), result
    assert result["message_ja"] == MESSAGES[code].ja
    assert result["message_en"] == MESSAGES[code].en


# =========================================================================== verified


@pytest.mark.parametrize(
    ("policy", "card", "form"),
    [
        ("garbage-station", "basic", "qr"),
        ("garbage-station", "premium", "sd-jwt-vc"),
        ("shop", "basic", "qr"),
        ("shop", "basic", "sd-jwt-vc"),
        ("nursery", "premium", "qr"),
        ("school", "premium", "sd-jwt-vc"),
        ("public-facility", "premium", "qr"),
    ],
)
def test_each_builtin_policy_verifies_its_card(
    capsys: pytest.CaptureFixture[str], world: World, policy: str, card: str, form: str
) -> None:
    held = getattr(world, card)
    requested = builtin_profile(policy).requested
    show = show_qr if form == "qr" else show_sd_jwt
    code, result = _verify(capsys, world, show(held, policy, disclose=requested), policy=policy)
    assert code == EXIT_OK, result
    assert result["result"] == "verified"
    assert result["code"] is None
    assert result["format"] == form
    assert result["policy"]["id"] == policy
    assert [item["claim"] for item in result["disclosed"]] == [
        "/".join(map(str, path)) for path in requested
    ]


def test_verified_output_names_body_tier_dates_claims_and_benefit(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    text = show_qr(world.basic, "shop", disclose=[("member_number",)])
    code, result = _verify(capsys, world, text, policy="shop")
    assert code == EXIT_OK
    assert result == {
        "result": "verified",
        "code": None,
        "message_ja": "有効な登録証です。",
        "message_en": "The registration card is valid.",
        "policy": {"id": "shop", "name_ja": "協力店", "name_en": "Partner shop"},
        "format": "qr",
        "body": {
            "code": KESENNUMA,
            "name_ja": "宮城県気仙沼市",
            "name_en": "Kesennuma City, Miyagi Prefecture",
        },
        "tier": "basic",
        "tier_ja": "ベーシック",
        "tier_en": "Basic",
        "valid_from": "2027-01-15",
        "valid_until": None,
        "expires_at": result["expires_at"],
        "checked_at": "2027-01-15T00:00:00Z",
        "disclosed": [
            {
                "claim": "member_number",
                "label_ja": "会員番号",
                "label_en": "Member number",
                "value": "KSN-2027-000123",
            }
        ],
        "benefit": {"ja": "登録者特典", "en": "Registrant benefit"},
        "place_benefit": None,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["expires_at"])


def test_nursery_sees_names_birthdate_and_stay_in_the_policys_order(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    requested = builtin_profile("nursery").requested
    text = show_sd_jwt(world.premium, "nursery", disclose=requested)
    code, result = _verify(capsys, world, text, policy="nursery")
    assert code == EXIT_OK
    shown = {item["claim"]: item["value"] for item in result["disclosed"]}
    assert shown == {
        "family_name": "山田",
        "given_name": "花子",
        "family_name#ja-Kana-JP": "ヤマダ",
        "given_name#ja-Kana-JP": "ハナコ",
        "birthdate": "1988-04-02",
        "stay": {"from": "2027-01-15", "until": "2027-07-14"},
    }
    assert result["body"]["name_ja"] == "長野県南箕輪村"
    assert result["valid_until"] == "2028-01-14"
    assert result["benefit"] is None


def test_garbage_station_learns_nothing_personal(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    code, result = _verify(capsys, world, show_qr(world.premium))
    assert code == EXIT_OK
    assert result["disclosed"] == []
    assert "山田" not in json.dumps(result, ensure_ascii=False)


def test_municipality_policy_document_is_used(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    document = {
        "id": "ksn-shop",
        "name": {"ja": "気仙沼の店", "en": "Kesennuma shop"},
        "accept": {"bodies": [KESENNUMA]},
        "required_disclosures": [["member_number"]],
        "benefit": {"ja": "10%引き", "en": "10% off"},
    }
    path = tmp_path / "ksn-shop.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    text = show_qr(world.basic, "ksn-shop", disclose=[("member_number",)])
    code, result = _verify(capsys, world, text, policy=str(path))
    assert code == EXIT_OK, result
    assert result["benefit"] == {"ja": "10%引き", "en": "10% off"}
    premium = show_qr(world.premium, "ksn-shop", disclose=[("member_number",)])
    code, result = _verify(capsys, world, premium, policy=str(path))
    _assert_rejected(result, ErrorCode.ISSUER_NOT_TRUSTED)  # 南箕輪村 is not accepted here


def test_accept_restricts_the_bodies(capsys: pytest.CaptureFixture[str], world: World) -> None:
    text = show_qr(world.premium)
    code, result = _verify(capsys, world, text, extra=("--accept", KESENNUMA))
    assert code == EXIT_REJECTED
    _assert_rejected(result, ErrorCode.ISSUER_NOT_TRUSTED)
    both = ("--accept", KESENNUMA, "--accept", MINAMIMINOWA)
    assert _verify(capsys, world, show_qr(world.premium), extra=both)[0] == EXIT_OK


def test_challenge_nonce_is_required_when_given(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    text = show_sd_jwt(world.basic, nonce="challenge-7")
    assert _verify(capsys, world, text, extra=("--nonce", "challenge-7"))[0] == EXIT_OK
    qr = show_qr(world.basic, nonce="challenge-8")
    assert _verify(capsys, world, qr, extra=("--nonce", "challenge-8"))[0] == EXIT_OK


def test_image_of_a_qr_code_is_read_and_verified(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    image = tmp_path / "card.png"
    image.write_bytes(render_png(show_qr(world.basic), error="M", scale=4))
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "garbage-station", "--now", _iso(NOW),
        str(image),
    )  # fmt: skip
    assert code == EXIT_OK, result
    assert result["format"] == "qr"


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
def test_stdin_text_with_one_line_ending_is_verified(
    capsys: pytest.CaptureFixture[str],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    ending: bytes,
) -> None:
    data = show_qr(world.basic).encode() + ending
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "garbage-station", "--now", _iso(NOW),
        "-",
    )  # fmt: skip
    assert code == EXIT_OK, result


def test_stdin_text_with_two_line_endings_is_rejected(
    capsys: pytest.CaptureFixture[str], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = show_qr(world.basic).encode() + b"\n\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "garbage-station", "--now", _iso(NOW),
        "-",
    )  # fmt: skip
    assert code == EXIT_REJECTED
    _assert_rejected(result, ErrorCode.MALFORMED_BASE45)


def test_text_starting_with_a_dash_is_passed_with_an_equals_sign(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "shop", "--now", _iso(NOW),
        "--text=-AAA~x",
    )  # fmt: skip
    _assert_rejected(result, ErrorCode.MALFORMED_JWS)
    code, result = _run(capsys, "--bundle", str(world.bundle), "--policy", "shop", "--text", "-A")
    assert (code, result["code"]) == (EXIT_USAGE, "usage")


def test_bundle_and_policy_from_the_environment(
    capsys: pytest.CaptureFixture[str], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FURUSATO_BUNDLE", str(world.bundle))
    monkeypatch.setenv("FURUSATO_POLICY", "garbage-station")
    code, result = _run(capsys, "--now", _iso(NOW), "--text", show_qr(world.basic))
    assert code == EXIT_OK, result


def test_default_bundle_is_the_bundle_folder_here(
    capsys: pytest.CaptureFixture[str],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("FURUSATO_BUNDLE", raising=False)
    monkeypatch.chdir(tmp_path)
    code, result = _run(capsys, "--policy", "shop", "--text", show_qr(world.basic))
    assert (code, result["code"]) == (EXIT_USAGE, "bundle_missing")


# =========================================================================== usage, configuration


def test_no_policy_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FURUSATO_POLICY", raising=False)
    code, result = _run(capsys, "--bundle", str(world.bundle), "--text", "x")
    assert (code, result["result"], result["code"]) == (EXIT_USAGE, "error", "usage")
    assert "--policy" in result["message_en"]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("--policy", "library", "--text", "x"), "unknown policy"),
        (("--policy", "./missing.json", "--text", "x"), "cannot read policy"),
        (("--policy", "shop"), "give the card"),
        (("--policy", "shop", "--text", "x", "card.png"), "give the card once"),
        (("--policy", "shop", "--now", "2027-01-15T09:00:00", "--text", "x"), "offset"),
        (("--policy", "shop", "--now", "yesterday", "--text", "x"), "ISO 8601"),
        (("--policy", "shop", "missing.png"), "cannot read"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str],
    world: World,
    argv: tuple[str, ...],
    fragment: str,
) -> None:
    code, result = _run(capsys, "--bundle", str(world.bundle), *argv)
    assert (code, result["result"], result["code"]) == (EXIT_USAGE, "error", "usage")
    assert fragment in result["message_en"]


def test_directory_as_image_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    code, result = _run(capsys, "--bundle", str(world.bundle), "--policy", "shop", str(tmp_path))
    assert (code, result["code"]) == (EXIT_USAGE, "usage")


def test_accept_with_a_policy_that_fixes_its_bodies_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps({"id": "p", "name": {"ja": "p", "en": "p"}, "accept": "any"}), "utf-8"
    )
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", str(path), "--accept", KESENNUMA,
        "--text", "x",
    )  # fmt: skip
    assert (code, result["code"]) == (EXIT_USAGE, "usage")
    assert "fixes the accepted bodies" in result["message_en"]


def test_challenge_policy_without_nonce_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps({"id": "p", "name": {"ja": "p", "en": "p"}, "challenge": True}), "utf-8"
    )
    code, result = _run(capsys, "--bundle", str(world.bundle), "--policy", str(path), "--text", "x")
    assert (code, result["code"]) == (EXIT_USAGE, "usage")
    assert "--nonce" in result["message_en"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"id": "p"}', ErrorCode.MALFORMED_REQUEST),
        (b"{", ErrorCode.MALFORMED_JSON),
        (
            b'{"id": "p", "name": {"ja": "p", "en": "p"}, "accept": {"bodies": ["042057"]}}',
            ErrorCode.INVALID_BODY_CODE,
        ),
    ],
)
def test_malformed_policy_document_is_a_configuration_error_with_its_code(
    capsys: pytest.CaptureFixture[str],
    world: World,
    tmp_path: Path,
    content: bytes,
    code: ErrorCode,
) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(content)
    exit_code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", str(path), "--text", "x"
    )
    assert (exit_code, result["result"], result["code"]) == (EXIT_USAGE, "error", code.value)
    assert result["message_ja"] == MESSAGES[code].ja


def test_invalid_accept_code_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "shop", "--accept", "42056",
        "--text", "x",
    )  # fmt: skip
    assert (code, result["code"]) == (EXIT_USAGE, ErrorCode.INVALID_BODY_CODE.value)


def test_damaged_bundle_is_bundle_corrupt(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(world.bundle, copy)
    version = (copy / "CURRENT").read_text("ascii").strip()
    aggregate = copy / version / "status-lists.cbor"
    aggregate.write_bytes(aggregate.read_bytes()[:-1] + b"\x00")
    code, result = _run(capsys, "--bundle", str(copy), "--policy", "shop", "--text", "x")
    assert (code, result["result"], result["code"]) == (EXIT_USAGE, "error", "bundle_corrupt")
    assert result["message_en"] == MESSAGES[ErrorCode.BUNDLE_CORRUPT].en


def test_damaged_replay_cache_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    cache = tmp_path / "replays"
    cache.write_bytes(b"something else")
    code, result = _verify(
        capsys, world, show_qr(world.basic), extra=("--replay-cache", str(cache))
    )
    assert (code, result["code"]) == (EXIT_USAGE, "usage")
    assert "replay cache" in result["message_en"]


def test_replay_cache_in_a_missing_folder_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    cache = tmp_path / "missing" / "replays"
    code, result = _verify(
        capsys, world, show_qr(world.basic), extra=("--replay-cache", str(cache))
    )
    assert (code, result["code"]) == (EXIT_USAGE, "usage")


def test_replay_cache_keeps_a_used_qr_across_runs_until_its_window_ends(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    cache = ("--replay-cache", str(tmp_path / "replays"))
    text = show_qr(world.basic)
    assert _verify(capsys, world, text, extra=cache)[0] == EXIT_OK
    _code, result = _verify(capsys, world, text, now=NOW + timedelta(seconds=60), extra=cache)
    _assert_rejected(result, ErrorCode.KB_REPLAYED)
    _code, result = _verify(capsys, world, text, now=NOW + timedelta(seconds=61), extra=cache)
    _assert_rejected(result, ErrorCode.KB_TOO_OLD)


def test_without_a_replay_cache_each_run_starts_empty(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    # documented: a checkpoint running the CLI once per scan must pass --replay-cache
    text = show_qr(world.basic)
    assert _verify(capsys, world, text)[0] == EXIT_OK
    assert _verify(capsys, world, text)[0] == EXIT_OK


# =========================================================================== hostile images


def test_image_over_the_pixel_bound_is_input_too_large_before_decoding(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    # a PNG header claiming 60,000 × 1,000 pixels: refused from the header alone
    path = tmp_path / "huge.png"
    Image.new("1", (60_000, 1_000), 1).save(path, optimize=True)
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "shop", "--now", _iso(NOW), str(path)
    )
    assert code == EXIT_REJECTED
    _assert_rejected(result, ErrorCode.INPUT_TOO_LARGE)


def test_decompression_bomb_is_input_too_large(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    # 30,000 × 30,000 = 900 megapixels: beyond Pillow's own bomb limit (2 × 89 MP)
    path = tmp_path / "bomb.png"
    _png_header_only(path, 30_000, 30_000)
    _code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "shop", "--now", _iso(NOW), str(path)
    )
    _assert_rejected(result, ErrorCode.INPUT_TOO_LARGE)


def test_pillow_bomb_warning_range_is_input_too_large(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    # 10,000 × 10,000 = 100 MP: Pillow only warns here (89-179 MP); the warning is an error
    path = tmp_path / "bomb.png"
    _png_header_only(path, 10_000, 10_000)
    _code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "shop", "--now", _iso(NOW), str(path)
    )
    _assert_rejected(result, ErrorCode.INPUT_TOO_LARGE)


@pytest.mark.parametrize(
    "content",
    [b"", b"FJ1:not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"GIF89a\x01\x00"],
    ids=["empty", "text", "truncated png", "truncated gif"],
)
def test_file_that_is_no_readable_image_is_qr_not_found(
    capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "card.png"
    path.write_bytes(content)
    code, result = _run(
        capsys, "--bundle", str(world.bundle), "--policy", "shop", "--now", _iso(NOW), str(path)
    )
    assert code == EXIT_REJECTED
    _assert_rejected(result, ErrorCode.QR_NOT_FOUND)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose IHDR claims ``width × height`` with one empty IDAT (RFC 2083 §11)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


# =========================================================================== every code


def _envelope(protected: bytes) -> str:
    """An SD-KBT framing ``18([protected, {}, h'', h'00'])`` around raw protected bytes."""
    data = b"\xd2\x84" + cbor2.dumps(protected) + b"\xa0" + cbor2.dumps(b"") + cbor2.dumps(b"\x00")
    return encode_qr_text(data)


def _blank_image(path: Path) -> Path:
    Image.new("L", (240, 240), 255).save(path)
    return path


def _non_ascii_qr_image(path: Path) -> Path:
    symbol = segno.make("カード é", mode="byte", encoding="utf-8", error="m", micro=False)
    symbol.save(str(path), scale=6, border=4)
    return path


def _qr_image(path: Path) -> Path:
    path.write_bytes(render_png("FJ1:0", error="M", scale=6))
    return path


_SD = {"typ": "dc+sd-jwt"}
_ANY_KB = "x.y.z"
_MEMBER = disclosure_named("member_number")
_SALT = "c2FsdC1zYWx0LXNhbHQtc2FsdA"


def _referencing(disclosure: str) -> str:
    """A presentation whose payload's ``_sd`` also references ``disclosure``."""
    sd = [*BASE_PAYLOAD["_sd"], digest(SdAlg.SHA_256, disclosure)]  # type: ignore[misc]
    return present(resign(payload(_sd=sd)), [disclosure])


def _with_header(jwt: str, header: dict[str, object]) -> str:
    """``jwt`` with its protected header replaced (the signature no longer matters: the
    header is judged first)."""
    _header, body, signature = jwt.split(".")
    return ".".join((b64url_encode(json.dumps(header).encode()), body, signature))


def _deep_json(depth: int) -> bytes:
    return b'{"a":' + b"[" * depth + b"]" * depth + b"}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    code: ErrorCode
    text: Callable[[World], str] | None = None
    image: Callable[[Path], Path] | None = None
    stdin: bytes | None = None
    policy: str = "garbage-station"
    bundle: str = "bundle"
    now: datetime = NOW
    extra: tuple[str, ...] = ()
    twice: bool = False  # the second of two runs sharing a replay cache
    no_qr_reader: bool = False
    exit: int = EXIT_REJECTED
    result: str = field(default="rejected")


_C = ErrorCode
_STALE = NOW + timedelta(days=2, seconds=1)  # one second past the shop's 48 hours
_QR_SHOP = "shop"  # the audience of tests.core.compact.builders' forged SD-KBTs

CASES: dict[str, Case] = {
    # --- what the CLI reads
    "input_too_large": Case(code=_C.INPUT_TOO_LARGE, text=lambda w: "A" * 70_000),
    "qr_not_found": Case(code=_C.QR_NOT_FOUND, image=_blank_image),
    "qr_prefix_unknown": Case(code=_C.QR_PREFIX_UNKNOWN, image=_non_ascii_qr_image),
    "qr_reader_unavailable": Case(
        code=_C.QR_READER_UNAVAILABLE,
        image=_qr_image,
        no_qr_reader=True,
        exit=EXIT_USAGE,
        result="error",
    ),
    "malformed_request": Case(code=_C.MALFORMED_REQUEST, stdin=b"FJ1:\xff\xfe"),
    # --- the QR text (RFC 9285 Base45, RFC 1951 DEFLATE)
    "malformed_base45": Case(code=_C.MALFORMED_BASE45, text=lambda w: "FJ1:abc"),
    "base45_non_canonical": Case(code=_C.BASE45_NON_CANONICAL, text=lambda w: "FJ1:GGW"),
    "inflated_too_large": Case(
        code=_C.INFLATED_TOO_LARGE, text=lambda w: encode_qr_text(b"\x00" * 9000)
    ),
    "malformed_deflate": Case(
        code=_C.MALFORMED_DEFLATE, text=lambda w: "FJ1:" + b45encode(b"\xff\xff\xff\xff")
    ),
    # --- CBOR (RFC 8949) and COSE_Sign1 (RFC 9052) of the SD-KBT
    "malformed_cbor": Case(code=_C.MALFORMED_CBOR, text=lambda w: encode_qr_text(b"\xd2\x84\x58")),
    "cbor_duplicate_key": Case(
        code=_C.CBOR_DUPLICATE_KEY, text=lambda w: _envelope(b"\xa2\x01\x26\x01\x26")
    ),
    "cbor_indefinite_length": Case(
        code=_C.CBOR_INDEFINITE_LENGTH, text=lambda w: encode_qr_text(b"\xd2\x9f\xff")
    ),
    "cbor_too_deep": Case(code=_C.CBOR_TOO_DEEP, text=lambda w: _envelope(b"\x81" * 20 + b"\x00")),
    "cbor_map_too_large": Case(
        code=_C.CBOR_MAP_TOO_LARGE,
        text=lambda w: encode_qr_text(
            forge_kbt(forge_credential(credential_payload([]), [bytes([i]) for i in range(65)]))
        ),
        policy=_QR_SHOP,
    ),
    "cbor_trailing_bytes": Case(
        code=_C.CBOR_TRAILING_BYTES,
        text=lambda w: encode_qr_text(forge_kbt(forge_credential(credential_payload([]))) + b"\0"),
        policy=_QR_SHOP,
    ),
    "malformed_cose": Case(code=_C.MALFORMED_COSE, text=lambda w: encode_qr_text(encode_cbor([1]))),
    # --- the SD-JWT (RFC 9901 §4, §7) and its JWSs (RFC 7515)
    "malformed_sd_jwt": Case(code=_C.MALFORMED_SD_JWT, text=lambda w: "not a card"),
    "too_many_disclosures": Case(
        code=_C.TOO_MANY_DISCLOSURES,
        text=lambda w: "~".join([BASE.issuer_jwt, *["AA"] * 101, _ANY_KB]),
    ),
    "kb_required": Case(code=_C.KB_REQUIRED, text=lambda w: BASE.serialize()),
    "malformed_jws": Case(code=_C.MALFORMED_JWS, text=lambda w: "a.b~" + _ANY_KB),
    "malformed_jws_header": Case(
        code=_C.MALFORMED_JWS_HEADER, text=lambda w: "W10.e30.AA~" + _ANY_KB
    ),
    "critical_header_unsupported": Case(
        code=_C.CRITICAL_HEADER_UNSUPPORTED,
        text=lambda w: present(resign(BASE_PAYLOAD, header={**_SD, "crit": ["exp"]})),
    ),
    "typ_mismatch": Case(
        code=_C.TYP_MISMATCH, text=lambda w: present(resign(BASE_PAYLOAD, header={"typ": "JWT"}))
    ),
    "malformed_json": Case(code=_C.MALFORMED_JSON, text=lambda w: resign(b"[1,2]") + "~" + _ANY_KB),
    "json_duplicate_key": Case(
        code=_C.JSON_DUPLICATE_KEY,
        text=lambda w: resign(b'{"iss":"a","iss":"b"}') + "~" + _ANY_KB,
    ),
    "json_too_deep": Case(
        code=_C.JSON_TOO_DEEP, text=lambda w: resign(_deep_json(40)) + "~" + _ANY_KB
    ),
    "json_number_out_of_range": Case(
        code=_C.JSON_NUMBER_OUT_OF_RANGE, text=lambda w: resign(b'{"a":1e400}') + "~" + _ANY_KB
    ),
    "json_invalid_string": Case(
        code=_C.JSON_INVALID_STRING, text=lambda w: resign(b'{"a":"\\ud800"}') + "~" + _ANY_KB
    ),
    "algorithm_not_allowed": Case(
        code=_C.ALGORITHM_NOT_ALLOWED,
        text=lambda w: present(_with_header(resign(BASE_PAYLOAD), {**_SD, "alg": "HS256"})),
    ),
    "issuer_not_trusted": Case(
        code=_C.ISSUER_NOT_TRUSTED, text=lambda w: sd_jwt(iss="https://elsewhere.example")
    ),
    "issuer_key_unknown": Case(
        code=_C.ISSUER_KEY_UNKNOWN,
        text=lambda w: present(resign(BASE_PAYLOAD, header={**_SD, "kid": "042056-2099"})),
    ),
    "signature_invalid": Case(
        code=_C.SIGNATURE_INVALID,
        text=lambda w: present(
            resign(BASE_PAYLOAD, signer=fixed_signer("impostor", kid="042056-2027"))
        ),
    ),
    "required_claim_missing": Case(
        code=_C.REQUIRED_CLAIM_MISSING, text=lambda w: sd_jwt(drop=["iss"])
    ),
    "sd_alg_unsupported": Case(
        code=_C.SD_ALG_UNSUPPORTED, text=lambda w: sd_jwt(_sd_alg="sha-512")
    ),
    # --- Disclosures (RFC 9901 §7.1 steps 3-5)
    "malformed_disclosure": Case(
        code=_C.MALFORMED_DISCLOSURE, text=lambda w: present(resign(BASE_PAYLOAD), ["!!"])
    ),
    "sd_structure_invalid": Case(code=_C.SD_STRUCTURE_INVALID, text=lambda w: sd_jwt(_sd="x")),
    "digest_duplicate": Case(
        code=_C.DIGEST_DUPLICATE,
        text=lambda w: sd_jwt(_sd=[BASE_PAYLOAD["_sd"][0]] * 2),  # type: ignore[index]
    ),
    "disclosure_duplicate": Case(
        code=_C.DISCLOSURE_DUPLICATE,
        text=lambda w: present(resign(BASE_PAYLOAD), [_MEMBER, _MEMBER]),
    ),
    "disclosure_unreferenced": Case(
        code=_C.DISCLOSURE_UNREFERENCED,
        text=lambda w: present(
            resign(BASE_PAYLOAD),
            [make_object_disclosure(salt=_SALT, name="member_number", value="X").encoded],
        ),
    ),
    "disclosure_claim_name_forbidden": Case(
        code=_C.DISCLOSURE_CLAIM_NAME_FORBIDDEN,
        text=lambda w: _referencing(
            make_object_disclosure(salt=_SALT, name="_sd", value=[]).encoded
        ),
    ),
    "disclosure_claim_collision": Case(
        code=_C.DISCLOSURE_CLAIM_COLLISION,
        text=lambda w: _referencing(
            make_object_disclosure(salt=_SALT, name="tier", value="premium").encoded
        ),
    ),
    "disclosure_kind_mismatch": Case(
        code=_C.DISCLOSURE_KIND_MISMATCH,
        text=lambda w: _referencing(make_array_disclosure(salt=_SALT, value="x").encoded),
    ),
    # --- validity (RFC 9901 §7.1 step 6)
    "token_expired": Case(code=_C.TOKEN_EXPIRED, text=lambda w: sd_jwt(exp=NOW_S - 3600)),
    "token_not_yet_valid": Case(
        code=_C.TOKEN_NOT_YET_VALID, text=lambda w: sd_jwt(nbf=NOW_S + 86_400)
    ),
    "token_issued_in_future": Case(
        code=_C.TOKEN_ISSUED_IN_FUTURE, text=lambda w: sd_jwt(iat=NOW_S + 86_400)
    ),
    # --- key binding (RFC 9901 §7.3 step 5)
    "holder_key_missing": Case(code=_C.HOLDER_KEY_MISSING, text=lambda w: sd_jwt(drop=["cnf"])),
    "malformed_jwk": Case(
        code=_C.MALFORMED_JWK,
        text=lambda w: sd_jwt(cnf={"jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}),
    ),
    "kb_signature_invalid": Case(
        code=_C.KB_SIGNATURE_INVALID,
        text=lambda w: present(resign(BASE_PAYLOAD), signer=fixed_signer("someone else")),
    ),
    "malformed_claim": Case(
        code=_C.MALFORMED_CLAIM,
        text=lambda w: present(resign(BASE_PAYLOAD), audience=["garbage-station"]),
    ),
    "kb_too_old": Case(
        code=_C.KB_TOO_OLD, text=lambda w: present(resign(BASE_PAYLOAD), iat=NOW_S - 61)
    ),
    "kb_in_future": Case(
        code=_C.KB_IN_FUTURE, text=lambda w: present(resign(BASE_PAYLOAD), iat=NOW_S + 61)
    ),
    "kb_audience_mismatch": Case(
        code=_C.KB_AUDIENCE_MISMATCH, text=lambda w: show_qr(w.basic, "shop")
    ),
    "kb_nonce_mismatch": Case(
        code=_C.KB_NONCE_MISMATCH,
        text=lambda w: show_sd_jwt(w.basic, nonce="not-the-challenge"),
        extra=("--nonce", "the-challenge"),
    ),
    "kb_sd_hash_mismatch": Case(
        code=_C.KB_SD_HASH_MISMATCH,
        text=lambda w: present(resign(BASE_PAYLOAD), sd_hash_value="A" * 43),
    ),
    "kb_replayed": Case(code=_C.KB_REPLAYED, text=lambda w: show_qr(w.basic), twice=True),
    # --- SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-18 §2.2, §4, §5)
    "claim_not_disclosable": Case(
        code=_C.CLAIM_NOT_DISCLOSABLE,
        text=lambda w: _referencing(
            make_object_disclosure(salt=_SALT, name="nbf", value=NOW_S - 60).encoded
        ),
    ),
    "vct_not_accepted": Case(
        code=_C.VCT_NOT_ACCEPTED,
        text=lambda w: show_qr(w.basic, "nursery", disclose=builtin_profile("nursery").requested),
        policy="nursery",
    ),
    "type_metadata_integrity": Case(
        code=_C.TYPE_METADATA_INTEGRITY,
        text=lambda w: sd_jwt(**{"vct#integrity": "sha256-" + "A" * 43 + "="}),
    ),
    "type_metadata_unavailable": Case(
        code=_C.TYPE_METADATA_UNAVAILABLE,
        text=lambda w: sd_jwt(
            drop=["vct#integrity"], vct="urn:example:other", aka_vcts=[BASIC_VCT]
        ),
    ),
    "claim_metadata_violation": Case(
        code=_C.CLAIM_METADATA_VIOLATION, text=lambda w: sd_jwt(registration_id="KSN-1")
    ),
    # --- the registration (furusato_vc.verifier.registration)
    "invalid_body_code": Case(
        code=_C.INVALID_BODY_CODE, text=lambda w: sd_jwt(issuing_body="042057")
    ),
    "registration_not_valid": Case(
        code=_C.REGISTRATION_NOT_VALID, text=lambda w: sd_jwt(valid_from="2027-01-20")
    ),
    "required_disclosure_missing": Case(
        code=_C.REQUIRED_DISCLOSURE_MISSING, text=lambda w: show_qr(w.basic, "shop"), policy="shop"
    ),
    # --- trust list (furusato_vc.core.trustlist.view, K-2, K-4, K-5)
    "trust_list_expired": Case(
        code=_C.TRUST_LIST_EXPIRED,
        text=lambda w: show_qr(w.basic, now=NOW + timedelta(days=30)),
        now=NOW + timedelta(days=30),
    ),
    "clock_behind_trust_data": Case(
        code=_C.CLOCK_BEHIND_TRUST_DATA,
        text=lambda w: show_qr(w.basic, now=NOW - timedelta(hours=1)),
        now=NOW - timedelta(hours=1),
    ),
    "issuer_key_withdrawn": Case(
        code=_C.ISSUER_KEY_WITHDRAWN,
        text=lambda w: show_qr(w.basic, now=LATER),
        bundle="keys_bundle",
        now=LATER,
    ),
    "issuer_key_not_valid": Case(
        code=_C.ISSUER_KEY_NOT_VALID,
        text=lambda w: show_sd_jwt(w.sendai, now=LATER),
        bundle="keys_bundle",
        now=LATER,
    ),
    "issuer_suspended": Case(
        code=_C.ISSUER_SUSPENDED,
        text=lambda w: show_sd_jwt(w.basic, now=LATER),
        bundle="states_bundle",
        now=LATER,
    ),
    "issuer_withdrawn": Case(
        code=_C.ISSUER_WITHDRAWN,
        text=lambda w: show_qr(w.sendai, now=LATER),
        bundle="states_bundle",
        now=LATER,
    ),
    # --- status (draft-ietf-oauth-status-list §8.3)
    "status_not_checked": Case(code=_C.STATUS_NOT_CHECKED, text=lambda w: sd_jwt(drop=["status"])),
    "status_list_mismatch": Case(
        code=_C.STATUS_LIST_MISMATCH, text=lambda w: sd_jwt(status=other_body_status())
    ),
    "status_index_out_of_range": Case(
        code=_C.STATUS_INDEX_OUT_OF_RANGE,
        text=lambda w: sd_jwt(
            status={"status_list": {"idx": 9000, "uri": f"{ISSUER_BASE}{KESENNUMA}/status/1"}}
        ),
    ),
    "status_stale": Case(
        code=_C.STATUS_STALE,
        text=lambda w: show_qr(w.basic, "shop", disclose=[("member_number",)], now=_STALE),
        policy="shop",
        now=_STALE,
    ),
    "status_list_expired": Case(
        code=_C.STATUS_LIST_EXPIRED,
        text=lambda w: show_qr(w.basic, now=NOW + timedelta(days=7)),
        now=NOW + timedelta(days=7),
    ),
    "credential_revoked": Case(code=_C.CREDENTIAL_REVOKED, text=lambda w: show_qr(w.revoked)),
    "credential_suspended": Case(
        code=_C.CREDENTIAL_SUSPENDED, text=lambda w: show_sd_jwt(w.suspended)
    ),
    "status_value_unknown": Case(
        code=_C.STATUS_VALUE_UNKNOWN, text=lambda w: show_qr(w.unknown_status)
    ),
    # --- the bundle itself (configuration: exit 2 with the code)
    "bundle_missing": Case(
        code=_C.BUNDLE_MISSING,
        text=lambda w: show_qr(w.basic),
        bundle="nowhere",
        exit=EXIT_USAGE,
        result="error",
    ),
}

# Codes on the verification path that no card and no CLI input can produce, and why.
NOT_FROM_A_CARD: dict[ErrorCode, str] = {
    _C.MALFORMED_BASE64URL: "every decoder on the path maps it to its format's own code "
    "(malformed_jws, malformed_disclosure, malformed_jwk)",
    _C.COMPRESSED_TOO_LARGE: "with the default QrTextLimits the 4296-character cap binds "
    "first: 4292 Base45 characters carry at most 2861 of the 2953 allowed bytes",
    _C.MALFORMED_TYPE_METADATA: "Type Metadata comes only from the documents bundled with "
    "the package, never from a card",
    _C.TYPE_METADATA_CYCLE: "the bundled Type Metadata has no extends cycle; a card cannot "
    "bring its own documents",
    _C.KB_NOT_EXPECTED: "a verifier always requires key binding",
    _C.HOLDER_KEY_MISMATCH: "checked by a holder accepting a QR credential, not by a verifier",
    _C.MALFORMED_STATUS_LIST: "status lists are verified when the bundle is synced; a damaged "
    "bundle on disk is bundle_corrupt",
    _C.MALFORMED_TRUST_LIST: "verified at sync; a damaged bundle on disk is bundle_corrupt",
    _C.STATUS_LIST_ROLLBACK: "a sync-time check against the held bundle",
    _C.TRUST_LIST_ROLLBACK: "a sync-time check against the held bundle",
    _C.TRUST_ANCHOR_UNKNOWN: "a sync-time check; a bundle whose anchors no longer verify its "
    "trust list is bundle_corrupt",
    _C.BUNDLE_WRITE_FAILED: "sync and pin only; verify never writes the bundle",
    _C.SD_REQUEST_INVALID: "issuance family: raised when issuing, never when verifying",
    _C.FORBIDDEN_CLAIM: "issuance family: raised when issuing, never when verifying",
    _C.REGISTRATION_CLAIMS_INVALID: "issuance family: raised when issuing",
}

# The modules a `furusato-vc verify` run goes through (sources scanned for ErrorCode uses).
VERIFY_PATH = (
    "furusato_vc/cli/verify.py",
    "furusato_vc/verifier/registration.py",
    "furusato_vc/verifier/bundle_store.py",
    "furusato_vc/verifier/policy_file.py",
    "furusato_vc/qr/read.py",
    "furusato_vc/core/encoding.py",
    "furusato_vc/core/jose/jws.py",
    "furusato_vc/core/jose/jwk.py",
    "furusato_vc/core/jose/jwt.py",
    "furusato_vc/core/jose/algorithms.py",
    "furusato_vc/core/sdjwt/compact.py",
    "furusato_vc/core/sdjwt/disclosure.py",
    "furusato_vc/core/sdjwt/hashing.py",
    "furusato_vc/core/sdjwt/processing.py",
    "furusato_vc/core/sdjwt/verification.py",
    "furusato_vc/core/sdjwtvc/credential.py",
    "furusato_vc/core/sdjwtvc/type_metadata.py",
    "furusato_vc/core/statuslist/reference.py",
    "furusato_vc/core/registration/claims.py",
    "furusato_vc/core/registration/profile.py",  # the field rules claims.py applies
    "furusato_vc/core/registration/bodies.py",
    "furusato_vc/core/qrtext.py",
    "furusato_vc/core/base45.py",
    "furusato_vc/core/cbor.py",
    "furusato_vc/core/cose.py",
    "furusato_vc/core/compact/credential.py",
    "furusato_vc/core/trust.py",
    "furusato_vc/core/trustlist/view.py",
    "furusato_vc/core/trustlist/model.py",
    "furusato_vc/core/bundle.py",
    "furusato_vc/core/policy_document.py",
    # loading the bundle re-verifies it (any failure there is bundle_corrupt)
    "furusato_vc/core/trustlist/token.py",
    "furusato_vc/core/trustlist/codec.py",
    "furusato_vc/core/statuslist/token.py",
    "furusato_vc/core/statuslist/encoding.py",
)
# Reached from the path but owned by a configuration step, tested elsewhere in this module.
CONFIGURATION = {
    _C.BUNDLE_CORRUPT: "test_damaged_bundle_is_bundle_corrupt",
}


def _run_case(
    case: Case,
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, dict[str, Any]]:
    bundle = tmp_path / "nowhere" if case.bundle == "nowhere" else getattr(world, case.bundle)
    argv = ["--bundle", str(bundle), "--policy", case.policy, "--now", _iso(case.now)]
    argv += case.extra
    if case.no_qr_reader:
        monkeypatch.setattr(qr_read, "available_readers", tuple)
    if case.twice:
        argv += ["--replay-cache", str(tmp_path / "replays")]
    if case.text is not None:
        argv += ["--text", case.text(world)]
    elif case.image is not None:
        argv.append(str(case.image(tmp_path / "input.png")))
    else:
        assert case.stdin is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case.stdin)))
        argv.append("-")
    if case.twice:
        first, result = _run(capsys, *argv)
        assert first == EXIT_OK, result
    return _run(capsys, *argv)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES)
def test_each_rejection_code_is_reachable_from_the_cli(
    case: Case,
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, result = _run_case(case, world, tmp_path, capsys, monkeypatch)
    assert (code, result["result"], result["code"]) == (case.exit, case.result, case.code.value), (
        result
    )
    assert result["message_ja"] == MESSAGES[case.code].ja
    assert result["message_en"] == MESSAGES[case.code].en


def test_case_ids_name_their_codes() -> None:
    assert all(case.code.value == name for name, case in CASES.items())


def test_hand_made_presentations_verify_before_they_are_broken(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    """The baseline of the hand-made SD-JWT VC cases: re-signed unchanged, it verifies (so
    each case fails for the one thing it changes)."""
    code, result = _verify(capsys, world, sd_jwt())
    assert code == EXIT_OK, result
    code, result = _verify(capsys, world, present(resign(BASE_PAYLOAD), [_MEMBER]))
    assert code == EXIT_OK, result
    assert [item["claim"] for item in result["disclosed"]] == ["member_number"]
    assert KB_NONCE


def _codes_in(relative: str) -> set[ErrorCode]:
    source = (REPO / relative).read_text(encoding="utf-8")
    return {ErrorCode[name] for name in re.findall(r"ErrorCode\.([A-Z0-9_]+)", source)}


def test_every_code_on_the_verification_path_is_reachable_or_explained() -> None:
    on_path = set().union(*(_codes_in(module) for module in VERIFY_PATH))
    reachable = {case.code for case in CASES.values()} | set(CONFIGURATION)
    assert reachable.isdisjoint(NOT_FROM_A_CARD)
    unexplained = sorted(code.value for code in on_path - reachable - set(NOT_FROM_A_CARD))
    assert unexplained == []
    assert all(reason.strip() for reason in NOT_FROM_A_CARD.values())


def test_codes_said_unreachable_are_on_the_verification_path() -> None:
    on_path = set().union(*(_codes_in(module) for module in VERIFY_PATH))
    assert set(NOT_FROM_A_CARD) <= on_path
