"""The issuer service (an edge): FastAPI, SQLAlchemy 2 (async), Alembic migrations.

One deployment hosts many issuing bodies (municipalities and prefectures). Start it with
``furusato-vc issuer serve``; see docs/issuer-service.md. Everything here is I/O: the
credential formats, OpenID4VCI protocol checks and status lists come from the pure core and
the issuer library.
"""

from __future__ import annotations

from furusato_vc.issuer.service.app import create_app
from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
