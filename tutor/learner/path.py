"""Learning path: recommend unfinished lessons that train the learner's weakest competences, with a reason."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tutor.learner.competences import competence_name
from tutor.learner.quizbank import QuizItem, competence_domain
from tutor.types import Level

#: A lesson is finished when at least this share of its quiz items was last answered correctly.
FINISHED_SHARE = 0.8

#: Domain names of Thông tư 02/2025/TT-BGDĐT, used in the reasons shown to learners.
DOMAIN_NAMES: dict[int, str] = {
    1: "Khai thác dữ liệu và thông tin",
    2: "Giao tiếp và hợp tác",
    3: "Sáng tạo nội dung số",
    4: "An toàn",
    5: "Giải quyết vấn đề",
    6: "Ứng dụng trí tuệ nhân tạo",
}


@dataclass(frozen=True)
class Recommendation:
    lesson_id: str
    #: The weakest of the lesson's competences, which the recommendation is about.
    competence: str
    rating: float
    #: Share of the lesson's quiz items answered correctly (latest answer), None when never tried.
    progress: float | None
    #: Why this lesson, in Vietnamese, for the learner.
    reason: str


def lesson_progress(items: Iterable[QuizItem], latest: Mapping[str, bool]) -> dict[str, float]:
    """lesson id -> share of its quiz items whose latest answer was correct; lessons never tried are left out."""
    total: dict[str, int] = defaultdict(int)
    right: dict[str, int] = defaultdict(int)
    tried: set[str] = set()
    for item in items:
        total[item.lesson_id] += 1
        if item.id in latest:
            tried.add(item.lesson_id)
            right[item.lesson_id] += int(latest[item.id])
    return {lesson: right[lesson] / total[lesson] for lesson in tried}


def _domain(competence: str) -> int | None:
    try:
        return competence_domain(competence)
    except ValueError:
        return None


def is_finished(progress: float | None, threshold: float = FINISHED_SHARE) -> bool:
    return progress is not None and progress >= threshold - 1e-9


def _reason(competence: str, known: bool, progress: float | None, placed: Level | None) -> str:
    """Why this lesson, in words: the skill by name (never "năng lực 4.2"), and what the learner has done."""
    what = f"«{competence_name(competence)}»"
    domain = _domain(competence)
    if domain in DOMAIN_NAMES:
        what += f" (lĩnh vực {DOMAIN_NAMES[domain]})"
    if known:
        why = f"Bài này luyện {what}, phần bạn còn yếu nhất qua các câu đã làm."
    elif placed is not None:
        why = f"Bài này luyện {what}; theo bài xếp lớp, lĩnh vực này của bạn ở mức {placed.label}."
    else:
        why = f"Bài này luyện {what}; bạn chưa làm câu hỏi nào về phần này."
    if progress is None:
        return f"{why} Bạn chưa làm câu hỏi của bài này."
    return f"{why} Bạn mới làm đúng {round(progress * 100)}% câu hỏi; cần 80% để hoàn thành bài."


def recommend_lessons(
    lessons: Mapping[str, Sequence[str]],
    skills: Mapping[str, float],
    progress: Mapping[str, float],
    *,
    limit: int = 5,
    default_rating: float = 0.0,
    lesson_levels: Mapping[str, Sequence[Level | str]] | None = None,
    level: Level | str | None = None,
    domain_levels: Mapping[int, Level] | None = None,
) -> list[Recommendation]:
    """Unfinished lessons, weakest competence first.

    `lessons`: lesson id -> competence codes. `skills`: competence -> rating (logits; lower is weaker);
    a competence without a rating counts as `default_rating` (pass the learner's placement ability).
    `progress`: lesson id -> share correct (see `lesson_progress`); lessons at >= 80% are skipped.
    With `lesson_levels` and `level`, lessons that do not cover the learner's level go after the others.
    `domain_levels` (domain -> level placed) lets a reason say what the placement found.
    Ties go to lessons already started (finish what you began), then to the lesson id.
    """
    wanted = Level(level) if level is not None else None
    ranked: list[tuple[tuple[int, float, int, str], Recommendation]] = []
    for lesson_id, competences in lessons.items():
        done = progress.get(lesson_id)
        if is_finished(done) or not competences:
            continue
        rated = [(skills.get(c, default_rating), c not in skills, c) for c in competences]
        rating, unknown, competence = min(rated, key=lambda t: (t[0], t[1], t[2]))
        off_level = 0
        if wanted is not None and lesson_levels is not None:
            levels = {Level(v) for v in lesson_levels.get(lesson_id, ())}
            off_level = int(bool(levels) and wanted not in levels)
        started = 0 if done is not None else 1
        domain = _domain(competence)
        placed = (domain_levels or {}).get(domain) if domain is not None else None
        rec = Recommendation(lesson_id, competence, rating, done, _reason(competence, not unknown, done, placed))
        ranked.append(((off_level, rating, started, lesson_id), rec))
    ranked.sort(key=lambda t: t[0])
    return [rec for _, rec in ranked[: max(0, limit)]]
