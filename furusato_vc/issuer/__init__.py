"""Issuer library: build and sign registration credentials for one or more issuing bodies.

The HTTP issuer service (``furusato_vc.issuer.service``, a later milestone) is an edge on top
of this library.
"""

from furusato_vc.issuer.credentials import (
    IssuancePolicy,
    IssuingBody,
    issue_registration_credential,
)

__all__ = ["IssuancePolicy", "IssuingBody", "issue_registration_credential"]
