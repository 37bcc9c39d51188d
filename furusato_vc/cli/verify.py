"""``furusato-vc verify``: check one registration card offline, against a synced bundle and a
verifier policy (an edge: it reads the bundle, the policy file, the image, stdin and the clock).

::

    furusato-vc verify [--bundle DIR] [--policy NAME|FILE] [--accept CODE]... [--nonce NONCE]
                       [--benefit CODE/ID]... [--now ISO-8601] [--replay-cache FILE]
                       (IMAGE | --text TEXT | -)

One JSON object on stdout: ``result`` is ``verified`` (exit 0) or ``rejected`` (exit 1, with the
stable ``code`` and Japanese and English messages); a usage or configuration problem (no
bundle, an unknown or malformed policy, an unreadable image file, a bad ``--now``, no QR
reader installed) is ``result: error`` with exit 2. No input, however hostile, prints a
traceback: anything unforeseen while reading or verifying the card is a clean
``malformed_request`` rejection whose ``detail`` starts with ``internal error``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

from furusato_vc.cli.common import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    Parser,
    UsageError,
    emit,
    iso,
    moment,
    now_of,
    shown,
)
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.messages import message_for
from furusato_vc.core.policy import BodyScope
from furusato_vc.core.qrtext import QR_PREFIX
from furusato_vc.core.registration.bodies import load_bodies, validate_body_code
from furusato_vc.core.registration.claims import Claim, vct_for_tier
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwtvc.type_metadata import resolve_type_metadata
from furusato_vc.verifier.benefits import (
    benefit_for_card,
    benefit_outcome_json,
    parse_benefit_ref,
)
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.verifier.policy_file import UnknownPolicyError, load_policy
from furusato_vc.verifier.registration import RegistrationVerifier, Rejected
from furusato_vc.verifier.replay import ReplayCache
from furusato_vc.verifier.replay_file import ReplayFileDamagedError, replay_cache_file

if TYPE_CHECKING:
    import argparse
    from contextlib import AbstractContextManager
    from datetime import datetime

    from furusato_vc.core.benefits import BenefitsBundle
    from furusato_vc.core.bundle import TrustBundle
    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.policy import VerificationPolicy
    from furusato_vc.core.policy_document import PolicyDocument
    from furusato_vc.core.registration.claims import DisclosedRegistration, Tier
    from furusato_vc.verifier.benefits import BenefitOutcome, BenefitRef
    from furusato_vc.verifier.registration import Verified

__all__ = ["MAX_IMAGE_BYTES", "MAX_TEXT_BYTES", "register"]

BUNDLE_ENV: Final = "FURUSATO_BUNDLE"
POLICY_ENV: Final = "FURUSATO_POLICY"
DEFAULT_BUNDLE: Final = "bundle"
# An SD-JWT VC presentation over 64 KiB is refused by the verifier anyway (SdJwtLimits).
MAX_TEXT_BYTES: Final = 64 * 1024
# A photo of a phone screen is a few MB; the pixel bound is furusato_vc.qr.read's.
MAX_IMAGE_BYTES: Final = 32 * 1024 * 1024
VERIFIED_JA: Final = "有効な登録証です。"
VERIFIED_EN: Final = "The registration card is valid."
FORMAT_QR: Final = "qr"
FORMAT_SD_JWT_VC: Final = "sd-jwt-vc"


class _ConfigError(Exception):
    """A configuration problem that has a stable code (exit 2 with the code's messages)."""

    def __init__(self, error: FurusatoError) -> None:
        super().__init__(error.code.value)
        self.error = error


# ---------------------------------------------------------------------------- configuration


def _policy_document(args: argparse.Namespace) -> PolicyDocument:
    name: str | None = args.policy or os.environ.get(POLICY_ENV) or None
    if name is None:
        raise UsageError(
            f"choose a policy with --policy NAME|FILE (or {POLICY_ENV}): garbage-station, "
            "shop, nursery, school, public-facility or a policy document"
        )
    try:
        return load_policy(name)
    except UnknownPolicyError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot read policy {shown(Path(name))}: {exc.strerror}") from exc
    except FormatError as exc:
        raise _ConfigError(exc) from exc


def _accepted(args: argparse.Namespace, document: PolicyDocument) -> BodyScope:
    """``--accept`` codes; without them any body on the bundle's trust list (the trust list
    itself is the national list of bodies allowed to issue)."""
    codes: list[str] = args.accept or []
    if codes and document.accept is not None:
        raise UsageError(f"policy {document.id} fixes the accepted bodies; drop --accept")
    if not codes:
        return BodyScope(any_body=True)
    try:
        return BodyScope(bodies=frozenset(validate_body_code(code) for code in codes))
    except FormatError as exc:
        raise _ConfigError(exc) from exc


def _policy(args: argparse.Namespace, document: PolicyDocument) -> VerificationPolicy:
    if document.challenge and not args.nonce:
        raise UsageError(f"policy {document.id} is a challenge policy: pass --nonce")
    try:
        builder = document.builder(
            accept_default=_accepted(args, document), nonce=args.nonce or None
        )
        return builder.build()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _bundle(args: argparse.Namespace) -> TrustBundle:
    folder: Path = args.bundle or Path(os.environ.get(BUNDLE_ENV) or DEFAULT_BUNDLE)
    try:
        return BundleDirectory(folder).load()
    except FurusatoError as exc:  # bundle_missing, bundle_corrupt, anchors malformed
        raise _ConfigError(exc) from exc


def _offered(args: argparse.Namespace, document: PolicyDocument) -> tuple[BenefitRef, ...]:
    """``--benefit CODE/ID``: the benefits this shop or facility offers (policies with a
    benefit only: the shop and facility profiles, or a policy document naming one)."""
    values: list[str] = args.benefit or []
    if values and document.benefit_ja is None:
        raise UsageError(f"policy {document.id} shows no benefit; drop --benefit")
    try:
        return tuple(parse_benefit_ref(value) for value in values)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _benefits(args: argparse.Namespace) -> BenefitsBundle | None:
    """The bundle's signed benefits; a damaged benefits file shows no benefit (the card's
    verification does not depend on it)."""
    folder: Path = args.bundle or Path(os.environ.get(BUNDLE_ENV) or DEFAULT_BUNDLE)
    try:
        return BundleDirectory(folder).load_benefits()
    except FurusatoError:
        return None


# ---------------------------------------------------------------------------- the card


def _strip_line_end(text: str) -> str:
    """One line terminator, as ``echo`` and files add it; the QR text itself never ends in
    whitespace (RFC 9285 §4), so nothing else is trimmed."""
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


def _stdin_text() -> str:
    try:
        data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 3)
    except OSError as exc:
        raise UsageError(f"cannot read stdin: {exc.strerror}") from exc
    if len(data) > MAX_TEXT_BYTES + 2:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"input over {MAX_TEXT_BYTES} bytes")
    try:
        return _strip_line_end(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "input is not UTF-8 text") from exc


def _image_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {shown(path)}: {exc.strerror}") from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"image file over {MAX_IMAGE_BYTES} bytes")
    return data


def _reader_unavailable(detail: str) -> NoReturn:
    raise _ConfigError(VerificationError(ErrorCode.QR_READER_UNAVAILABLE, detail))


def _image_text(data: bytes) -> str:
    """The QR code's text in an image (furusato_vc.qr.read_qr: zxing-cpp, ZBar fallback).

    Pillow reads the header first: an image whose pixel count is over the reader's bound is
    refused before a pixel is decoded, and Pillow's own decompression-bomb guard is turned
    into the same refusal."""
    try:
        from PIL import Image, UnidentifiedImageError  # noqa: PLC0415  (the qr extra)

        from furusato_vc.qr.read import MAX_IMAGE_PIXELS, read_qr  # noqa: PLC0415
    except ImportError:
        _reader_unavailable("reading images needs the qr extra (Pillow, zxing-cpp)")
    too_large = FormatError(ErrorCode.INPUT_TOO_LARGE, "image has too many pixels")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise too_large
                image.load()
                try:
                    return read_qr(image).text
                except VerificationError as exc:  # qr_reader_unavailable
                    raise _ConfigError(exc) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise too_large from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            # not an image, or a damaged one: there is no QR code to read in it
            raise FormatError(ErrorCode.QR_NOT_FOUND, "not a readable image") from exc


def _presentation(args: argparse.Namespace) -> str:
    if args.text is not None:
        if args.input is not None:
            raise UsageError("give the card once: IMAGE, --text TEXT or - (stdin)")
        text: str = args.text
        return text
    if args.input is None:
        raise UsageError("give the card: IMAGE, --text TEXT or - (stdin)")
    if args.input == "-":
        return _stdin_text()
    return _image_text(_image_bytes(Path(args.input)))


# ---------------------------------------------------------------------------- output


@functools.cache
def _labels(tier: Tier) -> dict[str, tuple[str, str]]:
    """Claim labels (ja, en) from the card type's Type Metadata (draft-ietf-oauth-sd-jwt-vc-18
    §4.6.2), by claim path written with ``/``."""
    resolved = resolve_type_metadata(
        vct_for_tier(tier), documents=registration_type_metadata(), integrity=None
    )
    labels: dict[str, tuple[str, str]] = {}
    for claim in resolved.claims:
        key = "/".join(str(part) for part in claim.path)
        label_ja = resolved.label_for(claim.path, ("ja",))
        label_en = resolved.label_for(claim.path, ("en",))
        labels[key] = (label_ja or key, label_en or key)
    return labels


def _claim_values(registration: DisclosedRegistration) -> dict[str, JSONValue]:
    reg = registration
    stay = reg.stay
    identity = reg.identity_assurance
    return {
        Claim.REGISTRATION_ID: reg.registration_id,
        Claim.RELATIONSHIP_TYPES: [kind.value for kind in reg.relationship_types],
        Claim.FAMILY_NAME: reg.family_name,
        Claim.GIVEN_NAME: reg.given_name,
        Claim.FAMILY_NAME_KANA: reg.family_name_kana,
        Claim.GIVEN_NAME_KANA: reg.given_name_kana,
        Claim.BIRTHDATE: None if reg.birthdate is None else reg.birthdate.isoformat(),
        Claim.AGE_EQUAL_OR_OVER: {str(age): over for age, over in reg.age_equal_or_over},
        Claim.HOME_PREFECTURE: reg.home_prefecture,
        Claim.STAY: (
            None
            if stay is None
            else {"from": stay.start.isoformat(), "until": stay.end.isoformat()}
        ),
        Claim.MEMBER_NUMBER: reg.member_number,
        Claim.IDENTITY_ASSURANCE: (
            None
            if identity is None
            else {"method": identity.method.value, "verified_on": identity.verified_on.isoformat()}
        ),
    }


def _disclosed(registration: DisclosedRegistration, document: PolicyDocument) -> list[JSONValue]:
    """What the holder disclosed, in the order the policy asks for it (then any other)."""
    values = _claim_values(registration)
    labels = _labels(registration.tier)
    asked = ["/".join(str(part) for part in path) for path in document.required_disclosures]
    shown = registration.disclosed_claims
    order = [key for key in asked if key in shown] + sorted(shown.difference(asked))
    items: list[JSONValue] = []
    for key in order:
        top, _, rest = key.partition("/")
        value = values.get(top)
        if rest and isinstance(value, dict):
            value = value.get(rest)
        label_ja, label_en = labels.get(key, (key, key))
        items.append({"claim": key, "label_ja": label_ja, "label_en": label_en, "value": value})
    return items


def _policy_json(document: PolicyDocument) -> JSONObject:
    return {"id": document.id, "name_ja": document.name_ja, "name_en": document.name_en}


def _verified_json(
    result: Verified,
    document: PolicyDocument,
    form: str,
    now: datetime,
    place_benefit: BenefitOutcome | None = None,
) -> JSONObject:
    reg = result.registration
    body = result.body
    benefit: JSONValue = (
        None
        if document.benefit_ja is None or document.benefit_en is None
        else {"ja": document.benefit_ja, "en": document.benefit_en}
    )
    return {
        "result": "verified",
        "code": None,
        "message_ja": VERIFIED_JA,
        "message_en": VERIFIED_EN,
        "policy": _policy_json(document),
        "format": form,
        "body": {
            "code": body.code,
            "name_ja": body.display_name_ja,
            "name_en": body.display_name_en,
        },
        "tier": reg.tier.value,
        "tier_ja": reg.tier.label_ja,
        "tier_en": reg.tier.label_en,
        "valid_from": reg.valid_from.isoformat(),
        "valid_until": None if reg.valid_until is None else reg.valid_until.isoformat(),
        "expires_at": iso(to_numeric_date(result.expires_at)),
        "checked_at": iso(to_numeric_date(now)),
        "disclosed": _disclosed(reg, document),
        "benefit": benefit,
        "place_benefit": benefit_outcome_json(place_benefit),
    }


def _rejected_json(
    code: ErrorCode, detail: str, document: PolicyDocument | None, form: str | None
) -> JSONObject:
    message = message_for(code)
    out: JSONObject = {
        "result": "rejected",
        "code": code.value,
        "message_ja": message.ja,
        "message_en": message.en,
        "detail": detail,
    }
    if document is not None:
        out["policy"] = _policy_json(document)
    if form is not None:
        out["format"] = form
    return out


def _error_json(error: FurusatoError) -> JSONObject:
    message = message_for(error.code)
    return {
        "result": "error",
        "code": error.code.value,
        "message_ja": message.ja,
        "message_en": message.en,
        "detail": error.detail,
    }


# ---------------------------------------------------------------------------- the command


def _replay_cache(args: argparse.Namespace, now: datetime) -> AbstractContextManager[ReplayCache]:
    if args.replay_cache is None:
        # one run sees each token once; nothing is kept
        return contextlib.nullcontext(ReplayCache())
    return replay_cache_file(args.replay_cache, now=to_numeric_date(now))


def _internal(exc: Exception, document: PolicyDocument, form: str | None) -> tuple[int, JSONObject]:
    """The promise that no input prints a traceback: anything unforeseen is a clean rejection
    (the fuzz test fails on this detail, so the net cannot hide a crash)."""
    detail = f"internal error: {type(exc).__name__}"
    return EXIT_REJECTED, _rejected_json(ErrorCode.MALFORMED_REQUEST, detail, document, form)


def _verify(args: argparse.Namespace, document: PolicyDocument) -> tuple[int, JSONObject]:
    policy = _policy(args, document)
    offered = _offered(args, document)
    bundle = _bundle(args)
    now = now_of(args)
    try:
        text = _presentation(args)
    except (UsageError, _ConfigError):
        raise
    except FurusatoError as exc:  # qr_not_found, input_too_large, …: the card, not the setup
        return EXIT_REJECTED, _rejected_json(exc.code, exc.detail, document, None)
    except Exception as exc:  # noqa: BLE001
        return _internal(exc, document, None)
    form = FORMAT_QR if text.startswith(QR_PREFIX) else FORMAT_SD_JWT_VC
    try:
        with _replay_cache(args, now) as replays:
            verifier = RegistrationVerifier.from_bundle(
                bundle, policy=policy, bodies=load_bodies(), replay_cache=replays
            )
            result = verifier.verify(text, now=now)  # never raises for bad input
    except ReplayFileDamagedError as exc:
        raise UsageError(f"{exc}; remove it (its entries expire within minutes)") from exc
    except OSError as exc:  # the replay cache file or its lock
        raise UsageError(f"cannot use the replay cache: {exc.strerror}") from exc
    except Exception as exc:  # noqa: BLE001
        return _internal(exc, document, form)
    if isinstance(result, Rejected):
        return EXIT_REJECTED, _rejected_json(result.code, result.detail, document, form)
    outcome = None
    if offered:
        outcome = benefit_for_card(
            _benefits(args),
            offered,
            body_code=result.body.code,
            tier=result.registration.tier,
            now=to_numeric_date(now),
        )
    return EXIT_OK, _verified_json(result, document, form, now, outcome)


def _cmd_verify(args: argparse.Namespace) -> int:
    try:
        document = _policy_document(args)
        code, out = _verify(args, document)
    except _ConfigError as exc:
        emit(_error_json(exc.error))
        return EXIT_USAGE
    emit(out)
    return code


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    verify = sub.add_parser(
        "verify",
        help="verify a registration card (QR text, SD-JWT VC presentation or QR image) offline",
    )
    verify.add_argument(
        "input",
        nargs="?",
        metavar="IMAGE|-",
        help="an image holding the QR code, or - to read the QR text or presentation from stdin",
    )
    verify.add_argument("--text", help="the QR text (FJ1:…) or SD-JWT VC presentation")
    verify.add_argument(
        "--bundle",
        type=Path,
        metavar="DIR",
        help=f"the synced bundle (default: ${BUNDLE_ENV} or ./{DEFAULT_BUNDLE})",
    )
    verify.add_argument(
        "--policy",
        metavar="NAME|FILE",
        help=f"a built-in policy or a policy document (default: ${POLICY_ENV})",
    )
    verify.add_argument(
        "--accept",
        action="append",
        metavar="CODE",
        help="accept cards of this body only (repeat for several; default: any listed body)",
    )
    verify.add_argument("--nonce", help="challenge mode: the nonce this verifier gave the holder")
    verify.add_argument(
        "--benefit",
        action="append",
        metavar="CODE/ID",
        help="a benefit this place offers, as its body registered it (repeat for several)",
    )
    verify.add_argument("--now", type=moment, help="the current time (audits, tests)")
    verify.add_argument(
        "--replay-cache",
        type=Path,
        metavar="FILE",
        help="keep used one-way QR codes in FILE between runs (a checkpoint running this per scan)",
    )
    verify.set_defaults(func=_cmd_verify)
