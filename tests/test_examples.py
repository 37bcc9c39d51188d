"""``examples/demo.py`` runs in the test suite so that it never rots.

The demo is imported and run once per module; its artifacts are then checked from the outside:
every presentation it wrote must verify again, with this library's SD-JWT verifier, against
nothing but the JWKS it published, and must disclose exactly what its verifier profile asks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from furusato_vc.core.jose import PublicJwk, parse_public_jwk
from furusato_vc.core.policy_document import BUILTIN_POLICY_IDS, builtin_policy_document
from furusato_vc.core.sdjwt import (
    KeyBindingPolicy,
    SdJwtPolicy,
    StaticIssuerKeys,
    VerifiedSdJwt,
    verify_sd_jwt,
)
from furusato_vc.core.statuslist import StatusType
from furusato_vc.qr.read import read_qr
from furusato_vc.verifier.bundle_store import BundleDirectory

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo.py"
ISSUER_BASE = "https://issuer.furusato-vc.example/bodies/"
PROFILES = ("garbage-station", "shop", "nursery")
ISSUED = ("basic", "premium")

# What each verifier profile must see: claim paths of the Disclosures in the presentation.
EXPECTED_DISCLOSED: dict[str, set[tuple[str | int | None, ...]]] = {
    "garbage-station": set(),
    "shop": {("member_number",)},
    "nursery": {
        ("family_name",),
        ("given_name",),
        ("family_name#ja-Kana-JP",),
        ("given_name#ja-Kana-JP",),
        ("birthdate",),
        ("stay",),
    },
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """Import examples/demo.py and run ``main(["--out", dir])`` once."""
    out = tmp_path_factory.mktemp("demo-out")
    name = "furusato_vc_examples_demo"
    spec = importlib.util.spec_from_file_location(name, DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve the module of their class by name
    sys.path.insert(0, str(DEMO.parent))  # demo.py imports its sibling demo_service.py
    try:
        spec.loader.exec_module(module)
        demo_main: Callable[[list[str]], int] = module.main
        code = demo_main(["--out", str(out)])
    finally:
        del sys.modules[name]
        sys.path.remove(str(DEMO.parent))
    return code, out


@pytest.fixture(scope="module")
def out_dir(demo_run: tuple[int, Path]) -> Path:
    return demo_run[1]


def _read_token(path: Path) -> str:
    text = path.read_text(encoding="ascii")
    assert text.endswith("\n")
    assert text.count("\n") == 1
    return text.removesuffix("\n")


def _context(out: Path, profile: str) -> dict[str, Any]:
    value: object = json.loads(
        (out / "sd-jwt" / f"presentation-{profile}.json").read_text(encoding="utf-8")
    )
    assert isinstance(value, dict)
    return value


def _issuer_keys(out: Path) -> StaticIssuerKeys:
    """Issuer ids are ISSUER_BASE + body code; each kid starts with its 6-digit body code."""
    jwks: object = json.loads((out / "issuer-jwks.json").read_text(encoding="utf-8"))
    assert isinstance(jwks, dict)
    assert set(jwks) == {"keys"}
    keys: dict[str, tuple[PublicJwk, ...]] = {}
    for entry in jwks["keys"]:
        jwk = parse_public_jwk(entry)
        assert jwk.kid is not None
        body_code = jwk.kid[:6]
        assert body_code.isdigit()
        issuer = ISSUER_BASE + body_code
        keys[issuer] = (*keys.get(issuer, ()), jwk)
    return StaticIssuerKeys(keys)


def _verify_presentation(out: Path, profile: str) -> VerifiedSdJwt:
    context = _context(out, profile)
    policy = SdJwtPolicy(
        key_binding=KeyBindingPolicy(audience=context["aud"], nonce=context["nonce"]),
        accepted_typ=frozenset({"dc+sd-jwt"}),
    )
    return verify_sd_jwt(
        _read_token(out / "sd-jwt" / f"presentation-{profile}.sd-jwt"),
        policy=policy,
        issuer_keys=_issuer_keys(out),
        now=datetime.fromtimestamp(context["iat"], tz=UTC),
    )


def test_demo_main_exits_zero(demo_run: tuple[int, Path]) -> None:
    assert demo_run[0] == 0


@pytest.mark.parametrize(
    "relative",
    [
        "issuer-jwks.json",
        *(f"sd-jwt/{label}.sd-jwt" for label in ISSUED),
        *(f"sd-jwt/presentation-{p}.{ext}" for p in PROFILES for ext in ("sd-jwt", "json")),
    ],
)
def test_demo_writes_artifact(out_dir: Path, relative: str) -> None:
    assert (out_dir / relative).is_file()


@pytest.mark.parametrize("label", ISSUED)
def test_issued_credential_has_no_key_binding(out_dir: Path, label: str) -> None:
    issued = _read_token(out_dir / "sd-jwt" / f"{label}.sd-jwt")
    assert issued.endswith("~")  # RFC 9901 §4: SD-JWT without KB-JWT ends in '~'


@pytest.mark.parametrize("profile", PROFILES)
def test_presentation_ends_with_a_key_binding_jwt(out_dir: Path, profile: str) -> None:
    presentation = _read_token(out_dir / "sd-jwt" / f"presentation-{profile}.sd-jwt")
    assert not presentation.endswith("~")
    assert presentation.rsplit("~", 1)[1].count(".") == 2


@pytest.mark.parametrize("profile", PROFILES)
def test_presentation_context_holds_exactly_aud_nonce_iat(out_dir: Path, profile: str) -> None:
    context = _context(out_dir, profile)
    assert set(context) == {"aud", "nonce", "iat"}
    assert isinstance(context["aud"], str)
    assert isinstance(context["nonce"], str)
    assert isinstance(context["iat"], int)


@pytest.mark.parametrize("profile", PROFILES)
def test_presentation_verifies_against_the_published_jwks(out_dir: Path, profile: str) -> None:
    context = _context(out_dir, profile)
    verified = _verify_presentation(out_dir, profile)
    assert verified.header["typ"] == "dc+sd-jwt"
    assert verified.key_binding is not None
    assert verified.key_binding.audience == context["aud"]
    assert verified.key_binding.nonce == context["nonce"]
    assert verified.key_binding.issued_at == context["iat"]
    iss = verified.claims["iss"]
    assert isinstance(iss, str)
    assert verified.issuer_key.kid is not None
    assert iss == ISSUER_BASE + verified.issuer_key.kid[:6]


@pytest.mark.parametrize("profile", PROFILES)
def test_presentation_discloses_exactly_what_the_profile_requests(
    out_dir: Path, profile: str
) -> None:
    verified = _verify_presentation(out_dir, profile)
    disclosed = [claim.path for claim in verified.disclosed]
    assert len(disclosed) == len(set(disclosed))
    assert set(disclosed) == EXPECTED_DISCLOSED[profile]


def test_demo_script_runs_like_make_demo(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "examples/demo.py", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified" in proc.stdout
    assert (tmp_path / "issuer-jwks.json").is_file()
    # make demo ends with the command line's verdict on every QR file
    last = proc.stdout.rsplit("-" * 64, 2)[1]
    assert "furusato-vc verify" in last
    assert [line.split(":")[0].strip() for line in last.splitlines() if "✔" in line] == [
        f"✔ {policy}" for policy in sorted(BUILTIN_POLICY_IDS)
    ]
    assert "✘" not in last


# --------------------------------------------------------------------------- QR artifacts (M2)

QR_LIMIT = {"garbage-station": 600, "shop": 600, "nursery": 816}  # v15-M and v18-M capacities


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("suffix", [".txt", ".png", ".json"])
def test_demo_writes_qr_artifact(out_dir: Path, profile: str, suffix: str) -> None:
    assert (out_dir / "qr" / f"{profile}{suffix}").is_file()


@pytest.mark.parametrize("profile", PROFILES)
def test_qr_text_fits_its_qr_version_budget(out_dir: Path, profile: str) -> None:
    text = (out_dir / "qr" / f"{profile}.txt").read_text(encoding="ascii").strip()
    assert text.startswith("FJ1:")
    assert len(text) <= QR_LIMIT[profile], f"{profile}: {len(text)} characters"


@pytest.mark.parametrize("profile", PROFILES)
def test_qr_png_reads_back_to_the_qr_text(out_dir: Path, profile: str) -> None:
    text = (out_dir / "qr" / f"{profile}.txt").read_text(encoding="ascii").strip()
    with Image.open(out_dir / "qr" / f"{profile}.png") as image:
        assert read_qr(image).text == text


@pytest.mark.parametrize("profile", PROFILES)
def test_qr_context_holds_aud_and_iat(out_dir: Path, profile: str) -> None:
    context = json.loads((out_dir / "qr" / f"{profile}.json").read_text(encoding="utf-8"))
    assert set(context) == {"aud", "iat"}
    assert context["aud"] == profile
    assert isinstance(context["iat"], int)


# --------------------------------------------------------------------------- the CLI (M6)


def test_demo_shows_a_qr_to_every_builtin_policy(out_dir: Path) -> None:
    assert sorted(path.stem for path in (out_dir / "qr").glob("*.txt")) == sorted(
        BUILTIN_POLICY_IDS
    )


@pytest.mark.parametrize("policy", BUILTIN_POLICY_IDS)
def test_demo_verified_each_qr_file_with_the_cli(out_dir: Path, policy: str) -> None:
    """``make demo`` ends with ``furusato-vc verify --policy <name> - < qr/<name>.txt``."""
    verdict = json.loads((out_dir / "verify" / f"{policy}.json").read_text("utf-8"))
    assert verdict["result"] == "verified", verdict
    assert verdict["policy"]["id"] == policy
    assert verdict["format"] == "qr"
    disclosed = {item["claim"] for item in verdict["disclosed"]}
    expected = {"/".join(map(str, p)) for p in builtin_policy_document(policy).required_disclosures}
    assert disclosed == expected


# --------------------------------------------------------------------------- the bundle (M3)


@pytest.mark.parametrize(
    "relative",
    [
        "bundle/anchors.json",
        "bundle/CURRENT",
        "publication/trust-list.jwt",
        "publication/trust-list.cwt",
        "publication/status-lists.cbor",
        "publication/status/042056/1.cwt",
        "publication/status/203858/1.jwt",
        "anchor/anchors.json",
    ],
)
def test_demo_writes_the_trust_artifacts(out_dir: Path, relative: str) -> None:
    assert (out_dir / relative).is_file()


def test_demo_bundle_loads_against_its_pinned_anchor(out_dir: Path) -> None:
    bundle = BundleDirectory(out_dir / "bundle").load()
    assert bundle.trust_list.sequence == 2  # signed once at set-up, once after the revocation
    assert [entry.body_code for entry in bundle.trust_list.entries] == ["042056", "203858"]
    assert bundle.problems == ()
    kesennuma = bundle.status_list(ISSUER_BASE + "042056/status/1")
    assert kesennuma is not None
    assert kesennuma.status_list.histogram().get(StatusType.INVALID) == 1  # the revoked card
    anchors = json.loads((out_dir / "bundle" / "anchors.json").read_text(encoding="utf-8"))
    assert [key["kid"] for key in anchors["keys"]] == ["jp-trust-anchor-demo"]
    assert "d" not in anchors["keys"][0]  # only the public anchor key is pinned


def test_demo_private_anchor_key_is_not_world_readable(out_dir: Path) -> None:
    assert (out_dir / "anchor" / "anchor-private.jwk").stat().st_mode & 0o077 == 0


def test_demo_went_through_the_running_service(out_dir: Path) -> None:
    """The second half of the demo talks HTTP to a real ``furusato-vc issuer serve`` on
    SQLite and saves the issuer metadata it fetched (OpenID4VCI 1.0 §12.2)."""
    metadata = json.loads((out_dir / "openid-credential-issuer.json").read_text("utf-8"))
    issuer = metadata["credential_issuer"]
    assert issuer.startswith("http://127.0.0.1:")
    assert issuer.endswith("/bodies/042056")
    assert metadata["credential_endpoint"] == f"{issuer}/credential"
    assert metadata["nonce_endpoint"] == f"{issuer}/nonce"
    assert set(metadata["credential_configurations_supported"]) == {
        "registration_basic_sd_jwt",
        "registration_basic_compact",
        "registration_premium_sd_jwt",
        "registration_premium_compact",
    }
    assert {d["locale"] for d in metadata["display"]} == {"ja", "en"}
    issued = json.loads((out_dir / "service" / "credentials.json").read_text("utf-8"))
    assert len(issued["registration_basic_sd_jwt"]) == 2
    assert len(issued["registration_basic_compact"]) == 1
    assert (out_dir / "service" / "issuer.db").stat().st_size > 0


def test_demo_used_the_wallet_command_line(out_dir: Path) -> None:
    """The demo drove ``furusato-vc wallet init | accept-offer | list | present``."""
    png = out_dir / "wallet" / "garbage-station.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    store = json.loads((out_dir / "wallet" / "wallet.json").read_text("ascii"))
    assert store["format"] == "furusato-wallet-store/1"  # encrypted at rest


def test_wallet_embedding_example_runs() -> None:
    """examples/wallet_embedding.py: an app receives a card and builds a QR."""
    done = subprocess.run(
        [sys.executable, str(DEMO.parent / "wallet_embedding.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=DEMO.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "QR: FJ1:" in done.stdout
    assert "有効期限 / Valid until" in done.stdout
