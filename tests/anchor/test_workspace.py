"""The trust-anchor operator's workspace: creation, signing versions, aggregation."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from furusato_vc.anchor import TrustWorkspace
from furusato_vc.core.bundle import ListOutcome, decode_status_aggregate, encode_status_aggregate
from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.statuslist import StatusType, verify_status_list_cwt
from furusato_vc.core.trustlist import verify_trust_list
from furusato_vc.publication import status_list_path
from tests.bundle_fixtures import NOW, Nation
from tests.core.trustlist.builders import draft
from tests.helpers import fixed_p256_key
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    SENDAI,
    basic_registration,
    issuing_body,
)

if TYPE_CHECKING:
    from pathlib import Path

NOW_S = int(NOW.timestamp())


def _workspace(tmp_path: Path) -> TrustWorkspace:
    workspace = TrustWorkspace.create(
        tmp_path / "ws", operator="https://trust.example.jp", kid="jp-anchor-2027",
        key=fixed_p256_key("national-trust-anchor"),
    )  # fmt: skip
    workspace.save(draft())
    return workspace


def _write_status(nation: Nation, root: Path) -> None:
    for uri, token in nation.tokens().items():
        code = uri.removeprefix(ISSUER_BASE).split("/")[0]
        path = root / status_list_path(code, 1, "cwt")
        path.parent.mkdir(parents=True, exist_ok=True)
        assert isinstance(token, bytes)
        path.write_bytes(token)


def test_create_refuses_an_existing_workspace(tmp_path: Path) -> None:
    _workspace(tmp_path)
    with pytest.raises(FileExistsError):
        TrustWorkspace.create(tmp_path / "ws", operator="x", kid="k")


def test_sign_publishes_both_forms_and_numbers_versions(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    out = tmp_path / "pub"
    first = workspace.sign(out=out, now=NOW, next_update_in=3600, valid_for=86_400)
    second = workspace.sign(
        out=out, now=NOW + timedelta(minutes=1), next_update_in=3600, valid_for=86_400
    )
    assert (first.sequence, second.sequence) == (1, 2)
    assert workspace.load() == second
    anchors = workspace.anchors()
    for name in ("trust-list.jwt", "trust-list.cwt"):
        verified = verify_trust_list((out / name).read_bytes(), anchors=anchors, now=NOW_S + 60)
        assert verified == second


def test_aggregate_takes_the_bodies_files_not_an_old_aggregate(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    out = tmp_path / "pub"
    workspace.sign(out=out, now=NOW, next_update_in=3600, valid_for=86_400)
    nation = Nation.of()
    card = nation.issue(basic_registration())
    _write_status(nation, out)
    workspace.aggregate(status_dir=out, out=out, now=NOW)
    nation.set_status(card, StatusType.INVALID)
    _write_status(nation, out)  # the body publishes its new list next to the old aggregate
    report = workspace.aggregate(status_dir=out, out=out, now=NOW)
    assert (report.lists, report.included, report.problems) == (3, 3, ())
    tokens = decode_status_aggregate((out / "status-lists.cbor").read_bytes())
    token = tokens[card.slot.uri]
    assert isinstance(token, bytes)
    key = issuing_body(KESENNUMA).signer.public_jwk
    verified = verify_status_list_cwt(token, keys=[key], expected_uri=card.slot.uri, now=NOW_S)
    assert verified.status_list.get(card.slot.idx) == StatusType.INVALID


def test_aggregate_leaves_out_what_does_not_verify(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    out = tmp_path / "pub"
    workspace.sign(out=out, now=NOW, next_update_in=3600, valid_for=86_400)
    nation = Nation.of()
    _write_status(nation, tmp_path / "bodies")
    bad = tmp_path / "bodies" / status_list_path(SENDAI, 1, "cwt")
    bad.write_bytes(bad.read_bytes()[:-3])
    report = workspace.aggregate(status_dir=tmp_path / "bodies", out=out, now=NOW)
    assert report.included == 2
    assert report.outcomes[ISSUER_BASE + SENDAI + "/status/1"] is ListOutcome.MISSING
    assert [p.code for p in report.problems] == [ErrorCode.MALFORMED_CBOR]
    assert encode_status_aggregate({}) == b"\xa0"
