"""Security headers on every route the app has (pages, API, static files, docs, errors), no-store on learner data,
and frame-ancestors from the setting; parser errors answered as Vietnamese JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.api.conftest import REPLY, Api, MakeApi
from tutor.config import Settings
from tutor.llm.scripted import ScriptedChatModel

_ENGLISH = re.compile(r"\b(the|error|parsing|should|input|field|required|valid|body)\b", re.I)


def _assert_secure(r: Any, what: str) -> None:
    csp = r.headers.get("content-security-policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", what  # no inline script, nothing from elsewhere
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'none'", what
    assert r.headers.get("x-content-type-options") == "nosniff", what
    assert r.headers.get("referrer-policy") == "no-referrer", what
    assert r.headers.get("x-frame-options") == "DENY", what


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m[1], "khong-co"), path)


def _flat(routes: list[Any]) -> list[Any]:
    """The app's routes, with those of included routers (FastAPI keeps them behind a wrapper) taken out."""
    out: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _flat(inner.routes) if inner is not None else [route]
    return out


def _every_request(api: Api) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, headers) for every route and mount, anonymous and with a learner's token."""
    learner, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    ids = {"learner_id": learner, "session_id": session, "lesson_id": "an-toan-ma-otp", "section_id": "co-ban",
           "name": "swagger-ui.css", "placement_id": "khong-co", "attempt_id": "khong-co"}  # fmt: skip
    requests: list[tuple[str, str, dict[str, str]]] = []
    for route in _flat(api.app.routes):
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                if route.path == "/api/admin/index/rebuild":
                    continue  # would rebuild the index the other tests share; its 401 is covered below
                for headers in ({}, me):
                    requests.append((method, _fill(route.path, ids), headers))
        elif isinstance(route, Mount):
            requests.append(("GET", f"{route.path}/app.css", {}))
        elif getattr(route, "path", None) in ("/openapi.json",):
            requests.append(("GET", route.path, {}))
    requests += [("POST", "/api/admin/index/rebuild", {}), ("GET", "/nowhere", {}), ("DELETE", "/api/chat", {})]
    return requests


def test_every_route_sends_the_security_headers(make_api: MakeApi) -> None:
    api = make_api(ScriptedChatModel(REPLY))
    requests = _every_request(api)
    assert len({path for _, path, _ in requests}) >= 40
    statuses = set()
    for method, path, headers in requests:
        body = {"question": "mã OTP", "text": "Mã OTP", "display_name": "Bác Lan"}
        r = api.client.request(method, path, headers=headers, json=body if method in ("POST", "PATCH") else None)
        statuses.add(r.status_code)
        _assert_secure(r, f"{method} {path} -> {r.status_code}")
    assert {200, 401, 404, 405} <= statuses  # successes and errors alike


def test_limits_and_unexpected_errors_carry_the_headers_too(make_api: MakeApi) -> None:
    api = make_api(ScriptedChatModel(REPLY), rate_limit_api="1/minute")
    too_big = api.client.post("/api/chat", content=b"x" * 70000, headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413
    _assert_secure(too_big, "413")
    api.client.get("/api/lessons")
    limited = api.client.get("/api/lessons")
    assert limited.status_code == 429
    _assert_secure(limited, "429")

    @api.app.get("/boom")
    def boom() -> None:
        raise RuntimeError("hỏng")

    crashing = TestClient(api.app, raise_server_exceptions=False)
    r = crashing.get("/boom", headers={"Accept": "application/json"})
    assert r.status_code == 500 and r.json()["error"] == "InternalError"
    _assert_secure(r, "500")


def test_learner_data_is_never_stored_by_a_browser_or_proxy(make_api: MakeApi) -> None:
    api = make_api()
    _, me = api.learner()
    for path in ("/api/me", "/api/sessions", "/api/feedback", "/api/whoami"):
        r = api.client.get(path, headers=me)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
    # Public lessons may be kept; the same with a token is treated as private.
    assert "no-store" not in api.client.get("/api/lessons").headers.get("cache-control", "")
    assert api.client.get("/api/lessons", headers=me).headers["cache-control"] == "no-store"
    assert api.client.get("/").headers["cache-control"] == "no-cache"  # pages hold no data


def test_an_operator_may_allow_a_portal_to_frame_the_chat(make_api: MakeApi) -> None:
    api = make_api(frame_ancestors="'self' https://cong.hue.gov.vn")
    r = api.client.get("/")
    assert "frame-ancestors 'self' https://cong.hue.gov.vn" in r.headers["content-security-policy"]
    assert "x-frame-options" not in r.headers  # it cannot name another origin, so it is left to the CSP


@pytest.mark.parametrize("bad", ["'none'; script-src *", "https://a.vn\r\nSet-Cookie: x=1", "", "https://a.vn, *"])
def test_a_frame_ancestors_value_that_would_break_the_header_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="frame_ancestors"):
        Settings(frame_ancestors=bad)


# -- parser errors in Vietnamese ----------------------------------------------------------------------------------


_UNREADABLE = {
    "utf8": b'{"question": "\xff\xfe l\xe1"}',
    "deep-array": b"[" * 5000 + b"]" * 5000,  # nested 5,000 levels deep
    "deep-object": b'{"document": ' + b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"}",
    "json": b"{khong phai json",
}
_INVALID = {"type": b'{"question": 12}', "enum": b'{"question": "ma OTP", "level": "rat-gioi"}'}


def _assert_vietnamese_error(r: Any) -> None:
    assert 400 <= r.status_code < 500, r.text
    out = r.json()
    assert set(out) == {"error", "message"}
    assert not _ENGLISH.search(out["message"]), out["message"]
    assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", out["message"]), out["message"]


@pytest.mark.parametrize("kind", sorted(_UNREADABLE))
@pytest.mark.parametrize("path", ["/api/chat", "/api/certificates/verify", "/api/feedback"])
def test_a_body_the_parser_cannot_read_gets_vietnamese_json(api: Api, kind: str, path: str) -> None:
    _assert_vietnamese_error(
        api.client.post(path, content=_UNREADABLE[kind], headers={"Content-Type": "application/json"})
    )


@pytest.mark.parametrize("kind", sorted(_INVALID))
def test_a_body_of_the_wrong_shape_gets_vietnamese_json_without_pydantics_english(api: Api, kind: str) -> None:
    r = api.client.post("/api/chat", content=_INVALID[kind], headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    _assert_vietnamese_error(r)
