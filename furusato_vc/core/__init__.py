"""The pure core of furusato-vc: formats, cryptography and verification policy.

Nothing here reads the clock, draws randomness, touches the network, files or a database:
``now``, salts, keys, trust and status data are arguments. Role packages (``issuer``,
``wallet``, ``verifier``) and the edges (CLI, services, kiosk) build on it.
"""
