"""Wire constants of the compact QR credential ("FJ1"), a profile of SD-CWT.

Pinned: draft-ietf-spice-sd-cwt-07 (:data:`SD_CWT_DRAFT`). Deviations are listed in
docs/compact-credential.md; the main ones are size-driven: no ``sub`` claim (the subject is
the ``cnf`` key; a per-person identifier would be a correlation handle in a printed-size QR),
no ``vct`` claim (the ``FJ1:`` prefix and the private claim identify the type), and the
furusato claims live in one private-use CWT claim (RFC 8392 §9.1: keys below -65536).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

import cbor2

from furusato_vc.core.registration.claims import Claim, Tier

__all__ = [
    "CLAIM_GROUP",
    "FURUSATO_CLAIM",
    "REDACTED_CLAIM_KEYS",
    "SALT_BYTES",
    "SD_CWT_DRAFT",
    "TIER_CODE",
    "TYP_KB_CWT",
    "TYP_SD_CWT",
    "CwtClaim",
    "FvKey",
    "Group",
    "PersonKey",
]

SD_CWT_DRAFT: Final = "draft-ietf-spice-sd-cwt-07"
TYP_SD_CWT: Final = 293  # CoAP content-format of application/sd-cwt (-07 §"SD-CWT Definition")
TYP_KB_CWT: Final = 294  # application/kb+cwt (-07 §"Creating a Key Binding Token")
REDACTED_CLAIM_KEYS: Final = cbor2.CBORSimpleValue(59)  # -07 §"Types of Blinded Claims"
SALT_BYTES: Final = 16  # 128-bit salts (-07 §"Issuer Generation")
FURUSATO_CLAIM: Final = -65537  # private use (RFC 8392 §9.1)
CNF_COSE_KEY: Final = 1  # RFC 8747 §3.2


class CwtClaim(IntEnum):
    """RFC 8392 §3.1, RFC 8747 (cnf), RFC 9200 (cnonce)."""

    ISS = 1
    SUB = 2
    AUD = 3
    EXP = 4
    NBF = 5
    IAT = 6
    CNF = 8
    CNONCE = 39


class FvKey(IntEnum):
    """Keys of the furusato claim map. The registration's last day is not carried: ``exp``
    never passes the end of it (the issuer caps it)."""

    TIER = 1
    STATUS_LIST = 2
    STATUS_INDEX = 3
    VALID_FROM = 4  # days since 1970-01-01 (a Japan date)


class Group(IntEnum):
    """The selectively disclosable groups; each is one Salted Disclosed Claim.

    Two groups, not three: each digest costs about 50 QR characters whether it is disclosed
    or not, and every profile that needs the person's names also needs the stay period
    (nursery, school). Measurements in docs/compact-credential.md.
    """

    PERSON = 10  # names (kanji and kana), birthdate, stay period
    MEMBERSHIP = 11  # the member number


class PersonKey(IntEnum):
    FAMILY = 1
    GIVEN = 2
    FAMILY_KANA = 3
    GIVEN_KANA = 4
    BIRTHDATE = 5  # days since 1970-01-01
    STAY = 6  # [first day, last day] as day numbers


TIER_CODE: Final = {Tier.BASIC: 0, Tier.PREMIUM: 1}

# Which group carries each SD-JWT VC claim a verifier profile may ask for.
CLAIM_GROUP: Final = {
    Claim.FAMILY_NAME: Group.PERSON,
    Claim.GIVEN_NAME: Group.PERSON,
    Claim.FAMILY_NAME_KANA: Group.PERSON,
    Claim.GIVEN_NAME_KANA: Group.PERSON,
    Claim.BIRTHDATE: Group.PERSON,
    Claim.STAY: Group.PERSON,
    Claim.MEMBER_NUMBER: Group.MEMBERSHIP,
}
