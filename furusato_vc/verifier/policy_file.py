"""Choosing a verifier policy by name or file (an edge: it reads the file a user names; every
check is :func:`furusato_vc.core.policy_document.parse_policy_document`).

A value that is a built-in id (``garbage-station``, ``shop``, ``nursery``, ``school``,
``public-facility``) is that built-in; any other bare word is an unknown policy; everything
else is a path. So a stray file named ``shop`` in the working directory never replaces the
built-in ``shop`` policy: a local file of that name is ``./shop``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.policy_document import (
    BUILTIN_POLICY_IDS,
    MAX_POLICY_DOCUMENT_BYTES,
    builtin_policy_document,
    parse_policy_document,
)

if TYPE_CHECKING:
    from os import PathLike

    from furusato_vc.core.policy_document import PolicyDocument

__all__ = ["UnknownPolicyError", "load_policy"]

_BARE_WORD = re.compile(r"[A-Za-z0-9_-]+")


class UnknownPolicyError(LookupError):
    """A policy name that is neither a built-in nor a path (a configuration error)."""


def load_policy(name_or_path: str | PathLike[str]) -> PolicyDocument:
    """The built-in policy of that id, or the policy document in that file.

    Raises:
        UnknownPolicyError: a bare word that is not a built-in id.
        OSError: the file cannot be read (missing, a directory, no permission).
        FormatError: ``input_too_large`` and the codes of
            :func:`~furusato_vc.core.policy_document.parse_policy_document`.
    """
    text = str(name_or_path)
    if text in BUILTIN_POLICY_IDS:
        return builtin_policy_document(text)
    if _BARE_WORD.fullmatch(text):
        raise UnknownPolicyError(
            f"unknown policy {text!r}: built-in policies are {', '.join(BUILTIN_POLICY_IDS)}; "
            "a file in this directory is ./NAME"
        )
    with Path(name_or_path).open("rb") as handle:
        # bounded: /dev/zero or a huge file costs one read of the limit
        data = handle.read(MAX_POLICY_DOCUMENT_BYTES + 1)
    if len(data) > MAX_POLICY_DOCUMENT_BYTES:
        raise FormatError(
            ErrorCode.INPUT_TOO_LARGE, f"policy document over {MAX_POLICY_DOCUMENT_BYTES} bytes"
        )
    return parse_policy_document(data)
