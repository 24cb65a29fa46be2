"""The proposal file between `tutor quiz calibrate` and `tutor quiz apply`: written, reviewed, read back, checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutor.learner.calibration import FLAG_LABELS, Calibration
from tutor.learner.dif import DifResult
from tutor.learner.errors import LearnerInputError
from tutor.learner.path import DOMAIN_NAMES
from tutor.learner.quizbank import QuizItem

KIND = "tutor-quiz-calibration"
FORMAT_VERSION = 1
#: A proposed difficulty outside this range is refused on apply: no Rasch item of this bank can be that far out.
APPLY_RANGE = (-6.0, 6.0)


class ProposalError(LearnerInputError):
    """The proposal file is missing, not JSON, or not a calibration proposal for this bank."""


class ItemProposal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    lesson_id: str = ""
    level: str = ""
    current: float
    proposed: float | None = None
    se: float | None = None
    n: int = Field(ge=0)
    infit: float | None = None
    outfit: float | None = None
    flags: list[str] = []
    apply: bool = False


class ProposalFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str
    format: int
    created_at: str
    based_on: int = Field(ge=0)
    library: str = ""
    anchors: list[str]
    anchor_mean: float
    ability_sd: float
    persons: int
    answers: int
    items: list[ItemProposal]
    dif: list[dict[str, object]] = []


@dataclass(frozen=True)
class Proposal:
    file: ProposalFile
    sha256: str

    def difficulties(self, bank: Sequence[QuizItem], current: dict[str, float]) -> tuple[dict[str, float], int]:
        """Every item's difficulty once applied, and how many change; refuses items the bank does not have."""
        known = {item.id for item in bank}
        unknown = [i.id for i in self.file.items if i.id not in known]
        if unknown:
            raise ProposalError(
                f"Đề xuất có câu không còn trong ngân hàng ({', '.join(unknown[:3])}); chạy lại `tutor quiz calibrate`."
            )
        out = dict(current)
        changed = 0
        lo, hi = APPLY_RANGE
        for item in self.file.items:
            if not item.apply:
                continue
            if item.proposed is None or not math.isfinite(item.proposed) or not lo <= item.proposed <= hi:
                raise ProposalError(
                    f"Câu {item.id}: độ khó đề xuất {item.proposed} không dùng được (cần một số trong "
                    f'[{lo:g}, {hi:g}]); sửa lại hoặc đặt "apply": false cho câu này.'
                )
            if abs(out[item.id] - item.proposed) > 1e-9:
                changed += 1
            out[item.id] = float(item.proposed)
        return out, changed


def to_json(calibration: Calibration, dif: Sequence[DifResult], now: dt.datetime | None = None) -> str:
    created = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    doc = {
        "kind": KIND,
        "format": FORMAT_VERSION,
        "created_at": created,
        "based_on": calibration.based_on,
        "library": calibration.library,
        "anchors": list(calibration.anchors),
        "anchor_mean": round(calibration.anchor_mean, 4),
        "ability_sd": round(calibration.ability_sd, 4),
        "persons": calibration.persons,
        "answers": calibration.answers,
        "flag_legend": FLAG_LABELS,
        "items": [
            {
                "id": i.id,
                "lesson_id": i.lesson_id,
                "level": i.level.value,
                "current": i.current,
                "proposed": i.proposed,
                "se": i.se,
                "n": i.n,
                "n_right": i.n_right,
                "infit": i.infit,
                "outfit": i.outfit,
                "flags": list(i.flags),
                "apply": i.apply,
            }
            for i in calibration.items
        ],
        "dif": [dif_row(r) for r in dif if r.ets != "A"],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


def dif_row(r: DifResult) -> dict[str, object]:
    return {
        "item_id": r.item_id,
        "comparison": r.comparison,
        "n_focal": r.n_focal,
        "n_reference": r.n_reference,
        "odds_ratio": r.odds_ratio,
        "delta": r.delta,
        "delta_se": r.delta_se,
        "p_adjusted": round(r.p_adjusted, 6),
        "ets": r.ets,
        "flagged": r.flagged,
    }


def read_proposal(path: Path) -> Proposal:
    """Read and check a proposal file; every problem is one Vietnamese sentence saying what to do."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProposalError(f"Không có tệp đề xuất {path}; chạy `tutor quiz calibrate` để tạo.") from None
    except OSError as exc:
        raise ProposalError(f"Không đọc được tệp đề xuất {path}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProposalError(f"Tệp {path} không phải JSON hợp lệ; dùng tệp do `tutor quiz calibrate` ghi ra.") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ProposalError(f"Tệp {path} không phải đề xuất hiệu chỉnh ngân hàng câu hỏi (thiếu kind={KIND}).")
    if data.get("format") != FORMAT_VERSION:
        raise ProposalError(
            f"Tệp {path} có định dạng {data.get('format')!r}; bản này chỉ đọc định dạng {FORMAT_VERSION}."
        )
    try:
        parsed = ProposalFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProposalError(
            f"Tệp đề xuất {path} bị hỏng ở '{where}': {first['msg']}; tạo lại bằng calibrate."
        ) from None
    return Proposal(parsed, hashlib.sha256(raw).hexdigest())


def report_markdown(calibration: Calibration, dif: Sequence[DifResult], proposal_path: Path | None = None) -> str:
    """The operator's review sheet: what changes, which items to look at and why, the fairness audit."""
    items = calibration.items
    applied = [i for i in items if i.apply and i.proposed is not None]
    lines = [
        "# Đề xuất hiệu chỉnh ngân hàng câu hỏi",
        "",
        f"- Dựa trên phiên bản: {calibration.based_on}; {calibration.answers} câu trả lời của {calibration.persons} "
        f"học viên; {calibration.library}, mô hình Rasch (1PL).",
        f"- Neo thang đo: trung bình độ khó của {len(calibration.anchors)} câu neo giữ nguyên "
        f"({calibration.anchor_mean:+.3f} logit); độ lệch chuẩn năng lực ước lượng {calibration.ability_sd:.2f} logit.",
        f"- Sẽ đổi độ khó {len(applied)} / {len(items)} câu khi áp dụng"
        + (f": `tutor quiz apply {proposal_path}`." if proposal_path else "."),
        "",
        "## Câu cần xem lại",
        "",
        "| câu | lĩnh vực | trình độ | độ khó hiện tại → đề xuất (SE) | số câu trả lời | infit / outfit | lý do |",
        "|---|---|---|---|---|---|---|",
    ]
    for i in items:
        if not i.flags:
            continue
        change = f"{i.current:+.2f} → {i.proposed:+.2f} ({i.se:.2f})" if i.proposed is not None and i.se else "—"
        fit = f"{i.infit:.2f} / {i.outfit:.2f}" if i.infit is not None and i.outfit is not None else "—"
        why = "; ".join(FLAG_LABELS.get(f, f) for f in i.flags)
        domain = DOMAIN_NAMES.get(i.domain, str(i.domain))
        lines.append(f"| {i.id} | {domain} | {i.level.label} | {change} | {i.n} | {fit} | {why} |")
    lines += ["", "## Công bằng (DIF, Mantel-Haenszel, phân loại ETS)", ""]
    review = [r for r in dif if r.ets != "A"]
    if not review:
        lines.append(f"Không câu nào có DIF đáng kể ({len(dif)} phép so sánh đủ dữ liệu).")
    else:
        lines += [
            "Δ âm: câu khó hơn với nhóm được xét so với người cùng năng lực ở nhóm đối chiếu. "
            "C = lớn (cần tập huấn viên xem lại), B = vừa (theo dõi).",
            "",
            "| câu | so sánh | loại | Δ (SE) | số câu trả lời (nhóm xét / đối chiếu) | p đã hiệu chỉnh |",
            "|---|---|---|---|---|---|",
        ]
        for r in review:
            lines.append(
                f"| {r.item_id} | {r.comparison} | {r.ets} | {r.delta:+.2f} ({r.delta_se:.2f}) | "
                f"{r.n_focal} / {r.n_reference} | {r.p_adjusted:.2g} |"
            )
    return "\n".join(lines) + "\n"
