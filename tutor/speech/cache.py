"""SpeechCache: each text read aloud once per engine, kept on disk under the data directory.

Keyed by the engine's id (voice and speed) and a hash of the normalised text, so a lesson section edited in the
corpus gets new audio by itself and an old file is simply never asked for again. Files are written to a temporary
name and renamed, so a request never reads half a file and two workers may write the same entry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tutor.atomic_file import replace_file
from tutor.speech.base import Speaker


class SpeechCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, speaker: Speaker, text: str) -> Path:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self.directory / speaker.id / f"{digest}.wav"

    def audio(self, speaker: Speaker, text: str) -> Path:
        """The WAV file of `text` by `speaker`, synthesised now if it is not cached yet."""
        path = self.path_for(speaker, text)
        if path.is_file():
            return path
        wav = speaker.synthesize(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, wav)
        return path
