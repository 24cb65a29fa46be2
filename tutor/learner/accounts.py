"""LearnerAccounts: a learner's record as a whole: enrol, name, the level answers are pitched at, erase."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tutor.auth.tokens import IssuedToken, TokenStore
from tutor.learner.store import DomainLevel, LearnerProfile, LearnerStore
from tutor.logs import purge_learner_logs
from tutor.types import Group, Level

_ORDER = tuple(Level)


def overall_level(levels: Mapping[int, DomainLevel]) -> Level:
    """The median of the placed domain levels (the lower one on a tie); Cơ bản before any placement."""
    if not levels:
        return Level.CO_BAN
    ranks = sorted(_ORDER.index(dl.level) for dl in levels.values())
    return _ORDER[int(statistics.median_low(ranks))]


class LearnerAccounts:
    """The use cases on a learner's record that need neither the quiz bank nor the lessons: the command line runs
    them without loading either, and the service still enrols and erases when its quiz bank failed to load."""

    def __init__(self, store: LearnerStore, tokens: TokenStore, log_dir: Path) -> None:
        self.store = store
        self.tokens = tokens
        self._log_dir = log_dir

    def enrol(
        self,
        group: Group | str,
        consent: bool,
        *,
        age_band: str | None = None,
        pseudonym: str | None = None,
        display_name: str | None = None,
        token: bool = True,
    ) -> tuple[LearnerProfile, IssuedToken | None]:
        """A consenting learner, with their learner token (shown once) unless `token` is False."""
        if token:  # the learner and the token in one transaction
            return self.store.enrol(group, consent, age_band=age_band, pseudonym=pseudonym, display_name=display_name)
        learner = self.store.create_learner(
            group, consent, age_band=age_band, pseudonym=pseudonym, display_name=display_name
        )
        return learner, None

    def rename(self, learner_id: str, display_name: str | None) -> LearnerProfile:
        """Set (or, blank, clear) the name the pages call the learner by; 2–40 characters, no phone numbers."""
        return self.store.set_display_name(learner_id, display_name)

    def display_name(self, learner_id: str) -> str | None:
        return self.store.get_learner(learner_id).display_name

    def certificates(self, learner_id: str) -> list[dict[str, Any]]:
        return self.store.certificates(learner_id)

    def pitch(self, learner_id: str, level: Level | None = None, group: Group | None = None) -> tuple[Level, Group]:
        """The level and group an answer is pitched at: the ones chosen, else the learner's own (the median of their
        placed levels, and the group they enrolled in). An unknown learner is a NotFoundError."""
        if level is None:
            level = overall_level(self.store.domain_levels(learner_id))
        if group is None:
            group = self.store.get_learner(learner_id).group
        return level, group

    def erase(self, learner_id: str) -> dict[str, int]:
        """Erase the learner everywhere (profile, placements, chats, feedback, tokens, certificates) and purge the
        log lines that name them; returns what was removed, per table and `log_lines`."""
        pseudonym = self.store.get_learner(learner_id).pseudonym  # NotFoundError before anything is deleted
        counts = self.store.delete_learner(learner_id)
        counts["log_lines"] = purge_learner_logs(self._log_dir, learner_id, pseudonym=pseudonym)
        return counts
