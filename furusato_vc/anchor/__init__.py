"""The national trust-anchor operator's tools: a workspace holding the anchor key and the
working trust list, signing versions of it, and aggregating the bodies' status lists for
verifiers. File-based (an edge); the checks are all in :mod:`furusato_vc.core`."""

from furusato_vc.anchor.workspace import AggregateReport, TrustWorkspace

__all__ = ["AggregateReport", "TrustWorkspace"]
