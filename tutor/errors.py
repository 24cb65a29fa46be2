"""The one error tree: every message tells the user what to do next."""

from __future__ import annotations

from typing import Any


class TutorError(Exception):
    """Base of every error the tutor raises on purpose. `str(err)` is safe to show to a user.

    A subclass states what the API and the CLI make of it in its class line, e.g.
    `class NotFoundError(TutorError, http_status=404, exit_code=2)`; what it leaves out it inherits.
    """

    #: HTTP status the API maps this error to.
    http_status: int = 500
    #: Exit code the CLI uses for this error.
    exit_code: int = 1
    #: Seconds after which the same request may succeed (busy, rate-limited); the API sends it as Retry-After.
    retry_after: float | None = None

    def __init_subclass__(cls, *, http_status: int | None = None, exit_code: int | None = None, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if http_status is not None:
            cls.http_status = http_status
        if exit_code is not None:
            cls.exit_code = exit_code


class RetryLaterError(TutorError):
    """Base of the errors that pass if the caller waits: `retry_after` seconds, sent by the API as Retry-After."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidQuestionError(TutorError, http_status=422, exit_code=2):
    """The question cannot be answered as typed (empty, too long, unknown level)."""


class ConfigError(TutorError, http_status=503, exit_code=2):
    """A setting names something that does not exist (unknown backend, missing file)."""


class CorpusError(TutorError, http_status=503, exit_code=3):
    """A lesson file is missing or malformed."""


class IndexMissingError(TutorError, http_status=503, exit_code=3):
    """No index has been built yet."""


class IndexMismatchError(TutorError, http_status=503, exit_code=3):
    """The index on disk was built by another embedder or is unreadable."""


class LLMUnavailableError(TutorError, http_status=503, exit_code=4):
    """The chat model cannot be reached or failed mid-answer. The tutor degrades instead of failing."""


class LLMBusyError(RetryLaterError, http_status=503, exit_code=4):
    """Every generation slot is taken and the waiting queue is full. The tutor answers from the lessons instead;
    only a caller that needs the model itself gets 503 with Retry-After."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message, retry_after)


class ModelFileError(TutorError, http_status=503, exit_code=4):
    """The embedded model's files are missing or corrupt."""


class NotFoundError(TutorError, http_status=404, exit_code=2):
    """A lesson or section that does not exist."""


class RateLimitedError(RetryLaterError, http_status=429, exit_code=1):
    """The caller sent more requests than their limit allows; trying again after `retry_after` seconds works."""


class MissingExtraError(TutorError, http_status=503, exit_code=2):
    """A part that needs an optional extra (`pip install 'tutor[eval]'`) was used where it is not installed.

    Serving installs lean: the eval harness's statistics and charts, and the LangChain adapters, come as extras.
    """

    def __init__(self, missing: ImportError, extra: str, part: str) -> None:
        package = missing.name or str(missing)
        super().__init__(
            f"{part} cần gói '{package}', chưa được cài trong bản này. "
            f"Hãy cài thêm: pip install 'tutor[{extra}]' (hoặc `make install-dev`)."
        )
        self.extra = extra
