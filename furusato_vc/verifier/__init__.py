"""Verifier library: check presented registration cards against a verification policy."""

from furusato_vc.verifier.registration import RegistrationVerifier, Rejected, Verified

__all__ = ["RegistrationVerifier", "Rejected", "Verified"]
