"""Verifier library: check presented registration cards (QR codes and SD-JWT VC
presentations) against a verification policy, offline."""

from furusato_vc.verifier.bundle_store import BundleDirectory, SyncResult
from furusato_vc.verifier.policy_file import UnknownPolicyError, load_policy
from furusato_vc.verifier.registration import RegistrationVerifier, Rejected, Verified
from furusato_vc.verifier.replay import ReplayCache

__all__ = [
    "BundleDirectory",
    "RegistrationVerifier",
    "Rejected",
    "ReplayCache",
    "SyncResult",
    "UnknownPolicyError",
    "Verified",
    "load_policy",
]
