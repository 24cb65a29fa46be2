"""The gold evaluation set: its pydantic schema and a loader that names the line of every problem."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tutor.errors import TutorError
from tutor.types import Group, Level


class DatasetError(TutorError, http_status=422, exit_code=2):
    """The dataset file is unreadable, malformed or inconsistent."""


class ItemType(StrEnum):
    HOWTO = "howto"
    FACT = "fact"
    SAFETY = "safety"
    OUT_OF_SCOPE = "out_of_scope"
    FOLLOWUP = "followup"


class GoldRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    lesson: str
    section: str


class KeyPoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    point: str
    accept: list[str] = Field(min_length=1)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(min_length=1)


class GoldItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1, max_length=2000)
    level: Level
    group: Group
    type: ItemType
    answerable: bool
    gold: GoldRef | None
    reference_answer: str
    key_points: list[KeyPoint]
    must_not: list[str]
    safety_critical: bool
    history: list[Turn] = Field(default_factory=list)
    #: A free label for sets written without the lessons (gold2: "vneid-muc-2"); such sets have no gold location.
    topic: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GoldItem:
        if self.answerable and self.gold is None and self.topic is None:
            raise ValueError(
                "câu hỏi trả lời được phải có gold (lesson, section), hoặc topic nếu tập viết không theo bài học"
            )
        if not self.answerable and self.gold is not None:
            raise ValueError("câu hỏi ngoài phạm vi không được có gold")
        if (self.type == ItemType.OUT_OF_SCOPE) == self.answerable:
            raise ValueError("type out_of_scope phải đi cùng answerable: false")
        if self.type == ItemType.FOLLOWUP and not self.history:
            raise ValueError("câu hỏi followup phải có history")
        return self


def _parse_lines(lines: Iterable[str], path: Path) -> tuple[list[tuple[int, GoldItem]], list[str]]:
    items: list[tuple[int, GoldItem]] = []
    problems: list[str] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append((lineno, GoldItem.model_validate(json.loads(line))))
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{lineno}: JSON không hợp lệ ({exc.msg}, cột {exc.colno}).")
        except ValidationError as exc:
            where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
            problems.append(f"{path}:{lineno}: {where}")
    seen: dict[str, int] = {}
    for lineno, item in items:
        if item.id in seen:
            problems.append(f"{path}:{lineno}: id '{item.id}' trùng với dòng {seen[item.id]}.")
        seen.setdefault(item.id, lineno)
    return items, problems


def check_gold(path: Path) -> tuple[list[tuple[int, GoldItem]], list[str]]:
    """Every item with its line number, and every problem as 'path:line: message'."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"Không đọc được tập dữ liệu {path}: {exc}") from exc
    return _parse_lines(text.splitlines(), path)


def load_gold(path: Path) -> list[GoldItem]:
    """Load the dataset; any malformed line or duplicate id refuses the whole file."""
    items, problems = check_gold(path)
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n… và {len(problems) - 20} lỗi nữa." if len(problems) > 20 else ""
        raise DatasetError(f"Tập dữ liệu {path} có {len(problems)} lỗi:\n{shown}{more}")
    return [item for _, item in items]
