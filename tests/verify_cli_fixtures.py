"""A synced verifier bundle on disk and hand-made cards for ``furusato-vc verify`` tests.

:func:`build_world` issues cards into the status lists of :class:`tests.bundle_fixtures.Nation`
(気仙沼市, 南箕輪村, 仙台市; a revoked, a suspended and an unregistered-status card among them),
publishes and syncs three bundles with :class:`BundleDirectory` exactly as a device would:

* ``bundle``: everything in order, synced at :data:`NOW`;
* ``keys_bundle``: 気仙沼市's key withdrawn from :data:`NOW` and 仙台市's key rotated a week
  earlier with no overlap (synced at :data:`LATER`);
* ``states_bundle``: 気仙沼市 suspended and 仙台市 withdrawn (synced at :data:`LATER`).

Hand-made SD-JWT VC presentations are re-signed by 気仙沼市's real issuer key
(:func:`resign`) from a real card's payload (:data:`BASE_PAYLOAD`), so each one passes every
check before the one it breaks. QR inputs reuse :mod:`tests.core.compact.builders`, whose
issuer key is the same.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from furusato_vc.core.encoding import dumps_compact
from furusato_vc.core.jose import sign_compact_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.sdjwt.disclosure import parse_disclosure
from furusato_vc.core.sdjwt.hashing import SdAlg, digest
from furusato_vc.core.statuslist import StatusType
from furusato_vc.core.trustlist import BodyState
from furusato_vc.core.trustlist.edit import rotate_key, set_state, withdraw_key
from furusato_vc.publication import DirectorySource
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.wallet import present_credential, present_qr
from tests.bundle_fixtures import ANCHOR_JWK, Card, Nation
from tests.core.trustlist.builders import signed
from tests.helpers import FIXED_NOW, fixed_signer
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    SENDAI,
    basic_registration,
    holder,
    issue,
    issuer_payload,
    issuing_body,
    premium_registration,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from pathlib import Path

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose import SoftwareSigner
    from furusato_vc.core.sdjwt import ClaimPath

__all__ = [
    "BASE",
    "BASE_PAYLOAD",
    "ISSUER_ID",
    "KB_NONCE",
    "LATER",
    "NOW",
    "NOW_S",
    "World",
    "build_world",
    "disclosure_named",
    "kb_jwt",
    "present",
    "resign",
    "sd_jwt",
    "show_qr",
    "show_sd_jwt",
]

NOW = FIXED_NOW
NOW_S = to_numeric_date(NOW)
LATER = NOW + timedelta(minutes=2)
ISSUER_ID = ISSUER_BASE + KESENNUMA
KB_NONCE = "n-1"
ISSUER_SIGNER = issuing_body(KESENNUMA).signer  # kid 042056-2027, listed in every bundle

# A real basic card of 気仙沼市 (status list 1, index 4242), as issued.
BASE = issue(basic_registration())
BASE_PAYLOAD: JSONObject = issuer_payload(BASE.serialize())
BASE_DISCLOSURES = tuple(d.encoded for d in BASE.disclosures)


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    bundle: Path
    keys_bundle: Path
    states_bundle: Path
    basic: Card  # 気仙沼市, basic, valid
    premium: Card  # 南箕輪村, premium, valid
    revoked: Card
    suspended: Card
    unknown_status: Card  # status value 3: registered for no meaning, fails closed
    sendai: Card  # 仙台市, basic


def _sync(nation: Nation, root: Path, name: str, *, now: datetime, status_at: datetime) -> Path:
    publication = root / f"{name}-publication"
    nation.publish(publication, now=status_at)
    folder = root / name
    directory = BundleDirectory(folder)
    directory.pin_anchors([ANCHOR_JWK])
    directory.sync(DirectorySource(publication), now=now)
    return folder


def build_world(root: Path) -> World:
    nation = Nation.of()
    cards = {
        "basic": nation.issue(basic_registration(), seed="basic"),
        "premium": nation.issue(premium_registration(), seed="premium"),
        "revoked": nation.issue(basic_registration(), seed="revoked"),
        "suspended": nation.issue(basic_registration(), seed="suspended"),
        "unknown": nation.issue(basic_registration(), seed="unknown"),
        "sendai": nation.issue(basic_registration(issuing_body=SENDAI), seed="sendai"),
    }
    nation.set_status(cards["revoked"], StatusType.INVALID)
    nation.set_status(cards["suspended"], StatusType.SUSPENDED)
    nation.set_status(cards["unknown"], cast("StatusType", 3))  # §7.1: not a registered value
    bundle = _sync(nation, root, "bundle", now=NOW, status_at=NOW)

    original = nation.trust_list
    later_s = NOW_S + 60
    withdrawn = withdraw_key(original, KESENNUMA, "042056-2027", from_=NOW_S)
    next_key = fixed_signer("issuer-041009-next", kid="041009-2028").public_jwk
    rotated = rotate_key(withdrawn, SENDAI, next_key, at=NOW_S - 7 * 86_400, overlap=0)
    nation.trust_list = signed(rotated, now=later_s)
    keys_bundle = _sync(nation, root, "keys-bundle", now=LATER, status_at=NOW)

    states = set_state(original, KESENNUMA, BodyState.SUSPENDED, since=NOW_S)
    states = set_state(states, SENDAI, BodyState.WITHDRAWN, since=NOW_S)
    nation.trust_list = signed(states, now=later_s)
    states_bundle = _sync(nation, root, "states-bundle", now=LATER, status_at=NOW)
    nation.trust_list = original
    return World(
        bundle=bundle,
        keys_bundle=keys_bundle,
        states_bundle=states_bundle,
        basic=cards["basic"],
        premium=cards["premium"],
        revoked=cards["revoked"],
        suspended=cards["suspended"],
        unknown_status=cards["unknown"],
        sendai=cards["sendai"],
    )


# --------------------------------------------------------------------------- showing real cards


def show_qr(
    card: Card,
    audience: str = "garbage-station",
    *,
    disclose: Iterable[ClaimPath] = (),
    now: datetime = NOW,
    nonce: str | None = None,
) -> str:
    return present_qr(
        card.held, disclose=disclose, holder=holder(), audience=audience, now=now, nonce=nonce
    )


def show_sd_jwt(
    card: Card,
    audience: str = "garbage-station",
    *,
    disclose: Iterable[ClaimPath] = (),
    now: datetime = NOW,
    nonce: str = KB_NONCE,
) -> str:
    return present_credential(
        card.held, disclose=disclose, holder=holder(), audience=audience, nonce=nonce, now=now
    )


# --------------------------------------------------------------------------- hand-made SD-JWT VCs


def payload(*, drop: Iterable[str] = (), **changes: JSONValue) -> JSONObject:
    """:data:`BASE_PAYLOAD` without the claims in ``drop`` and with ``changes``."""
    out = copy.deepcopy(BASE_PAYLOAD)
    for name in drop:
        del out[name]
    out.update(changes)
    return out


def resign(
    claims: JSONObject | bytes,
    *,
    header: JSONObject | None = None,
    signer: SoftwareSigner | None = None,
) -> str:
    """An Issuer-signed JWT over ``claims`` (exact bytes if given as bytes), signed by
    気仙沼市's key (``kid`` from the signer unless ``header`` names one)."""
    data = claims if isinstance(claims, bytes) else dumps_compact(claims).encode("utf-8")
    return sign_compact_jws(
        header={"typ": "dc+sd-jwt"} if header is None else header,
        payload=data,
        signer=signer or ISSUER_SIGNER,
    )


def sd_hash(issuer_jwt: str, disclosures: Iterable[str]) -> str:
    return digest(SdAlg.SHA_256, "~".join((issuer_jwt, *disclosures)) + "~")


def kb_jwt(
    issuer_jwt: str,
    disclosures: Iterable[str] = (),
    *,
    audience: JSONValue = "garbage-station",
    nonce: JSONValue = KB_NONCE,
    iat: int = NOW_S,
    sd_hash_value: str | None = None,
    signer: SoftwareSigner | None = None,
) -> str:
    """A KB-JWT (RFC 9901 §4.3) by the holder of :data:`BASE`, correct unless told."""
    body: JSONObject = {
        "iat": iat,
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_hash_value or sd_hash(issuer_jwt, disclosures),
    }
    return sign_compact_jws(
        header={"typ": "kb+jwt"},
        payload=dumps_compact(body).encode("utf-8"),
        signer=signer or holder(),
        include_kid=False,
    )


def present(issuer_jwt: str, disclosures: Iterable[str] = (), **kb: object) -> str:
    """``<JWT>~<D1>~…~<KB-JWT>`` with a KB-JWT over exactly these Disclosures."""
    chosen = tuple(disclosures)
    binding = kb_jwt(issuer_jwt, chosen, **kb)  # type: ignore[arg-type]
    return "~".join((issuer_jwt, *chosen)) + "~" + binding


def sd_jwt(*, drop: Iterable[str] = (), **changes: JSONValue) -> str:
    """A presentation of :data:`BASE` re-signed without ``drop`` and with ``changes`` to its
    payload, disclosing nothing."""
    return present(resign(payload(drop=drop, **changes)))


def disclosure_named(name: str) -> str:
    """The Disclosure of :data:`BASE` for claim ``name``."""
    for encoded in BASE_DISCLOSURES:
        if parse_disclosure(encoded).name == name:
            return encoded
    raise KeyError(name)


def other_body_status() -> JSONObject:
    """A status claim pointing into 南箕輪村's list (draft-ietf-oauth-status-list §6.2)."""
    return {"status_list": {"idx": 1, "uri": f"{ISSUER_BASE}{MINAMIMINOWA}/status/1"}}
