"""Errors of the learner model; each is a TutorError whose Vietnamese message says what to do next."""

from __future__ import annotations

from tutor.errors import TutorError


class LearnerInputError(TutorError, http_status=422, exit_code=2):
    """Base of the learner model's bad-input errors."""


class ConsentRequiredError(LearnerInputError):
    """A learner record was requested without explicit consent to process personal data."""


class InvalidLearnerDataError(LearnerInputError):
    """A learner field is malformed, or looks like personal data that must not be stored."""


class UnknownGroupError(LearnerInputError):
    """The group is not one of the four target groups."""


class InvalidAnswerError(LearnerInputError):
    """The chosen option does not exist for this question."""


class LearnerConflictError(TutorError, http_status=409, exit_code=2):
    """Base of the errors where the request is well formed but does not fit the current state."""


class ItemNotAskedError(LearnerConflictError):
    """An answer arrived for a question that this placement never asked, or already answered."""


class PlacementFinishedError(LearnerConflictError):
    """The placement test is over: it can be read, not resumed or answered."""


class PlacementNotFinishedError(LearnerConflictError):
    """The placement result was requested before the test ended."""


class PlacementStateError(LearnerConflictError):
    """A saved placement no longer matches the quiz bank (an asked question was removed)."""


class FinalTestStateError(LearnerConflictError):
    """Answers arrived for a final-test attempt that was never handed out, or was already graded."""


class CertificateNotEarnedError(TutorError, http_status=403, exit_code=2):
    """A certificate was requested for a learner who has not passed the final test."""


class SigningKeyError(TutorError, http_status=503, exit_code=2):
    """The certificate signing key is unreadable, malformed or readable by other users."""
