"""The read-aloud swap point: a Speaker turns Vietnamese text into WAV bytes; wiring picks the engine."""

from __future__ import annotations

from typing import Protocol

from tutor.errors import TutorError


class SpeechUnavailableError(TutorError, http_status=503, exit_code=4):
    """No read-aloud engine here (switched off, or espeak-ng missing): the page says so; the phone's voice may work."""


class Speaker(Protocol):
    """An offline text-to-speech engine."""

    @property
    def id(self) -> str:
        """Engine, voice and speed: audio cached under one id is never served for another."""
        ...

    def synthesize(self, text: str) -> bytes:
        """WAV bytes (RIFF) of `text` read aloud; `text` is already normalised (see tutor.speech.reading)."""
        ...
