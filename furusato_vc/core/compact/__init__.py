"""The compact QR credential ("FJ1"): a profile of SD-CWT (draft-ietf-spice-sd-cwt-07)."""
