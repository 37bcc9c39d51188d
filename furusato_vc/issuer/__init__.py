"""Issuer library: build and sign registration credentials for one or more issuing bodies —
the SD-JWT VC (online) and the compact QR credential (offline) of each registration.

The HTTP issuer service (``furusato_vc.issuer.service``, a later milestone) is an edge on top
of this library.
"""

from furusato_vc.issuer.credentials import (
    IssuancePolicy,
    IssuedCredentials,
    IssuingBody,
    issue_registration_compact,
    issue_registration_credential,
    issue_registration_credentials,
)
from furusato_vc.issuer.status import InMemoryStatusLists, PublishedStatusList, StatusListConfig

__all__ = [
    "InMemoryStatusLists",
    "IssuancePolicy",
    "IssuedCredentials",
    "IssuingBody",
    "PublishedStatusList",
    "StatusListConfig",
    "issue_registration_compact",
    "issue_registration_credential",
    "issue_registration_credentials",
]
