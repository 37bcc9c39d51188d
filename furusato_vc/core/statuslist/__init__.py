"""Token Status List (draft-ietf-oauth-status-list): references from credentials to status
lists. The lists themselves (encoding, signing, checking) arrive with the trust-and-status
milestone; this package already fixes the claim format credentials carry."""

from furusato_vc.core.statuslist.reference import StatusChecker, StatusReference, parse_status_claim

__all__ = ["StatusChecker", "StatusReference", "parse_status_claim"]
