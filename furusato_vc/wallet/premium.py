"""The app's side of premium registration (issue 8) against the furusato-vc issuer service:
identity proofing, attendance records, evidence, the application and its checklist.

::

    api = RegistrationApi(base_url=..., account=..., transport=UrllibTransport())
    nonce = api.proofing_nonce()
    api.prove_with_jpki(nonce=nonce, certificate=cert_der, signature=card.sign(nonce))
    api.submit_attendance(body_code, wallet.check_in(activity_qr, card_id, trust=trust))
    api.apply_premium(registration_id)        # premium_not_eligible: see premium_status()
    api.premium_status(registration_id)       # tier, premium year, reason, checklist

The card's signature is made by the app with the My Number Card (NFC, the card's PIN);
this module never sees the PIN, the My Number or the card itself, only the signing
certificate and the signature, which it passes to the service and does not keep.

Like the OpenID4VCI client, every byte goes through a :class:`Transport`; the
``Idempotency-Key`` of a POST is a digest of the request, so a retried request is answered
with what the first one did. Error answers raise the service's own codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, ErrorFamily, FormatError
from furusato_vc.core.oid4vci._urls import encode_form, percent_encode
from furusato_vc.wallet.client import issuer_json_answer

if TYPE_CHECKING:
    from furusato_vc.core.activity import AttendanceRecord
    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.wallet.client import Transport

__all__ = [
    "AttendanceReceipt",
    "ChecklistItem",
    "EvidenceReceipt",
    "LocationReport",
    "PremiumApplication",
    "PremiumStatus",
    "ProofingResult",
    "RegistrationApi",
]

_JSON: Final = "application/json"
_CREATED: Final = frozenset({200, 201})
# the registration API's refusals are about what the app sent: passed on as they are
_PASSED_ON: Final = frozenset({ErrorFamily.VERIFICATION, ErrorFamily.FORMAT})


def _invalid(what: str) -> FormatError:
    return FormatError(ErrorCode.ISSUER_RESPONSE_INVALID, f"{what}: unexpected answer")


def _str(value: JSONValue, what: str) -> str:
    if not isinstance(value, str):
        raise _invalid(what)
    return value


def _opt_str(value: JSONValue, what: str) -> str | None:
    return None if value is None else _str(value, what)


def _opt_date(value: JSONValue, what: str) -> date | None:
    text = _opt_str(value, what)
    try:
        return None if text is None else date.fromisoformat(text)
    except ValueError:
        raise _invalid(what) from None


def _opt_int(value: JSONValue, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(what)
    return value


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True, kw_only=True)
class ProofingResult:
    """What the service derived and kept: method, date and the address municipality."""

    method: str
    verified_on: date
    address_municipality_code: str | None
    certificate_changed: bool
    premium_revoked: tuple[str, ...]  # registrations that ended because of the address


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendanceReceipt:
    registration_id: str
    activity_id: str
    attended_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceReceipt:
    evidence_id: str
    state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecklistItem:
    """One premium rule as the applicant sees it (Japanese and English)."""

    rule: str
    passed: bool
    message_ja: str
    message_en: str
    count: int | None
    limit: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PremiumApplication:
    application_id: str
    kind: str  # new | renewal
    state: str  # pending | approved | rejected
    checklist: tuple[ChecklistItem, ...]
    reason: str | None  # a reviewer's reason for a rejection
    premium_until: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PremiumStatus:
    """The registration's premium standing: the app shows the checklist, the premium year,
    and, when premium ended, why (``reason_code`` with its ja/en text)."""

    registration_id: str
    tier: str
    premium_state: str | None
    premium_until: date | None
    renewal_opens_on: date | None
    reason_code: str | None
    reason_ja: str | None
    reason_en: str | None
    eligible: bool
    checklist: tuple[ChecklistItem, ...]
    application: PremiumApplication | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationReport:
    """A coarse position for activities that ask for it (the service checks it against the
    activity's area and discards it; it is never stored)."""

    lat: float
    lon: float
    accuracy_m: float


def _checklist(value: JSONValue) -> tuple[ChecklistItem, ...]:
    if not isinstance(value, list):
        raise _invalid("checklist")
    items = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("passed"), bool):
            raise _invalid("checklist")
        items.append(
            ChecklistItem(
                rule=_str(entry.get("rule"), "checklist"),
                passed=bool(entry["passed"]),
                message_ja=_str(entry.get("message_ja"), "checklist"),
                message_en=_str(entry.get("message_en"), "checklist"),
                count=_opt_int(entry.get("count"), "checklist"),
                limit=_opt_int(entry.get("limit"), "checklist"),
            )
        )
    return tuple(items)


def _application(value: JSONObject) -> PremiumApplication:
    return PremiumApplication(
        application_id=_str(value.get("application_id"), "application"),
        kind=_str(value.get("kind"), "application"),
        state=_str(value.get("state"), "application"),
        checklist=_checklist(value.get("checklist")),
        reason=_opt_str(value.get("reason"), "application"),
        premium_until=_opt_date(value.get("premium_until"), "application"),
    )


# ---------------------------------------------------------------------------- the client


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationApi:
    """One person's calls to a registration service. ``account`` is the app's stable,
    unguessable account identifier (the service keeps only its HMAC)."""

    base_url: str
    account: str
    transport: Transport

    def _post(self, path: str, payload: JSONObject, *, what: str) -> JSONObject:
        body = dumps_compact(payload).encode("utf-8")
        return self._send(path, body=body, content_type=_JSON, what=what)

    def _send(self, path: str, *, body: bytes, content_type: str, what: str) -> JSONObject:
        key = b64url_encode(hashlib.sha256(path.encode() + b"\x00" + body).digest())
        response = self.transport.request(
            "POST",
            self.base_url + path,
            headers={
                "Content-Type": content_type,
                "Accept": _JSON,
                "Idempotency-Key": key,
                "Furusato-Account": self.account,  # read by the routes without a JSON body
            },
            body=body,
        )
        return issuer_json_answer(response, what=what, statuses=_CREATED, also_passed_on=_PASSED_ON)

    def proofing_nonce(self) -> str:
        """A fresh nonce for the card to sign (or for the OpenID provider's ``nonce``)."""
        answer = self._post("/identity/nonce", {"account": self.account}, what="nonce")
        return _str(answer.get("nonce"), "nonce")

    def _proofing(self, answer: JSONObject) -> ProofingResult:
        verified_on = _opt_date(answer.get("verified_on"), "proofing")
        revoked = answer.get("premium_revoked")
        if verified_on is None or not isinstance(revoked, list):
            raise _invalid("proofing")
        return ProofingResult(
            method=_str(answer.get("method"), "proofing"),
            verified_on=verified_on,
            address_municipality_code=_opt_str(answer.get("address_municipality_code"), "proofing"),
            certificate_changed=answer.get("certificate_changed") is True,
            premium_revoked=tuple(_str(v, "proofing") for v in revoked),
        )

    def prove_with_jpki(
        self, *, nonce: str, certificate: bytes, signature: bytes
    ) -> ProofingResult:
        """Identity proofing with the My Number Card: its signing certificate (DER) and its
        signature over the ASCII bytes of ``nonce``."""
        payload: JSONObject = {
            "account": self.account,
            "nonce": nonce,
            "certificate": b64url_encode(certificate),
            "signature": b64url_encode(signature),
        }
        return self._proofing(self._post("/identity/jpki", payload, what="proofing"))

    def prove_with_oidc(self, *, nonce: str, id_token: str) -> ProofingResult:
        """Identity proofing with a verified-identity OpenID provider's ID token."""
        payload: JSONObject = {"account": self.account, "nonce": nonce, "id_token": id_token}
        return self._proofing(self._post("/identity/oidc", payload, what="proofing"))

    def submit_attendance(
        self,
        body_code: str,
        record: AttendanceRecord,
        *,
        location: LocationReport | None = None,
    ) -> AttendanceReceipt:
        """Hand an attendance record (from ``Wallet.check_in``) to the body that ran the
        activity. ``location`` only where the activity asks for it."""
        payload: JSONObject = {
            "record": {"activity": record.activity, "presentation": record.presentation},
        }
        if location is not None:
            payload["location"] = {
                "lat": location.lat,
                "lon": location.lon,
                "accuracy_m": location.accuracy_m,
            }
        answer = self._post(
            f"/bodies/{percent_encode(body_code)}/attendances", payload, what="attendance"
        )
        attended_on = _opt_date(answer.get("attended_on"), "attendance")
        if attended_on is None:
            raise _invalid("attendance")
        return AttendanceReceipt(
            registration_id=_str(answer.get("registration_id"), "attendance"),
            activity_id=_str(answer.get("activity_id"), "attendance"),
            attended_on=attended_on,
        )

    def upload_evidence(
        self,
        registration_id: str,
        *,
        activity_id: str,
        attended_on: date,
        data: bytes,
        media_type: str,
        note: str = "",
    ) -> EvidenceReceipt:
        """Evidence (PDF, JPEG or PNG) for a designated activity done outside check-in."""
        query = encode_form(
            [("activity_id", activity_id), ("attended_on", attended_on.isoformat()), ("note", note)]
        )
        path = f"/registrations/{percent_encode(registration_id)}/evidence?{query}"
        answer = self._send(path, body=data, content_type=media_type, what="evidence")
        return EvidenceReceipt(
            evidence_id=_str(answer.get("evidence_id"), "evidence"),
            state=_str(answer.get("state"), "evidence"),
        )

    def apply_premium(
        self, registration_id: str, *, guardian_consent: bool = False
    ) -> PremiumApplication:
        """Apply for premium (or renew it).

        Raises:
            IssuanceError: ``premium_not_eligible`` (show :meth:`premium_status`'s
                checklist), ``premium_application_exists``, ``registration_not_active``,
                ``status_change_not_allowed`` (renewal not open yet).
        """
        answer = self._post(
            f"/registrations/{percent_encode(registration_id)}/premium-applications",
            {"account": self.account, "guardian_consent": guardian_consent},
            what="application",
        )
        return _application(answer)

    def premium_status(self, registration_id: str) -> PremiumStatus:
        response = self.transport.request(
            "GET",
            f"{self.base_url}/registrations/{percent_encode(registration_id)}/premium",
            headers={"Accept": _JSON, "Furusato-Account": self.account},
            body=None,
        )
        answer = issuer_json_answer(response, what="premium status", also_passed_on=_PASSED_ON)
        reason = answer.get("reason")
        if reason is not None and not isinstance(reason, dict):
            raise _invalid("premium status")
        application = answer.get("application")
        if application is not None and not isinstance(application, dict):
            raise _invalid("premium status")
        eligible = answer.get("eligible")
        if not isinstance(eligible, bool):
            raise _invalid("premium status")
        return PremiumStatus(
            registration_id=_str(answer.get("registration_id"), "premium status"),
            tier=_str(answer.get("tier"), "premium status"),
            premium_state=_opt_str(answer.get("premium_state"), "premium status"),
            premium_until=_opt_date(answer.get("premium_until"), "premium status"),
            renewal_opens_on=_opt_date(answer.get("renewal_opens_on"), "premium status"),
            reason_code=None if reason is None else _str(reason.get("code"), "reason"),
            reason_ja=None if reason is None else _opt_str(reason.get("message_ja"), "reason"),
            reason_en=None if reason is None else _opt_str(reason.get("message_en"), "reason"),
            eligible=eligible,
            checklist=_checklist(answer.get("checklist")),
            application=None if application is None else _application(application),
        )

    def claim_registration(self, registration_id: str, *, nonce: str, presentation: str) -> None:
        """Take over a registration a municipality made by importing its member list (the
        card came through the member's own offer): ``presentation`` is
        ``Wallet.prove_possession(card_id, audience=<the card's issuer>, nonce=nonce)`` with
        ``nonce`` from :meth:`proofing_nonce`. Afterwards the registration is this account's
        (premium, new offers).

        Raises:
            VerificationError: ``identity_nonce_invalid``, ``credential_mismatch`` (a card of
                another registration), ``attendance_key_not_bound`` (a card not issued to it)
                and the presentation's codes; ``issuer_rejected`` otherwise.
            IssuanceError: ``registration_exists`` (the account already has a registration
                with the body).
            RequestError: ``resource_not_found`` (not an imported registration).
        """
        answer = self._post(
            f"/registrations/{percent_encode(registration_id)}/claim",
            {"account": self.account, "nonce": nonce, "presentation": presentation},
            what="claim",
        )
        if answer.get("claimed") is not True:
            raise _invalid("claim")

    def new_offer(self, registration_id: str) -> tuple[str, str | None]:
        """A new credential offer for the registration (e.g. premium after approval):
        the offer URI for ``Wallet.accept_offer`` and its transaction code."""
        answer = self._post(
            f"/registrations/{percent_encode(registration_id)}/offers",
            {"account": self.account},
            what="offer",
        )
        return _str(answer.get("credential_offer_uri"), "offer"), _opt_str(
            answer.get("tx_code"), "offer"
        )
