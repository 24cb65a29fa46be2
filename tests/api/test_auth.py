"""The auth matrix: every protected endpoint answers 401 without a token, 403 to a wrong role, 404 to another
learner, and 2xx to the role (and owner) it is for; anonymous endpoints stay open; tokens are stored hashed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.conftest import REPLY, RealParts
from tutor.api.app import create_app
from tutor.api.deps import Services
from tutor.embed.hashing import HashingEmbedder
from tutor.llm.scripted import ScriptedChatModel

H = dict[str, str]


@dataclass
class World:
    """One app with learners A (owner of everything below), B (another learner), a trainer and an operator."""

    client: TestClient
    services: Services
    a: str
    headers: dict[str, H]
    session: str
    message: int
    placement: str
    finished_placement: str
    attempt: str
    attempt_key: dict[str, int]

    def pending_item(self) -> str:
        step = self.services.learners().placement(self.a, self.placement)
        assert step.item is not None
        return step.item.id

    def right_answers(self) -> dict[str, int]:
        return self.attempt_key


@pytest.fixture(scope="module")
def world(real_parts: RealParts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    import copy

    tmp: Path = tmp_path_factory.mktemp("auth")
    settings = real_parts.settings.model_copy(
        update={"learner_db_url": f"sqlite:///{tmp / 'l.sqlite3'}", "cert_key_path": tmp / "cert.pem"}
    )
    tutor = copy.copy(real_parts.tutor)
    tutor.chat_model = ScriptedChatModel(REPLY)
    app = create_app(settings, tutor, embedder=HashingEmbedder(), bank=real_parts.bank, lessons=real_parts.lessons)
    services: Services = app.state.services
    learners, tokens = services.learners(), services.tokens

    def bearer(role: str, learner_id: str | None = None) -> H:
        return {"Authorization": f"Bearer {tokens.create(role, learner_id).secret}"}

    a = services.store.create_learner("nguoi-dan", True).id
    b = services.store.create_learner("hoc-sinh", True).id
    headers = {
        "learner": bearer("learner", a),
        "other": bearer("learner", b),
        "trainer": bearer("trainer"),
        "operator": bearer("operator"),
    }
    client = TestClient(app)
    session = services.sessions.create(a).id
    _, reply = services.sessions.add_exchange(a, session, tutor.answer("mã OTP"))
    placement = learners.start_placement(a).placement_id
    done = learners.start_placement(a)
    while not done.finished:
        assert done.item is not None
        done = learners.answer_placement(a, done.placement_id, done.item.id, done.item.answer)
    passed = learners.start_final_test(a)
    learners.submit_final_test(a, passed.attempt_id, {i.id: i.answer for i in passed.items})
    attempt = learners.start_final_test(a)
    key = {i.id: i.answer for i in attempt.items}
    yield World(client, services, a, headers, session, reply.id, placement, done.placement_id, attempt.attempt_id, key)
    client.close()
    services.store.close()


Request = Callable[[World], tuple[str, str, Any]]
LEARNER, TRAINER, OPERATOR = "learner", "trainer", "operator"


def _req(method: str, path: str, body: Callable[[World], Any] | None = None) -> Request:
    return lambda w: (method, path.format(w=w), body(w) if body else None)


# (name, request, roles allowed, whether the resource belongs to learner A)
PROTECTED: list[tuple[str, Request, set[str], bool]] = [
    ("create session", _req("POST", "/api/sessions"), {LEARNER}, False),
    ("list sessions", _req("GET", "/api/sessions"), {LEARNER}, False),
    ("read session", _req("GET", "/api/sessions/{w.session}"), {LEARNER}, True),
    (
        "ask in session",
        _req("POST", "/api/sessions/{w.session}/messages", lambda w: {"question": "mã OTP"}),
        {LEARNER},
        True,
    ),
    (
        "rate answer",
        _req("POST", "/api/feedback", lambda w: {"session_id": w.session, "message_id": w.message, "rating": 1}),
        {LEARNER},
        True,
    ),
    ("list feedback", _req("GET", "/api/feedback"), {LEARNER}, False),
    ("my profile", _req("GET", "/api/me"), {LEARNER}, False),
    ("profile", _req("GET", "/api/learners/{w.a}"), {LEARNER}, True),
    (
        "practice",
        _req(
            "POST", "/api/learners/{w.a}/practice", lambda w: {"item_id": w.services.learners().bank[0].id, "choice": 0}
        ),
        {LEARNER},
        True,
    ),
    ("start placement", _req("POST", "/api/learners/{w.a}/placements", lambda w: {}), {LEARNER}, True),
    ("current placement", _req("GET", "/api/placements/{w.placement}"), {LEARNER}, True),
    (
        "answer placement",
        _req("POST", "/api/placements/{w.placement}/answers", lambda w: {"item_id": w.pending_item(), "choice": 0}),
        {LEARNER},
        True,
    ),
    ("placement result", _req("GET", "/api/placements/{w.finished_placement}/result"), {LEARNER}, True),
    ("start final test", _req("POST", "/api/learners/{w.a}/final-test"), {LEARNER}, True),
    (
        "submit final test",
        _req("POST", "/api/learners/{w.a}/final-test/{w.attempt}/answers", lambda w: {"answers": w.right_answers()}),
        {LEARNER},
        True,
    ),
    ("issue certificate", _req("POST", "/api/learners/{w.a}/certificate"), {LEARNER}, True),
    ("list certificates", _req("GET", "/api/learners/{w.a}/certificates"), {LEARNER}, True),
    (
        "enrol learner",
        _req("POST", "/api/learners", lambda w: {"group": "lao-dong", "consent": True}),
        {TRAINER, OPERATOR},
        False,
    ),
    ("preview", _req("POST", "/api/preview", lambda w: {"question": "mã OTP"}), {TRAINER, OPERATOR}, False),
    ("index status", _req("GET", "/api/admin/index"), {OPERATOR}, False),
    ("usage stats", _req("GET", "/api/admin/stats"), {OPERATOR}, False),
    ("feedback export", _req("GET", "/api/feedback/export"), {OPERATOR}, False),
]
#: Operator-only actions that start background work: checked for refusals here, for success in test_ops.
REFUSED_ONLY: list[tuple[str, Request]] = [
    ("rebuild index", _req("POST", "/api/admin/index/rebuild")),
    ("start eval", _req("POST", "/api/admin/evals", lambda w: {"limit": 1})),
    ("eval status", _req("GET", "/api/admin/evals")),
]


def _call(w: World, request: Request, who: str | None) -> int:
    method, path, body = request(w)
    headers = w.headers[who] if who else {}
    return w.client.request(method, path, json=body, headers=headers).status_code


@pytest.mark.parametrize(("name", "request_", "allowed", "owned"), PROTECTED, ids=[p[0] for p in PROTECTED])
def test_protected_endpoint_checks_token_role_and_owner(
    world: World, name: str, request_: Request, allowed: set[str], owned: bool
) -> None:
    assert _call(world, request_, None) == 401
    for role in (LEARNER, TRAINER, OPERATOR):
        if role not in allowed:
            assert _call(world, request_, role) == 403, role
    if owned:
        assert _call(world, request_, "other") == 404  # another learner's data looks like no data
    for role in sorted(allowed, reverse=True):  # the owner last: some calls change A's state
        status = _call(world, request_, role)
        assert 200 <= status < 300, (role, status)


@pytest.mark.parametrize(("name", "request_"), REFUSED_ONLY, ids=[r[0] for r in REFUSED_ONLY])
def test_operator_actions_refuse_everyone_else(world: World, name: str, request_: Request) -> None:
    assert _call(world, request_, None) == 401
    for role in (LEARNER, TRAINER):
        assert _call(world, request_, role) == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/chat"),
        ("POST", "/api/chat/stream"),
        ("GET", "/api/lessons"),
        ("GET", "/api/lessons/an-toan-ma-otp"),
        ("GET", "/api/certificates/public-key"),
        ("GET", "/healthz"),
    ],
)
def test_public_endpoints_need_no_token_and_ignore_a_bad_one(world: World, method: str, path: str) -> None:
    body = {"question": "mã OTP"} if method == "POST" else None
    assert world.client.request(method, path, json=body).status_code == 200
    junk = {"Authorization": "Bearer tutor_not-a-real-token"}
    assert world.client.request(method, path, json=body, headers=junk).status_code == 200


def test_unknown_or_revoked_token_is_401_with_a_bearer_challenge(world: World) -> None:
    r = world.client.get("/api/me", headers={"Authorization": "Bearer tutor_wrong"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "Mã truy cập" in r.json()["message"]
    issued = world.services.tokens.create("learner", world.a)
    ok = {"Authorization": f"Bearer {issued.secret}"}
    assert world.client.get("/api/me", headers=ok).status_code == 200
    world.services.tokens.revoke(issued.info.id)
    assert world.client.get("/api/me", headers=ok).status_code == 401


def test_tokens_are_stored_as_sha256_never_as_the_secret(world: World) -> None:
    issued = world.services.tokens.create("trainer")
    with world.services.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT token_hash FROM api_tokens WHERE id = :id"), {"id": issued.info.id}).all()
        dump = "".join(str(r) for r in conn.execute(text("SELECT * FROM api_tokens")).all())
    assert rows == [(hashlib.sha256(issued.secret.encode()).hexdigest(),)]
    assert issued.secret not in dump


def test_a_learner_deletes_themself_and_their_token_stops_working(make_api: Callable[..., Any]) -> None:
    api = make_api(ScriptedChatModel(REPLY))
    me, mine = api.learner()
    other, theirs = api.learner()
    assert api.client.delete(f"/api/learners/{other}", headers=mine).status_code == 404
    assert api.client.delete(f"/api/learners/{me}", headers=api.token("trainer")).status_code == 403
    r = api.client.delete(f"/api/learners/{me}", headers=mine)
    assert r.status_code == 200 and r.json()["deleted"]["learners"] == 1 and r.json()["deleted"]["api_tokens"] == 1
    assert api.client.get("/api/me", headers=mine).status_code == 401
    assert api.client.delete(f"/api/learners/{other}", headers=api.token("operator")).status_code == 200
    assert api.client.get("/api/me", headers=theirs).status_code == 401


def test_openapi_documents_the_bearer_scheme_and_every_area(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    assert "Mã truy cập" in spec["components"]["securitySchemes"]
    paths = set(spec["paths"])
    for path in ("/api/sessions/{session_id}/messages", "/api/preview", "/api/admin/index/rebuild", "/readyz"):
        assert path in paths
    assert world.client.get("/docs").status_code == 200
