"""A small nation for trust-and-status tests: three bodies (気仙沼市, 南箕輪村, 仙台市) with the
default issuer keys of :func:`tests.registration_fixtures.issuing_body`, one status list each,
a trust list signed by :data:`tests.core.trustlist.builders.ANCHOR`, and helpers to issue
cards into allocated status slots, publish, and build verifiers over the resulting bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from furusato_vc.core.bundle import TrustBundle, encode_status_aggregate, verify_bundle
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.trustlist import TrustList, sign_trust_list_cwt, sign_trust_list_jwt
from furusato_vc.issuer import issue_registration_credentials
from furusato_vc.issuer.status import InMemoryStatusLists, StatusListConfig
from furusato_vc.publication import AGGREGATE_FILE, TRUST_LIST_CWT, TRUST_LIST_JWT
from furusato_vc.verifier import RegistrationVerifier
from furusato_vc.wallet import accept_credential
from tests.core.trustlist.builders import ANCHOR, ANCHOR_JWK, BODIES, draft, signed
from tests.helpers import SeededRandom
from tests.registration_fixtures import ISSUER_BASE, NOW, holder, issuing_body, policy_for

if TYPE_CHECKING:
    from pathlib import Path

    from furusato_vc.core.registration.claims import RegistrationClaims
    from furusato_vc.core.statuslist import StatusType
    from furusato_vc.core.statuslist.allocation import StatusSlot
    from furusato_vc.wallet import HeldCredential

__all__ = ["ANCHOR_JWK", "NOW", "Card", "Nation", "at_seconds"]

SMALL_LISTS = StatusListConfig(size=8192, bits=2, max_fill=0.5)


def at_seconds(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    held: HeldCredential
    slot: StatusSlot
    body_code: str


@dataclass(slots=True, kw_only=True)
class Nation:
    """Bodies, their status lists and the trust list they are in."""

    codes: tuple[str, ...] = BODIES
    trust_list: TrustList = field(default_factory=signed)
    lists: dict[str, InMemoryStatusLists] = field(default_factory=dict)
    random: SeededRandom = field(default_factory=lambda: SeededRandom("nation"))

    def __post_init__(self) -> None:
        for code in self.codes:
            self.lists.setdefault(
                code,
                InMemoryStatusLists(
                    uri_template=ISSUER_BASE + code + "/status/{list_id}", config=SMALL_LISTS
                ),
            )

    @classmethod
    def of(cls, trust_list: TrustList | None = None) -> Nation:
        return cls(trust_list=trust_list or signed(draft()))

    # --- issuing

    def issue(
        self, registration: RegistrationClaims, *, now: datetime = NOW, seed: str = "card"
    ) -> Card:
        """Issue both formats into a freshly allocated slot and accept them into the wallet
        of :func:`tests.registration_fixtures.holder`."""
        code = registration.issuing_body
        slot = self.lists[code].allocate(random=self.random)
        issued = issue_registration_credentials(
            registration,
            body=issuing_body(code),
            holder_key=holder().public_jwk,
            status_slot=slot,
            now=now,
            random=SeededRandom(seed),
            bodies=load_bodies(),
        )
        held = accept_credential(
            issued.sd_jwt_vc.serialize(),
            holder_key=holder().public_jwk,
            trust=self.bundle(now=now).trust,
            now=now,
            compact=issued.compact.encode(),
        )
        return Card(held=held, slot=slot, body_code=code)

    def set_status(self, card: Card, status: StatusType) -> None:
        self.lists[card.body_code].set_status(card.slot, status)

    # --- publishing

    def tokens(
        self, *, now: datetime = NOW, form: str = "cwt", codes: tuple[str, ...] | None = None
    ) -> dict[str, bytes | str]:
        out: dict[str, bytes | str] = {}
        for code in codes or self.codes:
            lists = self.lists[code]
            for list_id in lists.list_ids() or (1,):
                published = lists.publish(
                    list_id,
                    signer=issuing_body(code).signer,
                    issuer=ISSUER_BASE + code,
                    now=now,
                )
                out[published.uri] = published.cwt if form == "cwt" else published.jwt
        return out

    def trust_list_token(self, *, form: str = "cwt") -> bytes:
        if form == "cwt":
            return sign_trust_list_cwt(self.trust_list, signer=ANCHOR)
        return sign_trust_list_jwt(self.trust_list, signer=ANCHOR).encode()

    def bundle(
        self,
        *,
        now: datetime = NOW,
        status_at: datetime | None = None,
        held: TrustBundle | None = None,
    ) -> TrustBundle:
        return verify_bundle(
            self.trust_list_token(),
            self.tokens(now=status_at or now),
            anchors=[ANCHOR_JWK],
            now=to_numeric_date(now),
            held=held,
        )

    def publish(
        self,
        directory: Path,
        *,
        now: datetime = NOW,
        aggregate: bool = True,
        form: str = "cwt",
    ) -> None:
        """Write the publication layout (:mod:`furusato_vc.publication`) into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / (TRUST_LIST_CWT if form == "cwt" else TRUST_LIST_JWT)).write_bytes(
            self.trust_list_token(form=form)
        )
        tokens = self.tokens(now=now, form=form)
        if aggregate:
            (directory / AGGREGATE_FILE).write_bytes(encode_status_aggregate(tokens))
            return
        for code in self.codes:
            folder = directory / "status" / code
            folder.mkdir(parents=True, exist_ok=True)
            for list_id in self.lists[code].list_ids() or (1,):
                token = tokens[self.lists[code].uri(list_id)]
                data = token if isinstance(token, bytes) else token.encode()
                (folder / f"{list_id}.{form}").write_bytes(data)

    # --- verifying

    def verifier(
        self,
        profile_id: str = "garbage-station",
        *,
        bundle: TrustBundle | None = None,
        max_staleness: timedelta | None = None,
    ) -> RegistrationVerifier:
        policy = policy_for(profile_id, accept=self.codes, nonce=None)
        if max_staleness is not None:
            policy = replace(policy, max_status_staleness=max_staleness)
        return RegistrationVerifier.from_bundle(
            bundle or self.bundle(), policy=policy, bodies=load_bodies()
        )
