"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-18): credential format and Type Metadata."""
