"""An abandoned generation stops cleanly: no worker thread left running, and a process that gave up exits with 0."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from tests.support.models import PacedModel
from tutor.errors import LLMUnavailableError
from tutor.llm.resilience import ResilientChatModel
from tutor.types import Message


def _workers(before: set[threading.Thread]) -> list[threading.Thread]:
    """This test's model workers still running (another test's leftovers, started before it, are not its own)."""
    return [t for t in threading.enumerate() if t.name == "tutor-llm-worker" and t.is_alive() and t not in before]


def test_a_timed_out_generation_is_stopped_and_its_thread_ends():
    before = set(threading.enumerate())
    inner = PacedModel(gap=0.3)
    model = ResilientChatModel(inner, token_timeout=0.1, total_timeout=30, first_token_timeout=0.1)
    with pytest.raises(LLMUnavailableError, match="chậm"):
        list(model.stream([Message("user", "hỏi")], max_tokens=50, temperature=0.0))
    assert model.close(timeout=5)
    assert inner.closed.is_set() and not _workers(before)


def test_a_generation_the_reader_abandons_is_stopped_by_close():
    before = set(threading.enumerate())
    inner = PacedModel(gap=0.05)
    model = ResilientChatModel(inner, token_timeout=5, total_timeout=30)
    stream = model.stream([Message("user", "hỏi")], max_tokens=500, temperature=0.0)
    assert next(stream).startswith("chữ")
    del stream  # the learner left without closing anything
    assert model.close(timeout=5)
    assert inner.closed.is_set() and not _workers(before)


def test_a_process_that_gave_up_on_the_model_exits_cleanly_while_it_is_still_generating():
    script = textwrap.dedent(
        """
        import time
        from tutor.errors import LLMUnavailableError
        from tutor.llm.resilience import ResilientChatModel
        from tutor.types import Message

        class Slow:
            id = "slow"
            def stream(self, messages, *, max_tokens, temperature):
                for i in range(1000):
                    time.sleep(0.2)
                    yield "x "

        model = ResilientChatModel(Slow(), token_timeout=0.05, total_timeout=30, first_token_timeout=0.05)
        try:
            list(model.stream([Message("user", "q")], max_tokens=10, temperature=0.0))
        except LLMUnavailableError:
            print("gave up")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "gave up" in done.stdout and "Fatal" not in done.stderr
