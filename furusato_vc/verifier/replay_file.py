"""A replay cache kept in a file between runs (an edge: file I/O and locking).

A long-running verifier (the kiosk) keeps its :class:`ReplayCache` in memory. A verifier that
runs once per scan — ``furusato-vc verify`` called by a gate script — would otherwise start
empty every time and accept a photographed one-way QR again within its 60-second window; it
passes ``--replay-cache FILE`` and the cache is loaded, used and saved under an exclusive lock.

Format: ``furusato-replay-cache/1\\n`` then 40-byte records (a 32-byte SHA-256 of the signed
bytes of a key-binding token, 8-byte big-endian time until which it is kept). Nothing personal
is stored. The file is replaced atomically (temporary file, fsync, rename) while a lock on
``FILE.lock`` is held, so concurrent runs see each other's tokens.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from typing import TYPE_CHECKING, Final

from furusato_vc.verifier.replay import ReplayCache

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import BinaryIO

__all__ = ["MAX_REPLAY_FILE_ENTRIES", "ReplayFileDamagedError", "replay_cache_file"]

MAGIC: Final = b"furusato-replay-cache/1\n"
_RECORD: Final = struct.Struct(">32sQ")
MAX_REPLAY_FILE_ENTRIES: Final = 100_000


class ReplayFileDamagedError(ValueError):
    """The file is not a replay cache (a configuration error: remove it; its entries would
    have expired within minutes anyway)."""


def _lock(handle: BinaryIO) -> None:
    if sys.platform != "win32":
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _read(path: Path) -> list[tuple[bytes, int]]:
    try:
        with path.open("rb") as handle:
            data = handle.read(len(MAGIC) + _RECORD.size * MAX_REPLAY_FILE_ENTRIES + 1)
    except FileNotFoundError:
        return []
    body = data[len(MAGIC) :]
    if (
        not data.startswith(MAGIC)
        or len(body) % _RECORD.size
        or len(body) > _RECORD.size * MAX_REPLAY_FILE_ENTRIES
    ):
        raise ReplayFileDamagedError(f"{path} is not a replay cache file")
    return [(bytes(key), until) for key, until in _RECORD.iter_unpack(body)]


def _write(path: Path, entries: list[tuple[bytes, int]]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(MAGIC + b"".join(_RECORD.pack(key, until) for key, until in entries))
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


@contextlib.contextmanager
def replay_cache_file(path: Path, *, now: int) -> Iterator[ReplayCache]:
    """Lock ``path``, load the keys that are still kept at ``now``, yield the cache and save
    it when the block ends without an exception.

    Raises:
        ReplayFileDamagedError: ``path`` exists and is not a replay cache.
        OSError: the file or its lock cannot be read or written.
    """
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("ab") as lock:
        _lock(lock)  # released when the lock file is closed
        cache = ReplayCache(max_entries=MAX_REPLAY_FILE_ENTRIES)
        for key, until in _read(path):
            if until > now:
                cache.first_use(key, now=now, keep_until=until)
        yield cache
        kept = [(key, until) for key, until in cache.entries() if until > now]
        if any(len(key) != 32 for key, _until in kept):
            raise ValueError("replay keys are 32-byte digests")
        _write(path, kept)
