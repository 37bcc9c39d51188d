"""The national trust-anchor operator's workspace (an edge: files, and the anchor key).

::

    WS/anchor-private.jwk   the anchor's ES256 private key (mode 0600; an HSM in production,
                            behind the same Signer protocol)
    WS/anchors.json         the public anchor key(s) as a JWK Set: what verifiers pin
    WS/trust-list.json      the working list (JSON form), with the last signed sequence

``sign`` numbers and dates the next version, writes both signed forms into a publication
directory and records the new sequence, so sequence numbers only ever go up. ``aggregate``
collects every body's published Status List Token into ``status-lists.cbor`` after
verifying each against the signed trust list (a verifier checks them again).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.benefits import (
    BenefitsBundle,
    body_benefits_of,
    sign_benefits_bundle,
    verify_benefit_list,
)
from furusato_vc.core.bundle import encode_status_aggregate, verify_bundle
from furusato_vc.core.encoding import parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError
from furusato_vc.core.jose.jwk import (
    generate_es256_private_key,
    parse_private_jwk,
    parse_public_jwk,
    private_jwk,
)
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.jose.signer import SoftwareSigner
from furusato_vc.core.trustlist.codec import trust_list_from_json, trust_list_to_json
from furusato_vc.core.trustlist.edit import empty_trust_list, next_version
from furusato_vc.core.trustlist.token import (
    sign_trust_list_cwt,
    sign_trust_list_jwt,
    verify_trust_list,
)
from furusato_vc.core.trustlist.view import TrustListTrust
from furusato_vc.publication import (
    AGGREGATE_FILE,
    BENEFITS_FILE,
    TRUST_LIST_CWT,
    TRUST_LIST_JWT,
    DirectorySource,
    fetch_status_tokens,
)

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric import ec

    from furusato_vc.core.bundle import BundleProblem, ListOutcome
    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.trustlist.model import TrustList

__all__ = ["AggregateReport", "BenefitsReport", "TrustWorkspace"]

PRIVATE_KEY_FILE: Final = "anchor-private.jwk"
ANCHORS_FILE: Final = "anchors.json"
DRAFT_FILE: Final = "trust-list.json"


def _write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class AggregateReport:
    lists: int
    included: int
    outcomes: dict[str, ListOutcome]
    problems: tuple[BundleProblem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitsReport:
    """What ``benefits`` took: per body, the sequence of its list, or the code it was refused
    with (a body without a file is simply absent)."""

    included: dict[str, int]
    refused: dict[str, ErrorCode]


class TrustWorkspace:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def create(
        cls, root: Path, *, operator: str, kid: str, key: ec.EllipticCurvePrivateKey | None = None
    ) -> TrustWorkspace:
        """A new workspace with a fresh anchor key (or ``key``) and an empty list.

        Raises:
            FileExistsError: the directory already holds a workspace.
        """
        root.mkdir(parents=True, exist_ok=True)
        if (root / DRAFT_FILE).exists() or (root / PRIVATE_KEY_FILE).exists():
            raise FileExistsError(f"{root} already holds a trust workspace")
        key = key or generate_es256_private_key()
        secret = _json_bytes(private_jwk(key, kid=kid))
        _write_atomically(root / PRIVATE_KEY_FILE, secret, mode=0o600)
        public = SoftwareSigner(key, kid=kid).public_jwk
        _write_atomically(root / ANCHORS_FILE, _json_bytes({"keys": [public.to_json()]}))
        workspace = cls(root)
        workspace.save(empty_trust_list(operator=operator))
        return workspace

    def signer(self) -> Signer:
        value = parse_object_file(self.root / PRIVATE_KEY_FILE)
        key, kid = parse_private_jwk(value)
        return SoftwareSigner(key, kid=kid)

    def anchors(self) -> tuple[PublicJwk, ...]:
        keys = parse_object_file(self.root / ANCHORS_FILE).get("keys")
        if not isinstance(keys, list):
            raise FormatError(ErrorCode.MALFORMED_JWK, "anchors.json is not a JWK Set")
        return tuple(parse_public_jwk(key) for key in keys)

    @property
    def anchors_path(self) -> Path:
        return self.root / ANCHORS_FILE

    def load(self) -> TrustList:
        return trust_list_from_json(parse_object_file(self.root / DRAFT_FILE))

    def save(self, trust_list: TrustList) -> None:
        _write_atomically(self.root / DRAFT_FILE, _json_bytes(trust_list_to_json(trust_list)))

    def sign(self, *, out: Path, now: datetime, next_update_in: int, valid_for: int) -> TrustList:
        """Sign the next version into ``out`` (trust-list.jwt and trust-list.cwt)."""
        version = next_version(
            self.load(),
            now=to_numeric_date(now),
            next_update_in=next_update_in,
            valid_for=valid_for,
        )
        signer = self.signer()
        out.mkdir(parents=True, exist_ok=True)
        _write_atomically(
            out / TRUST_LIST_JWT, sign_trust_list_jwt(version, signer=signer).encode()
        )
        _write_atomically(out / TRUST_LIST_CWT, sign_trust_list_cwt(version, signer=signer))
        self.save(version)  # only after publishing: a failed write never skips a number
        return version

    def aggregate(self, *, status_dir: Path, out: Path, now: datetime) -> AggregateReport:
        """Collect the bodies' tokens found under ``status_dir`` (``status/<code>/<id>.cwt``
        or ``.jwt``) into ``out/status-lists.cbor``, keeping only those that verify against
        the trust list signed into ``out``."""
        trust = (out / TRUST_LIST_CWT).read_bytes()
        anchors = self.anchors()
        now_s = to_numeric_date(now)
        tokens = fetch_status_tokens(
            DirectorySource(status_dir), trust, anchors=anchors, now=now_s, use_aggregate=False
        )
        bundle = verify_bundle(trust, tokens, anchors=anchors, now=now_s)
        _write_atomically(out / AGGREGATE_FILE, encode_status_aggregate(bundle.tokens))
        return AggregateReport(
            lists=len(bundle.outcomes),
            included=len(bundle.tokens),
            outcomes=dict(bundle.outcomes),
            problems=bundle.problems,
        )

    def benefits(
        self, *, benefits_dir: Path, out: Path, now: datetime, valid_for: int
    ) -> BenefitsReport:
        """Import each listed body's signed benefits list (``benefits_dir/<code>.jwt``, as
        served at ``GET /bodies/<code>/benefits``), verified against that body's keys in the
        trust list signed into ``out``, and sign them all into ``out/benefits.jwt`` with the
        anchor key, valid for ``valid_for`` seconds. A list that does not verify (wrong key,
        expired, another body's, malformed) is left out and reported.
        """
        trust_list = verify_trust_list(
            (out / TRUST_LIST_CWT).read_bytes(), anchors=self.anchors(), now=to_numeric_date(now)
        )
        trust = TrustListTrust(trust_list)
        included = []
        refused: dict[str, ErrorCode] = {}
        for entry in trust_list.entries:
            path = benefits_dir / f"{entry.body_code}.jwt"
            if not path.is_file():
                continue
            try:
                text = path.read_bytes().decode("ascii").strip()
                verified = verify_benefit_list(text, trust=trust, now=now)
                if verified.header.body_code != entry.body_code:
                    raise FormatError(ErrorCode.MALFORMED_CLAIM, "the list of another body")
            except UnicodeDecodeError:
                refused[entry.body_code] = ErrorCode.MALFORMED_JWS
                continue
            except FurusatoError as error:
                refused[entry.body_code] = error.code
                continue
            included.append(body_benefits_of(verified))
        now_s = to_numeric_date(now)
        document = BenefitsBundle(
            operator=trust_list.operator,
            issued_at=now_s,
            expires_at=now_s + valid_for,
            trust_list_sequence=trust_list.sequence,
            bodies=tuple(included),
        )
        _write_atomically(
            out / BENEFITS_FILE, sign_benefits_bundle(document, signer=self.signer()).encode()
        )
        return BenefitsReport(
            included={body.body_code: body.sequence for body in included}, refused=refused
        )


def parse_object_file(path: Path) -> JSONObject:
    return parse_json_object(path.read_bytes())
