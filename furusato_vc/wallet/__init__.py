"""Wallet library: verify received registration credentials and present them selectively."""

from furusato_vc.wallet.holder import HeldCredential, accept_credential, present_credential

__all__ = ["HeldCredential", "accept_credential", "present_credential"]
