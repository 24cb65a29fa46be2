"""The pydantic schema of a lesson's front matter, checked when lessons load."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutor.types import Group, Level

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Thông tư 02/2025/TT-BGDĐT: competences per domain.
COMPETENCES: dict[int, int] = {1: 3, 2: 6, 3: 4, 4: 4, 5: 4, 6: 3}


class LessonMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=3)
    domain: int = Field(ge=1, le=6)
    competences: list[str] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)
    valid_as_of: dt.date

    @field_validator("tags", "sources", "competences", mode="before")
    @classmethod
    def _as_strings(cls, v: object) -> object:
        # YAML reads `5656` or `4.2` as numbers; in these lists they are labels.
        return [str(x) for x in v] if isinstance(v, list) else v

    @field_validator("id")
    @classmethod
    def _kebab(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("id phải là chữ thường ASCII nối bằng gạch ngang, ví dụ vneid-kich-hoat-muc-2")
        return v

    @field_validator("competences")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        for code in v:
            m = re.fullmatch(r"([1-6])\.([1-9])", str(code))
            if not m or int(m.group(2)) > COMPETENCES[int(m.group(1))]:
                raise ValueError(f"mã năng lực không có trong khung: {code!r} (ví dụ hợp lệ: '4.2')")
        return v
