"""`tutor quiz calibrate | dif | apply | versions`: calibrate → review → apply on a real store; every error is one
Vietnamese line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from tutor.cli import app
from tutor.config import Settings
from tutor.learner.bank_store import QuizBankStore
from tutor.learner.placement import PlacementState, rasch_p
from tutor.learner.quizbank import load_quiz_bank
from tutor.learner.service import LearnerService
from tutor.learner.store import LearnerStore
from tutor.types import Group

pytest.importorskip("mirt")
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(ROOT / "corpus"))
    return Settings(data_dir=tmp_path / "data", corpus_dir=ROOT / "corpus")


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    assert lines[0].startswith("Lỗi: ")
    return lines[0]


def _fill(settings: Settings, learners: int = 150, items: int = 24) -> None:
    """Learners answer the same 24 domain-4 items (stored as finished placements): enough to calibrate them."""
    bank = [i for i in load_quiz_bank(settings.quiz_dir) if i.domain == 4][:items]
    rng = np.random.default_rng(4)
    store = LearnerStore(settings.learner_url)
    try:
        for k in range(learners):
            learner = store.create_learner(list(Group)[k % 4], consent=True)
            theta = rng.normal(0.0, 1.5)
            answers = tuple(bool(rng.random() < rasch_p(theta, i.difficulty + 0.5)) for i in bank)
            store.start_placement(learner.id, PlacementState(learner.group, 4, tuple(i.id for i in bank), answers))
    finally:
        store.close()


def test_calibrate_review_apply_then_new_placements_use_the_new_version(env: Settings, tmp_path: Path) -> None:
    _fill(env)
    proposal = tmp_path / "proposal.json"
    r = runner.invoke(app, ["quiz", "calibrate", "--out", str(proposal), "--min-answers", "100"])
    assert r.exit_code == 0, r.output
    bank_size = len(load_quiz_bank(env.quiz_dir))
    assert f"Đề xuất: đổi độ khó 24/{bank_size} câu" in r.stdout and proposal.with_suffix(".md").is_file()
    doc = json.loads(proposal.read_text(encoding="utf-8"))
    changed = [i for i in doc["items"] if i["apply"]]
    assert len(changed) == 24 and all(i["n"] == 150 and i["se"] > 0 for i in changed)
    # Every item the 150 learners never saw (all but the 24) is flagged for review.
    assert sum("never-shown" in i["flags"] for i in doc["items"]) == bank_size - 24
    # Nothing changed yet: the operator reviews, switches one item off, then applies.
    store = LearnerStore(env.learner_url)
    assert QuizBankStore(store.engine).current_id() == 0
    changed[0]["apply"] = False
    proposal.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(app, ["quiz", "apply", str(proposal), "--note", "đợt 1"])
    assert r.exit_code == 0, r.output
    assert "phiên bản 1 (đổi 23 câu)" in r.stdout
    versions = QuizBankStore(store.engine)
    version = versions.version(1)
    assert version.n_changed == 23 and version.note == "đợt 1" and len(version.difficulties) == bank_size
    assert version.difficulties[changed[1]["id"]] == pytest.approx(changed[1]["proposed"])
    assert version.difficulties[changed[0]["id"]] == pytest.approx(changed[0]["current"])
    lessons: dict = {}
    service = LearnerService(store, load_quiz_bank(env.quiz_dir), lessons, tmp_path / "k.pem", versions)
    learner = store.create_learner(Group.CONG_CHUC, consent=True)
    step = service.start_placement(learner.id)
    assert store.load_placement(step.placement_id).state.bank_version == 1
    store.close()
    # The same proposal again: it was calibrated on version 0, the bank is now at version 1.
    line = _one_error_line(runner.invoke(app, ["quiz", "apply", str(proposal)]).output)
    assert "chạy lại `tutor quiz calibrate`" in line
    listed = runner.invoke(app, ["quiz", "versions"])
    assert listed.exit_code == 0 and "đợt 1" in listed.stdout


def test_dif_runs_on_the_bank_in_use(env: Settings) -> None:
    _fill(env, learners=120)
    r = runner.invoke(app, ["quiz", "dif"])
    assert r.exit_code == 0, r.output
    assert "Công bằng" in r.stdout or "DIF" in r.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "Không có tệp đề xuất"),
        ("{not json", "không phải JSON hợp lệ"),
        ('{"kind": "something-else"}', "không phải đề xuất hiệu chỉnh"),
        ('{"kind": "tutor-quiz-calibration", "format": 1, "items": "x"}', "bị hỏng"),
    ],
)
def test_a_bad_proposal_file_is_one_vietnamese_line(
    env: Settings, tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "p.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    r = runner.invoke(app, ["quiz", "apply", str(path)])
    assert r.exit_code == 2
    assert expected in _one_error_line(r.output)


def test_calibrating_an_empty_store_is_one_vietnamese_line(env: Settings) -> None:
    for command in (["quiz", "calibrate"], ["quiz", "dif"]):
        r = runner.invoke(app, command)
        assert r.exit_code == 2
        assert "chưa có câu trả lời nào" in _one_error_line(r.output)


def test_a_proposal_that_changes_nothing_is_refused(env: Settings, tmp_path: Path) -> None:
    _fill(env, learners=60)
    proposal = tmp_path / "p.json"
    assert runner.invoke(app, ["quiz", "calibrate", "--out", str(proposal), "--min-answers", "1000"]).exit_code == 0
    r = runner.invoke(app, ["quiz", "apply", str(proposal)])
    assert r.exit_code == 2 and "không có gì để áp dụng" in _one_error_line(r.output)
