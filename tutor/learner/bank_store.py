"""The learner database's side of calibration: the answers to calibrate from, and the bank versions applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from tutor.errors import NotFoundError
from tutor.learner.bankversion import WRITTEN, BankVersion
from tutor.learner.calibration import PLACEMENT_SOURCE, PRACTICE_SOURCE, AnswerLog, AnswerRecord
from tutor.learner.errors import LearnerConflictError
from tutor.learner.models import BankVersionRow, ChatMessageRow, HistoryRow, LearnerRow, PlacementRow
from tutor.sqlstore import Transactional, as_utc
from tutor.types import Group


class StaleProposalError(LearnerConflictError):
    """The proposal was calibrated on another bank version than the one now in use."""


def _version(row: BankVersionRow) -> BankVersion:
    diffs = {str(k): float(v) for k, v in row.difficulties.items()}
    return BankVersion(
        row.id, row.based_on, row.proposal_sha256, row.note, diffs, row.n_changed, as_utc(row.created_at)
    )


class QuizBankStore(Transactional):
    """Bank versions and the answer log, in the learner database (SQLite or PostgreSQL)."""

    def current_id(self) -> int:
        with self._tx() as s:
            return int(s.scalar(select(func.max(BankVersionRow.id))) or WRITTEN)

    def version(self, version_id: int) -> BankVersion:
        if version_id == WRITTEN:
            return BankVersion(WRITTEN, WRITTEN, "", "ngân hàng câu hỏi như đã viết trong corpus/quiz/")
        with self._tx() as s:
            row = s.get(BankVersionRow, version_id)
            if row is None:
                raise NotFoundError(f"Không có phiên bản ngân hàng câu hỏi {version_id}; xem `tutor quiz versions`.")
            return _version(row)

    def versions(self) -> list[BankVersion]:
        """Every applied version, oldest first (version 0, the written bank, is not listed)."""
        with self._tx() as s:
            return [_version(r) for r in s.scalars(select(BankVersionRow).order_by(BankVersionRow.id))]

    def add_version(
        self,
        *,
        based_on: int,
        proposal_sha256: str,
        note: str | None,
        difficulties: Mapping[str, float],
        n_changed: int,
    ) -> BankVersion:
        """Record a new version; refused when another version was applied since the proposal was calibrated."""
        with self._tx() as s:
            current = int(s.scalar(select(func.max(BankVersionRow.id))) or WRITTEN)
            if current != based_on:
                raise StaleProposalError(
                    f"Đề xuất được tính trên phiên bản {based_on} nhưng ngân hàng đang ở phiên bản {current}; "
                    "chạy lại `tutor quiz calibrate` rồi áp dụng đề xuất mới."
                )
            row = BankVersionRow(
                based_on=based_on,
                proposal_sha256=proposal_sha256,
                note=note,
                difficulties={k: round(float(v), 4) for k, v in difficulties.items()},
                n_changed=n_changed,
            )
            s.add(row)
            s.flush()
            return _version(row)

    def placements_by_version(self) -> dict[int, int]:
        """bank version -> placements that used it."""
        with self._tx() as s:
            rows = s.execute(select(PlacementRow.bank_version, func.count()).group_by(PlacementRow.bank_version))
            return {int(v): int(n) for v, n in rows}

    def answer_log(self) -> AnswerLog:
        """Every learner's answers: placement answers (oldest placement first), then practice answers in order.

        Only each learner's first answer to an item is kept: a second answer comes after the explanation was shown,
        and measures the explanation as much as the learner.
        """
        answers: list[AnswerRecord] = []
        seen: set[tuple[str, str]] = set()

        def add(learner_id: str, item_id: str, correct: bool, source: str) -> None:
            if (learner_id, item_id) not in seen:
                seen.add((learner_id, item_id))
                answers.append(AnswerRecord(learner_id, item_id, bool(correct), source))

        with self._tx() as s:
            groups = {lid: Group(g) for lid, g in s.execute(select(LearnerRow.id, LearnerRow.group))}
            placements = s.execute(
                select(PlacementRow.learner_id, PlacementRow.asked, PlacementRow.responses).order_by(
                    PlacementRow.started_at, PlacementRow.id
                )
            )
            for learner_id, asked, responses in placements:
                for item_id, correct in zip(asked, responses, strict=False):
                    add(learner_id, str(item_id), bool(correct), PLACEMENT_SOURCE)
            practice = s.execute(
                select(
                    HistoryRow.learner_id,
                    HistoryRow.payload["item_id"].as_string(),
                    HistoryRow.payload["correct"].as_boolean(),
                )
                .where(HistoryRow.kind == "answer")
                .order_by(HistoryRow.id)
            )
            for learner_id, item_id, correct in practice:
                add(learner_id, str(item_id), bool(correct), PRACTICE_SOURCE)
            questions: dict[str, list[str]] = {}
            chats = s.execute(
                select(ChatMessageRow.learner_id, ChatMessageRow.content)
                .where(ChatMessageRow.role == "user")
                .order_by(ChatMessageRow.id)
            )
            for learner_id, content in chats:
                questions.setdefault(learner_id, []).append(content)
        return AnswerLog(tuple(answers), groups, {k: tuple(v) for k, v in questions.items()})


def version_summary(version: BankVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "based_on": version.based_on,
        "created_at": version.created_at.isoformat() if version.created_at else None,
        "n_changed": version.n_changed,
        "note": version.note,
        "proposal_sha256": version.proposal_sha256,
    }
