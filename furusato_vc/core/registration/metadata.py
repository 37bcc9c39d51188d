"""The bundled Type Metadata documents of the registration credentials.

They ship inside the wheel as ``furusato_vc/_schemas`` (hatchling force-include of the
repository's ``schemas/``); in a source checkout they are read from ``schemas/`` directly.
Reading the package's own immutable data is the only file access in ``core``.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from furusato_vc.core.registration.claims import BASIC_VCT, PREMIUM_VCT
from furusato_vc.core.sdjwtvc.type_metadata import integrity_of

if TYPE_CHECKING:
    from collections.abc import Mapping
    from importlib.resources.abc import Traversable

__all__ = ["registration_type_metadata", "schema_root", "vct_integrity"]

_FILES = {
    BASIC_VCT: "type-metadata/registration-basic-1.json",
    PREMIUM_VCT: "type-metadata/registration-premium-1.json",
}


def schema_root() -> Traversable:
    """The directory holding ``type-metadata/`` and ``claims/``."""
    packaged = resources.files("furusato_vc") / "_schemas"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[3] / "schemas"
    if source.is_dir():
        return source
    raise FileNotFoundError("furusato-vc schemas are missing from this installation")


@functools.cache
def registration_type_metadata() -> Mapping[str, bytes]:
    """``vct`` → exact document octets, for :class:`SdJwtVcPolicy.type_metadata`."""
    root = schema_root()
    return MappingProxyType({vct: (root / path).read_bytes() for vct, path in _FILES.items()})


def vct_integrity(vct: str) -> str:
    """The ``vct#integrity`` value an issuer writes for one of our types."""
    return integrity_of(registration_type_metadata()[vct])
