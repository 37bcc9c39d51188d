"""``furusato-vc trust …`` (the national trust-anchor operator) and ``furusato-vc bundle …``
(offline verifiers), end to end through the command line: one JSON object per run, exit 0 /
1 (rejected, with the stable code) / 2 (usage)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.cli import main
from furusato_vc.core.benefits import BenefitList, sign_benefit_list
from furusato_vc.core.bodydoc import BodyDocHeader
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose import SoftwareSigner, private_jwk
from furusato_vc.core.statuslist import StatusReference, StatusType
from furusato_vc.issuer.status import InMemoryStatusLists, StatusListConfig
from furusato_vc.verifier.bundle_store import BundleDirectory
from tests.core.benefits_test_support import benefit
from tests.helpers import FIXED_NOW, SeededRandom, fixed_p256_key
from tests.registration_fixtures import KESENNUMA, MINAMIMINOWA

if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
T0 = FIXED_NOW.isoformat()
T1 = (FIXED_NOW + timedelta(hours=1)).isoformat()
T2 = (FIXED_NOW + timedelta(hours=2)).isoformat()
BODIES = {
    KESENNUMA: ("issuer-042056", "https://ksn.example"),
    MINAMIMINOWA: ("issuer-203858", "https://mmw.example"),
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    out = capsys.readouterr().out
    value = json.loads(out)
    assert isinstance(value, dict)
    return code, value


def _key_file(tmp_path: Path, label: str, kid: str) -> Path:
    path = tmp_path / f"{label}.jwk"
    path.write_text(json.dumps(private_jwk(fixed_p256_key(label), kid=kid)))
    return path


def _workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    ws = tmp_path / "ws"
    code, out = _run(
        capsys, "trust", "init", "--dir", str(ws), "--operator", "https://trust.example.jp",
        "--kid", "jp-anchor-1", "--now", T0,
    )  # fmt: skip
    assert code == EXIT_OK, out
    for code_, (label, base) in BODIES.items():
        key = _key_file(tmp_path, label, f"{code_}-2027")
        code, out = _run(
            capsys, "trust", "add", "--dir", str(ws), "--body", code_, "--issuer", base + "/iss",
            "--key", str(key), "--status-list", f"1={base}/status/1",
            "--not-before", (FIXED_NOW - timedelta(days=30)).isoformat(),
        )  # fmt: skip
        assert code == EXIT_OK, out
    return ws


def _publish_status(tmp_path: Path, *, revoke: bool = False) -> tuple[Path, int]:
    """What the two bodies' issuers publish (the issuer service's job; done in-process)."""
    root = tmp_path / "bodies"
    revoked_idx = -1
    for code, (label, base) in BODIES.items():
        lists = InMemoryStatusLists(
            uri_template=base + "/status/{list_id}", config=StatusListConfig(size=1024)
        )
        slot = lists.allocate(random=SeededRandom(code))
        if revoke and code == KESENNUMA:
            lists.set_status(slot, StatusType.INVALID)
            revoked_idx = slot.idx
        signer = SoftwareSigner(fixed_p256_key(label), kid=f"{code}-2027")
        published = lists.publish(1, signer=signer, issuer=base + "/iss", now=FIXED_NOW)
        folder = root / "status" / code
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "1.cwt").write_bytes(published.cwt)
    return root, revoked_idx


# --------------------------------------------------------------------------- trust


def test_init_twice_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = _workspace(tmp_path, capsys)
    code, out = _run(capsys, "trust", "init", "--dir", str(ws), "--operator", "x")
    assert (code, out["code"]) == (EXIT_USAGE, "usage")
    assert (ws / "anchor-private.jwk").stat().st_mode & 0o777 == 0o600


def test_draft_shows_bodies_names_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    code, out = _run(capsys, "trust", "show", "--dir", str(ws), "--now", T0)
    assert code == EXIT_OK
    assert (out["result"], out["sequence"], out["bodies"]) == ("draft", 0, 2)
    names = {entry["code"]: entry["name_ja"] for entry in out["entries"]}
    assert names == {KESENNUMA: "宮城県気仙沼市", MINAMIMINOWA: "長野県南箕輪村"}
    assert out["entries"][0]["keys"][0]["usable_now"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trust", "add", "--body", "042057"], "check digit"),
        (["trust", "add", "--body", KESENNUMA], "already in"),
        (["trust", "withdraw", "--body", KESENNUMA, "--kid", "nope"], "no key"),
        (["trust", "add-list", "--body", KESENNUMA, "--status-list", "1=https://x/1"], "already"),
        (["trust", "add-list", "--body", KESENNUMA, "--status-list", "one"], "ID=URI"),
        (["trust", "rotate", "--body", KESENNUMA, "--overlap", "soon"], "duration"),
        (["trust", "suspend", "--body", "131016"], "not in the trust list"),
    ],
)
def test_refused_edits_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    ws = _workspace(tmp_path, capsys)
    key = _key_file(tmp_path, "spare", "spare-1")
    extra = ["--issuer", "https://other.example", "--key", str(key)] if argv[1] == "add" else []
    if argv[1] == "rotate":
        extra = ["--key", str(key)]
    code, out = _run(capsys, *argv, "--dir", str(ws), *extra)
    assert code == EXIT_USAGE, out
    assert message in out["message_en"]


def test_lifecycle_commands_edit_the_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    new_key = _key_file(tmp_path, "issuer-042056-next", "042056-2028")
    code, out = _run(
        capsys, "trust", "rotate", "--dir", str(ws), "--body", KESENNUMA, "--key", str(new_key),
        "--at", T0, "--overlap", "7d",
    )  # fmt: skip
    assert code == EXIT_OK, out
    keys = {key["kid"]: key for key in out["body"]["keys"]}
    assert keys["042056-2027"]["not_after"] == "2027-01-22T00:00:00Z"
    assert keys["042056-2028"]["not_before"] == "2027-01-15T00:00:00Z"
    code, out = _run(
        capsys, "trust", "withdraw", "--dir", str(ws), "--body", KESENNUMA, "--kid", "042056-2027",
        "--from", T0,
    )  # fmt: skip
    assert out["body"]["keys"][0]["withdrawn_from"] == "2027-01-15T00:00:00Z"
    code, out = _run(capsys, "trust", "suspend", "--dir", str(ws), "--body", MINAMIMINOWA)
    assert (out["body"]["state"], out["body"]["state_ja"]) == ("suspended", "停止中")
    code, out = _run(capsys, "trust", "reinstate", "--dir", str(ws), "--body", MINAMIMINOWA)
    assert out["body"]["state"] == "active"
    code, out = _run(
        capsys, "trust", "withdraw", "--dir", str(ws), "--body", MINAMIMINOWA, "--body-leaves"
    )
    assert out["body"]["state"] == "withdrawn"
    code, out = _run(
        capsys, "trust", "add-list", "--dir", str(ws), "--body", KESENNUMA,
        "--status-list", "2=https://ksn.example/status/2",
    )  # fmt: skip
    assert [item["id"] for item in out["body"]["status_lists"]] == [1, 2]


def test_sign_numbers_versions_and_show_verifies_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    pub = tmp_path / "pub"
    code, out = _run(capsys, "trust", "sign", "--dir", str(ws), "--out", str(pub), "--now", T0)
    assert (code, out["sequence"], out["bodies"]) == (EXIT_OK, 1, 2)
    assert out["expires_at"] == "2027-02-14T00:00:00Z"
    code, out = _run(capsys, "trust", "sign", "--dir", str(ws), "--out", str(pub), "--now", T1)
    assert out["sequence"] == 2
    for name in ("trust-list.jwt", "trust-list.cwt"):
        code, out = _run(
            capsys, "trust", "show", "--file", str(pub / name), "--anchors",
            str(ws / "anchors.json"), "--now", T1, "--body", KESENNUMA,
        )  # fmt: skip
        assert (code, out["result"], out["sequence"]) == (EXIT_OK, "verified", 2)
        assert [entry["code"] for entry in out["entries"]] == [KESENNUMA]


def test_show_with_the_wrong_anchor_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    pub = tmp_path / "pub"
    _run(capsys, "trust", "sign", "--dir", str(ws), "--out", str(pub), "--now", T0)
    other = tmp_path / "other"
    _run(capsys, "trust", "init", "--dir", str(other), "--operator", "x", "--kid", "jp-anchor-1")
    code, out = _run(
        capsys, "trust", "show", "--file", str(pub / "trust-list.cwt"), "--anchors",
        str(other / "anchors.json"), "--now", T0,
    )  # fmt: skip
    assert (code, out["code"]) == (EXIT_REJECTED, "signature_invalid")
    assert out["message_ja"]
    code, out = _run(capsys, "trust", "show", "--file", str(pub / "trust-list.cwt"))
    assert code == EXIT_USAGE


def test_sign_refuses_a_next_update_after_expiry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, capsys)
    code, out = _run(
        capsys, "trust", "sign", "--dir", str(ws), "--out", str(tmp_path / "pub"),
        "--next-update", "40d", "--valid-for", "30d",
    )  # fmt: skip
    assert code == EXIT_USAGE, out


def test_commands_need_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "trust", "show", "--dir", str(tmp_path))
    assert code == EXIT_USAGE
    assert "not a trust workspace" in out["message_en"]
    code, out = _run(capsys, "trust", "show")
    assert code == EXIT_USAGE


# --------------------------------------------------------------------------- aggregate, sync, info


def _published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *, revoke: bool = False
) -> tuple[Path, Path, int]:
    ws = _workspace(tmp_path, capsys)
    pub = tmp_path / "pub"
    _run(capsys, "trust", "sign", "--dir", str(ws), "--out", str(pub), "--now", T0)
    bodies, revoked = _publish_status(tmp_path, revoke=revoke)
    code, out = _run(
        capsys, "trust", "aggregate", "--dir", str(ws), "--status-from", str(bodies),
        "--out", str(pub), "--now", T0,
    )  # fmt: skip
    assert (code, out["lists"], out["included"], out["problems"]) == (EXIT_OK, 2, 2, []), out
    return ws, pub, revoked


def test_aggregate_needs_a_signed_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = _workspace(tmp_path, capsys)
    code, _out = _run(
        capsys, "trust", "aggregate", "--dir", str(ws), "--status-from", str(tmp_path),
        "--out", str(tmp_path / "pub"),
    )  # fmt: skip
    assert code == EXIT_USAGE


def test_sync_and_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws, pub, _revoked = _published(tmp_path, capsys)
    bundle = tmp_path / "bundle"
    code, out = _run(
        capsys, "bundle", "sync", "--from", str(pub), "--out", str(bundle),
        "--anchors", str(ws / "anchors.json"), "--now", T1,
    )  # fmt: skip
    assert (code, out["result"], out["sequence"], out["bodies"]) == (EXIT_OK, "synced", 1, 2)
    assert out["status_lists"] == {"updated": 2, "unchanged": 0, "kept": 0, "missing": 0}
    code, out = _run(capsys, "bundle", "info", "--bundle", str(bundle), "--now", T2)
    assert code == EXIT_OK
    assert out["usable"] == {"ok": True}
    assert out["status_lists"] == {"fresh": 2, "stale": 0, "expired": 0, "missing": 0}
    assert {body["code"]: body["freshness"] for body in out["bodies"]} == {
        KESENNUMA: "fresh",
        MINAMIMINOWA: "fresh",
    }
    later = (FIXED_NOW + timedelta(days=3)).isoformat()
    code, out = _run(capsys, "bundle", "info", "--bundle", str(bundle), "--now", later)
    assert out["status_lists"]["stale"] == 2
    code, out = _run(
        capsys, "bundle", "info", "--bundle", str(bundle), "--now", later,
        "--max-staleness", "5d", "--body", KESENNUMA,
    )  # fmt: skip
    assert out["status_lists"]["fresh"] == 2
    assert [body["code"] for body in out["bodies"]] == [KESENNUMA]
    after_expiry = (FIXED_NOW + timedelta(days=31)).isoformat()
    code, out = _run(capsys, "bundle", "info", "--bundle", str(bundle), "--now", after_expiry)
    assert out["usable"]["code"] == "trust_list_expired"
    assert out["status_lists"]["expired"] == 2
    # a second sync without --anchors uses the pinned ones
    code, out = _run(
        capsys, "bundle", "sync", "--from", str(pub), "--out", str(bundle), "--now", T2
    )
    assert out["status_lists"]["unchanged"] == 2


def test_sync_refuses_to_repin_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws, pub, _ = _published(tmp_path, capsys)
    bundle = tmp_path / "bundle"
    _run(
        capsys,
        "bundle",
        "sync",
        "--from",
        str(pub),
        "--out",
        str(bundle),
        "--anchors",
        str(ws / "anchors.json"),
        "--now",
        T1,
    )
    other = tmp_path / "other"
    _run(capsys, "trust", "init", "--dir", str(other), "--operator", "x")
    code, out = _run(
        capsys, "bundle", "sync", "--from", str(pub), "--out", str(bundle),
        "--anchors", str(other / "anchors.json"),
    )  # fmt: skip
    assert code == EXIT_USAGE
    assert "bundle pin" in out["message_en"]
    code, out = _run(
        capsys, "bundle", "pin", "--anchors", str(other / "anchors.json"), "--out", str(bundle)
    )
    assert code == EXIT_OK
    code, out = _run(
        capsys, "bundle", "sync", "--from", str(pub), "--out", str(bundle), "--now", T2
    )
    # the new pin has another kid: the published list is not signed by a pinned anchor
    assert (code, out["code"]) == (EXIT_REJECTED, "trust_anchor_unknown")


def test_sync_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws, pub, _ = _published(tmp_path, capsys)
    code, out = _run(capsys, "bundle", "sync", "--from", str(pub), "--out", str(tmp_path / "b"))
    assert code == EXIT_USAGE  # nothing pinned
    code, out = _run(
        capsys, "bundle", "sync", "--from", str(tmp_path / "missing"), "--out",
        str(tmp_path / "b"), "--anchors", str(ws / "anchors.json"),
    )  # fmt: skip
    assert (code, out["code"]) == (EXIT_REJECTED, "sync_source_unavailable")
    code, out = _run(capsys, "bundle", "info", "--bundle", str(tmp_path / "b"))
    assert (code, out["code"]) == (EXIT_REJECTED, "bundle_missing")
    code, out = _run(
        capsys, "bundle", "sync", "--from", str(pub), "--out", str(tmp_path / "c"),
        "--anchors", str(tmp_path / "none.json"),
    )  # fmt: skip
    assert code == EXIT_USAGE
    code, out = _run(capsys, "bundle", "info", "--bundle", str(tmp_path), "--now", "yesterday")
    assert code == EXIT_USAGE
    code, out = _run(
        capsys, "bundle", "info", "--bundle", str(tmp_path), "--now", "2027-01-15T00:00:00"
    )
    assert code == EXIT_USAGE  # no offset


def test_the_synced_bundle_knows_a_revocation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, pub, revoked = _published(tmp_path, capsys, revoke=True)
    bundle = tmp_path / "bundle"
    _run(
        capsys,
        "bundle",
        "sync",
        "--from",
        str(pub),
        "--out",
        str(bundle),
        "--anchors",
        str(ws / "anchors.json"),
        "--now",
        T1,
    )
    loaded = BundleDirectory(bundle).load()
    reference = StatusReference(uri="https://ksn.example/status/1", idx=revoked)
    with pytest.raises(VerificationError) as info:
        loaded.check(
            reference,
            issuer="https://ksn.example/iss",
            now=int(FIXED_NOW.timestamp()) + 3600,
            max_age=86_400,
        )
    assert info.value.code is ErrorCode.CREDENTIAL_REVOKED


# --------------------------------------------------------------------------- benefits


def _benefits_list(code: str, *, signed_by: str) -> str:
    """A body's signed benefits list (the issuer service's ``GET /bodies/<code>/benefits``)."""
    _label, base = BODIES[code]
    signer_label, _ = BODIES[signed_by]
    return sign_benefit_list(
        BenefitList(
            header=BodyDocHeader(
                issuer=base + "/iss",
                body_code=code,
                issued_at=int(FIXED_NOW.timestamp()) - 60,
                expires_at=int(FIXED_NOW.timestamp()) + 30 * 86_400,
                sequence=1,
            ),
            benefits=(benefit("cafe-umi"),),
        ),
        signer=SoftwareSigner(fixed_p256_key(signer_label), kid=f"{signed_by}-2027"),
    )


def test_benefits_are_imported_signed_and_synced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, pub, _revoked = _published(tmp_path, capsys)
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / f"{KESENNUMA}.jwt").write_text(_benefits_list(KESENNUMA, signed_by=KESENNUMA))
    # 南箕輪's list signed with 気仙沼's key: refused by the anchor
    (lists / f"{MINAMIMINOWA}.jwt").write_text(_benefits_list(MINAMIMINOWA, signed_by=KESENNUMA))
    code, out = _run(
        capsys, "trust", "benefits", "--dir", str(ws), "--benefits-from", str(lists),
        "--out", str(pub), "--now", T0,
    )  # fmt: skip
    assert code == EXIT_OK, out
    assert out["included"] == {KESENNUMA: 1}
    assert out["refused"][MINAMIMINOWA] in {"signature_invalid", "issuer_key_unknown"}
    bundle = tmp_path / "bundle"
    code, out = _run(
        capsys, "bundle", "sync", "--from", str(pub), "--out", str(bundle),
        "--anchors", str(ws / "anchors.json"), "--now", T1,
    )  # fmt: skip
    assert out["benefits"] == {"bodies": 1, "problem": None}
    benefits = BundleDirectory(bundle).load_benefits()
    assert benefits is not None
    held = benefits.for_body(KESENNUMA)
    assert held is not None
    assert held.benefit("cafe-umi") is not None
