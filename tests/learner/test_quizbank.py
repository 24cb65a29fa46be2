"""Quiz bank: the real bank loads and validates; every kind of mistake is reported with its file and line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tutor.corpus.load import load_lessons
from tutor.corpus.schema import COMPETENCES
from tutor.errors import CorpusError
from tutor.learner.quizbank import QuizItem, lesson_competences, load_quiz_bank, validate_quiz_dir
from tutor.types import Level

from .conftest import REAL_QUIZ_DIR, ROOT


def _item(n: int, lesson: str = "otp", **over: object) -> str:
    fields: dict[str, object] = {
        "id": f"{lesson}-q{n}",
        "stem": f"Câu hỏi số {n} về mã OTP?",
        "answer": 1,
        "explanation": "Vì mã OTP là bí mật.",
        "competence": "'4.2'",
        "level": "co-ban",
        "difficulty": -1.0,
    }
    fields.update(over)
    lines = [f"  - id: {fields.pop('id')}", f'    stem: "{fields.pop("stem")}"']
    lines += ["    options:", "      - Đọc cho người gọi", "      - Không đọc cho ai", "      - Gửi qua Zalo"]
    lines += [f"    {k}: {v}" for k, v in fields.items()]
    return "\n".join(lines)


def _write(quiz_dir: Path, lesson: str, items: list[str]) -> Path:
    quiz_dir.mkdir(parents=True, exist_ok=True)
    path = quiz_dir / f"{lesson}.yaml"
    path.write_text(f"lesson: {lesson}\nitems:\n" + "\n".join(items) + "\n", encoding="utf-8")
    return path


def _line_of(path: Path, needle: str, after: int = 0) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if i + 1 > after and needle in line)


def test_real_bank_loads_with_domains_from_competences(real_bank: list[QuizItem]) -> None:
    assert len(real_bank) >= 300
    assert len({i.id for i in real_bank}) == len(real_bank)
    assert all(i.domain == int(i.competence.split(".")[0]) for i in real_bank)
    assert all(0 <= i.answer < len(i.options) and -4 <= i.difficulty <= 4 for i in real_bank)
    assert set(Counter(i.domain for i in real_bank)) == {1, 2, 3, 4, 5, 6}


def test_real_bank_covers_every_competence_and_every_level_in_every_domain(real_bank: list[QuizItem]) -> None:
    framework = {f"{d}.{c}" for d, n in COMPETENCES.items() for c in range(1, n + 1)}
    assert {i.competence for i in real_bank} == framework
    for domain in range(1, 7):
        levels = Counter(i.level for i in real_bank if i.domain == domain)
        # A placement restricted to one domain can only tell levels apart with items around every cut.
        assert set(levels) == set(Level) and min(levels.values()) >= 7, (domain, levels)


def test_real_bank_is_valid_against_the_real_lessons() -> None:
    lessons = load_lessons(ROOT / "corpus" / "lessons")
    assert validate_quiz_dir(REAL_QUIZ_DIR, lesson_competences(lessons)) == []


def test_every_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    quiz = tmp_path / "quiz"
    good = _write(quiz, "otp", [_item(k) for k in range(1, 6)])
    bad = _write(
        quiz,
        "wifi",
        [
            _item(1, "wifi", answer=7),
            _item(2, "wifi", competence="'2.6'"),
            _item(3, "wifi", difficulty=5.5),
            _item(4, "wifi", level="so-cap"),
            _item(1, "otp"),  # same id as in otp.yaml
        ],
    )
    few = _write(quiz, "lac-loai", [_item(1, "lac-loai")])
    problems = validate_quiz_dir(quiz, {"otp": {"4.2"}, "wifi": {"4.1", "4.2"}})
    expected = [
        f"{bad}:{_line_of(bad, 'answer: 7')}: câu wifi-q1: answer=7",
        f"{bad}:{_line_of(bad, 'id: wifi-q2')}: câu wifi-q2: năng lực 2.6 không thuộc bài học",
        f"{bad}:{_line_of(bad, 'difficulty: 5.5')}: câu wifi-q3: trường 'difficulty': độ khó 5.5 nằm ngoài",
        f"{bad}:{_line_of(bad, 'level: so-cap')}: câu wifi-q4: trường 'level': trình độ 'so-cap' không hợp lệ",
        f"{bad}:{_line_of(bad, 'id: otp-q1')}: id 'otp-q1' bị trùng (đã có ở {good}:",
        f"{few}:1: bài học 'lac-loai' không có trong corpus/lessons/",
        f"{few}:1: chỉ có 1 câu hỏi, cần ít nhất 5",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected), problems


def test_missing_and_unknown_fields_are_named(tmp_path: Path) -> None:
    quiz = tmp_path / "quiz"
    items = [_item(k) for k in range(1, 5)] + [_item(5).replace("    explanation: Vì mã OTP là bí mật.\n", "")]
    items[0] = items[0] + "\n    hint: gợi ý"
    path = _write(quiz, "otp", items)
    problems = validate_quiz_dir(quiz, {"otp": {"4.2"}})
    assert any(p.startswith(f"{path}:{_line_of(path, 'hint:')}:") and "trường lạ 'hint'" in p for p in problems)
    assert any(p.startswith(f"{path}:{_line_of(path, 'id: otp-q5')}:") and "thiếu trường 'explanation'" in p
               for p in problems)  # fmt: skip


def test_load_raises_corpus_error_naming_file_and_line(tmp_path: Path) -> None:
    quiz = tmp_path / "quiz"
    path = _write(quiz, "otp", [_item(k) for k in range(1, 5)] + [_item(5, answer=3)])
    with pytest.raises(CorpusError) as err:
        load_quiz_bank(quiz)
    assert str(err.value).startswith(f"{path}:{_line_of(path, 'answer: 3')}:")
    assert err.value.exit_code == 3


def test_broken_yaml_reports_its_line(tmp_path: Path) -> None:
    quiz = tmp_path / "quiz"
    quiz.mkdir()
    path = quiz / "otp.yaml"
    path.write_text("lesson: otp\nitems:\n  - id: otp-q1\n    stem: [chưa đóng\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"^{path}:\d+: YAML không hợp lệ"):
        load_quiz_bank(quiz)


def test_unquoted_competence_and_levels_are_parsed(tmp_path: Path) -> None:
    quiz = tmp_path / "quiz"
    _write(quiz, "otp", [_item(k, competence="4.2", level="trung-cap") for k in range(1, 6)])
    items = load_quiz_bank(quiz, {"otp": {"4.2"}})
    assert [i.competence for i in items] == ["4.2"] * 5
    assert items[0].domain == 4 and items[0].level is Level.TRUNG_CAP
    assert items[0].options[1] == "Không đọc cho ai" and items[0].is_correct(1)


def test_missing_quiz_directory_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError):
        load_quiz_bank(tmp_path / "khong-co")
    assert validate_quiz_dir(tmp_path / "khong-co", {}) != []
