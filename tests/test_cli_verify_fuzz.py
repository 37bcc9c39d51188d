"""Random and mutated inputs through the ``furusato-vc verify`` entry point.

Every run calls ``main([...])`` in process, exactly as the console script does, and must end in
one JSON object: ``verified`` or a clean ``rejected`` with a known code and its messages —
never exit 2 for a readable input, never an ``internal error`` (the catch-all that keeps
tracebacks off the screen would hide a crash, so the test looks for it).

Inputs come from a seeded generator (reproducible; the failing seed and input are in the
assertion message): pure noise, Base45 noise behind ``FJ1:``, character-level mutations of
valid QR texts and SD-JWT VC presentations, byte-level mutations of the CBOR inside a valid QR
(re-deflated, so they reach the CBOR and COSE layers), of the JSON inside the JWS segments, and
of the PNG of a valid QR; some go through stdin, some as image files.

``make test`` runs :data:`DEFAULT_RUNS` inputs; ``make fuzz`` runs 10,000
(``FURUSATO_FUZZ_RUNS``): one call costs ~15 ms here, mostly argparse building the whole
command line, so 10,000 take several minutes — too long for every test run.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.cli import main
from furusato_vc.core.base45 import BASE45_ALPHABET, b45decode, b45encode
from furusato_vc.core.encoding import b64url_decode, b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.messages import MESSAGES
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.qrtext import QR_PREFIX, decode_qr_text, encode_qr_text
from furusato_vc.qr.render import render_png
from tests.verify_cli_fixtures import NOW, World, build_world, show_qr, show_sd_jwt

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_RUNS = 1_000
RUNS = int(os.environ.get("FURUSATO_FUZZ_RUNS", DEFAULT_RUNS))
SEED = int(os.environ.get("FURUSATO_FUZZ_SEED", "20270115"))
CODES = {code.value for code in ErrorCode}
CONSOLE_SCRIPT = Path(sys.executable).parent / "furusato-vc"


@dataclass(frozen=True, slots=True, kw_only=True)
class Seeds:
    """Valid inputs to mutate, with the policy they were made for."""

    qr: tuple[tuple[str, str], ...]
    sd_jwt: tuple[tuple[str, str], ...]
    png: bytes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("fuzz-world"))


@pytest.fixture(scope="module")
def seeds(world: World) -> Seeds:
    qr, sd = [], []
    for policy, card in (
        ("garbage-station", world.basic),
        ("shop", world.basic),
        ("nursery", world.premium),
        ("public-facility", world.premium),
    ):
        requested = builtin_profile(policy).requested
        qr.append((policy, show_qr(card, policy, disclose=requested)))
        sd.append((policy, show_sd_jwt(card, policy, disclose=requested)))
    return Seeds(qr=tuple(qr), sd_jwt=tuple(sd), png=render_png(qr[0][1], error="M", scale=3))


# --------------------------------------------------------------------------- mutations


def _mutate_text(rng: random.Random, text: str, alphabet: str) -> str:
    chars = list(text)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        position = rng.randrange(len(chars) + 1)
        kind = rng.randrange(6)
        if kind == 0 and chars:  # substitute
            chars[min(position, len(chars) - 1)] = rng.choice(alphabet)
        elif kind == 1:  # insert
            chars.insert(position, rng.choice(alphabet))
        elif kind == 2 and chars:  # delete
            del chars[min(position, len(chars) - 1)]
        elif kind == 3:  # truncate
            chars = chars[:position]
        elif kind == 4 and len(chars) > 4:  # duplicate a slice
            start = rng.randrange(len(chars) - 2)
            chars[start:start] = chars[start : start + rng.randrange(1, 40)]
        else:  # swap two slices
            a, b = sorted(rng.randrange(len(chars) + 1) for _ in range(2))
            chars = chars[a:b] + chars[:a] + chars[b:]
    return "".join(chars)


def _flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4))):
        if not out:
            break
        kind = rng.randrange(4)
        index = rng.randrange(len(out))
        if kind == 0:
            out[index] ^= 1 << rng.randrange(8)
        elif kind == 1:
            out[index] = rng.randrange(256)
        elif kind == 2:
            del out[index:]
        else:
            out[index:index] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    return bytes(out)


def _mutate_cbor(rng: random.Random, text: str) -> str:
    return encode_qr_text(_flip_bytes(rng, decode_qr_text(text)))


def _mutate_deflate(rng: random.Random, text: str) -> str:
    compressed = b45decode(text[len(QR_PREFIX) :])
    return (
        encode_qr_text(b"")
        if not compressed
        else QR_PREFIX + b45encode(_flip_bytes(rng, compressed))
    )


def _mutate_jws_segment(rng: random.Random, presentation: str) -> str:
    parts = presentation.split("~")
    index = rng.choice((0, len(parts) - 1)) if rng.random() < 0.7 else rng.randrange(len(parts))
    segments = parts[index].split(".")
    which = rng.randrange(len(segments))
    try:
        raw = b64url_decode(segments[which])
    except FormatError:  # a segment that is not base64url: mutate the text instead
        return _mutate_text(rng, presentation, "AbZz09-_~.")
    segments[which] = b64url_encode(_flip_bytes(rng, raw))
    parts[index] = ".".join(segments)
    return "~".join(parts)


def _noise(rng: random.Random) -> str:
    kind = rng.randrange(4)
    size = rng.choice((0, 1, 5, 50, 500, 5000))
    if kind == 0:
        return "".join(chr(rng.randrange(32, 127)) for _ in range(size))
    if kind == 1:
        return QR_PREFIX + "".join(rng.choice(BASE45_ALPHABET) for _ in range(size))
    if kind == 2:  # any code point, lone surrogates included (argv can carry them)
        return "".join(chr(rng.randrange(0x11_0000)) for _ in range(size))
    return "~".join(
        ".".join(b64url_encode(rng.randbytes(rng.randrange(40))) for _ in range(3))
        for _ in range(rng.randrange(1, 5))
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Input:
    policy: str
    text: str | None = None
    stdin: bytes | None = None
    image: bytes | None = None
    mutated_from_valid: bool = False


def _generate(rng: random.Random, seeds: Seeds) -> Input:
    roll = rng.random()
    if roll < 0.15:
        return Input(policy=rng.choice(("shop", "garbage-station")), text=_noise(rng))
    if roll < 0.90:
        policy, valid = rng.choice(seeds.qr if rng.random() < 0.55 else seeds.sd_jwt)
        mutate: Callable[[random.Random, str], str]
        if valid.startswith(QR_PREFIX):
            mutate = rng.choice(
                (
                    lambda r, t: _mutate_text(r, t, BASE45_ALPHABET),
                    _mutate_cbor,
                    _mutate_cbor,
                    _mutate_deflate,
                )
            )
        else:
            mutate = rng.choice(
                (lambda r, t: _mutate_text(r, t, "AbZz09-_~.="), _mutate_jws_segment)
            )
        return Input(policy=policy, text=mutate(rng, valid), mutated_from_valid=True)
    if roll < 0.97:
        policy, valid = rng.choice(seeds.qr + seeds.sd_jwt)
        data = _flip_bytes(rng, valid.encode()) if rng.random() < 0.8 else rng.randbytes(300)
        return Input(policy=policy, stdin=data, mutated_from_valid=True)
    image = _flip_bytes(rng, seeds.png) if rng.random() < 0.8 else rng.randbytes(2000)
    return Input(policy="garbage-station", image=image, mutated_from_valid=True)


# --------------------------------------------------------------------------- the run


def _call(
    world: World,
    item: Input,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, dict[str, Any]]:
    argv = ["verify", "--bundle", str(world.bundle), "--policy", item.policy]
    argv += ["--now", NOW.isoformat()]
    if item.text is not None:
        argv.append(f"--text={item.text}")  # argparse reads "--text -x" as an option
    elif item.stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(item.stdin)))
        argv.append("-")
    else:
        assert item.image is not None
        path = tmp_path / "frame.png"
        path.write_bytes(item.image)
        argv.append(str(path))
    code = main(argv)
    out = capsys.readouterr()
    value: object = json.loads(out.out)
    assert isinstance(value, dict)
    assert out.err == ""
    return code, value


def test_random_and_mutated_inputs_give_only_clean_verdicts(
    world: World,
    seeds: Seeds,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(SEED)
    verified = rejected = 0
    for run in range(RUNS):
        item = _generate(rng, seeds)
        code, result = _call(world, item, tmp_path, capsys, monkeypatch)
        where = f"seed {SEED} run {run}: {item!r:.300} -> {result!r:.300}"
        if code == 0:
            verified += 1
            assert result["result"] == "verified", where
            assert item.mutated_from_valid, where  # noise never verifies
            continue
        rejected += 1
        assert (code, result["result"]) == (1, "rejected"), where
        assert result["code"] in CODES, where
        assert not result["detail"].startswith("internal error"), where
        message = MESSAGES[ErrorCode(result["code"])]
        assert (result["message_ja"], result["message_en"]) == (message.ja, message.en), where
    assert verified + rejected == RUNS
    assert rejected > RUNS * 0.9  # the generator really does break things


def test_generator_reaches_every_layer(seeds: Seeds) -> None:
    """The mutations are not all stopped at the first check: across a sample, inputs reach
    the QR text, CBOR, COSE, JWS, JSON and signature checks."""
    rng = random.Random(SEED)
    kinds = {"qr": 0, "sd": 0, "stdin": 0, "image": 0}
    for _ in range(400):
        item = _generate(rng, seeds)
        if item.image is not None:
            kinds["image"] += 1
        elif item.stdin is not None:
            kinds["stdin"] += 1
        elif item.text is not None and item.text.startswith(QR_PREFIX):
            kinds["qr"] += 1
        else:
            kinds["sd"] += 1
    assert all(count > 0 for count in kinds.values()), kinds


@pytest.mark.parametrize(
    "argument",
    [b"FJ1:\xff\xfe\x80", b"\xed\xa0\x80~x", b"A" * 100_000],
    ids=["non-utf8 argv", "encoded surrogate", "100 kB argv"],
)
def test_console_script_never_prints_a_traceback(world: World, argument: bytes) -> None:
    """The installed script, with argv bytes the interpreter must decode itself."""
    done = subprocess.run(
        [
            os.fsencode(CONSOLE_SCRIPT),
            b"verify",
            b"--bundle",
            os.fsencode(world.bundle),
            b"--policy",
            b"shop",
            b"--text",
            argument,
        ],
        capture_output=True,
        check=False,
        timeout=60,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert done.returncode == 1, done
    assert b"Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["result"] == "rejected"
    assert result["code"] in CODES
