"""Load and validate the quiz bank corpus/quiz/<lesson>.yaml into frozen QuizItem values, with file:line errors."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tutor.corpus.schema import COMPETENCES
from tutor.errors import CorpusError
from tutor.types import Lesson, Level

#: Items a lesson's quiz must have (corpus/FORMAT.md).
MIN_ITEMS_PER_LESSON = 5
#: Difficulties are logits; outside this range an expert value is almost surely a typo.
DIFFICULTY_RANGE = (-4.0, 4.0)
_LEVELS = ", ".join(level.value for level in Level)

# libyaml when available: the service and the scope gate load every item at start-up (474 took 1.5 s in pure Python).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class QuizItem:
    """One multiple-choice question. `difficulty` is the Rasch b parameter in logits."""

    id: str
    lesson_id: str
    stem: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    competence: str
    domain: int
    level: Level
    difficulty: float

    def is_correct(self, choice: int) -> bool:
        return choice == self.answer


def competence_domain(code: str) -> int:
    """`"4.2"` -> 4; raises ValueError for a code that is not in Thông tư 02/2025/TT-BGDĐT."""
    m = re.fullmatch(r"([1-6])\.([1-9])", code)
    if not m or int(m.group(2)) > COMPETENCES[int(m.group(1))]:
        raise ValueError(f"mã năng lực không có trong khung: {code!r} (ví dụ hợp lệ: '4.2')")
    return int(m.group(1))


class QuizItemModel(BaseModel):
    """The schema of one item as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    stem: str = Field(min_length=3)
    options: list[str] = Field(min_length=2)
    answer: int
    explanation: str = Field(min_length=1)
    competence: str
    level: str
    difficulty: float

    @field_validator("competence", mode="before")
    @classmethod
    def _competence_as_text(cls, v: object) -> object:
        # YAML reads an unquoted 4.2 as a float; the code is a label.
        return str(v) if isinstance(v, int | float) else v

    @field_validator("options", mode="before")
    @classmethod
    def _options_as_text(cls, v: object) -> object:
        return [str(x) if isinstance(x, int | float) else x for x in v] if isinstance(v, list) else v

    @field_validator("competence")
    @classmethod
    def _competence_code(cls, v: str) -> str:
        competence_domain(v)
        return v

    @field_validator("level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v not in {level.value for level in Level}:
            raise ValueError(f"trình độ {v!r} không hợp lệ (dùng một trong: {_LEVELS})")
        return v

    @field_validator("difficulty")
    @classmethod
    def _difficulty(cls, v: float) -> float:
        lo, hi = DIFFICULTY_RANGE
        if not lo <= v <= hi:
            raise ValueError(f"độ khó {v} nằm ngoài [{lo:g}, {hi:g}] logit")
        return v


class QuizFileModel(BaseModel):
    """The top level of a quiz file; items are checked one by one so every problem gets its own line."""

    model_config = ConfigDict(extra="forbid")

    lesson: str = Field(min_length=1)
    items: list[dict[str, Any]]


def _node_line(root: yaml.Node | None, loc: Sequence[str | int]) -> int:
    """1-based line of the deepest node along `loc` (keys and list indexes) in a composed YAML tree."""
    node = root
    line = (root.start_mark.line + 1) if root is not None else 1
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if child is not None:
                key_node = next(k for k, v in node.value if v is child)
                line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _pydantic_message(err: Mapping[str, Any]) -> str:
    field = ".".join(str(p) for p in err["loc"]) or "câu hỏi"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"thiếu trường '{field}'"
    if err["type"] == "extra_forbidden":
        return f"trường lạ '{field}' (xem corpus/FORMAT.md)"
    return f"trường '{field}': {msg}"


@dataclass
class _FileResult:
    items: list[QuizItem]
    lesson: str | None
    problems: list[str]
    item_lines: dict[str, int]
    raw_count: int = 0


def _read_file(path: Path) -> _FileResult:
    """Parse one quiz file, collecting every schema problem as 'path:line: message'."""
    problems: list[str] = []
    out = _FileResult(items=[], lesson=None, problems=problems, item_lines={})
    try:
        text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}:1: không đọc được tệp ({exc}); lưu lại bằng UTF-8")
        return out
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, the C one when libyaml is there
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problems.append(f"{path}:{line}: YAML không hợp lệ: {exc}")
        return out
    try:
        top = QuizFileModel.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(f"{path}:{_node_line(root, err['loc'])}: {_pydantic_message(err)}")
        return out
    out.lesson = top.lesson
    out.raw_count = len(top.items)
    for i, raw in enumerate(top.items):
        item_line = _node_line(root, ("items", i))
        try:
            model = QuizItemModel.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                line = _node_line(root, ("items", i, *err["loc"]))
                problems.append(f"{path}:{line}: câu {raw.get('id', i + 1)}: {_pydantic_message(err)}")
            continue
        if not 0 <= model.answer < len(model.options):
            line = _node_line(root, ("items", i, "answer"))
            problems.append(
                f"{path}:{line}: câu {model.id}: answer={model.answer} nằm ngoài danh sách "
                f"{len(model.options)} phương án (đánh số từ 0)"
            )
            continue
        out.item_lines[model.id] = item_line
        out.items.append(
            QuizItem(
                id=model.id,
                lesson_id=top.lesson,
                stem=model.stem,
                options=tuple(model.options),
                answer=model.answer,
                explanation=model.explanation,
                competence=model.competence,
                domain=competence_domain(model.competence),
                level=Level(model.level),
                difficulty=float(model.difficulty),
            )
        )
    return out


def quiz_files(quiz_dir: Path) -> list[Path]:
    if not quiz_dir.is_dir():
        raise CorpusError(f"Không tìm thấy thư mục câu hỏi {quiz_dir}. Đặt TUTOR_CORPUS_DIR tới thư mục chứa quiz/.")
    return sorted(quiz_dir.glob("*.yaml"))


def _check(quiz_dir: Path, lesson_competences: Mapping[str, Iterable[str]] | None) -> tuple[list[QuizItem], list[str]]:
    items: list[QuizItem] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in quiz_files(quiz_dir):
        res = _read_file(path)
        problems.extend(res.problems)
        if res.lesson is None:
            continue
        if res.lesson != path.stem:
            problems.append(f"{path}:1: lesson '{res.lesson}' phải trùng tên tệp '{path.stem}'")
        known = None if lesson_competences is None else lesson_competences.get(res.lesson)
        if lesson_competences is not None and known is None:
            problems.append(f"{path}:1: bài học '{res.lesson}' không có trong corpus/lessons/")
        if res.raw_count < MIN_ITEMS_PER_LESSON:
            problems.append(f"{path}:1: chỉ có {res.raw_count} câu hỏi, cần ít nhất {MIN_ITEMS_PER_LESSON}")
        allowed = set(known) if known is not None else None
        for item in res.items:
            line = res.item_lines[item.id]
            if item.id in seen:
                problems.append(f"{path}:{line}: id '{item.id}' bị trùng (đã có ở {seen[item.id]})")
                continue
            seen[item.id] = f"{path}:{line}"
            if allowed is not None and item.competence not in allowed:
                problems.append(
                    f"{path}:{line}: câu {item.id}: năng lực {item.competence} không thuộc bài học "
                    f"(bài học có: {', '.join(sorted(allowed))})"
                )
            items.append(item)
    return items, sorted(problems, key=_problem_order)


def _problem_order(problem: str) -> tuple[str, int]:
    m = re.match(r"^(.*?):(\d+): ", problem)
    return (m.group(1), int(m.group(2))) if m else (problem, 0)


def validate_quiz_dir(quiz_dir: Path, lesson_competences: Mapping[str, Iterable[str]]) -> list[str]:
    """Every problem of the quiz bank as 'path:line: message'; an empty list means the bank is valid."""
    try:
        return _check(quiz_dir, lesson_competences)[1]
    except CorpusError as exc:
        return [str(exc)]


def load_quiz_bank(quiz_dir: Path, lesson_competences: Mapping[str, Iterable[str]] | None = None) -> list[QuizItem]:
    """Load every item, sorted by file then position; any problem raises CorpusError naming file and line."""
    items, problems = _check(quiz_dir, lesson_competences)
    if problems:
        more = f" (và {len(problems) - 1} lỗi khác; chạy `tutor corpus validate`)" if len(problems) > 1 else ""
        raise CorpusError(f"{problems[0]}{more}")
    if not items:
        raise CorpusError(f"Thư mục {quiz_dir} chưa có câu hỏi (*.yaml) nào.")
    return items


def lesson_competences(lessons: Iterable[Lesson]) -> dict[str, set[str]]:
    """lesson id -> its competence codes, the shape validate_quiz_dir and the path recommender take."""
    return {lesson.id: set(lesson.competences) for lesson in lessons}


def items_by_id(items: Iterable[QuizItem]) -> dict[str, QuizItem]:
    return {item.id: item for item in items}
