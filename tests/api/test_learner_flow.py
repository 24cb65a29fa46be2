"""The learner journey over HTTP: enrol with consent, placement to the end, progress, practice, final test,
certificate and its verification; and every bad step refused with a 4xx that leaves nothing half-written."""

from __future__ import annotations

from sqlalchemy import text

from tests.api.conftest import Api
from tutor.learner.quizbank import QuizItem


def _count(api: Api, table: str) -> int:
    with api.services.store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() or 0)


def _item(api: Api, item_id: str) -> QuizItem:
    return next(i for i in api.services.learners().bank if i.id == item_id)


def test_enrolment_needs_explicit_consent_and_a_known_group(api: Api) -> None:
    trainer = api.token("trainer")
    refused = api.client.post("/api/learners", json={"group": "nguoi-dan", "consent": False}, headers=trainer)
    assert refused.status_code == 422 and "đồng ý" in refused.json()["message"]
    unknown = api.client.post(
        "/api/learners", json={"group": "nguoi-ngoai-hanh-tinh", "consent": True}, headers=trainer
    )
    assert unknown.status_code == 422 and "group" in unknown.json()["message"]
    phone = api.client.post(
        "/api/learners", json={"group": "nguoi-dan", "consent": True, "pseudonym": "0912345678"}, headers=trainer
    )
    assert phone.status_code == 422
    assert _count(api, "learners") == 0 and _count(api, "api_tokens") == 1  # only the trainer's own token
    ok = api.client.post("/api/learners", json={"group": "hoc-sinh", "consent": True}, headers=trainer)
    assert ok.status_code == 201
    token = {"Authorization": f"Bearer {ok.json()['token']}"}
    me = api.client.get("/api/me", headers=token).json()
    assert me["learner"]["id"] == ok.json()["learner"]["id"] and me["learner"]["group"] == "hoc-sinh"


def test_placement_runs_to_the_end_then_shows_levels_and_recommendations(api: Api) -> None:
    learner, me = api.learner()
    step = api.client.post(f"/api/learners/{learner}/placements", json={}, headers=me).json()
    pid = step["placement_id"]
    assert step["answered"] == 0 and step["item"]["options"] and "answer" not in step["item"]
    resumed = api.client.get(f"/api/placements/{pid}", headers=me).json()
    assert resumed["item"]["id"] == step["item"]["id"]  # the pending question survives a reload
    assert api.client.get(f"/api/placements/{pid}/result", headers=me).status_code == 409
    n = 0
    while not step["finished"]:
        item = _item(api, step["item"]["id"])
        r = api.client.post(
            f"/api/placements/{pid}/answers", json={"item_id": item.id, "choice": item.answer}, headers=me
        )
        assert r.status_code == 200, r.text
        step, n = r.json(), n + 1
        assert step["last"]["correct"] is True and step["last"]["explanation"]
    assert 5 <= n <= 15 and step["item"] is None
    result = step["result"]
    assert result["n_items"] == n and len(result["domains"]) == 6
    assert api.client.get(f"/api/placements/{pid}/result", headers=me).json() == result
    profile = api.client.get("/api/me", headers=me).json()
    assert [d["domain"] for d in profile["levels"]] == [1, 2, 3, 4, 5, 6]
    assert profile["level"] == result["level"] and profile["active_placement"] is None
    assert profile["recommendations"] and all(r["url"].startswith("/lessons/") for r in profile["recommendations"])


def test_placement_refuses_bad_steps_without_writing_anything(api: Api) -> None:
    learner, me = api.learner()
    step = api.client.post(f"/api/learners/{learner}/placements", json={}, headers=me).json()
    pid, pending = step["placement_id"], step["item"]["id"]
    saved = api.services.store.load_placement(pid).state
    never_asked = next(i.id for i in api.services.learners().bank if i.id != pending)
    r = api.client.post(f"/api/placements/{pid}/answers", json={"item_id": never_asked, "choice": 0}, headers=me)
    assert r.status_code == 409 and "chưa được hỏi" in r.json()["message"]
    r = api.client.post(f"/api/placements/{pid}/answers", json={"item_id": pending, "choice": 99}, headers=me)
    assert r.status_code == 422
    r = api.client.post(f"/api/placements/{pid}/answers", json={"item_id": pending, "choice": -1}, headers=me)
    assert r.status_code == 422
    assert api.services.store.load_placement(pid).state == saved
    bad_domain = api.client.post(f"/api/learners/{learner}/placements", json={"domain": 9}, headers=me)
    assert bad_domain.status_code == 422
    assert api.client.get("/api/placements/khong-co", headers=me).status_code == 404


def test_a_finished_placement_cannot_be_resumed_or_answered(api: Api) -> None:
    learner, me = api.learner()
    step = api.client.post(f"/api/learners/{learner}/placements", json={"domain": 4}, headers=me).json()
    pid = step["placement_id"]
    last_item = None
    while not step["finished"]:
        last_item = step["item"]["id"]
        step = api.client.post(
            f"/api/placements/{pid}/answers", json={"item_id": last_item, "choice": 0}, headers=me
        ).json()
    before = api.services.store.load_placement(pid)
    again = api.client.post(f"/api/placements/{pid}/answers", json={"item_id": last_item, "choice": 0}, headers=me)
    assert again.status_code == 409 and "kết thúc" in again.json()["message"]
    assert api.client.get(f"/api/placements/{pid}", headers=me).json()["finished"] is True
    assert api.services.store.load_placement(pid) == before


def test_practice_answer_moves_the_competence_rating(api: Api) -> None:
    learner, me = api.learner()
    items = api.client.get("/api/lessons/an-toan-ma-otp/practice").json()
    assert items and all("answer" not in i for i in items)
    item = _item(api, items[0]["id"])
    right = api.client.post(
        f"/api/learners/{learner}/practice", json={"item_id": item.id, "choice": item.answer}, headers=me
    )
    assert right.status_code == 200 and right.json()["outcome"]["correct"] is True and right.json()["n"] == 1
    wrong_choice = (item.answer + 1) % len(item.options)
    wrong = api.client.post(
        f"/api/learners/{learner}/practice", json={"item_id": item.id, "choice": wrong_choice}, headers=me
    )
    assert wrong.json()["rating"] < right.json()["rating"] and wrong.json()["n"] == 2
    bad = api.client.post(f"/api/learners/{learner}/practice", json={"item_id": "khong-co", "choice": 0}, headers=me)
    assert bad.status_code == 422


def test_certificate_is_refused_until_the_final_test_is_passed_and_nothing_is_half_written(api: Api) -> None:
    learner, me = api.learner()
    none_yet = api.client.post(f"/api/learners/{learner}/certificate", headers=me)
    assert none_yet.status_code == 403 and "chưa làm bài kiểm tra" in none_yet.json()["message"]
    test = api.client.post(f"/api/learners/{learner}/final-test", headers=me).json()
    ids = [i["id"] for i in test["items"]]
    assert len(ids) == 15 and {i["domain"] for i in test["items"]} == {1, 2, 4}
    wrong = {i: (_item(api, i).answer + 1) % len(_item(api, i).options) for i in ids}
    failed = api.client.post(
        f"/api/learners/{learner}/final-test/{test['attempt_id']}/answers", json={"answers": wrong}, headers=me
    )
    assert failed.status_code == 200 and failed.json()["passed"] is False
    history_before = len(api.services.store.history(learner, limit=None))
    refused = api.client.post(f"/api/learners/{learner}/certificate", headers=me)
    assert refused.status_code == 403 and "Chưa đạt" in refused.json()["message"]
    assert _count(api, "certificates") == 0 and len(api.services.store.history(learner, limit=None)) == history_before
    twice = api.client.post(
        f"/api/learners/{learner}/final-test/{test['attempt_id']}/answers", json={"answers": wrong}, headers=me
    )
    assert twice.status_code == 409
    unknown = api.client.post(f"/api/learners/{learner}/final-test/khong-co/answers", json={"answers": {}}, headers=me)
    assert unknown.status_code == 409
    retry = api.client.post(f"/api/learners/{learner}/final-test", headers=me).json()["attempt_id"]
    path = f"/api/learners/{learner}/final-test/{retry}/answers"
    assert api.client.post(path, json={"answers": {"khong-co": 0}}, headers=me).status_code == 422
    assert api.client.post(path, json={"answers": {}}, headers=me).status_code == 200  # the 422 graded nothing


def test_a_passed_final_test_earns_one_certificate_that_verifies(api: Api) -> None:
    learner, me = api.learner("lao-dong")
    test = api.client.post(f"/api/learners/{learner}/final-test", headers=me).json()
    right = {i["id"]: _item(api, i["id"]).answer for i in test["items"]}
    graded = api.client.post(
        f"/api/learners/{learner}/final-test/{test['attempt_id']}/answers", json={"answers": right}, headers=me
    )
    assert graded.json()["passed"] is True and graded.json()["score"] == 1.0
    cert = api.client.post(f"/api/learners/{learner}/certificate", headers=me)
    assert cert.status_code == 201
    doc = cert.json()
    again = api.client.post(f"/api/learners/{learner}/certificate", headers=me).json()
    assert again == doc and _count(api, "certificates") == 1  # issuing twice returns the same certificate
    verified = api.client.post("/api/certificates/verify", json=doc).json()
    assert verified["valid"] is True and verified["payload"]["group"] == "lao-dong"
    forged = {**doc, "payload": {**doc["payload"], "level": "chuyen-sau"}}
    assert api.client.post("/api/certificates/verify", json=forged).json()["valid"] is False
    pem = api.client.get("/api/certificates/public-key").text
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert api.client.get(f"/api/learners/{learner}/certificates", headers=me).json() == [doc]
