"""Choosing a policy by name or file (:func:`furusato_vc.verifier.load_policy`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.policy_document import (
    BUILTIN_POLICY_IDS,
    MAX_POLICY_DOCUMENT_BYTES,
    builtin_policy_document,
)
from furusato_vc.verifier import UnknownPolicyError, load_policy

if TYPE_CHECKING:
    from pathlib import Path

DOCUMENT = {"id": "gate", "name": {"ja": "門", "en": "Gate"}, "accept": "any"}


@pytest.mark.parametrize("policy_id", BUILTIN_POLICY_IDS)
def test_builtin_name_is_the_builtin(policy_id: str) -> None:
    assert load_policy(policy_id) == builtin_policy_document(policy_id)


def test_builtin_name_wins_over_a_file_of_that_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shop").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_policy("shop").id == "shop"
    assert load_policy("./shop").id == "gate"


@pytest.mark.parametrize("name", ["library", "Shop", "garbage_station", "gate"])
def test_other_bare_word_is_an_unknown_policy(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gate").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnknownPolicyError, match="garbage-station"):
        load_policy(name)


def test_path_is_read_and_parsed(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert load_policy(path).id == "gate"
    assert load_policy(str(path)).id == "gate"


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_policy(tmp_path / "missing.json")


def test_directory_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="directory"):
        load_policy(str(tmp_path) + "/")


def test_malformed_file_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"id": "gate"}', encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        load_policy(path)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_huge_file_is_input_too_large_after_one_bounded_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (MAX_POLICY_DOCUMENT_BYTES * 4))
    with pytest.raises(FormatError) as caught:
        load_policy(path)
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


def test_endless_device_is_input_too_large() -> None:
    with pytest.raises(FormatError) as caught:
        load_policy("/dev/zero")
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE
