"""Developer-only hooks of the command line: the in-process fake Ollama behind `tutor eval run --fake-ollama`.

Fakes live in tutor.testing, which only tests and this module import: the layer contract in pyproject.toml
(`lint-imports`) names it as the one allowed importer outside tests, so a production path cannot grow a fake.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.config import Settings


@contextmanager
def fake_ollama(settings: Settings) -> Iterator[Settings]:
    """A wire-compatible Ollama on a free loopback port while the block runs; `settings` pointed at it."""
    from tutor.testing.ollama_wire import OllamaWireServer, WireState

    with OllamaWireServer(WireState(models=[settings.ollama_model])) as srv:
        yield settings.model_copy(update={"llm": "ollama", "ollama_host": srv.url, "answer_mode": "generated"})
