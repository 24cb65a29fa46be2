"""What the learner pages read: the chosen display name, competences in words, the placement counted as a test,
the role behind a code, Markdown lessons rendered and sanitised, and /readyz with the circuit breaker."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import REPLY, Api, MakeApi
from tutor.api.markdown_html import plain_text, render_markdown
from tutor.llm.breaker import CircuitBreaker
from tutor.llm.resilience import ResilientChatModel
from tutor.llm.scripted import ScriptedChatModel


def test_a_trainer_enrols_a_learner_with_the_name_they_want_to_be_called(api: Api) -> None:
    r = api.client.post(
        "/api/learners", json={"group": "nguoi-dan", "consent": True, "display_name": " Bác  Lan "},
        headers=api.token("trainer"),
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["learner"]["display_name"] == "Bác Lan"
    me = {"Authorization": f"Bearer {r.json()['token']}"}
    assert api.client.get("/api/me", headers=me).json()["learner"]["display_name"] == "Bác Lan"


def test_a_learner_sets_changes_and_clears_their_display_name(api: Api) -> None:
    _, me = api.learner()
    assert api.client.get("/api/me", headers=me).json()["learner"]["display_name"] is None
    named = api.client.patch("/api/me", json={"display_name": "Anh Minh"}, headers=me)
    assert named.status_code == 200 and named.json()["learner"]["display_name"] == "Anh Minh"
    assert api.client.get("/api/whoami", headers=me).json()["display_name"] == "Anh Minh"
    cleared = api.client.patch("/api/me", json={"display_name": ""}, headers=me)
    assert cleared.json()["learner"]["display_name"] is None


@pytest.mark.parametrize("bad", ["Lan 0912345678", "lan@example.com", "L"])
def test_a_display_name_may_not_carry_a_phone_number_or_email(api: Api, bad: str) -> None:
    _, me = api.learner()
    r = api.client.patch("/api/me", json={"display_name": bad}, headers=me)
    assert r.status_code == 422 and "Tên gọi" in r.json()["message"]


def test_whoami_tells_the_role_so_pages_show_the_right_menu(api: Api) -> None:
    learner, me = api.learner()
    assert api.client.get("/api/whoami", headers=me).json() == {
        "role": "learner", "role_label": "học viên", "learner_id": learner, "display_name": None,
    }  # fmt: skip
    assert api.client.get("/api/whoami", headers=api.token("trainer")).json()["role"] == "trainer"
    assert api.client.get("/api/whoami").status_code == 401
    assert api.client.get("/api/whoami", headers={"Authorization": "Bearer tutor_gia"}).status_code == 401


def _place(api: Api, learner: str, me: dict[str, str]) -> None:
    key = {item.id: item.answer for item in api.services.learners().bank}
    step = api.client.post(f"/api/learners/{learner}/placements", json={}, headers=me).json()
    while not step["finished"]:
        item = step["item"]
        answer = {"item_id": item["id"], "choice": key[item["id"]]}
        step = api.client.post(f"/api/placements/{step['placement_id']}/answers", json=answer, headers=me).json()


def test_after_the_placement_the_profile_counts_it_and_speaks_in_words(api: Api) -> None:
    learner, me = api.learner()
    before = api.client.get("/api/me", headers=me).json()
    assert before["tests"] == {"placements": 0, "last_placement_at": None, "final_tests": 0, "final_passed": None}
    _place(api, learner, me)
    after = api.client.get("/api/me", headers=me).json()
    assert after["tests"]["placements"] == 1 and after["tests"]["last_placement_at"]
    for rec in after["recommendations"]:
        assert "chưa làm bài kiểm tra" not in rec["reason"] and "theo bài xếp lớp" in rec["reason"]
        assert not re.search(r"năng lực \d\.\d|\b\d\.\d\b", rec["reason"]), rec["reason"]
        assert rec["competence_name"] and rec["competence_name"] in rec["reason"]


def test_the_final_test_is_counted_once_graded(api: Api) -> None:
    learner, me = api.learner()
    attempt = api.client.post(f"/api/learners/{learner}/final-test", headers=me).json()
    answers = {item["id"]: 0 for item in attempt["items"]}
    done = api.client.post(
        f"/api/learners/{learner}/final-test/{attempt['attempt_id']}/answers", json={"answers": answers}, headers=me
    ).json()
    tests = api.client.get("/api/me", headers=me).json()["tests"]
    assert tests["final_tests"] == 1 and tests["final_passed"] is done["passed"]


def test_every_page_the_progress_page_links_to_exists(api: Api) -> None:
    for path in ("/final-test", "/placement", "/progress", "/lessons"):
        r = api.client.get(path)
        assert r.status_code == 200 and "<script>" not in r.text, path  # a real page, with no inline script
    assert "/final-test" in api.client.get("/static/progress.js").text


# -- lessons as lessons -------------------------------------------------------------------------------------------


def test_every_lesson_page_shows_markdown_rendered_never_raw(api: Api) -> None:
    for lesson_id in api.services.runtime.lessons:
        html = api.client.get(f"/lessons/{lesson_id}").text
        assert "**" not in html and "\n- " not in html, lesson_id
        assert html.count('class="listen') == len(api.services.runtime.lessons[lesson_id].sections)
    otp = api.client.get("/lessons/an-toan-ma-otp").text
    assert "<ul>" in otp and "<li>" in otp and "<strong>" in api.client.get("/lessons/bao-ve-du-lieu-ca-nhan").text


def test_markdown_is_sanitised_and_headings_stay_below_the_page_title() -> None:
    html = str(render_markdown("# Tiêu đề\n\n<script>alert(1)</script> [bấm](javascript:alert(1)) <img onerror=y>"))
    assert "<script" not in html and 'href="javascript:' not in html and "<img" not in html  # shown as text only
    assert "&lt;script&gt;" in html
    assert "<h3>Tiêu đề</h3>" in html and "<h1>" not in html
    assert str(render_markdown("[Cổng](https://dichvucong.gov.vn)")).count('rel="noopener noreferrer"') == 1
    assert plain_text("- **Một**: mở app\n- Hai [link](https://x.vn)") == "Một: mở app\nHai link"


# -- readiness and the circuit breaker ----------------------------------------------------------------------------


def test_readyz_reports_an_open_breaker_in_plain_words_and_details_to_operators(make_api: MakeApi) -> None:
    model = ResilientChatModel(ScriptedChatModel(REPLY, fail_after=0), breaker=CircuitBreaker(1, 60))
    api = make_api(model)
    assert api.client.get("/readyz").json()["llm"]["breaker"] == "closed"
    api.client.post("/api/chat", json={"question": "mã OTP"})  # the model fails once: the breaker opens
    public = api.client.get("/readyz")
    assert public.status_code == 503
    body = public.json()
    assert body["status"] == "not-ready" and body["llm"]["breaker"] == "open" and body["lessons"] is None
    assert "tạm ngừng gọi" in body["reasons"][0] and "scripted" not in str(body)
    ops = api.client.get("/readyz", headers=api.token("operator")).json()
    assert "scripted" in ops["llm"]["detail"] and ops["lessons"] == len(api.services.runtime.lessons)
    # A learner's or trainer's token sees what anyone sees.
    assert api.client.get("/readyz", headers=api.token("trainer")).json() == body


def test_public_readyz_names_no_file_version_or_schema(api: Api) -> None:
    body = api.client.get("/readyz").json()
    text = str(body)
    assert body["status"] == "ready" and body["reasons"] == []
    assert not re.search(r"v-\d|\.gguf|000\d|sqlite|hash-|built|embedder", text), text
