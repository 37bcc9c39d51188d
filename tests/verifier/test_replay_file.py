"""A replay cache kept in a file between runs (:mod:`furusato_vc.verifier.replay_file`)."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

import pytest

from furusato_vc.verifier.replay_file import (
    MAGIC,
    ReplayFileDamagedError,
    replay_cache_file,
)

NOW = 1_800_000_000


def _key(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def test_a_key_used_in_one_run_is_a_replay_in_the_next(tmp_path: Path) -> None:
    path = tmp_path / "replays"
    with replay_cache_file(path, now=NOW) as cache:
        assert cache.first_use(_key("a"), now=NOW, keep_until=NOW + 61)
    with replay_cache_file(path, now=NOW + 30) as cache:
        assert not cache.first_use(_key("a"), now=NOW + 30, keep_until=NOW + 91)
        assert cache.first_use(_key("b"), now=NOW + 30, keep_until=NOW + 91)


def test_a_key_is_forgotten_once_its_time_is_over(tmp_path: Path) -> None:
    path = tmp_path / "replays"
    with replay_cache_file(path, now=NOW) as cache:
        cache.first_use(_key("a"), now=NOW, keep_until=NOW + 61)
    with replay_cache_file(path, now=NOW + 61) as cache:
        assert len(cache) == 0
    assert path.read_bytes() == MAGIC  # expired entries are not written back


def _use_then_fail(path: Path) -> None:
    with replay_cache_file(path, now=NOW) as cache:
        cache.first_use(_key("a"), now=NOW, keep_until=NOW + 61)
        raise RuntimeError


def test_nothing_is_saved_when_the_block_fails(tmp_path: Path) -> None:
    path = tmp_path / "replays"
    with pytest.raises(RuntimeError):
        _use_then_fail(path)
    assert not path.exists()


def test_file_holds_only_digests_and_times(tmp_path: Path) -> None:
    path = tmp_path / "replays"
    with replay_cache_file(path, now=NOW) as cache:
        cache.first_use(_key("a"), now=NOW, keep_until=NOW + 61)
    data = path.read_bytes()
    assert data == MAGIC + _key("a") + (NOW + 61).to_bytes(8, "big")


@pytest.mark.parametrize(
    "content",
    [b"", b"not a cache", MAGIC + b"\x00" * 39, b"furusato-replay-cache/2\n"],
    ids=["empty", "text", "short record", "other version"],
)
def test_damaged_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "replays"
    path.write_bytes(content)
    with pytest.raises(ReplayFileDamagedError), replay_cache_file(path, now=NOW):
        pass
    assert path.read_bytes() == content  # left for the operator to look at


def test_keys_must_be_digests(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match="32-byte"),
        replay_cache_file(tmp_path / "replays", now=NOW) as cache,
    ):
        cache.first_use(b"short", now=NOW, keep_until=NOW + 61)


def _use_once(path: str, label: str, results: multiprocessing.Queue[bool]) -> None:
    with replay_cache_file(Path(path), now=NOW) as cache:
        results.put(cache.first_use(_key(label), now=NOW, keep_until=NOW + 61))


def test_concurrent_runs_accept_a_token_once(tmp_path: Path) -> None:
    results: multiprocessing.Queue[bool] = multiprocessing.Queue()
    runs = [
        multiprocessing.Process(target=_use_once, args=(str(tmp_path / "replays"), "same", results))
        for _ in range(6)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    outcomes = [results.get(timeout=5) for _ in runs]
    assert sorted(outcomes) == [False] * 5 + [True]
