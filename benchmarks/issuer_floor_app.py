"""The framework floor for bench_issuer.py: a bare Starlette app answering every POST with a
small JSON document (no database, no crypto), served by the same uvicorn stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from starlette.requests import Request


async def _answer(request: Request) -> Response:
    await request.body()
    path = request.url.path
    if path == "/registrations":
        return JSONResponse(
            {
                "registration_id": "r",
                "tx_code": "123456",
                "credential_offer": {
                    "grants": {
                        "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                            "pre-authorized_code": "x"
                        }
                    }
                },
            },
            status_code=201,
        )
    if path.endswith("/token"):
        return JSONResponse({"access_token": "t"})
    if path.endswith("/nonce"):
        return JSONResponse({"c_nonce": "n"})
    return JSONResponse({"credentials": []})


async def _ready(_request: Request) -> Response:
    return JSONResponse({})


app = Starlette(
    routes=[
        Route("/", _ready),
        Route("/{path:path}", _answer, methods=["POST"]),
    ]
)
