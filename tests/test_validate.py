"""`tutor corpus validate`: the shipped corpus passes; every kind of problem is reported with file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.gold import gold_item
from tutor.cli import app
from tutor.cli.validate import validate_corpus

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_shipped_corpus_quiz_and_gold_set_validate(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(ROOT / "corpus"))
    r = runner.invoke(app, ["corpus", "validate"])
    assert r.exit_code == 0, r.output
    assert "Hợp lệ" in r.output
    # Every gold set is checked, not only the first.
    assert all(name in r.output for name in ("gold_vi.jsonl", "gold2_vi.jsonl", "gold3_vi.jsonl")), r.output


def test_a_gold_set_that_does_not_exist_is_named_in_one_vietnamese_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(ROOT / "corpus"))
    r = runner.invoke(app, ["corpus", "validate", "--gold", "/khong-co/gold.jsonl"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "Không đọc được" in r.output and "/khong-co/gold.jsonl" in r.output


def _gold_line(**over: Any) -> str:
    """A valid gold item about the Wi-Fi lesson, as one JSONL line."""
    return json.dumps(
        gold_item("g1", **{"gold": {"lesson": "bat-wifi", "section": "co-ban"}, **over}), ensure_ascii=False
    )


def test_every_problem_is_reported_with_its_file_and_line(corpus_dir: Path, tmp_path: Path):
    lesson = corpus_dir / "lessons" / "bat-wifi.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("## Từ khó", "## Ghi chú"), encoding="utf-8")
    bad = corpus_dir / "lessons" / "an-toan-otp.md"
    bad.write_text(bad.read_text(encoding="utf-8").replace("domain: 4", "domain: bốn"), encoding="utf-8")
    quiz = corpus_dir / "quiz"
    quiz.mkdir()
    (quiz / "bat-wifi.yaml").write_text(
        "lesson: bat-wifi\nitems:\n  - id: q1\n    stem: Bật Wi-Fi ở đâu?\n    options: [a, b]\n    answer: 5\n"
        "    explanation: x\n    competence: '5.1'\n    level: co-ban\n    difficulty: -1\n",
        encoding="utf-8",
    )
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "\n".join(
            [
                _gold_line(),
                "{not json",
                _gold_line(),  # duplicate id
                _gold_line(id="g2", gold={"lesson": "bat-wifi", "section": "cac-buoc"}),
                _gold_line(id="g3", gold={"lesson": "khong-co", "section": "co-ban"}),
                _gold_line(id="g4", level="sieu-cap"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = validate_corpus(corpus_dir, [gold])
    text = "\n".join(report.problems)
    assert not report.ok
    assert "bat-wifi.md:" in text and "tu-kho" in text and "Ghi chú" in text
    assert "an-toan-otp.md:2:" in text and "domain" in text
    assert "bat-wifi.yaml:" in text
    assert "vneid-muc-2.yaml:1:" in text  # a lesson with no quiz at all
    for line, needle in [(2, "JSON"), (3, "trùng"), (4, "cac-buoc"), (5, "khong-co"), (6, "level")]:
        assert any(p.startswith(f"{gold}:{line}:") and needle in p for p in report.problems), (line, text)


def test_cli_exits_nonzero_and_lists_problems(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(_gold_line(id="g9", type="fact", answerable=False) + "\n", encoding="utf-8")
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(corpus_dir))
    r = runner.invoke(app, ["corpus", "validate", "--gold", str(gold)])
    assert r.exit_code == 1
    assert f"{gold}:1:" in r.output and "lỗi" in r.output


def test_an_answer_span_whose_anchor_no_longer_matches_its_lesson_is_reported(tmp_path: Path):
    # The shipped corpus, with one lesson line reworded and its answer-span file left as it was.
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    lesson = corpus / "lessons" / "dien-thoai-khoa-man-hinh.md"
    text = lesson.read_text(encoding="utf-8")
    assert "Khóa màn hình giống khóa cửa nhà." in text
    lesson.write_text(text.replace("Khóa màn hình giống khóa cửa nhà.", "Khóa màn hình như ổ khóa."), encoding="utf-8")
    report = validate_corpus(corpus)
    assert not report.ok
    assert any("dien-thoai-khoa-man-hinh.yaml" in p and "Khóa màn hình giống khóa" in p for p in report.problems)
    assert validate_corpus(ROOT / "corpus").ok
