"""Loading the Token Status List draft's published examples.

The encodings are read at test time from ``/work/shared/testdata/status-list`` (the ``examples/``
folder of oauth-wg/draft-ietf-oauth-status-list at 2fb61cd5, the text of draft -20; IETF Trust
licence, see that folder's LICENSE.md). The entries of the Appendix test vectors were
transcribed into ``tests/vectors/status-list/appendix-test-vectors.json`` (provenance inside).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject

__all__ = [
    "EXAMPLE_JWK",
    "appendix_entries",
    "example_hex",
    "example_json",
    "example_text",
]

STATUS_LIST_EXAMPLES = Path("/work/shared/testdata/status-list")
APPENDIX = (
    Path(__file__).resolve().parents[2] / "vectors" / "status-list" / ("appendix-test-vectors.json")
)

# src/util.py of the same commit: the key that signed the draft's JWT and CWT examples
# (public part only; kid "12").
EXAMPLE_JWK: JSONObject = {
    "kty": "EC",
    "crv": "P-256",
    "x": "I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo",
    "y": "6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M",
    "kid": "12",
}


def example_text(name: str) -> str:
    path = STATUS_LIST_EXAMPLES / name
    if not path.is_file():
        pytest.fail(
            f"status list example {path} is missing: /work/shared/testdata/status-list holds "
            "the draft's examples/ on every project machine"
        )
    return path.read_text(encoding="utf-8")


def example_hex(name: str) -> bytes:
    """A hex example; files with a ``byte_array`` line keep the hex after ``encoded:``."""
    text = example_text(name)
    if "encoded:" in text:
        text = text.split("encoded:", 1)[1]
    return bytes.fromhex("".join(text.split()))


def example_json(name: str) -> JSONObject:
    """A JSON example whose long strings the draft folded over several indented lines."""
    text = example_text(name)
    if "encoded:" in text:
        text = text.split("encoded:", 1)[1]
    unfolded = re.sub(r"\n\s+(?=[A-Za-z0-9_-])", "", re.sub(r'"\s*\n\s*}', '"\n}', text))
    value = json.loads(unfolded)
    assert isinstance(value, dict)
    return value


def example_byte_array(name: str) -> bytes:
    """The ``byte_array = [0x.., ...]`` line of the short examples."""
    match = re.search(r"byte_array = \[([^\]]*)\]", example_text(name))
    assert match is not None
    return bytes(int(item, 16) for item in match.group(1).split(","))


def appendix_entries(bits: int) -> tuple[int, dict[int, int]]:
    """(list size, {index: value}) of the Appendix vector for ``bits``."""
    doc = json.loads(APPENDIX.read_text(encoding="utf-8"))
    entries = {int(k): int(v) for k, v in doc["entries"][str(bits)].items()}
    return int(doc["size"]), entries
