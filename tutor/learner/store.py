"""LearnerStore: transactional storage of learners, levels, skills, history, placements and certificates."""

from __future__ import annotations

import datetime as dt
import math
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from tutor.auth.policy import Role
from tutor.auth.tokens import IssuedToken, new_token
from tutor.errors import NotFoundError
from tutor.learner import AGE_BANDS, db
from tutor.learner.errors import ConsentRequiredError, InvalidLearnerDataError, PlacementFinishedError
from tutor.learner.growth import (
    DEFAULT_GROWTH,
    GrowthConfig,
    LevelChange,
    placement_change,
    practice_change,
    update_domain,
)
from tutor.learner.models import (
    LEARNER_TABLES,
    CertificateRow,
    CompetenceSkillRow,
    DomainLevelRow,
    HistoryRow,
    LearnerRow,
    PlacementRow,
)
from tutor.learner.names import check_display_name, check_pseudonym
from tutor.learner.placement import GROUP_PRIOR_MEAN, PlacementResult, PlacementState, parse_group
from tutor.learner.quizbank import QuizItem
from tutor.sqlstore import Transactional, as_utc, utcnow
from tutor.types import Group, Level

#: Elo step: K = max(K_MIN, K_START / (1 + n / K_DECAY)); early answers move the rating more than later ones.
K_START, K_DECAY, K_MIN = 0.6, 8.0, 0.2
_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Preferences:
    """Accessibility settings for vulnerable learners (elderly, low vision, low literacy)."""

    large_text: bool = False
    short_answers: bool = False
    read_aloud: bool = False


@dataclass(frozen=True)
class LearnerProfile:
    id: str
    pseudonym: str
    group: Group
    age_band: str | None
    prefs: Preferences
    consent_at: dt.datetime
    created_at: dt.datetime
    #: The name the learner chose to be called by; None until they choose one.
    display_name: str | None = None


@dataclass(frozen=True)
class DomainLevel:
    domain: int
    level: Level
    theta: float
    se: float


@dataclass(frozen=True)
class SkillRating:
    competence: str
    rating: float
    n: int


@dataclass(frozen=True)
class PracticeRecord:
    skill: SkillRating
    #: Set when this answer moved the domain's level.
    level_change: LevelChange | None = None


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    kind: str
    payload: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True)
class PlacementRecord:
    id: str
    learner_id: str
    state: PlacementState
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class LearnerSnapshot:
    """A learner's profile, levels, skills, latest answers, open placement and certificates, read together."""

    learner: LearnerProfile
    levels: dict[int, DomainLevel]
    skills: dict[str, SkillRating]
    #: item id -> whether the latest answer to it was right.
    latest_answers: dict[str, bool]
    active_placement: PlacementRecord | None
    certificates: list[dict[str, Any]]
    #: The latest level changes, newest first.
    level_changes: list[LevelChange] = field(default_factory=list)
    #: Finished placement tests, and when the latest one ended.
    placements_finished: int = 0
    last_placement_at: dt.datetime | None = None


def elo_update(rating: float, n: int, difficulty: float, correct: bool) -> float:
    """rating + K * (correct - p), with p = logistic(rating - difficulty) (Rasch scale, like the placement)."""
    p = 1.0 / (1.0 + math.exp(-(rating - difficulty)))
    k = max(K_MIN, K_START / (1.0 + n / K_DECAY))
    return rating + k * ((1.0 if correct else 0.0) - p)


class LearnerStore(Transactional):
    """All learner data behind one SQLAlchemy engine. Each public method is one transaction."""

    def __init__(self, url: str, *, migrate: bool = True, echo: bool = False) -> None:
        self.engine: Engine = db.make_engine(url, echo=echo)
        super().__init__(self.engine)
        if migrate:
            db.upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    # -- learners ----------------------------------------------------------------------------------------

    def create_learner(
        self,
        group: Group | str,
        consent: bool,
        age_band: str | None = None,
        prefs: Preferences | None = None,
        pseudonym: str | None = None,
        display_name: str | None = None,
    ) -> LearnerProfile:
        """Create a learner. `consent` must be exactly True: silence or a default is not consent."""
        row = self._new_learner_row(group, consent, age_band, prefs, pseudonym, display_name)
        with self._tx() as s:
            self._insert_learner(s, row)
        return self._profile(row)

    def enrol(
        self,
        group: Group | str,
        consent: bool,
        age_band: str | None = None,
        prefs: Preferences | None = None,
        pseudonym: str | None = None,
        display_name: str | None = None,
    ) -> tuple[LearnerProfile, IssuedToken]:
        """A learner and their learner token in one transaction: both are stored, or neither is.

        With two transactions a worker killed between them would leave a learner nobody can log in as.
        """
        row = self._new_learner_row(group, consent, age_band, prefs, pseudonym, display_name)
        issued, token_row = new_token(Role.LEARNER, row.id)
        with self._tx() as s:
            self._insert_learner(s, row)
            s.flush()  # the learner row first: the token's foreign key points at it
            s.add(token_row)
        return self._profile(row), issued

    def _new_learner_row(
        self,
        group: Group | str,
        consent: bool,
        age_band: str | None,
        prefs: Preferences | None,
        pseudonym: str | None,
        display_name: str | None = None,
    ) -> LearnerRow:
        if consent is not True:
            raise ConsentRequiredError(
                "Cần bạn đồng ý rõ ràng cho phép lưu tiến độ học trước khi tạo hồ sơ (Nghị định 13/2023/NĐ-CP)."
            )
        grp = parse_group(group)
        if age_band is not None and age_band not in AGE_BANDS:
            raise InvalidLearnerDataError(f"Nhóm tuổi '{age_band}' không có; chọn một trong: {', '.join(AGE_BANDS)}.")
        prefs = prefs or Preferences()
        name = check_pseudonym(pseudonym) if pseudonym is not None else self._new_pseudonym()
        shown = check_display_name(display_name)
        now = utcnow()
        return LearnerRow(
            id=str(uuid.uuid4()),
            pseudonym=name,
            display_name=shown,
            group=grp.value,
            age_band=age_band,
            large_text=prefs.large_text,
            short_answers=prefs.short_answers,
            read_aloud=prefs.read_aloud,
            consent_at=now,
            created_at=now,
        )

    @staticmethod
    def _insert_learner(s: Session, row: LearnerRow) -> None:
        if s.scalar(select(func.count()).select_from(LearnerRow).where(LearnerRow.pseudonym == row.pseudonym)):
            raise InvalidLearnerDataError(f"Bí danh '{row.pseudonym}' đã có người dùng; hãy chọn bí danh khác.")
        s.add(row)

    @staticmethod
    def _new_pseudonym() -> str:
        """A random pseudonym that `check_pseudonym` accepts: about 1 draw in 1,500 has six digits in a row, which
        reads like a phone or ID number and would be refused later, on the learner's certificate."""
        while True:
            name = "HV-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(8))
            try:
                return check_pseudonym(name)
            except InvalidLearnerDataError:
                continue

    @staticmethod
    def _profile(row: LearnerRow) -> LearnerProfile:
        prefs = Preferences(row.large_text, row.short_answers, row.read_aloud)
        return LearnerProfile(
            row.id,
            row.pseudonym,
            Group(row.group),
            row.age_band,
            prefs,
            as_utc(row.consent_at),
            as_utc(row.created_at),
            row.display_name,
        )

    def _learner_row(self, s: Session, learner_id: str) -> LearnerRow:
        row = s.get(LearnerRow, learner_id)
        if row is None:
            raise NotFoundError(f"Không có học viên {learner_id} (có thể hồ sơ đã bị xóa theo yêu cầu).")
        return row

    def get_learner(self, learner_id: str) -> LearnerProfile:
        with self._tx() as s:
            return self._profile(self._learner_row(s, learner_id))

    def set_preferences(self, learner_id: str, prefs: Preferences) -> LearnerProfile:
        with self._tx() as s:
            row = self._learner_row(s, learner_id)
            row.large_text, row.short_answers, row.read_aloud = prefs.large_text, prefs.short_answers, prefs.read_aloud
            return self._profile(row)

    def set_display_name(self, learner_id: str, display_name: str | None) -> LearnerProfile:
        """Set (or, with None or blank, clear) the name the pages call the learner by."""
        shown = check_display_name(display_name)
        with self._tx() as s:
            row = self._learner_row(s, learner_id)
            row.display_name = shown
            return self._profile(row)

    def delete_learner(self, learner_id: str) -> dict[str, int]:
        """Remove every row of this learner from every table; returns rows deleted per table."""
        counts: dict[str, int] = {}
        with self._tx() as s:
            self._learner_row(s, learner_id)
            for model in LEARNER_TABLES:
                column = getattr(model, "id" if model is LearnerRow else "learner_id")
                result = s.execute(delete(model).where(column == learner_id))
                counts[model.__tablename__] = int(getattr(result, "rowcount", 0) or 0)
        if self.is_sqlite:
            # secure_delete zeroed the pages; fold the WAL back so no old page copy stays in the -wal file.
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts

    # -- levels and skills -------------------------------------------------------------------------------

    def set_domain_level(self, learner_id: str, domain: int, level: Level | str, theta: float, se: float) -> None:
        with self._tx() as s:
            self._learner_row(s, learner_id)
            self._upsert_domain_level(s, learner_id, domain, Level(level), theta, se)

    @staticmethod
    def _upsert_domain_level(s: Session, learner_id: str, domain: int, level: Level, theta: float, se: float) -> None:
        if not 1 <= domain <= 6:
            raise InvalidLearnerDataError(f"Lĩnh vực {domain} không có trong khung năng lực (từ 1 đến 6).")
        row = s.get(DomainLevelRow, (learner_id, domain))
        if row is None:
            row = DomainLevelRow(learner_id=learner_id, domain=domain)
            s.add(row)
        row.level, row.theta, row.se, row.updated_at = level.value, float(theta), float(se), utcnow()
        row.practice_right = row.practice_total = 0
        s.flush()

    def domain_levels(self, learner_id: str) -> dict[int, DomainLevel]:
        with self._tx() as s:
            self._learner_row(s, learner_id)
            return self._domain_levels(s, learner_id)

    @staticmethod
    def _domain_levels(s: Session, learner_id: str) -> dict[int, DomainLevel]:
        rows = s.scalars(select(DomainLevelRow).where(DomainLevelRow.learner_id == learner_id)).all()
        return {r.domain: DomainLevel(r.domain, Level(r.level), r.theta, r.se) for r in rows}

    def record_answer(self, learner_id: str, item: QuizItem, correct: bool) -> SkillRating:
        """Update the competence's Elo rating and the domain's level, and log the answer, all or nothing."""
        return self.record_practice(learner_id, item, correct).skill

    def record_practice(
        self, learner_id: str, item: QuizItem, correct: bool, growth: GrowthConfig = DEFAULT_GROWTH
    ) -> PracticeRecord:
        """A practice answer: the competence's Elo rating, the placed domain's ability and level (a level change is
        logged with its reason), and the answer itself, in one transaction."""
        with self._tx() as s:
            learner = self._learner_row(s, learner_id)
            skill = s.get(CompetenceSkillRow, (learner_id, item.competence))
            if skill is None:
                placed = s.get(DomainLevelRow, (learner_id, item.domain))
                start = placed.theta if placed is not None else GROUP_PRIOR_MEAN[Group(learner.group)]
                skill = CompetenceSkillRow(learner_id=learner_id, competence=item.competence, rating=start, n=0)
                s.add(skill)
            skill.rating = elo_update(skill.rating, skill.n, item.difficulty, correct)
            skill.n += 1
            skill.updated_at = utcnow()
            s.flush()
            payload = {
                "item_id": item.id,
                "lesson_id": item.lesson_id,
                "competence": item.competence,
                "correct": bool(correct),
                "rating": round(skill.rating, 4),
            }
            self._add_history(s, learner_id, "answer", payload)
            change = self._grow_domain(s, learner_id, item, correct, growth)
            return PracticeRecord(SkillRating(skill.competence, skill.rating, skill.n), change)

    def _grow_domain(
        self, s: Session, learner_id: str, item: QuizItem, correct: bool, growth: GrowthConfig
    ) -> LevelChange | None:
        # Only a placed domain moves: before any placement there is no level to show or to change.
        row = s.get(DomainLevelRow, (learner_id, item.domain))
        if row is None:
            return None
        before = Level(row.level)
        update = update_domain(row.theta, row.se, before, item.difficulty, correct, growth)
        row.practice_right += int(correct)
        row.practice_total += 1
        row.theta, row.se, row.level, row.updated_at = update.theta, update.se, update.level.value, utcnow()
        change = None
        if update.changed(before):
            change = practice_change(item.domain, before, update.level, row.practice_right, row.practice_total)
            self._add_history(s, learner_id, "level-change", change.payload())
            row.practice_right = row.practice_total = 0
        s.flush()
        return change

    def skills(self, learner_id: str) -> dict[str, SkillRating]:
        with self._tx() as s:
            self._learner_row(s, learner_id)
            return self._skills(s, learner_id)

    @staticmethod
    def _skills(s: Session, learner_id: str) -> dict[str, SkillRating]:
        rows = s.scalars(select(CompetenceSkillRow).where(CompetenceSkillRow.learner_id == learner_id)).all()
        return {r.competence: SkillRating(r.competence, r.rating, r.n) for r in rows}

    def latest_answers(self, learner_id: str) -> dict[str, bool]:
        """item id -> whether the learner's latest answer to it was correct (for lesson progress)."""
        with self._tx() as s:
            self._learner_row(s, learner_id)
            return self._latest_answers(s, learner_id)

    @staticmethod
    def _latest_answers(s: Session, learner_id: str) -> dict[str, bool]:
        # The two fields are read by the database (JSON extraction), oldest first so later answers win: loading
        # every answer as an ORM row and parsing its JSON in Python made the profile page slow down with each
        # answer a learner gave (20 ms at 500 answers).
        query = (
            select(HistoryRow.payload["item_id"].as_string(), HistoryRow.payload["correct"].as_boolean())
            .where(HistoryRow.learner_id == learner_id, HistoryRow.kind == "answer")
            .order_by(HistoryRow.id)
        )
        return {str(item): bool(correct) for item, correct in s.execute(query)}

    # -- history -----------------------------------------------------------------------------------------

    def _add_history(self, s: Session, learner_id: str, kind: str, payload: Mapping[str, Any]) -> None:
        s.add(HistoryRow(learner_id=learner_id, kind=kind, payload=dict(payload), created_at=utcnow()))
        s.flush()

    def add_history(self, learner_id: str, kind: str, payload: Mapping[str, Any]) -> None:
        with self._tx() as s:
            self._learner_row(s, learner_id)
            self._add_history(s, learner_id, kind, payload)

    def history(self, learner_id: str, kind: str | None = None, limit: int | None = 100) -> list[HistoryEntry]:
        """Newest first."""
        with self._tx() as s:
            self._learner_row(s, learner_id)
            query = select(HistoryRow).where(HistoryRow.learner_id == learner_id)
            if kind is not None:
                query = query.where(HistoryRow.kind == kind)
            query = query.order_by(HistoryRow.created_at.desc(), HistoryRow.id.desc()).limit(limit)
            return [HistoryEntry(r.id, r.kind, dict(r.payload), as_utc(r.created_at)) for r in s.scalars(query)]

    # -- placements --------------------------------------------------------------------------------------

    def start_placement(self, learner_id: str, state: PlacementState) -> str:
        """Persist a new placement (usually with nothing asked yet); returns its id."""
        with self._tx() as s:
            self._learner_row(s, learner_id)
            pid = str(uuid.uuid4())
            row = PlacementRow(
                id=pid,
                learner_id=learner_id,
                domain=state.domain,
                state="active",
                started_at=utcnow(),
                bank_version=state.bank_version,
            )
            row.asked, row.responses, row.theta, row.se = (
                list(state.asked),
                list(state.responses),
                state.theta,
                state.se,
            )
            s.add(row)
            s.flush()
            self._add_history(
                s, learner_id, "placement", {"event": "started", "placement_id": pid, "domain": state.domain}
            )
            return pid

    def save_placement(self, placement_id: str, state: PlacementState, result: PlacementResult | None = None) -> None:
        """Save progress; with a result, also mark it finished and write the domain levels, all in one go."""
        with self._tx() as s:
            row = self._placement_row(s, placement_id)
            if row.state == "finished":
                raise PlacementFinishedError("Bài xếp lớp này đã kết thúc; không lưu thêm được.")
            row.asked, row.responses = list(state.asked), list(state.responses)
            row.theta, row.se = state.theta, state.se
            s.flush()
            if result is None:
                return
            before = self._domain_levels(s, row.learner_id)
            for est in result.domains.values():
                self._upsert_domain_level(s, row.learner_id, est.domain, est.level, est.theta, est.se)
                old = before.get(est.domain)
                if old is not None and old.level is not est.level:
                    change = placement_change(est.domain, old.level, est.level, result.n_items)
                    self._add_history(s, row.learner_id, "level-change", change.payload())
            row.state, row.finished_at = "finished", utcnow()
            row.theta, row.se = result.theta, result.se
            s.flush()
            finished = {"event": "finished", "placement_id": placement_id, "bank_version": row.bank_version}
            self._add_history(s, row.learner_id, "placement", {**finished, **result.to_dict()})

    def _placement_row(self, s: Session, placement_id: str) -> PlacementRow:
        row = s.get(PlacementRow, placement_id)
        if row is None:
            raise NotFoundError(f"Không có bài xếp lớp {placement_id}.")
        return row

    def load_placement(self, placement_id: str) -> PlacementRecord:
        with self._tx() as s:
            row = self._placement_row(s, placement_id)
            learner = self._learner_row(s, row.learner_id)
            return self._placement_record(row, Group(learner.group))

    def active_placement(self, learner_id: str) -> PlacementRecord | None:
        with self._tx() as s:
            return self._active_placement(s, self._learner_row(s, learner_id))

    def _active_placement(self, s: Session, learner: LearnerRow) -> PlacementRecord | None:
        row = s.scalars(
            select(PlacementRow)
            .where(PlacementRow.learner_id == learner.id, PlacementRow.state == "active")
            .order_by(PlacementRow.started_at.desc())
            .limit(1)
        ).first()
        return None if row is None else self._placement_record(row, Group(learner.group))

    @staticmethod
    def _placement_record(row: PlacementRow, group: Group) -> PlacementRecord:
        responses = tuple(bool(r) for r in row.responses)
        finished = row.state == "finished"
        state = PlacementState(
            group, row.domain, tuple(row.asked), responses, finished, row.theta, row.se, row.bank_version
        )
        ended = as_utc(row.finished_at) if row.finished_at is not None else None
        return PlacementRecord(row.id, row.learner_id, state, as_utc(row.started_at), ended)

    # -- certificates ------------------------------------------------------------------------------------

    def save_certificate(self, learner_id: str, certificate: Mapping[str, Any]) -> str:
        """Store an issued (signed) certificate document; returns its id (the payload's `id`)."""
        payload = certificate["payload"]
        cid, group, level = str(payload["id"]), str(payload["group"]), str(payload["level"])
        with self._tx() as s:
            self._learner_row(s, learner_id)
            s.add(CertificateRow(id=cid, learner_id=learner_id, group=group, level=level, payload=dict(certificate)))
            s.flush()
            self._add_history(s, learner_id, "certificate", {"certificate_id": cid})
            return cid

    def certificates(self, learner_id: str) -> list[dict[str, Any]]:
        with self._tx() as s:
            self._learner_row(s, learner_id)
            return self._certificates(s, learner_id)

    @staticmethod
    def _certificates(s: Session, learner_id: str) -> list[dict[str, Any]]:
        rows = s.scalars(
            select(CertificateRow).where(CertificateRow.learner_id == learner_id).order_by(CertificateRow.issued_at)
        )
        return [dict(r.payload) for r in rows]

    # -- everything at once --------------------------------------------------------------------------------

    def snapshot(self, learner_id: str) -> LearnerSnapshot:
        """Everything the profile page shows, read in one transaction: one consistent view, one round of locks."""
        with self._tx() as s:
            row = self._learner_row(s, learner_id)
            return LearnerSnapshot(
                self._profile(row),
                self._domain_levels(s, learner_id),
                self._skills(s, learner_id),
                self._latest_answers(s, learner_id),
                self._active_placement(s, row),
                self._certificates(s, learner_id),
                self._level_changes(s, learner_id),
                *self._placements_finished(s, learner_id),
            )

    @staticmethod
    def _level_changes(s: Session, learner_id: str, limit: int = 10) -> list[LevelChange]:
        query = (
            select(HistoryRow)
            .where(HistoryRow.learner_id == learner_id, HistoryRow.kind == "level-change")
            .order_by(HistoryRow.id.desc())
            .limit(limit)
        )
        return [LevelChange.from_payload(r.payload, as_utc(r.created_at)) for r in s.scalars(query)]

    @staticmethod
    def _placements_finished(s: Session, learner_id: str) -> tuple[int, dt.datetime | None]:
        finished = (PlacementRow.learner_id == learner_id, PlacementRow.state == "finished")
        count, last = s.execute(select(func.count(), func.max(PlacementRow.finished_at)).where(*finished)).one()
        return int(count or 0), as_utc(last) if last is not None else None
