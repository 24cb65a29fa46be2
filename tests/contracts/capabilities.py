"""What contract suites share: capability flags with their skip reasons, and checks on our error messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pytest

from tutor.errors import TutorError

#: Letters only Vietnamese writes; an English or empty message has none of them.
_VIETNAMESE = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹàáèéìíòóùúýõã")


class Capabilities:
    """A suite's tests that need something a backend cannot do call `self.needs(...)`; the subclass lists what it
    lacks, each with the reason, so a case that cannot apply is skipped out loud instead of silently."""

    #: Capability name -> why this implementation cannot be put through the tests that need it.
    lacks: ClassVar[Mapping[str, str]] = {}

    def needs(self, capability: str) -> None:
        if capability in self.lacks:
            pytest.skip(f"{type(self).__name__} cannot be tested for {capability}: {self.lacks[capability]}")


def assert_tells_the_user(error: BaseException, kind: type[TutorError]) -> None:
    """The error is ours, of the expected kind, and its message is Vietnamese text a learner can read."""
    assert isinstance(error, kind), f"{type(error).__name__} is not {kind.__name__}: {error}"
    message = str(error)
    assert set(message.lower()) & _VIETNAMESE, f"not a Vietnamese message: {message!r}"
