"""Staff API: roles, tenant isolation, status changes republished at once, the audit chain."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.statuslist.token import verify_status_list_jwt
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA, Service
from tests.issuer.service.flows import issue, register


def _post(service: Service, path: str, headers: dict[str, str]) -> Any:
    return service.client.post(path, headers={**headers, "Idempotency-Key": secrets.token_hex(8)})


def _code(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    value: str = response.json()["code"]
    return value


def test_revocation_republishes_the_list_with_a_new_sequence(service: Service) -> None:
    issued = issue(service, KESENNUMA, copies=2)
    admin = service.staff(KESENNUMA, "admin")
    registration_id = issued.registration["registration_id"]
    response = _post(
        service, f"/staff/bodies/{KESENNUMA}/registrations/{registration_id}/revoke", admin
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "revoked"
    [(list_id, sequence)] = body["status_list_sequences"].items()
    published = service.client.get(f"/bodies/{KESENNUMA}/status/{list_id}")
    assert published.status_code == 200
    assert published.headers["x-status-list-sequence"] == str(sequence)
    assert sequence >= 2
    keys = [
        parse_public_jwk(k)
        for k in service.client.get(f"/bodies/{KESENNUMA}/jwks.json").json()["keys"]
    ]
    verified = verify_status_list_jwt(
        published.text,
        keys=keys,
        expected_uri=f"{service.issuer(KESENNUMA)}/status/{list_id}",
        now=int(service.clock.now().timestamp()),
    )
    assert verified.status_list.histogram()[1] == 2  # both copies INVALID


def test_suspend_and_reinstate(service: Service) -> None:
    issued = issue(service, KESENNUMA)
    reviewer = service.staff(KESENNUMA, "reviewer")
    rid = issued.registration["registration_id"]
    base = f"/staff/bodies/{KESENNUMA}/registrations/{rid}"
    assert _post(service, f"{base}/suspend", reviewer).json()["state"] == "suspended"
    assert (
        _code(_post(service, f"{base}/suspend", reviewer))
        == ErrorCode.STATUS_CHANGE_NOT_ALLOWED.value
    )
    assert _post(service, f"{base}/reinstate", reviewer).json()["state"] == "active"
    # a reviewer may not revoke
    assert _code(_post(service, f"{base}/revoke", reviewer)) == ErrorCode.STAFF_FORBIDDEN.value


def test_audit_log_is_a_hash_chain(service: Service) -> None:
    issued = issue(service, KESENNUMA)
    admin = service.staff(KESENNUMA, "admin")
    rid = issued.registration["registration_id"]
    _post(service, f"/staff/bodies/{KESENNUMA}/registrations/{rid}/suspend", admin)
    _post(service, f"/staff/bodies/{KESENNUMA}/registrations/{rid}/revoke", admin)
    log = service.client.get(f"/staff/bodies/{KESENNUMA}/audit", headers=admin).json()
    assert log["chain_intact"] is True
    actions = [entry["action"] for entry in log["entries"]]
    assert actions[-2:] == ["suspend", "revoke"]
    assert [e["seq"] for e in log["entries"]] == list(range(1, len(actions) + 1))


def test_no_token_and_unknown_token(service: Service) -> None:
    response = service.client.get(f"/staff/bodies/{KESENNUMA}/registrations")
    assert response.status_code == 401
    assert _code(response) == ErrorCode.STAFF_UNAUTHENTICATED.value
    forged = {"Authorization": "Bearer " + secrets.token_urlsafe(32)}
    assert _code(
        service.client.get(f"/staff/bodies/{KESENNUMA}/registrations", headers=forged)
    ) == (ErrorCode.STAFF_UNAUTHENTICATED.value)


def test_viewer_lists_and_searches_own_registrations(service: Service) -> None:
    register(service, KESENNUMA, interests=["seafood"])
    register(service, MINAMIMINOWA, interests=["seafood"])
    viewer = service.staff(KESENNUMA, "viewer")
    listed = service.client.get(
        f"/staff/bodies/{KESENNUMA}/registrations", params={"q": "seafood"}, headers=viewer
    ).json()
    assert listed["total"] == 1
    assert {item["body_code"] for item in listed["items"]} == {KESENNUMA}


_STAFF_ENDPOINTS = [
    ("GET", "/staff/bodies/{code}/registrations"),
    ("GET", "/staff/bodies/{code}/registrations/{rid}"),
    ("POST", "/staff/bodies/{code}/registrations/{rid}/suspend"),
    ("POST", "/staff/bodies/{code}/registrations/{rid}/reinstate"),
    ("POST", "/staff/bodies/{code}/registrations/{rid}/revoke"),
    ("GET", "/staff/bodies/{code}/audit"),
    # premium (issue 8): ids of activities, evidence and applications are looked up within
    # the path's body only, like registration ids
    ("GET", "/staff/bodies/{code}/activities"),
    ("GET", "/staff/bodies/{code}/activities/{rid}"),
    ("GET", "/staff/bodies/{code}/evidence"),
    ("GET", "/staff/bodies/{code}/evidence/{rid}/content"),
    ("POST", "/staff/bodies/{code}/evidence/{rid}/accept"),
    ("POST", "/staff/bodies/{code}/evidence/{rid}/reject"),
    ("GET", "/staff/bodies/{code}/premium-applications"),
    ("POST", "/staff/bodies/{code}/premium-applications/{rid}/approve"),
    ("POST", "/staff/bodies/{code}/premium-applications/{rid}/reject"),
]


@pytest.mark.parametrize(("method", "template"), _STAFF_ENDPOINTS)
def test_staff_of_one_body_can_never_reach_another(
    service: Service, method: str, template: str
) -> None:
    """Tenant isolation (OWASP API1): every staff endpoint, the other body's path and the
    other body's registration id through one's own path."""
    theirs = register(service, MINAMIMINOWA).json()["registration_id"]
    mine = register(service, KESENNUMA).json()["registration_id"]
    admin = service.staff(KESENNUMA, "admin")
    headers = {**admin, "Idempotency-Key": secrets.token_hex(8)}
    # another body's path, whatever the id
    body = {"reason": "test"} if method == "POST" else None
    for rid in (theirs, mine):
        path = template.format(code=MINAMIMINOWA, rid=rid)
        response = service.client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (path, response.text)
        assert _code(response) == ErrorCode.STAFF_FORBIDDEN.value
    # the other body's registration through one's own path
    if "{rid}" in template:
        path = template.format(code=KESENNUMA, rid=theirs)
        response = service.client.request(method, path, headers=headers, json=body)
        assert response.status_code == 404, (path, response.text)
        assert _code(response) == ErrorCode.RESOURCE_NOT_FOUND.value
    # and nothing of theirs changed
    viewer = service.staff(MINAMIMINOWA, "viewer")
    state = service.client.get(
        f"/staff/bodies/{MINAMIMINOWA}/registrations/{theirs}", headers=viewer
    ).json()
    assert state["state"] == "active"
    assert state["tier"] == "basic"
