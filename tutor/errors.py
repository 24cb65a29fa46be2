"""The one error tree: every message tells the user what to do next."""

from __future__ import annotations


class TutorError(Exception):
    """Base of every error the tutor raises on purpose. `str(err)` is safe to show to a user."""

    #: HTTP status the API maps this error to.
    http_status: int = 500
    #: Exit code the CLI uses for this error.
    exit_code: int = 1
    #: Seconds after which the same request may succeed (busy, rate-limited); the API sends it as Retry-After.
    retry_after: float | None = None


class InvalidQuestionError(TutorError):
    """The question cannot be answered as typed (empty, too long, unknown level)."""

    http_status = 422
    exit_code = 2


class ConfigError(TutorError):
    """A setting names something that does not exist (unknown backend, missing file)."""

    http_status = 503
    exit_code = 2


class CorpusError(TutorError):
    """A lesson file is missing or malformed."""

    http_status = 503
    exit_code = 3


class IndexMissingError(TutorError):
    """No index has been built yet."""

    http_status = 503
    exit_code = 3


class IndexMismatchError(TutorError):
    """The index on disk was built by another embedder or is unreadable."""

    http_status = 503
    exit_code = 3


class LLMUnavailableError(TutorError):
    """The chat model cannot be reached or failed mid-answer. The tutor degrades instead of failing."""

    http_status = 503
    exit_code = 4


class LLMBusyError(TutorError):
    """Every generation slot is taken and the waiting queue is full. The tutor answers from the lessons instead;
    only a caller that needs the model itself gets 503 with Retry-After."""

    http_status = 503
    exit_code = 4

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelFileError(TutorError):
    """The embedded model's files are missing or corrupt."""

    http_status = 503
    exit_code = 4


class NotFoundError(TutorError):
    """A lesson or section that does not exist."""

    http_status = 404
    exit_code = 2


class RateLimitedError(TutorError):
    """The caller sent more requests than their limit allows; trying again after `retry_after` seconds works."""

    http_status = 429
    exit_code = 1

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MissingExtraError(TutorError):
    """A part that needs an optional extra (`pip install 'tutor[eval]'`) was used where it is not installed.

    Serving installs lean: the eval harness's statistics and charts, and the LangChain adapters, come as extras.
    """

    http_status = 503
    exit_code = 2

    def __init__(self, missing: ImportError, extra: str, part: str) -> None:
        package = missing.name or str(missing)
        super().__init__(
            f"{part} cần gói '{package}', chưa được cài trong bản này. "
            f"Hãy cài thêm: pip install 'tutor[{extra}]' (hoặc `make install-dev`)."
        )
        self.extra = extra
