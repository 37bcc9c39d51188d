"""Wire names from RFC 9901 (SD-JWT)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ARRAY_DIGEST_KEY",
    "FORBIDDEN_DISCLOSURE_NAMES",
    "KB_JWT_TYP",
    "SD_ALG_KEY",
    "SD_DIGESTS_KEY",
    "SD_HASH_KEY",
    "SEPARATOR",
]

SD_DIGESTS_KEY: Final = "_sd"  # RFC 9901 §4.2.4.1
ARRAY_DIGEST_KEY: Final = "..."  # RFC 9901 §4.2.4.2
SD_ALG_KEY: Final = "_sd_alg"  # RFC 9901 §4.1.1
SD_HASH_KEY: Final = "sd_hash"  # RFC 9901 §4.3.1
KB_JWT_TYP: Final = "kb+jwt"  # RFC 9901 §4.3
SEPARATOR: Final = "~"  # RFC 9901 §4

# RFC 9901 §7.1 step 3.c.ii forbids `_sd` and `...`; `_sd_alg` is forbidden as well because a
# disclosed `_sd_alg` could only ever be an attempt to change the digest algorithm afterwards.
FORBIDDEN_DISCLOSURE_NAMES: Final = frozenset({SD_DIGESTS_KEY, ARRAY_DIGEST_KEY, SD_ALG_KEY})
