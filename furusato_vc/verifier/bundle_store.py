"""The verifier bundle on disk, and syncing it from a directory or a URL (an edge: files and
network live here; every check is :func:`furusato_vc.core.bundle.verify_bundle`).

Layout of a bundle directory::

    DIR/anchors.json                  the pinned trust anchors (JWK Set); never written by sync
    DIR/CURRENT                       the name of the version in force
    DIR/v000042-…/trust-list.cwt      the trust list as fetched (or trust-list.jwt)
    DIR/v000042-…/status-lists.cbor   every Status List Token in force, by URI
    DIR/v000042-…/benefits.jwt        the bodies' benefits, signed by the anchor (optional)
    DIR/v000042-…/manifest.json       sequence, verification time, SHA-256 of each file

A sync writes a complete new version into a temporary directory, fsyncs it, renames it into
place and only then replaces ``CURRENT`` (``os.replace``, atomic on POSIX). An interrupted
sync therefore leaves the previous version in force; the next sync removes its debris.
Sources are described in :mod:`furusato_vc.publication`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from furusato_vc.core.benefits import verify_benefits_bundle
from furusato_vc.core.bundle import (
    TrustBundle,
    decode_status_aggregate,
    encode_status_aggregate,
    verify_bundle,
)
from furusato_vc.core.encoding import parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, StorageError
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.publication import (
    AGGREGATE_FILE,
    BENEFITS_FILE,
    MAX_BENEFITS_BYTES,
    TRUST_LIST_CWT,
    TRUST_LIST_JWT,
    fetch_status_tokens,
    fetch_trust_list,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from furusato_vc.core.benefits import BenefitsBundle
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.publication import SyncSource

__all__ = [
    "ANCHORS_FILE",
    "BundleDirectory",
    "SyncResult",
    "anchors_document",
    "read_anchors",
]

ANCHORS_FILE: Final = "anchors.json"
CURRENT_FILE: Final = "CURRENT"
MANIFEST_FILE: Final = "manifest.json"
FORMAT: Final = "furusato-vc-bundle/1"

MAX_ANCHORS_BYTES = 64 * 1024


# ---------------------------------------------------------------------------- anchors


def read_anchors(path: Path) -> tuple[PublicJwk, ...]:
    """A JWK Set of trust anchors.

    Raises:
        StorageError: ``bundle_missing`` (no file).
        FormatError: ``malformed_jwk``, the JSON codes, ``input_too_large``.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_ANCHORS_BYTES + 1)
    except FileNotFoundError as exc:
        raise StorageError(ErrorCode.BUNDLE_MISSING, "no pinned trust anchors") from exc
    except OSError as exc:
        raise StorageError(ErrorCode.BUNDLE_CORRUPT, "cannot read the pinned anchors") from exc
    if len(data) > MAX_ANCHORS_BYTES:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "anchor file too large")
    document = parse_json_object(data)
    keys = document.get("keys")
    if not isinstance(keys, list) or not keys:
        raise FormatError(ErrorCode.MALFORMED_JWK, "anchors must be a JWK Set with keys")
    return tuple(parse_public_jwk(key) for key in keys)


def anchors_document(anchors: Sequence[PublicJwk]) -> bytes:
    return (json.dumps({"keys": [a.to_json() for a in anchors]}, indent=2) + "\n").encode()


# ---------------------------------------------------------------------------- writing safely


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename, fsync dir)."""
    temporary = path.with_name(f".{path.name}.tmp")
    _write_file(temporary, data)
    temporary.replace(path)
    _fsync_dir(path.parent)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- the directory


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncResult:
    bundle: TrustBundle
    version: str
    source: str
    trust_list_form: str
    benefits: BenefitsBundle | None = None  # the benefits in force after the sync
    benefits_problem: ErrorCode | None = None  # why a fetched benefits file was not taken


class BundleDirectory:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def anchors_path(self) -> Path:
        return self.root / ANCHORS_FILE

    def pin_anchors(self, anchors: Sequence[PublicJwk]) -> None:
        """Install the trust anchors (first set-up of a device, or an anchor change the
        operator decided on; never done by a sync).

        Raises:
            StorageError: ``bundle_write_failed``.
        """
        if not anchors:
            raise ValueError("at least one anchor")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            _replace_file(self.anchors_path, anchors_document(anchors))
        except OSError as exc:
            raise StorageError(ErrorCode.BUNDLE_WRITE_FAILED, "cannot write the anchors") from exc

    def anchors(self) -> tuple[PublicJwk, ...]:
        return read_anchors(self.anchors_path)

    def current_version(self) -> str | None:
        try:
            name = (self.root / CURRENT_FILE).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(ErrorCode.BUNDLE_CORRUPT, "CURRENT is unreadable") from exc
        if not name.startswith("v") or "/" in name or name in {".", ".."}:
            raise StorageError(ErrorCode.BUNDLE_CORRUPT, "CURRENT names no version")
        return name

    def load(self) -> TrustBundle:
        """The bundle in force, re-verified against the pinned anchors as of its sync time
        (freshness at verification time is the verifier's check).

        Raises:
            StorageError: ``bundle_missing``, ``bundle_corrupt``.
        """
        anchors = self.anchors()
        version = self.current_version()
        if version is None:
            raise StorageError(ErrorCode.BUNDLE_MISSING, "no bundle has been synced")
        return self._load_version(version, anchors)

    def _load_version(self, version: str, anchors: Sequence[PublicJwk]) -> TrustBundle:
        try:
            trust, tokens, verified_at = _read_version(self.root / version)
            return verify_bundle(trust, tokens, anchors=anchors, now=verified_at)
        except StorageError:
            raise
        except (OSError, FurusatoError) as exc:
            raise StorageError(ErrorCode.BUNDLE_CORRUPT, "bundle files are damaged") from exc

    # --- sync

    def sync(self, source: SyncSource, *, now: datetime) -> SyncResult:
        """Fetch, verify against the pinned anchors and the held bundle, store atomically.

        Raises:
            StorageError: ``bundle_missing`` (no anchors pinned), ``sync_source_unavailable``,
                ``bundle_write_failed``.
            FormatError, VerificationError: the trust list is bad, expired or older than
                the one held (nothing is written).
        """
        anchors = self.anchors()
        held = self._held(anchors)
        now_s = to_numeric_date(now)
        trust, form = fetch_trust_list(source)
        # verified before any status list is fetched: a bad list costs nothing more
        tokens = fetch_status_tokens(source, trust, anchors=anchors, now=now_s)
        bundle = verify_bundle(trust, tokens, anchors=anchors, now=now_s, held=held)
        benefits, benefits_raw, problem = self._sync_benefits(source, anchors, now_s)
        version = self._store(bundle, trust_name=form, now=now, benefits=benefits_raw)
        return SyncResult(
            bundle=bundle,
            version=version,
            source=source.description,
            trust_list_form=form,
            benefits=benefits,
            benefits_problem=problem,
        )

    def _sync_benefits(
        self, source: SyncSource, anchors: Sequence[PublicJwk], now: int
    ) -> tuple[BenefitsBundle | None, bytes | None, ErrorCode | None]:
        """The benefits to keep: the fetched file if it verifies and is not older than the
        held one; otherwise the held one while it is unexpired (one bad publication does not
        take the benefits off every shop's screen, and an older one never replaces it)."""
        held_raw = self._held_benefits_raw()
        held = None
        if held_raw is not None:
            try:
                held = verify_benefits_bundle(held_raw.decode("ascii"), anchors=anchors, now=now)
            except (FurusatoError, UnicodeDecodeError):
                held, held_raw = None, None
        raw = source.read(BENEFITS_FILE, max_bytes=MAX_BENEFITS_BYTES)
        if raw is None:
            return held, held_raw, None
        try:
            fresh = verify_benefits_bundle(raw.decode("ascii").strip(), anchors=anchors, now=now)
        except UnicodeDecodeError:
            return held, held_raw, ErrorCode.MALFORMED_JWS
        except FurusatoError as error:
            return held, held_raw, error.code
        if held is not None and fresh.issued_at < held.issued_at:
            return held, held_raw, ErrorCode.TRUST_LIST_ROLLBACK
        return fresh, raw.strip(), None

    def _held_benefits_raw(self) -> bytes | None:
        try:
            version = self.current_version()
            return None if version is None else _read_benefits(self.root / version)[0]
        except (OSError, StorageError, FormatError):
            return None

    def load_benefits(self) -> BenefitsBundle | None:
        """The benefits of the bundle in force (``None`` if it has none), verified against
        the pinned anchors as of its sync time; whether they are still current is the
        caller's check (``expires_at``).

        Raises:
            StorageError: ``bundle_missing``, ``bundle_corrupt``.
        """
        anchors = self.anchors()
        version = self.current_version()
        if version is None:
            raise StorageError(ErrorCode.BUNDLE_MISSING, "no bundle has been synced")
        try:
            raw, verified_at = _read_benefits(self.root / version)
            if raw is None:
                return None
            return verify_benefits_bundle(raw.decode("ascii"), anchors=anchors, now=verified_at)
        except StorageError:
            raise
        except (OSError, FurusatoError, UnicodeDecodeError) as exc:
            raise StorageError(ErrorCode.BUNDLE_CORRUPT, "benefits file is damaged") from exc

    def _held(self, anchors: Sequence[PublicJwk]) -> TrustBundle | None:
        version = self.current_version()
        if version is None:
            return None
        try:
            return self._load_version(version, anchors)
        except StorageError:
            # A damaged bundle cannot vouch for anything; the new one is verified from
            # scratch (its anchors are still the pinned ones).
            return None

    def _store(
        self, bundle: TrustBundle, *, trust_name: str, now: datetime, benefits: bytes | None = None
    ) -> str:
        sequence = bundle.trust_list.sequence
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        aggregate = encode_status_aggregate(bundle.tokens)
        files = {trust_name: bundle.trust_list_token, AGGREGATE_FILE: aggregate}
        if benefits is not None:
            files[BENEFITS_FILE] = benefits
        manifest = {
            "format": FORMAT,
            "sequence": sequence,
            "verified_at": bundle.verified_at,
            "files": {name: _sha256(data) for name, data in files.items()},
        }
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".sync-", dir=self.root))
            for name, data in files.items():
                _write_file(staging / name, data)
            _write_file(
                staging / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode("ascii")
            )
            _fsync_dir(staging)
            version = f"v{sequence:06d}-{stamp}-{staging.name[-8:].replace('_', '0').lower()}"
            staging.rename(self.root / version)
            _fsync_dir(self.root)
            _replace_file(self.root / CURRENT_FILE, (version + "\n").encode("ascii"))
        except OSError as exc:
            raise StorageError(ErrorCode.BUNDLE_WRITE_FAILED, "cannot write the bundle") from exc
        self._clean(keep=version)
        return version

    def _clean(self, *, keep: str) -> None:
        """Remove older versions and the debris of interrupted syncs (best effort)."""
        for child in self.root.iterdir():
            if child.name == keep or not child.is_dir():
                continue
            if child.name.startswith((".sync-", "v")):
                with contextlib.suppress(OSError):
                    shutil.rmtree(child)


def _corrupt(detail: str) -> StorageError:
    return StorageError(ErrorCode.BUNDLE_CORRUPT, detail)


def _read_version(folder: Path) -> tuple[bytes, dict[str, bytes | str], int]:
    """The stored trust list, tokens and verification time, each file checked against the
    manifest's SHA-256."""
    manifest = parse_json_object((folder / MANIFEST_FILE).read_bytes())
    files = manifest.get("files")
    verified_at = manifest.get("verified_at")
    if manifest.get("format") != FORMAT or not isinstance(files, dict):
        raise _corrupt("unknown manifest format")
    if not isinstance(verified_at, int):
        raise _corrupt("manifest lacks verified_at")
    contents: dict[str, bytes] = {}
    for name, digest in files.items():
        if name not in {TRUST_LIST_CWT, TRUST_LIST_JWT, AGGREGATE_FILE, BENEFITS_FILE}:
            raise _corrupt("unexpected file in manifest")
        data = (folder / name).read_bytes()
        if _sha256(data) != digest:
            raise _corrupt(f"{name} does not match its manifest digest")
        contents[name] = data
    trust = contents.get(TRUST_LIST_CWT, contents.get(TRUST_LIST_JWT))
    if trust is None:
        raise _corrupt("no trust list in the bundle")
    return trust, decode_status_aggregate(contents.get(AGGREGATE_FILE, b"\xa0")), verified_at


def _read_benefits(folder: Path) -> tuple[bytes | None, int]:
    """The stored benefits file (``None``: the version has none), checked against the
    manifest's SHA-256, and the version's verification time."""
    manifest = parse_json_object((folder / MANIFEST_FILE).read_bytes())
    files = manifest.get("files")
    verified_at = manifest.get("verified_at")
    if not isinstance(files, dict) or not isinstance(verified_at, int):
        raise _corrupt("unknown manifest format")
    digest = files.get(BENEFITS_FILE)
    if digest is None:
        return None, verified_at
    data = (folder / BENEFITS_FILE).read_bytes()
    if _sha256(data) != digest:
        raise _corrupt(f"{BENEFITS_FILE} does not match its manifest digest")
    return data, verified_at
